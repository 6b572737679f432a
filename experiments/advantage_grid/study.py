"""Study (a): the relationship advantage over switching cost x relational orientation.

The design is the sweep file beside this script (``sweep.toml``): for each grid point the
default B2B market is run with every buyer's base switching cost and relational orientation
set to the point's values, in a price-driven version of it (price sensitivity 6, quality
sensitivity 1 for every buyer: price weighs most); the focal supplier (Partners 1, "you")
plays transactional, then relationship, on the same seeds (common random numbers). The
advantage is relationship's profit over transactional's, relative to transactional's, read
from the sweep store (``results/grid``; ``relsim analyze results/grid --relative`` analyses
it). Its ``no_onboarding`` variant is the corner without the cost of opening accounts
(``results/no_onboarding``), whose row, in the same columns, is ``no_onboarding.csv``.

Run: .venv/bin/python experiments/advantage_grid/study.py [--quick] [--resume]"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from experiments.common import save_figure, save_table, study_sweep

HERE = Path(__file__).resolve().parent
SPEC = HERE / "sweep.toml"
#: how run_all writes the headline (sim.observe.numbers kinds): the advantage relative to
#: transactional's profit, the paired difference in money
HEADLINE_KINDS = {"advantage_at_*": "relative", "difference_at_*": "money"}
COST, ORIENTATION = "buyers.switching_cost", "buyers.relational_orientation"


def grid_table(results) -> list[dict]:
    """One row per grid point: each strategy's mean profit and the relative advantage."""
    profit = results.means(["cumulative_profit"]).pivot_table(
        index=[COST, ORIENTATION], columns="alternative", values="cumulative_profit")
    advantage = results.advantage("cumulative_profit", "relationship", "transactional", relative=True)
    # the paired difference in money too: the relative advantage divides by transactional's
    # profit, which is small in much of the grid, so its sign and size are read off this
    difference = results.advantage("cumulative_profit", "relationship", "transactional").set_index(
        [COST, ORIENTATION])
    rows = []
    for _, r in advantage.sort_values([COST, ORIENTATION]).iterrows():
        key = (r[COST], r[ORIENTATION])
        rows.append({"switching_cost": r[COST], "relational_orientation": r[ORIENTATION],
                     "profit_transactional": float(profit.loc[key, "transactional"]),
                     "profit_relationship": float(profit.loc[key, "relationship"]),
                     "difference": float(difference.loc[key, "mean"]),
                     "difference_half_width": float(difference.loc[key, "half_width"]),
                     # the relative advantage's 95% interval counts the uncertainty of
                     # transactional's own profit (Fieller's, as compare's): not symmetric
                     "advantage": float(r["mean"]), "advantage_low": float(r["low"]),
                     "advantage_high": float(r["high"])})
    return rows


def main(quick: bool = False, out: Path | None = None, resume: bool = False, workers: int | None = 1) -> dict:
    """Writes figure.png, table.csv and no_onboarding.csv to ``out`` (default: this folder, or
    quick/ beside it)."""
    # the small version writes beside the full one, never over the published figure
    out = Path(out) if out is not None else HERE / "quick" if quick else HERE
    out.mkdir(parents=True, exist_ok=True)
    grid = study_sweep(SPEC, out / "results" / "grid", "quick" if quick else None, resume, workers)
    corner = study_sweep(SPEC, out / "results" / "no_onboarding",
                         "quick_no_onboarding" if quick else "no_onboarding", resume, workers)
    rows = grid_table(grid)
    save_table(rows, out / "table.csv")
    # the corner without the cost of opening accounts, in the grid table's columns: the docs
    # quote it beside the corner's own row
    without_onboarding = grid_table(corner)[0]
    save_table([without_onboarding], out / "no_onboarding.csv")
    costs = sorted({r["switching_cost"] for r in rows})
    orientations = sorted({r["relational_orientation"] for r in rows})
    cell = {(r["switching_cost"], r["relational_orientation"]): r for r in rows}
    grid_values = np.array([[cell[(c, o)]["advantage"] for o in orientations] for c in costs])
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.5, 4.2))
    ax = fig.add_subplot()
    limit = float(np.nanmax(np.abs(grid_values))) or 1.0
    im = ax.imshow(100 * grid_values, origin="lower", cmap="RdBu", vmin=-100 * limit, vmax=100 * limit)
    ax.set_xticks(range(len(orientations)), [f"{o:g}" for o in orientations])
    ax.set_yticks(range(len(costs)), [f"{c:g}" for c in costs])
    ax.set_xlabel("relational orientation of every buyer")
    ax.set_ylabel("base switching cost of every buyer")
    for i in range(len(costs)):
        for j in range(len(orientations)):
            ax.text(j, i, f"{100 * grid_values[i, j]:+.0f}%", ha="center", va="center", fontsize=9)
    fig.colorbar(im, ax=ax, label="relationship vs transactional profit, %")
    ax.set_title("Relationship advantage of the focal supplier")
    save_figure(fig, out / "figure.png")
    corners = {"zero": (costs[0], orientations[0]), "high_cost_zero_orientation": (costs[-1], orientations[0]),
               "zero_cost_high_orientation": (costs[0], orientations[-1]), "both_high": (costs[-1], orientations[-1])}
    headline = {}
    for name, key in corners.items():
        headline[f"advantage_at_{name}"] = float(cell[key]["advantage"])
        headline[f"advantage_at_{name}_low"] = float(cell[key]["advantage_low"])
        headline[f"advantage_at_{name}_high"] = float(cell[key]["advantage_high"])
        headline[f"difference_at_{name}"] = float(cell[key]["difference"])
        headline[f"difference_at_{name}_half_width"] = float(cell[key]["difference_half_width"])
    for suffix in ("", "_low", "_high"):
        headline[f"advantage_at_zero_without_onboarding_cost{suffix}"] = float(without_onboarding[f"advantage{suffix}"])
    headline["difference_at_zero_without_onboarding_cost"] = float(without_onboarding["difference"])
    headline["difference_at_zero_without_onboarding_cost_half_width"] = float(
        without_onboarding["difference_half_width"])
    return headline


if __name__ == "__main__":
    print(main(quick="--quick" in sys.argv, resume="--resume" in sys.argv))
