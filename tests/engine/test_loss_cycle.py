"""The key-client loss cycle completes (issue 8, item 5; seed 003): in a B2B market with key
accounts and suppliers whose service fails, key clients go from repeated problems through
open dissatisfaction and an ultimatum to exit; attentive suppliers catch some in time."""

from __future__ import annotations

import numpy as np
import pytest
from support import SCENARIOS, small_scenario

from sim.config import load_scenario
from sim.engine.state import Cause
from sim.observe.market import ObservedMarket

LOSS = SCENARIOS / "key_client_loss.toml"


@pytest.fixture(scope="module")
def loss_cycle() -> tuple[ObservedMarket, np.ndarray]:
    """The key-client-loss market run to the end, with the escalation level of every key
    account's relationships at every step (steps x key accounts x suppliers)."""
    market = ObservedMarket(load_scenario(LOSS))
    key = np.flatnonzero(market.state.segment == 0)
    history = []
    for _ in range(market.engine.scenario.market.steps):
        market.step()
        history.append(market.state.escalation[key].copy())
    return market, np.array(history), key


def test_a_failing_suppliers_key_clients_go_through_the_whole_cycle_to_exit(loss_cycle):
    market, history, key = loss_cycle
    behaviour = market.engine.scenario.behaviour
    events = market.events_frame()
    exits = events[(events["cause"] == Cause.ESCALATION.label) & events["buyer"].isin(key)]
    assert len(exits) >= 2, "some key clients leave by arbitration within the run"
    supplier_ids = {name: i for i, name in enumerate(market.engine.supplier_names)}
    for row in exits.itertuples():
        path = history[:row.step, np.searchsorted(key, row.buyer), supplier_ids[row.supplier]]
        # the ladder is climbed a level at a time: open dissatisfaction, then the ultimatum
        assert (path == behaviour.warning_escalation).any()
        assert path[-1] >= behaviour.escalation_exit_level - 1


def test_an_attentive_supplier_catches_escalating_clients_in_time(loss_cycle):
    market, _, _ = loss_cycle
    events = market.events_frame()
    exits = events[events["cause"] == Cause.ESCALATION.label]["supplier"].value_counts()
    assert exits.get("Reliant", 0) > 2 * exits.get("Careful", 0)
    assert market.market_frame()["rescued"].sum() > 50
    # the reason: settling heard disputes. Without it both lose far more clients by arbitration
    unheard = ObservedMarket(load_scenario(LOSS).with_overrides({"behaviour.escalation_rescue_probability": 0.0}))
    unheard.run()
    events = unheard.events_frame()
    unheard_exits = events[events["cause"] == Cause.ESCALATION.label]["supplier"].value_counts()
    assert unheard_exits.get("Careful", 0) > 2 * exits.get("Careful", 0)
    assert unheard_exits.get("Reliant", 0) > 1.5 * exits.get("Reliant", 0)


def _one_failing_supplier(level: str) -> ObservedMarket:
    scenario = small_scenario(
        [{"name": "Failing", "strategy": level, "quality": 0.45, "adaptation_investment": 0.02}],
        buyers=300, steps=40,
        segment={"complaint_propensity": 0.6, "relational_orientation": 0.9, "switching_cost": 1.0},
        mechanisms={"awareness_diffusion": False})
    market = ObservedMarket(scenario)
    market.run()
    return market


def test_who_hears_an_escalating_client_decides_who_settles():
    basic, reactive, accountable = (_one_failing_supplier(level).market_frame()
                                    for level in ("basic", "reactive", "accountable"))
    assert basic["rescued"].sum() == 0          # a basic supplier hears nothing
    assert 0 < reactive["rescued"].sum() < accountable["rescued"].sum()
    assert basic["escalation_exits"].sum() > accountable["escalation_exits"].sum()
