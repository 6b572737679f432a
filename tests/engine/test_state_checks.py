"""The engine's own safety checks: competition counted per buyer without a suppliers x
suppliers matrix (the same counts as the definition, buyer by buyer), and a step that stops with a message
naming the quantity and the step when the state overflows to inf or NaN."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest
from support import ROOT, small_scenario

from sim.engine.market import MarketEngine, NonFiniteState, check_finite, market_generator
from sim.engine.phases.choice import utility
from sim.engine.phases.stages import close_alternatives
from sim.engine.state import Stage


def close_alternatives_one_buyer_at_a_time(state, scenario, buyers, suppliers):
    """The definition, buyer by buyer: rivals it knows, may buy from and that are active, whose
    utility to it (before switching costs) comes within the margin of its supplier's."""
    counts = []
    for buyer, supplier in zip(buyers, suppliers):
        u = utility(state, scenario, np.array([buyer]), switching_costs=False)[0]
        margin = scenario.behaviour.final_alternative_margin
        counts.append(sum(1 for k in range(state.n_suppliers)
                          if k != supplier and state.stage[buyer, k] != Stage.UNAWARE
                          and not state.barred[buyer, k] and state.active[k] and u[k] >= u[supplier] - margin))
    return np.array(counts)


@pytest.mark.parametrize("seed", range(6))
def test_close_alternatives_counts_the_rivals_each_buyer_sees_as_close(seed):
    suppliers = [{"name": "A"}, {"name": "B", "strategy": "transactional"},
                 {"name": "C", "strategy": "relationship", "count": 3}]
    scenario = small_scenario(suppliers, buyers=120, steps=6, seed=seed)
    engine = MarketEngine(scenario, market_generator(seed))
    for _ in range(6):
        engine.step()
    state = engine.state
    buyers = np.flatnonzero(state.current >= 0)
    chosen = state.current[buyers]
    assert len(buyers) > 20
    expected = close_alternatives_one_buyer_at_a_time(state, scenario, buyers, chosen)
    assert (close_alternatives(state, scenario, buyers, chosen) == expected).all()


def test_ten_thousand_suppliers_need_memory_linear_in_the_suppliers():
    """10,000 suppliers and 500 buyers for 3 steps needed 7.3 GB with a suppliers x
    suppliers matrix; pair arrays of 500 x 10,000 are what a linear structure costs."""
    code = ("import resource\nimport sim\nfrom sim.observe.market import ObservedMarket\n"
            "s = sim.load_scenario('scenarios/b2b_key_accounts.toml').with_overrides({'market.buyers': 500, "
            "'market.steps': 3, 'suppliers[PriceLine].count': 5000, 'suppliers[Partners].count': 5000})\n"
            "ObservedMarket(s, 1).run()\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)")
    peak_mib = int(subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                                  check=True).stdout)
    assert peak_mib < 1500  # about 580 MiB measured; a 10,000 x 10,000 float64 matrix alone is 763 MiB


def test_a_state_that_overflows_stops_the_run_naming_quantity_and_step():
    scenario = small_scenario([{"name": "Us"}, {"name": "Them", "strategy": "transactional"}], steps=5)
    engine = MarketEngine(scenario, market_generator(1))
    engine.step()
    engine.step()
    engine.state.trust[0, 0] = np.inf
    with pytest.raises(NonFiniteState, match=r"step 2: trust became infinite"):
        engine.step()
    state = dataclasses.replace(engine.state)
    state.cumulative_profit = np.array([np.nan, 1.0])
    with pytest.raises(NonFiniteState, match="suppliers' cumulative profit became NaN"):
        check_finite(state, "<test>")


def test_the_finite_check_passes_every_step_of_an_ordinary_market():
    scenario = small_scenario([{"name": "Us"}, {"name": "Them", "strategy": "transactional"}], steps=3)
    engine = MarketEngine(scenario, market_generator(2))
    for _ in range(3):
        engine.step()  # checks its own state at the end
        check_finite(engine.state, "<test>")  # raises on any non-finite value
