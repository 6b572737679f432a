"""Study d: Ford's stages in the default market — the stage mix over time and the share of
relationships that reach the final stage (Ford 1990; Ford et al. 1998: most relationships
end before the last stage). Ablation: without the rule that development needs the
supplier's relationship investment, transactional customers "develop" on trust alone.

Run: .venv/bin/python experiments/ford_stages/study.py [--quick]"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sim.config import load_scenario  # noqa: E402
from sim.engine.state import Stage  # noqa: E402
from sim.observe.market import ObservedMarket  # noqa: E402

HERE = Path(__file__).resolve().parent
SCENARIO = HERE.parent.parent / "scenarios" / "b2b_key_accounts.toml"
LIVE = ["early", "development", "long_term", "final"]
#: how run_all writes the headline (sim.observe.numbers kinds)
HEADLINE_KINDS = {"*share*": "share", "transactional_beyond_early*": "share"}


def one_run(seed: int, overrides: dict) -> dict:
    scenario = load_scenario(SCENARIO).with_overrides(overrides)
    market = ObservedMarket(scenario, seed)
    market.run()
    series = market.market_frame().set_index("step")[LIVE]
    events = market.events_frame()
    opened = int(events["cause"].isin(["first_order", "won_back"]).sum())
    reached = int((events["to_stage"] == Stage.FINAL.label).sum())
    suppliers = market.supplier_frame()
    last = suppliers[suppliers["step"] == suppliers["step"].max()]
    transactional = last[last["supplier"].str.startswith("PriceLine")][LIVE].sum()
    return {"mix": series.div(series.sum(axis=1), axis=0), "opened": opened, "reached_final": reached,
            "transactional_beyond_early": float(1 - transactional["early"] / transactional.sum())}


def main(quick: bool = False, out: Path | None = None) -> dict:
    """Writes figure.png and table.csv to ``out`` (default: this folder, or quick/ beside it);
    returns the headline."""
    # the small version writes beside the full one, never over the published figure
    out = Path(out) if out is not None else HERE / "quick" if quick else HERE
    out.mkdir(parents=True, exist_ok=True)
    seeds = range(2) if quick else range(5)
    base = {"market.buyers": 800, "market.steps": 72} if quick else {}
    runs = [one_run(seed, base) for seed in seeds]
    ablated = [one_run(seed, {**base, "behaviour.development_needs_investment": False}) for seed in seeds]
    mix = sum(r["mix"] for r in runs) / len(runs)
    share_final = sum(r["reached_final"] for r in runs) / sum(r["opened"] for r in runs)
    table = mix.copy()
    table.to_csv(out / "table.csv", float_format="%.4f")

    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.stackplot(mix.index, *(mix[s] for s in LIVE), labels=[s.replace("_", "-") for s in LIVE])
    ax.set_xlabel("month")
    ax.set_ylabel("share of live relationships")
    ax.set_title(f"Ford's stages in the default B2B market ({len(runs)} runs): "
                 f"{share_final:.1%} of relationships reach final")
    ax.legend(loc="lower left", fontsize=8)
    ax.set_ylim(0, 1)
    fig.tight_layout()
    fig.savefig(out / "figure.png", dpi=120)
    plt.close(fig)
    return {"peak_share": mix.max().round(3).to_dict(), "end_share": mix.iloc[-1].round(3).to_dict(),
            "share_reaching_final": round(share_final, 4),
            "transactional_beyond_early": round(sum(r["transactional_beyond_early"] for r in runs) / len(runs), 3),
            "transactional_beyond_early_without_investment_rule": round(
                sum(r["transactional_beyond_early"] for r in ablated) / len(ablated), 3)}


if __name__ == "__main__":
    print(main(quick="--quick" in sys.argv))
