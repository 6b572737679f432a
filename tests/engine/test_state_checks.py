"""The engine's own safety checks: competition counted without a suppliers x suppliers
matrix (the same counts as the quadratic formula), and a step that stops with a message
naming the quantity and the step when the state overflows to inf or NaN."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from support import ROOT, small_scenario

from sim.engine.market import MarketEngine, NonFiniteState, check_finite, market_generator
from sim.engine.phases.stages import close_alternatives


def close_alternatives_quadratic(price, quality, active, band):
    """The definition, as a suppliers x suppliers matrix (what the engine used to build)."""
    near_price = np.abs(price[:, None] - price[None, :]) <= band * price[:, None]
    near_quality = np.abs(quality[:, None] - quality[None, :]) <= band * np.maximum(quality[:, None], 1e-9)
    close = near_price & near_quality & active[None, :]
    np.fill_diagonal(close, False)
    return close.sum(axis=1)


@pytest.mark.parametrize("seed", range(40))
def test_close_alternatives_counts_what_the_quadratic_definition_counts(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    # ties and band edges matter: draw from a few values as well as continuously
    price = rng.choice([0.0, 0.5, 0.55, 0.6, 0.66, 1.0], n) if seed % 2 else rng.random(n)
    quality = rng.choice([0.0, 1e-10, 0.7, 0.77], n) if seed % 3 else rng.random(n)
    active = rng.random(n) < 0.7
    band = float(rng.choice([0.0, 0.05, 0.1, 1.0]))
    state = SimpleNamespace(price=price, quality=quality, active=active)
    assert (close_alternatives(state, band) == close_alternatives_quadratic(price, quality, active, band)).all()


def test_ten_thousand_suppliers_need_memory_linear_in_the_suppliers():
    code = ("import resource, numpy as np\nfrom types import SimpleNamespace\n"
            "from sim.engine.phases.stages import close_alternatives\n"
            "n = 10_000\nrng = np.random.default_rng(1)\n"
            "s = SimpleNamespace(price=rng.random(n), quality=rng.random(n), active=np.ones(n, bool))\n"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "close_alternatives(s, 0.1)\n"
            "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)")
    grown_mib = int(subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                                   check=True).stdout)
    assert grown_mib < 200  # a 10,000 x 10,000 matrix of booleans alone is 95 MiB, and it took three


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
