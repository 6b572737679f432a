"""Study e: silent defection (seed 002) — most dissatisfied customers never complain, they
leave; what accountable and proactive follow-up recovers that a reactive supplier cannot.

Three equal suppliers, all at one Kotler level, serve small business customers who voice one
problem in five (complaint propensity 0.2); their service is uneven (quality 0.6, noise
0.15), so dissatisfaction is common. The run is repeated at each level.

Run: .venv/bin/python experiments/silent_defection/study.py [--quick]"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from sim.config import scenario_from_dict  # noqa: E402
from sim.observe.market import ObservedMarket  # noqa: E402

HERE = Path(__file__).resolve().parent
LEVELS = ("basic", "reactive", "accountable", "proactive")
#: how run_all writes the headline (sim.observe.numbers kinds)
HEADLINE_KINDS = {"leavers": "count", "*share*": "share", "monthly_retention": "rate"}


def market(level: str, buyers: int, steps: int, seed: int) -> dict:
    data = {
        "market": {"name": f"silent defection, {level}", "buyers": buyers, "steps": steps, "seed": seed},
        "segments": [{"name": "small business", "share": 1.0, "complaint_propensity": 0.2,
                      "relational_orientation": 0.3, "search_propensity": 0.08, "switching_cost": 0.05}],
        "suppliers": [{"name": "Supplier", "strategy": level, "count": 3, "quality": 0.6,
                       "quality_noise": 0.15}],
    }
    run = ObservedMarket(scenario_from_dict(data, f"<silent defection {level}>"))
    run.run()
    series = run.market_frame()
    total = series.sum()
    unhappy = total["complaints"] + total["silent_dissatisfied"]
    return {"level": level, "seed": seed,
            "leavers": int(total["switches"]),
            "silent_share_of_leavers": total["silent_leavers"] / max(total["switches"], 1),
            "silent_share_of_dissatisfied": total["silent_dissatisfied"] / max(unhappy, 1),
            "recovered_share_of_dissatisfied": total["recovered"] / max(unhappy, 1),
            "silent_recovered_share": total["recovered_silent"] / max(total["silent_dissatisfied"], 1),
            "monthly_retention": float(series["retention_rate"].iloc[12:].mean())}


def main(quick: bool = False, out: Path | None = None) -> dict:
    """Writes figure.png and table.csv to ``out`` (default: this folder, or quick/ beside it);
    returns the headline."""
    # the small version writes beside the full one, never over the published figure
    out = Path(out) if out is not None else HERE / "quick" if quick else HERE
    out.mkdir(parents=True, exist_ok=True)
    buyers, steps, seeds = (600, 48, range(1)) if quick else (2000, 120, range(4))
    rows = [market(level, buyers, steps, seed) for level in LEVELS for seed in seeds]
    table = pd.DataFrame(rows).groupby("level", sort=False).mean(numeric_only=True).drop(columns="seed")
    table.to_csv(out / "table.csv", float_format="%.4f")

    fig, ax = plt.subplots(figsize=(8, 4.5))
    x = range(len(LEVELS))
    ax.bar([i - 0.2 for i in x], table["silent_share_of_leavers"], 0.4, label="leavers who never complained")
    ax.bar([i + 0.2 for i in x], table["silent_recovered_share"], 0.4,
           label="silent dissatisfied found and recovered")
    ax.set_xticks(list(x), LEVELS)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share")
    ax.set_title("Silent defection by Kotler level (complaint propensity 0.2)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "figure.png", dpi=120)
    plt.close(fig)
    return {level: {k: round(float(v), 4) for k, v in table.loc[level].items()} for level in LEVELS}


if __name__ == "__main__":
    print(main(quick="--quick" in sys.argv))
