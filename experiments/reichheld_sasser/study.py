"""Study (b): Reichheld & Sasser (1990) — profit gained per point of retention.

Intervention: the focal supplier (Partners 1, "you", relationship strategy) runs a more
effective retention programme — the same retention spend buys ten times the relationship
benefit (``retention_benefit`` 2 -> 20), a commitment driver — and changes nothing else:
same prices, service level, spend and rivals, same seeds (common random numbers). We measure
its annual retention (monthly retention to the 12th power) and its cumulative profit, and
scale the profit gain to +5 points of annual retention. Then each of Reichheld & Sasser's
sources of value with tenure is switched off in turn (in both arms), and its share of the
effect is the part of the profit gain that goes with it (the four overlap, so the shares
need not add up; with all four off what is left is base profit from the longer lives).

The design is the sweep file beside this script (``sweep.toml``: the factor ``switched_off``
with one case per source); the runs and per-case means come from its sweep store
(``results/``; ``relsim analyze results --relative`` analyses it).

Run: .venv/bin/python experiments/reichheld_sasser/study.py [--quick] [--resume]"""

from __future__ import annotations

import sys
from pathlib import Path

from experiments.common import annual, keep_versus_win, save_figure, save_table, study_sweep

HERE = Path(__file__).resolve().parent
SPEC = HERE / "sweep.toml"
#: the same intervention in the default market and in each of its segments alone
MARKETS = HERE / "markets.toml"
FACTOR = "switched_off"
#: what each arm's row needs from the store, by the names keep_versus_win reads
OUTCOMES = {"cumulative_profit": "profit", "retention_rate": "retention",
            "acquisition_cost_per_new_customer": "acquisition_per_new_customer",
            "cost_to_serve_per_customer": "cost_to_serve_per_customer_step"}


def effects(results, factor: str = FACTOR) -> list[dict]:
    """One row per case of the factor, in the sweep file's order: the intervention's effect,
    the profit gain with its paired 95% half-width."""
    means = results.means(list(OUTCOMES)).rename(columns=OUTCOMES).set_index([factor, "alternative"])
    gains = results.advantage("cumulative_profit", "retained", "relationship", relative=True).set_index(factor)
    rows = []
    for case in results.points[factor]:
        before = annual(means.loc[(case, "relationship"), "retention"])
        after = annual(means.loc[(case, "retained"), "retention"])
        gain = float(gains.loc[case, "mean"])
        points = 100 * (after - before)
        rows.append({factor: case, "annual_retention": before, "retention_points": points,
                     "profit_gain": gain, "profit_gain_half_width": float(gains.loc[case, "half_width"]),
                     "keep_versus_win": keep_versus_win(means.loc[(case, "relationship")]),
                     "profit_gain_per_5_points": 5 * gain / points if points > 0 else float("nan")})
    return rows


def main(quick: bool = False, out: Path | None = None, resume: bool = False, workers: int | None = 1) -> dict:
    """Writes figure.png and table.csv to ``out`` (default: this folder, or quick/ beside it)."""
    # the small version writes beside the full one, never over the published figure
    out = Path(out) if out is not None else HERE / "quick" if quick else HERE
    out.mkdir(parents=True, exist_ok=True)
    rows = effects(study_sweep(SPEC, out / "results", "quick" if quick else None, resume, workers))
    markets = effects(study_sweep(MARKETS, out / "results" / "markets", "quick" if quick else None, resume,
                                  workers), "market")
    full = rows[0]["profit_gain_per_5_points"]
    # a source's share: the part of the intervention's profit gain that goes when it is off
    # (the four overlap, so their shares need not add up; "all four" off leaves base profit)
    for row in rows:
        row["share_of_effect"] = 1 - row["profit_gain"] / rows[0]["profit_gain"]
    save_table(rows, out / "table.csv")
    save_table(markets, out / "markets.csv")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 5.6))
    top, bottom = fig.subplots(2, 1, height_ratios=[len(rows), len(markets)], sharex=True)
    for ax, table, key, label in ((top, rows, "switched_off", "mechanism switched off"),
                                  (bottom, markets, "market", "market")):
        ax.barh([r[key] for r in table], [100 * r["profit_gain_per_5_points"] for r in table], color="#4477aa")
        ax.axvspan(25, 85, color="#ddcc77", alpha=0.4, label="Reichheld & Sasser: +25% to +85%")
        ax.invert_yaxis()
        ax.set_ylabel(label)
    top.set_title("Default B2B market, each source switched off", fontsize=9)
    bottom.set_title("No source switched off, market by market", fontsize=9)
    bottom.set_xlabel("profit gained per +5 points of annual retention, %")
    top.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    save_figure(fig, out / "figure.png")
    return {"annual_retention": rows[0]["annual_retention"],
            "keep_versus_win": rows[0]["keep_versus_win"],
            "profit_gain_per_5_points": full,
            "profit_gain": rows[0]["profit_gain"], "profit_gain_half_width": rows[0]["profit_gain_half_width"],
            "shares": {r["switched_off"]: r["share_of_effect"] for r in rows[1:]},
            "by_market": {r["market"]: r["profit_gain_per_5_points"] for r in markets}}


if __name__ == "__main__":
    print(main(quick="--quick" in sys.argv, resume="--resume" in sys.argv))
