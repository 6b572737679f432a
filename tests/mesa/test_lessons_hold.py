"""Each lesson's claim, checked on the current model (scenarios/classroom/*.md say what the class
should see). When the model's economics change, a failure here says which lesson text to
re-check, and with which numbers."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from sim.mesa.classroom import views
from sim.mesa.classroom.lessons import LESSONS_DIR
from sim.mesa.classroom.market import ClassroomMarket


def final(model: ClassroomMarket):
    frame = model.supplier_frame()
    return frame[frame["step"] == frame["step"].max()].set_index("supplier")


def at(model: ClassroomMarket, supplier: str, step: int, column: str) -> float:
    frame = model.supplier_frame()
    return float(frame[(frame["supplier"] == supplier) & (frame["step"] == step)][column].iloc[0])


@pytest.mark.parametrize("path", sorted(LESSONS_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_every_lesson_defines_its_suppliers_strategies_itself(path):
    """A lesson names its own strategies ([strategies.X] in its file, every lever it teaches set
    there), so recalibrating the presets in sim/config cannot silently change what it shows."""
    written = tomllib.loads(path.read_text())
    own = written.get("strategies", {})
    for supplier in written["suppliers"]:
        assert supplier["strategy"] in own, f"{path.name}: {supplier['name']} uses the preset {supplier['strategy']!r}"
        assert {"markup", "acquisition_contacts", "level"} <= own[supplier["strategy"]].keys()


def test_lesson_1_hunter_wins_customers_keeper_earns_more_per_customer():
    end = final(ClassroomMarket("1-retention-vs-acquisition").run())
    assert end.loc["Hunter", "customers"] > 3 * end.loc["Keeper", "customers"]
    assert end.loc["Hunter", "cumulative_profit"] > end.loc["Keeper", "cumulative_profit"]  # the bigger business
    per_customer = end["cumulative_profit"] / end["customers"]
    assert per_customer["Keeper"] > 1.3 * per_customer["Hunter"]     # the more profitable one, in this run
    assert end.loc["Keeper", "mean_trust"] > end.loc["Hunter", "mean_trust"] + 0.2
    assert end.loc["Keeper", "final"] > end.loc["Keeper", "customers"] / 2   # Keeper's customers ripen
    assert end.loc["Hunter", ["development", "long_term", "final"]].sum() == 0  # Hunter's never do


def test_lesson_1_over_other_seeds_hunter_is_always_the_bigger_business_keeper_the_more_trusted():
    """What the lesson says holds in every run (relsim run's replicates 0-2 of seed 101); the
    per-customer ratio does not, and the lesson says so."""
    for r in range(3):
        seed = np.random.SeedSequence(101, spawn_key=(r,))
        end = final(ClassroomMarket("1-retention-vs-acquisition", seed=seed).run())
        assert 3 * end.loc["Keeper", "customers"] < end.loc["Hunter", "customers"] < 5 * end.loc["Keeper", "customers"]
        assert end.loc["Hunter", "cumulative_profit"] > 2 * end.loc["Keeper", "cumulative_profit"]
        assert end.loc["Keeper", "mean_trust"] > end.loc["Hunter", "mean_trust"] + 0.3


def test_lesson_2_trust_falls_in_months_and_takes_longer_to_come_back():
    model = ClassroomMarket("2-trust-lost-faster-than-won").run()
    before, worst = at(model, "Steadfast", 23, "mean_trust"), at(model, "Steadfast", 29, "mean_trust")
    assert before - worst > 0.2                                   # the five bad months
    assert at(model, "Steadfast", 35, "mean_trust") < before - 0.05  # six months after the fix: not yet back
    assert at(model, "Steadfast", 48, "mean_trust") > before          # back (and above) within two years
    lost = at(model, "Steadfast", 24, "customers") - at(model, "Steadfast", 36, "customers")
    assert lost > 50
    assert at(model, "Steadfast", 71, "customers") < at(model, "Steadfast", 24, "customers")  # never all back


def test_lesson_3_follow_up_finds_the_silent_and_keeps_customers():
    model = ClassroomMarket("3-silent-defection-and-kotler").run()
    end = final(model)
    assert end.loc["Follow-up Co", "market_share"] > 0.55
    assert end.loc["Follow-up Co", "mean_trust"] > end.loc["Quiet Co", "mean_trust"] + 0.1
    market = model.market_frame()
    assert market["silent_dissatisfied"].sum() > 5 * market["complaints"].sum()
    lost = views.run_tally(model)["silent_defections"]       # what "Over the run so far" shows
    assert lost["Quiet Co"] > 2 * lost["Follow-up Co"]


def test_lesson_4_the_entrant_takes_from_the_complacent_incumbent():
    model = ClassroomMarket("4-complacency-and-the-new-entrant").run()
    lost = {name: at(model, name, 35, "customers") - at(model, name, 83, "customers")
            for name in ("Steady", "Attentive")}
    market = model.market_frame().set_index("step")
    assert market.loc[30, "final"] > 500 and market.loc[36, "final"] == 0   # mature, then shaken up
    assert at(model, "Steady", 36, "mean_trust") < at(model, "Steady", 27, "mean_trust") - 0.05  # sagging before
    assert lost["Steady"] > 150 and lost["Attentive"] < 30
    assert at(model, "Newcomer", 83, "customers") > 150
    assert ("entry shake-up", 36) in {(e["kind"], e["step"]) for e in model.ticker}


@pytest.mark.parametrize("beta, loyal", [(1.2, True), (0.2, False)])
def test_lesson_5_loyalty_emerges_above_beta_c_only(beta, loyal):
    model = ClassroomMarket("5-loyalty-in-a-fish-market", choice_intensity=beta).run()
    concentration = model.market_frame()["loyalty_concentration"].iloc[-10:].mean()
    assert (concentration > 0.95) if loyal else (concentration < 0.7)
