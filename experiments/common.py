"""What the studies share: running a study's sweep file (``NAME/sweep.toml``) through the one
sweep runner and store (``sim.sweep``: resumable, seeds per point and replicate), the paired
comparison of the focal supplier ("you") under two or more strategies with common random
numbers (``sim.compare``) for the studies that are not sweeps, and the writers of a study's
table and figure. Studies import it as ``experiments.common``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sim.config import Scenario, load_scenario
from sim.experiment.compare import compare
from sim.experiment.sweep import SweepResults, sweep

ROOT = Path(__file__).resolve().parent.parent
B2B = ROOT / "scenarios" / "b2b_key_accounts.toml"


def study_sweep(spec: Path, store: Path, variant: str | None = None, resume: bool = False,
                workers: int | None = 1) -> SweepResults:
    """Run a study's sweep file (or its ``[variants.VARIANT]``) into the sweep store ``store``.

    A fresh run by default: the store's earlier runs are replaced (only the files the sweep
    wrote), because a study's figures must come from the model as it is now, and a store
    resumes runs made by whatever code made them. ``resume=True`` keeps the finished runs
    and runs the rest (an interrupted regeneration). ``workers``: 1 runs here, in this
    process; None uses a process pool on all cores."""
    store.parent.mkdir(parents=True, exist_ok=True)
    return sweep(spec, store, workers=workers, variant=variant, overwrite=not resume, progress=False)


def b2b(quick: bool, **overrides: Any) -> Scenario:
    """The default B2B market (Partners 1 is "you"), smaller when ``quick``."""
    base = {"market.buyers": 600, "market.steps": 60} if quick else {}
    return load_scenario(B2B).with_overrides({**base, **overrides})


def paired(scenario: Scenario, alternatives: str, replicates: int, seed: int = 7) -> dict[str, dict[str, float]]:
    """Per alternative: the focal supplier's mean cumulative profit and retention per step,
    and each alternative's paired profit difference against the first (with its 95% half-width)."""
    c = compare(scenario, alternatives, replicates=replicates, seed=seed, workers=1)
    out: dict[str, dict[str, float]] = {}
    for name, g in c.metrics.groupby("alternative", sort=False):
        out[name] = {"profit": float(g["cumulative_profit"].mean()),
                     "retention": float(g["retention_rate"].mean()),
                     "acquisition_per_new_customer": float(g["acquisition_cost_per_new_customer"].mean()),
                     "cost_to_serve_per_customer_step": float(g["cost_to_serve_per_customer"].mean())}
    d = c.differences[c.differences["metric"] == "cumulative_profit"]
    for _, row in d.iterrows():
        out[row["alternative"]]["relative_advantage"] = float(row["relative_difference"])
        out[row["alternative"]]["relative_half_width"] = float(row["relative_half_width"])
    return out


def keep_versus_win(result: dict[str, float], steps_per_year: int = 12) -> float:
    """How many times more it costs to win a customer than to keep one for a year: acquisition
    spend per new customer over the cost of keeping a customer a year (cost to serve,
    retention spend, key-account managers and adaptations per customer-step, x 12)."""
    return result["acquisition_per_new_customer"] / (steps_per_year * result["cost_to_serve_per_customer_step"])


def annual(retention_per_step: float, steps_per_year: int = 12) -> float:
    return float(np.power(retention_per_step, steps_per_year))


def save_figure(fig, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=110, bbox_inches="tight")


def save_table(rows: list[dict[str, Any]], path: Path) -> None:
    """A study's table: one CSV row per dict, the columns in the first row's order."""
    import pandas as pd

    pd.DataFrame(rows).to_csv(path, index=False)
