"""Study f: complacency and the new entrant (seed 004: habitual relationships breed
complacency, new needs go unnoticed, which opens the door to competitors; the final stage is
stable only while competition is weak).

An incumbent serves the market alone for five years; its customers ripen into long-term and
final relationships while their needs drift. In month 60 an attentive entrant (proactive
level, the same price and quality) enters. The incumbent is either inattentive (accountable
level, fully complacent, no key-account managers) or attentive (proactive, with key-account
managers). The headline is the share of the incumbent's habitual customers the entrant has
won a year later. A second part checks that ripening itself is no loss: two basic
suppliers, one adapting to its customers (so they reach the habitual stages) and one not.

Run: .venv/bin/python experiments/complacency_entrant/study.py [--quick]"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.config import scenario_from_dict  # noqa: E402
from sim.engine.state import Stage  # noqa: E402
from sim.observe.market import ObservedMarket  # noqa: E402

HERE = Path(__file__).resolve().parent
#: how run_all writes the headline (sim.observe.numbers kinds); the drift gap, a small
#: distance on the needs line, keeps 4 significant digits
HEADLINE_KINDS = {"won_from_*": "share", "share_*": "share", "retention_*": "rate"}
INCUMBENTS = {
    "inattentive": {"strategy": "accountable", "complacency": 1.0, "key_account_managers": 0},
    "attentive": {"strategy": "proactive", "complacency": 0.3, "key_account_managers": 4},
}
SEGMENT = {"name": "business customers", "share": 1.0, "need_drift": 0.008, "relational_orientation": 0.4,
           "switching_cost": 0.1, "search_propensity": 0.05}


def entry(incumbent: str, buyers: int, entry_step: int, after: int, seed: int) -> dict:
    data = {
        "market": {"name": f"entrant vs {incumbent} incumbent", "buyers": buyers,
                   "steps": entry_step + after, "seed": seed},
        "segments": [SEGMENT],
        "suppliers": [{"name": "Incumbent", "initial_awareness": 1.0, "adaptation_investment": 0.02,
                       **INCUMBENTS[incumbent]},
                      {"name": "Entrant", "strategy": "proactive", "initial_awareness": 0.0,
                       "acquisition_contacts": 5.0, "adaptation_investment": 0.02}],
        "events": [{"step": entry_step, "kind": "supplier_entry", "supplier": "Entrant"}],
    }
    market = ObservedMarket(scenario_from_dict(data, f"<complacency {incumbent}>"))
    market.run(entry_step)
    state = market.state
    buyers_now, flat = state.current_flat()
    habitual = buyers_now[(state.current[buyers_now] == 0)
                          & np.isin(state.stage.ravel()[flat], (Stage.LONG_TERM, Stage.FINAL))]
    gap = float(state.drift_gap.ravel()[flat].mean())
    market.run(after)
    won = float(np.mean(market.state.current[habitual] == 1)) if len(habitual) else float("nan")
    return {"part": "entry", "case": f"{incumbent} incumbent", "seed": seed,
            "habitual_at_entry": len(habitual) / buyers, "unnoticed_gap_at_entry": gap,
            "habitual_won_by_entrant": won}


def ripening(buyers: int, steps: int, seed: int) -> list[dict]:
    data = {"market": {"name": "ripening", "buyers": buyers, "steps": steps, "seed": seed},
            "suppliers": [{"name": "Adapts", "strategy": "basic", "adaptation_investment": 0.02},
                          {"name": "Never", "strategy": "basic", "adaptation_investment": 0.0}]}
    market = ObservedMarket(scenario_from_dict(data, "<ripening>"))
    market.run()
    frame = market.supplier_frame()
    last = frame[frame["step"] >= steps - 12].groupby("supplier", observed=True)
    habitual = last[["long_term", "final"]].mean().sum(axis=1) / last["customers"].mean()
    cases = {"Adapts": "basic, adapts", "Never": "basic, never adapts"}
    return [{"part": "ripening", "case": cases[name], "seed": seed,
             "market_share": float(last["market_share"].mean()[name]),
             "retention": float(last["retention_rate"].mean()[name]),
             "habitual_share_of_customers": float(habitual[name])}
            for name in ("Adapts", "Never")]


def main(quick: bool = False, out: Path | None = None) -> dict:
    """Writes figure.png and table.csv to ``out`` (default: this folder, or quick/ beside it);
    returns the headline."""
    # the small version writes beside the full one, never over the published figure
    out = Path(out) if out is not None else HERE / "quick" if quick else HERE
    out.mkdir(parents=True, exist_ok=True)
    buyers, entry_step, after, seeds = (300, 50, 12, range(2)) if quick else (1500, 60, 12, range(5))
    rows = [entry(incumbent, buyers, entry_step, after, seed) for incumbent in INCUMBENTS for seed in seeds]
    for seed in seeds:
        rows += ripening(buyers, 60 if quick else 120, seed)
    table = pd.DataFrame(rows).groupby(["part", "case"], sort=False).mean(numeric_only=True).drop(columns="seed")
    table.to_csv(out / "table.csv", float_format="%.4f")

    entry_table = table.loc["entry"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    left.bar(entry_table.index, entry_table["habitual_won_by_entrant"], color=["tab:red", "tab:green"])
    left.set_ylabel("incumbent's habitual customers won by the entrant")
    left.set_title(f"An attentive entrant, {after} months after entry")
    ripe = table.loc["ripening"]
    right.bar(ripe.index, ripe["market_share"], color=["tab:blue", "tab:gray"])
    right.set_ylabel("market share, last year")
    right.set_title("Ripening is no loss (two basic suppliers)")
    fig.tight_layout()
    fig.savefig(out / "figure.png", dpi=120)
    plt.close(fig)
    won = entry_table["habitual_won_by_entrant"]
    gap = entry_table["unnoticed_gap_at_entry"]
    return {"won_from_inattentive": round(float(won["inattentive incumbent"]), 4),
            "won_from_attentive": round(float(won["attentive incumbent"]), 4),
            "gap_inattentive": round(float(gap["inattentive incumbent"]), 4),
            "gap_attentive": round(float(gap["attentive incumbent"]), 4),
            "share_adapting_basic": round(float(ripe.loc["basic, adapts", "market_share"]), 4),
            "share_never_adapting_basic": round(float(ripe.loc["basic, never adapts", "market_share"]), 4),
            "retention_adapting_basic": round(float(ripe.loc["basic, adapts", "retention"]), 4),
            "retention_never_adapting_basic": round(float(ripe.loc["basic, never adapts", "retention"]), 4)}

if __name__ == "__main__":
    print(main(quick="--quick" in sys.argv))
