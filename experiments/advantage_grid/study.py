"""Study (a): the relationship advantage over switching cost x relational orientation.

For each grid point the default B2B market is run with every buyer's base switching cost and
relational orientation set to the point's values, in a price-driven version of it (price
sensitivity 6, quality sensitivity 1 for every buyer: price weighs most); the focal supplier (Partners 1, "you")
plays transactional, then relationship, on the same seeds (common random numbers). The
advantage is relationship's profit over transactional's, relative to transactional's."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from experiments.common import b2b, paired, save_figure, save_table

HERE = Path(__file__).resolve().parent
#: every buyer weighs price heavily and quality little
PRICE_DRIVEN = {"buyers.price_sensitivity": 6.0, "buyers.quality_sensitivity": 1.0}


def main(quick: bool = False) -> dict:
    # the small version writes beside the full one, never over the published figure
    out = HERE / "quick" if quick else HERE
    out.mkdir(exist_ok=True)
    costs = [0.0, 0.6] if quick else [0.0, 0.2, 0.4, 0.6]
    orientations = [0.0, 0.9] if quick else [0.0, 0.3, 0.6, 0.9]
    replicates = 3 if quick else 6
    rows = []
    for cost in costs:
        for rho in orientations:
            scenario = b2b(quick, **PRICE_DRIVEN, **{"buyers.switching_cost": cost,
                                                     "buyers.relational_orientation": rho})
            r = paired(scenario, "transactional,relationship", replicates)
            rows.append({"switching_cost": cost, "relational_orientation": rho,
                         "profit_transactional": r["transactional"]["profit"],
                         "profit_relationship": r["relationship"]["profit"],
                         "advantage": r["relationship"]["relative_advantage"],
                         "half_width": r["relationship"]["relative_half_width"]})
    # at the corner, with a cost of opening accounts (sales time, onboarding) added: churn then
    # costs every supplier, and most the one whose thin margin cannot carry it
    corner = paired(b2b(quick, **PRICE_DRIVEN, **{"buyers.switching_cost": 0.0,
                                                  "buyers.relational_orientation": 0.0,
                                                  "behaviour.cost_per_new_customer": 1.0}),
                    "transactional,relationship", replicates)["relationship"]
    save_table(rows, out / "table.csv")
    grid = np.array([[next(r["advantage"] for r in rows if r["switching_cost"] == c
                           and r["relational_orientation"] == o) for o in orientations] for c in costs])
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.5, 4.2))
    ax = fig.add_subplot()
    limit = float(np.nanmax(np.abs(grid))) or 1.0
    im = ax.imshow(100 * grid, origin="lower", cmap="RdBu", vmin=-100 * limit, vmax=100 * limit)
    ax.set_xticks(range(len(orientations)), [f"{o:g}" for o in orientations])
    ax.set_yticks(range(len(costs)), [f"{c:g}" for c in costs])
    ax.set_xlabel("relational orientation of every buyer")
    ax.set_ylabel("base switching cost of every buyer")
    for i in range(len(costs)):
        for j in range(len(orientations)):
            ax.text(j, i, f"{100 * grid[i, j]:+.0f}%", ha="center", va="center", fontsize=9)
    fig.colorbar(im, ax=ax, label="relationship vs transactional profit, %")
    ax.set_title("Relationship advantage of the focal supplier")
    save_figure(fig, out / "figure.png")
    half = {(r["switching_cost"], r["relational_orientation"]): r["half_width"] for r in rows}
    return {"advantage_at_zero": float(grid[0, 0]),
            "advantage_at_zero_half_width": float(half[(costs[0], orientations[0])]),
            "advantage_at_high_cost_zero_orientation": float(grid[-1, 0]),
            "advantage_at_zero_cost_high_orientation": float(grid[0, -1]),
            "advantage_at_both_high": float(grid[-1, -1]),
            "advantage_at_zero_with_onboarding_cost": corner["relative_advantage"]}


if __name__ == "__main__":
    print(main())
