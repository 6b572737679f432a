"""The short text summary ``relsim run`` prints."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd


def fmt(mean: float, half: float, digits: int = 2, percent: bool = False) -> str:
    scale, suffix = (100.0, "%") if percent else (1.0, "")
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "–"
    text = f"{mean * scale:,.{digits}f}{suffix}"
    if half is not None and not math.isnan(half):
        text += f" ± {half * scale:,.{digits}f}"
    return text


def summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, r in summary.iterrows():
        stage_mix = " / ".join(f"{100 * r[f'share_{s}']:.0f}" if not math.isnan(r[f"share_{s}"]) else "–"
                               for s in ("early", "development", "long_term", "final"))
        rows.append({
            "strategy": r["strategy"],
            "suppliers": f"{r['suppliers']:g}",
            "share": fmt(r["market_share"], r["market_share_ci95"], 1, True),
            "cum. profit": fmt(r["cumulative_profit"], r["cumulative_profit_ci95"], 0),
            "retention/step": fmt(r["retention_rate"], r["retention_rate_ci95"], 1, True),
            "CLV": fmt(r["customer_lifetime_value"], r["customer_lifetime_value_ci95"], 1),
            "acq./new": fmt(r["acquisition_cost_per_new_customer"], r["acquisition_cost_per_new_customer_ci95"]),
            "trust": fmt(r["mean_trust"], r["mean_trust_ci95"]),
            "commitment": fmt(r["mean_commitment"], r["mean_commitment_ci95"]),
            "stages % E/D/L/F": stage_mix,
        })
    return pd.DataFrame(rows)


def print_summary(results, out: Path | None) -> None:
    scenario = results.scenario
    m = results.manifest
    reps = m.get("replicates", 1)
    print(f"{scenario.market.name}: {scenario.market.buyers} buyers, "
          f"{len(scenario.supplier_table())} suppliers, {scenario.market.steps} steps, "
          f"{reps} replicate(s), root seed {m.get('root_seed')}, {m.get('wall_time_s')} s")
    table = summary_table(results.summary())
    print(table.to_string(index=False))
    if reps > 1:
        print("(± is the half-width of the 95% confidence interval across replicates; share and "
              "stage mix at the last step; CLV = customer lifetime value; acq./new = acquisition "
              "spend per new customer; E/D/L/F = early/development/long-term/final)")
    else:
        print("(one replicate: no intervals; use --replicates N; E/D/L/F = early/development/"
              "long-term/final)")
    if out is not None:
        print(f"results: {out}/ (manifest.json, market/suppliers/events/relationships .parquet, "
              f"summary.csv)")
