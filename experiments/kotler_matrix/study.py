"""Study (c): Kotler's matrix — number of customers x margin -> the most profitable level.

One market of equal buyers; the focal supplier ("You") climbs Kotler's ladder (basic,
reactive, accountable, proactive, partnership: everything but the level held equal) against
two basic rivals, on the same seeds (common random numbers). The market is either many small
customers or few large ones with the same total demand, and every supplier's markup is low
or high. The level with the highest mean profit wins the cell."""

from __future__ import annotations

from pathlib import Path

from experiments.common import paired, save_figure, save_table
from sim.config import scenario_from_dict
from sim.config.strategies import LEVELS

HERE = Path(__file__).resolve().parent

#: (buyers, median demand per buyer): the same total demand spread over many or few customers
SIZES = {"many small customers": (3000, 1.0), "few large customers": (100, 30.0)}
MARGINS = {"low margin": 0.08, "high margin": 0.6}


def market(buyers: int, demand: float, markup: float, steps: int):
    you = {"name": "You", "strategy": "basic", "markup": markup, "focal": True}
    rivals = {"name": "Rival", "strategy": "basic", "count": 2, "markup": markup}
    return scenario_from_dict({
        "market": {"name": "Kotler matrix", "buyers": buyers, "steps": steps, "seed": 11},
        "segments": [{"name": "buyers", "share": 1.0,
                      "demand": {"dist": "lognormal", "median": demand, "sigma": 0.5},
                      "relational_orientation": 0.6, "switching_cost": 0.2,
                      "search_propensity": 0.05, "complaint_propensity": 0.3,
                      "need_drift": 0.01}],
        "suppliers": [you, rivals],
        # the Kotler ladder presets carry their own markup: give every rung the cell's
        "strategies": {level: {"based_on": level, "markup": markup} for level in LEVELS},
    }, "<kotler matrix>")


def main(quick: bool = False) -> dict:
    # the small version writes beside the full one, never over the published figure
    out = HERE / "quick" if quick else HERE
    out.mkdir(exist_ok=True)
    steps, replicates = (48, 2) if quick else (120, 6)
    rows, best = [], {}
    for size, (buyers, demand) in SIZES.items():
        if quick:
            buyers = max(60, buyers // 5)
        for margin, markup in MARGINS.items():
            r = paired(market(buyers, demand, markup, steps), ",".join(LEVELS), replicates)
            profits = {level: r[level]["profit"] for level in LEVELS}
            winner = max(profits, key=profits.get)
            best[(size, margin)] = winner
            rows.append({"customers": size, "margin": margin, "markup": markup, "best_level": winner,
                         **{f"profit_{level}": round(p, 2) for level, p in profits.items()}})
    save_table(rows, out / "table.csv")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.2, 3.6))
    ax = fig.add_subplot()
    sizes, margins = list(SIZES), list(MARGINS)
    ax.imshow([[LEVELS.index(best[(s, m)]) for m in margins] for s in sizes], cmap="viridis",
              vmin=0, vmax=len(LEVELS) - 1)
    for i, s in enumerate(sizes):
        for j, m in enumerate(margins):
            ax.text(j, i, best[(s, m)], ha="center", va="center", color="white", fontsize=11)
    ax.set_xticks(range(len(margins)), margins)
    ax.set_yticks(range(len(sizes)), sizes)
    ax.set_title("Most profitable Kotler level for the focal supplier")
    save_figure(fig, out / "figure.png")
    return {f"{s}, {m}": best[(s, m)] for s in sizes for m in margins}


if __name__ == "__main__":
    print(main())
