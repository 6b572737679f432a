"""Study (b): Reichheld & Sasser (1990) — profit gained per point of retention.

Intervention: the focal supplier (Partners 1, "you", relationship strategy) runs a more
effective retention programme — the same retention spend buys ten times the relationship
benefit (``retention_benefit`` 2 -> 20), a commitment driver — and changes nothing else:
same prices, service level, spend and rivals, same seeds (common random numbers). We measure
its cumulative profit and its annual retention (monthly retention to the 12th power) counted
two ways, by head count and by customer size (each customer weighed by its demand: in a market
of key accounts and small firms a point of head count is mostly small firms), and scale the
profit gain to +5 points of each. Then each of Reichheld & Sasser's sources of value with tenure
is switched off in turn (in both arms), and its share of the effect is the part of the
programme's extra profit that goes with it, with Fieller's 95% interval paired over replicates
(the four overlap, so the shares need not add up; with all four off what is left is base profit
from the longer lives).

The design is the sweep file beside this script (``sweep.toml``: the factor ``switched_off``
with one case per source); the runs and per-case means come from its sweep store
(``results/sources``, and ``results/markets`` for ``markets.toml``: two stores side by side,
neither inside the other; ``relsim analyze results/sources --relative`` analyses one).

Run: .venv/bin/python experiments/reichheld_sasser/study.py [--quick] [--resume]"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.common import annual, keep_versus_win, save_figure, save_table, study_sweep
from sim.stats.intervals import ratio_of_differences_interval

HERE = Path(__file__).resolve().parent
SPEC = HERE / "sweep.toml"
#: the same intervention in the default market and in each of its segments alone
MARKETS = HERE / "markets.toml"
FACTOR = "switched_off"
#: how run_all writes the headline (sim.observe.numbers kinds); keep_versus_win is a ratio
HEADLINE_KINDS = {"annual_retention*": "rate", "profit_gain*": "relative", "by_market*": "relative",
                  "shares": "share", "share_intervals": "share", "commitment*": "score"}
#: what each arm's row needs from the store, by the names keep_versus_win reads
OUTCOMES = {"cumulative_profit": "profit", "retention_rate": "retention",
            "size_weighted_retention": "retention_by_size",
            "acquisition_cost_per_new_customer": "acquisition_per_new_customer",
            "cost_to_serve_per_customer": "cost_to_serve_per_customer_step",
            "mean_commitment": "commitment"}
#: the two ways of counting retention: customers by head, and weighed by what they buy
WEIGHTS = {"": "retention", "_by_size": "retention_by_size"}


def money_gains(results, factor: str) -> pd.DataFrame:
    """The intervention's extra cumulative profit, run by run: one column per case of the
    factor, one row per replicate (every case shares the replicate's seed: common random
    numbers, so a replicate is the same market under every case)."""
    runs = results.runs
    runs = runs[runs["status"] == "ok"]
    arms = runs.pivot_table(index=[factor, "replicate"], columns="alternative", values="cumulative_profit")
    return (arms["retained"] - arms["relationship"]).unstack(factor)


def effects(results, factor: str = FACTOR) -> list[dict]:
    """One row per case of the factor, in the sweep file's order: the intervention's effect on
    annual retention, counted by customers and by customer size (each customer weighed by its
    demand), and on profit (relative gain with its paired 95% interval), scaled to +5
    points of each; and on the focal supplier's customers' mean commitment at the end of the
    run (the programme's lever: a commitment driver), before, with the programme, and the
    paired difference with its 95% half-width."""
    means = results.means(list(OUTCOMES)).rename(columns=OUTCOMES).set_index([factor, "alternative"])
    gains = results.advantage("cumulative_profit", "retained", "relationship", relative=True).set_index(factor)
    commitment = results.advantage("mean_commitment", "retained", "relationship").set_index(factor)
    rows = []
    for case in results.points[factor]:
        gain = float(gains.loc[case, "mean"])
        row = {factor: case}
        for suffix, column in WEIGHTS.items():
            before = annual(means.loc[(case, "relationship"), column])
            after = annual(means.loc[(case, "retained"), column])
            points = 100 * (after - before)
            row[f"annual_retention{suffix}"] = before
            row[f"retention_points{suffix}"] = points
            row[f"profit_gain_per_5_points{suffix}"] = 5 * gain / points if points > 0 else float("nan")
        # the 95% interval of a relative gain counts the uncertainty of the baseline's own
        # profit (Fieller's, as compare's): not symmetric
        row.update({"profit_gain": gain, "profit_gain_low": float(gains.loc[case, "low"]),
                    "profit_gain_high": float(gains.loc[case, "high"]),
                    "keep_versus_win": keep_versus_win(means.loc[(case, "relationship")]),
                    "commitment": float(means.loc[(case, "relationship"), "commitment"]),
                    "commitment_with_programme": float(means.loc[(case, "retained"), "commitment"]),
                    "commitment_gain": float(commitment.loc[case, "mean"]),
                    "commitment_gain_half_width": float(commitment.loc[case, "half_width"])})
        rows.append(row)
    return rows


def source_shares(results, factor: str = FACTOR, reference: str = "nothing") -> dict[str, tuple[float, float, float]]:
    """Each case's share of the intervention's extra profit that goes when its source is off:
    1 - (extra profit with the source off) / (extra profit with every source on), with
    Fieller's 95% interval of the ratio paired over replicates (NaN bounds: the extra profit
    cannot be told from 0, so no finite interval holds the share)."""
    gains = money_gains(results, factor)
    base = gains[reference].to_numpy()
    zeros = np.zeros_like(base)
    out = {}
    for case in gains.columns:
        if case == reference:
            continue
        ratio, low, high, _ = ratio_of_differences_interval(zeros, gains[case].to_numpy(), zeros, base, paired=True)
        out[str(case)] = (1 - ratio, 1 - high, 1 - low)
    return out


def main(quick: bool = False, out: Path | None = None, resume: bool = False, workers: int | None = 1) -> dict:
    """Writes figure.png and table.csv to ``out`` (default: this folder, or quick/ beside it)."""
    # the small version writes beside the full one, never over the published figure
    out = Path(out) if out is not None else HERE / "quick" if quick else HERE
    out.mkdir(parents=True, exist_ok=True)
    store = study_sweep(SPEC, out / "results" / "sources", "quick" if quick else None, resume, workers)
    rows = effects(store)
    markets = effects(study_sweep(MARKETS, out / "results" / "markets", "quick" if quick else None, resume,
                                  workers), "market")
    # a source's share: the part of the intervention's extra profit that goes when it is off
    # (the four overlap, so their shares need not add up; "all four" off leaves base profit)
    shares = source_shares(store)
    for row in rows:
        share, low, high = shares.get(row["switched_off"], (0.0, float("nan"), float("nan")))
        row.update(share_of_effect=share, share_low=low, share_high=high)
    save_table(rows, out / "table.csv")
    save_table(markets, out / "markets.csv")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 6.2))
    top, bottom = fig.subplots(2, 1, height_ratios=[len(rows), len(markets)], sharex=True)
    for ax, table, key, label in ((top, rows, "switched_off", "mechanism switched off"),
                                  (bottom, markets, "market", "market")):
        y = np.arange(len(table))
        # the published range behind the bars, not over them
        ax.axvspan(25, 85, color="#ddcc77", alpha=0.4, label="Reichheld & Sasser: +25% to +85%", zorder=0)
        ax.barh(y - 0.2, [100 * r["profit_gain_per_5_points_by_size"] for r in table], height=0.4,
                color="#4477aa", label="retention by customer size", zorder=2)
        ax.barh(y + 0.2, [100 * r["profit_gain_per_5_points"] for r in table], height=0.4,
                color="#bbbbbb", label="retention by head count", zorder=2)
        ax.set_yticks(y, [r[key] for r in table])
        ax.invert_yaxis()
        ax.set_ylabel(label)
    top.set_title("Default B2B market, each source switched off", fontsize=9)
    bottom.set_title("No source switched off, market by market", fontsize=9)
    bottom.set_xlabel("profit gained per +5 points of annual retention, %")
    # below the panels, where it hides no bar
    fig.legend(*top.get_legend_handles_labels(), loc="lower center", ncol=3, fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    save_figure(fig, out / "figure.png")
    first = rows[0]
    return {"annual_retention": first["annual_retention"],
            "annual_retention_by_size": first["annual_retention_by_size"],
            "keep_versus_win": first["keep_versus_win"],
            "commitment": first["commitment"], "commitment_with_programme": first["commitment_with_programme"],
            "commitment_gain": first["commitment_gain"],
            "commitment_gain_half_width": first["commitment_gain_half_width"],
            "profit_gain_per_5_points": first["profit_gain_per_5_points"],
            "profit_gain_per_5_points_by_size": first["profit_gain_per_5_points_by_size"],
            "profit_gain": first["profit_gain"], "profit_gain_low": first["profit_gain_low"],
            "profit_gain_high": first["profit_gain_high"],
            "shares": {name: share for name, (share, _, _) in shares.items()},
            "share_intervals": {name: (low, high) for name, (_, low, high) in shares.items()},
            "by_market": {r["market"]: r["profit_gain_per_5_points"] for r in markets},
            "by_market_by_size": {r["market"]: r["profit_gain_per_5_points_by_size"] for r in markets}}


if __name__ == "__main__":
    print(main(quick="--quick" in sys.argv, resume="--resume" in sys.argv))
