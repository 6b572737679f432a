"""Summaries of a run's supplier series by strategy, across replicates: the outcomes of
:mod:`sim.observe.kpis` per replicate and strategy, then their means and 95% intervals."""

from __future__ import annotations

import pandas as pd

from sim.observe.kpis import replicate_outcomes, summarise_outcomes


def per_replicate_by_strategy(suppliers: pd.DataFrame, discount_rate: float = 0.01,
                              relationships: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per replicate and strategy, a column per KPI (a supplier counts under the
    strategy it held at each step)."""
    return replicate_outcomes(suppliers, None, discount_rate, by="strategy", relationships=relationships)


def summarise_by_strategy(suppliers: pd.DataFrame, discount_rate: float = 0.01,
                          relationships: pd.DataFrame | None = None) -> pd.DataFrame:
    """Mean across replicates (``NAME``) and 95% half-width (``NAME_ci95``) per strategy."""
    return summarise_outcomes(per_replicate_by_strategy(suppliers, discount_rate, relationships), "strategy")
