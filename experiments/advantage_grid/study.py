"""Study (a): the relationship advantage over switching cost x relational orientation.

The design is the sweep file beside this script (``sweep.toml``): for each grid point the
default B2B market is run with every buyer's base switching cost and relational orientation
set to the point's values, in a price-driven version of it (price sensitivity 6, quality
sensitivity 1 for every buyer: price weighs most); the focal supplier (Partners 1, "you")
plays transactional, then relationship, on the same seeds (common random numbers). The
advantage is relationship's profit over transactional's, relative to transactional's, read
from the sweep store (``results/grid``; ``relsim analyze results/grid --relative`` analyses
it). Its ``onboarding`` variant is the corner with a cost of opening accounts.

Run: .venv/bin/python experiments/advantage_grid/study.py [--quick] [--resume]"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from experiments.common import save_figure, save_table, study_sweep

HERE = Path(__file__).resolve().parent
SPEC = HERE / "sweep.toml"
COST, ORIENTATION = "buyers.switching_cost", "buyers.relational_orientation"


def grid_table(results) -> list[dict]:
    """One row per grid point: each strategy's mean profit and the relative advantage."""
    profit = results.means(["cumulative_profit"]).pivot_table(
        index=[COST, ORIENTATION], columns="alternative", values="cumulative_profit")
    advantage = results.advantage("cumulative_profit", "relationship", "transactional", relative=True)
    rows = []
    for _, r in advantage.sort_values([COST, ORIENTATION]).iterrows():
        key = (r[COST], r[ORIENTATION])
        rows.append({"switching_cost": r[COST], "relational_orientation": r[ORIENTATION],
                     "profit_transactional": float(profit.loc[key, "transactional"]),
                     "profit_relationship": float(profit.loc[key, "relationship"]),
                     "advantage": float(r["mean"]), "half_width": float(r["half_width"])})
    return rows


def main(quick: bool = False, out: Path | None = None, resume: bool = False, workers: int | None = 1) -> dict:
    """Writes figure.png and table.csv to ``out`` (default: this folder, or quick/ beside it)."""
    # the small version writes beside the full one, never over the published figure
    out = Path(out) if out is not None else HERE / "quick" if quick else HERE
    out.mkdir(parents=True, exist_ok=True)
    grid = study_sweep(SPEC, out / "results" / "grid", "quick" if quick else None, resume, workers)
    corner = study_sweep(SPEC, out / "results" / "onboarding", "quick_onboarding" if quick else "onboarding",
                         resume, workers)
    rows = grid_table(grid)
    save_table(rows, out / "table.csv")
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
    onboarding = corner.advantage("cumulative_profit", "relationship", "transactional", relative=True)
    return {"advantage_at_zero": float(grid_values[0, 0]),
            "advantage_at_zero_half_width": float(cell[(costs[0], orientations[0])]["half_width"]),
            "advantage_at_high_cost_zero_orientation": float(grid_values[-1, 0]),
            "advantage_at_zero_cost_high_orientation": float(grid_values[0, -1]),
            "advantage_at_both_high": float(grid_values[-1, -1]),
            "advantage_at_zero_with_onboarding_cost": float(onboarding["mean"].iloc[0])}


if __name__ == "__main__":
    print(main(quick="--quick" in sys.argv, resume="--resume" in sys.argv))
