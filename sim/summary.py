"""Summaries of a run's supplier series: by strategy, across replicates."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import stdtrit  # Student t quantile; far lighter to import than scipy.stats


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """(mean, half-width of the two-sided t confidence interval); half-width NaN for n < 2."""
    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    n = len(values)
    if n == 0:
        return float("nan"), float("nan")
    mean = float(values.mean())
    if n < 2:
        return mean, float("nan")
    half = float(stdtrit(n - 1, 0.5 + level / 2) * values.std(ddof=1) / np.sqrt(n))
    return mean, half


def per_replicate_by_strategy(suppliers: pd.DataFrame) -> pd.DataFrame:
    """One row per replicate and strategy: final share, cumulative profit, retention over
    the run, mean trust and commitment of its customers at the end and the stage mix."""
    last_step = suppliers["step"].max()
    grouped = suppliers.groupby(["replicate", "strategy"], observed=True)
    totals = grouped[["profit", "customers_at_start", "retained"]].sum()
    end = suppliers[suppliers["step"] == last_step].copy()
    end["trust_x"] = end["mean_trust"].fillna(0) * end["customers"]
    end["commitment_x"] = end["mean_commitment"].fillna(0) * end["customers"]
    final = end.groupby(["replicate", "strategy"], observed=True)[
        ["market_share", "customers", "trust_x", "commitment_x", "early", "development",
         "long_term", "final"]].sum()
    out = pd.DataFrame({
        "suppliers": end.groupby(["replicate", "strategy"], observed=True)["supplier"].nunique(),
        "market_share": final["market_share"],
        "cumulative_profit": totals["profit"],
        "retention_rate": totals["retained"] / totals["customers_at_start"].where(
            totals["customers_at_start"] > 0),
        "customers": final["customers"],
        "mean_trust": final["trust_x"] / final["customers"].where(final["customers"] > 0),
        "mean_commitment": final["commitment_x"] / final["customers"].where(final["customers"] > 0),
    })
    stage_total = final[["early", "development", "long_term", "final"]].sum(axis=1)
    for col in ("early", "development", "long_term", "final"):
        out[f"share_{col}"] = final[col] / stage_total.where(stage_total > 0)
    return out.reset_index()


def summarise_by_strategy(suppliers: pd.DataFrame) -> pd.DataFrame:
    """Mean across replicates (and 95% half-width when there are several) per strategy."""
    per = per_replicate_by_strategy(suppliers)
    rows = []
    for strategy, group in per.groupby("strategy", observed=True):
        row = {"strategy": strategy, "replicates": len(group), "suppliers": int(group["suppliers"].iloc[0])}
        for col in per.columns:
            if col in ("replicate", "strategy", "suppliers"):
                continue
            mean, half = t_interval(group[col].to_numpy())
            row[col] = mean
            row[f"{col}_ci95"] = half
        rows.append(row)
    return pd.DataFrame(rows)
