"""Study g: the Weisbuch, Kirman & Herreiner (2000) loyalty transition. With every mechanism
but preference learning J and logit choice switched off (scenarios/wkh_reduction.toml), the
searching state loses stability at beta_c = n * gamma / pi: below it buyers spread their
visits over the n sellers (loyalty concentration about 1/n), above it each buyer becomes
loyal to one seller (concentration near 1). beta_c is a mean-field value; in a finite market
the n = 2 transition is smooth and for n >= 3 it is abrupt, with loyalty from J = 0 appearing
somewhat below beta_c (docs/ODD.md, the WKH reduction).

The design is the sweep file beside this script (``sweep.toml``): n x beta/beta_c, the choice
intensity derived from the two; each run's loyalty (the last third of its loyalty
concentration series) is an outcome of the sweep store (``results/``).

Run: .venv/bin/python experiments/wkh_transition/study.py [--quick] [--resume]"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from experiments.common import study_sweep  # noqa: E402
from sim.config import load_scenario  # noqa: E402

HERE = Path(__file__).resolve().parent
SCENARIO = HERE.parent.parent / "scenarios" / "wkh_reduction.toml"
SPEC = HERE / "sweep.toml"
SELLERS = (2, 3, 5)
#: how run_all writes the headline (sim.observe.numbers kinds): loyalty concentration is a
#: 0-to-1 index; the transition point, a beta / beta_c, has no kind (4 significant digits)
HEADLINE_KINDS = {"loyalty_*": "score"}


def critical_intensity(sellers: int) -> float:
    """beta_c = n * gamma / pi, pi = willingness to pay x quality - price (one trade's profit)."""
    scenario = load_scenario(SCENARIO)
    segment, = scenario.segments
    seller = scenario.supplier_table()[0]
    price = seller["spec"].unit_cost * (1 + seller["strategy"].markup)
    pi = segment.willingness_to_pay.value * seller["spec"].quality - price
    return sellers * scenario.behaviour.preference_memory_loss / pi


def transition_point(curve: pd.Series, sellers: int) -> float:
    """beta/beta_c where loyalty first passes half way from 1/n (spread visits) to 1 (loyal),
    interpolated linearly between grid points."""
    midpoint = (1 / sellers + 1) / 2
    x, y = curve.index.to_numpy(float), curve.to_numpy(float)
    above = np.flatnonzero(y >= midpoint)
    if len(above) == 0:
        return float("nan")
    k = above[0]
    if k == 0:
        return float(x[0])
    return float(x[k - 1] + (midpoint - y[k - 1]) * (x[k] - x[k - 1]) / (y[k] - y[k - 1]))


def main(quick: bool = False, out: Path | None = None, resume: bool = False, workers: int | None = 1) -> dict:
    """Writes figure.png and table.csv to ``out`` (default: this folder, or quick/ beside it);
    returns the headline."""
    # the small version writes beside the full one, never over the published figure
    out = Path(out) if out is not None else HERE / "quick" if quick else HERE
    out.mkdir(parents=True, exist_ok=True)
    results = study_sweep(SPEC, out / "results", "quick" if quick else None, resume, workers)
    means = results.means(["loyalty"])
    table = means.pivot_table(index="beta_over_beta_c", columns="suppliers.count", values="loyalty")[list(SELLERS)]
    table.columns = [f"loyalty_n{n}" for n in SELLERS]
    table.to_csv(out / "table.csv", float_format="%.4f")
    points = {n: transition_point(table[f"loyalty_n{n}"], n) for n in SELLERS}

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for n in SELLERS:
        ax.plot(table.index, table[f"loyalty_n{n}"], marker="o", label=f"n = {n} (half way at {points[n]:.2f})")
        ax.axhline(1 / n, color="grey", lw=0.5, ls=":")
    ax.axvline(1.0, color="black", lw=0.8, ls="--")
    ax.set_xlabel("beta / beta_c  (beta_c = n gamma / pi)")
    ax.set_ylabel("loyalty concentration, last third of the run")
    ax.set_title("WKH loyalty transition")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "figure.png", dpi=120)
    plt.close(fig)
    return {"transition_beta_over_beta_c": {n: round(p, 3) for n, p in points.items()},
            "loyalty_well_below": {n: round(float(table[f"loyalty_n{n}"].iloc[0]), 3) for n in SELLERS},
            "loyalty_well_above": {n: round(float(table[f"loyalty_n{n}"].iloc[-1]), 3) for n in SELLERS}}


if __name__ == "__main__":
    print(main(quick="--quick" in sys.argv))
