"""Study (c): Kotler's matrix — number of customers x margin -> the most profitable level.

One market of equal buyers (``market.toml``); the focal supplier ("You") climbs Kotler's
ladder (basic, reactive, accountable, proactive, partnership: everything but the level held
equal) against two basic rivals, on the same seeds (common random numbers). The market is
either many small customers or few large ones with the same total demand, and every
supplier's markup is low or high: the two factors of the sweep file beside this script
(``sweep.toml``). The level with the highest mean profit wins the cell, read from the sweep
store (``results/``).

Run: .venv/bin/python experiments/kotler_matrix/study.py [--quick] [--resume]"""

from __future__ import annotations

import sys
from pathlib import Path

from experiments.common import save_figure, save_table, study_sweep
from sim.config.strategies import LEVELS

HERE = Path(__file__).resolve().parent
SPEC = HERE / "sweep.toml"
#: the factors of sweep.toml, and their cases in the order the figure shows them
SIZES = ("many small customers", "few large customers")
MARGINS = ("low margin", "high margin")


def main(quick: bool = False, out: Path | None = None, resume: bool = False, workers: int | None = 1) -> dict:
    """Writes figure.png and table.csv to ``out`` (default: this folder, or quick/ beside it)."""
    # the small version writes beside the full one, never over the published figure
    out = Path(out) if out is not None else HERE / "quick" if quick else HERE
    out.mkdir(parents=True, exist_ok=True)
    results = study_sweep(SPEC, out / "results", "quick" if quick else None, resume, workers)
    profit = results.means(["cumulative_profit"]).pivot_table(
        index=["customers", "margin"], columns="alternative", values="cumulative_profit")
    markup = {case: overrides["suppliers.markup"] for case, overrides in
              dict(results.manifest["identity"]["parameters"]["margin"]["cases"]).items()}
    rows, best = [], {}
    for size in SIZES:
        for margin in MARGINS:
            profits = {level: float(profit.loc[(size, margin), level]) for level in LEVELS}
            winner = max(profits, key=profits.get)
            best[(size, margin)] = winner
            rows.append({"customers": size, "margin": margin, "markup": markup[margin], "best_level": winner,
                         **{f"profit_{level}": round(p, 2) for level, p in profits.items()}})
    save_table(rows, out / "table.csv")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.2, 3.6))
    ax = fig.add_subplot()
    ax.imshow([[LEVELS.index(best[(s, m)]) for m in MARGINS] for s in SIZES], cmap="viridis",
              vmin=0, vmax=len(LEVELS) - 1)
    for i, s in enumerate(SIZES):
        for j, m in enumerate(MARGINS):
            ax.text(j, i, best[(s, m)], ha="center", va="center", color="white", fontsize=11)
    ax.set_xticks(range(len(MARGINS)), MARGINS)
    ax.set_yticks(range(len(SIZES)), SIZES)
    ax.set_title("Most profitable Kotler level for the focal supplier")
    save_figure(fig, out / "figure.png")
    return {f"{s}, {m}": best[(s, m)] for s in SIZES for m in MARGINS}


if __name__ == "__main__":
    print(main(quick="--quick" in sys.argv, resume="--resume" in sys.argv))
