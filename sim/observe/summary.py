"""Summaries of a run's supplier series: by strategy, across replicates."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import stdtrit  # Student t quantile; far lighter to import than scipy.stats

from sim.observe.recorder import acquisition_cost_per_new_customer, lifetime_value


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


def per_replicate_by_strategy(suppliers: pd.DataFrame, discount_rate: float = 0.01) -> pd.DataFrame:
    """One row per replicate and strategy: final share, cumulative profit, retention over
    the run, mean trust and commitment of its customers at the end and the stage mix."""
    last_step = suppliers["step"].max()
    stages = ["early", "development", "long_term", "final"]
    grouped = suppliers.groupby(["replicate", "strategy"], observed=True)
    money = ["revenue", "cost_of_goods", "cost_to_serve", "retention_spend", "adaptation_spend",
             "late_payment_cost"]
    totals = grouped[["profit", "customers_at_start", "retained", "customers", "new_customers",
                      "acquisition_spend", *money]].sum()
    end = suppliers[suppliers["step"] == last_step].copy()
    # trust and commitment are means over a supplier's current relationships
    end["relationships"] = end[stages].sum(axis=1)
    end["trust_x"] = end["mean_trust"].fillna(0) * end["relationships"]
    end["commitment_x"] = end["mean_commitment"].fillna(0) * end["relationships"]
    end["suppliers"] = end["active"].astype(int)
    final = end.groupby(["replicate", "strategy"], observed=True)[
        ["suppliers", "market_share", "customers", "relationships", "trust_x", "commitment_x", *stages]].sum()
    # a strategy that no supplier holds at the end (suppliers imitate rivals) counts as
    # zero share and zero suppliers in that replicate, not as missing
    final = final.reindex(totals.index, fill_value=0)
    with_relationships = final["relationships"].where(final["relationships"] > 0)
    retention = totals["retained"] / totals["customers_at_start"].where(totals["customers_at_start"] > 0)
    out = pd.DataFrame({
        "suppliers": final["suppliers"],
        "market_share": final["market_share"],
        "cumulative_profit": totals["profit"],
        "retention_rate": retention,
        "customers": final["customers"],
        "acquisition_cost_per_new_customer": acquisition_cost_per_new_customer(
            totals["acquisition_spend"], totals["new_customers"]),
        "customer_lifetime_value": lifetime_value(
            totals["revenue"] - totals[money[1:]].sum(axis=1), totals["customers"], retention, discount_rate),
        "mean_trust": final["trust_x"] / with_relationships,
        "mean_commitment": final["commitment_x"] / with_relationships,
    })
    for col in stages:
        out[f"share_{col}"] = final[col] / with_relationships
    return out.reset_index()


def summarise_by_strategy(suppliers: pd.DataFrame, discount_rate: float = 0.01) -> pd.DataFrame:
    """Mean across replicates (and 95% half-width when there are several) per strategy."""
    per = per_replicate_by_strategy(suppliers, discount_rate)
    rows = []
    for strategy, group in per.groupby("strategy", observed=True):
        row = {"strategy": strategy, "replicates": len(group), "suppliers": float(group["suppliers"].mean())}
        for col in per.columns:
            if col in ("replicate", "strategy", "suppliers"):
                continue
            mean, half = t_interval(group[col].to_numpy())
            row[col] = mean
            row[f"{col}_ci95"] = half
        rows.append(row)
    return pd.DataFrame(rows)
