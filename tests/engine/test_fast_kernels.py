"""The engine's faster kernels give exactly what the plain numpy they replace gives."""

from __future__ import annotations

import numpy as np
import pytest
from support import small_scenario

from sim.engine.market import MarketEngine, NonFiniteState, check_finite, market_generator
from sim.engine.phases.delivery import largest_per_supplier


def _by_lexsort(suppliers: np.ndarray, values: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """The definition: rank the entries by supplier, then largest value first, ties in the
    order given, and take the first ``slots`` of each supplier."""
    order = np.lexsort((-values, suppliers))
    s_sorted = suppliers[order]
    starts = np.r_[0, np.flatnonzero(np.diff(s_sorted)) + 1]
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    chosen = np.zeros(len(values), bool)
    chosen[order[rank < slots[s_sorted]]] = True
    return chosen


@pytest.mark.parametrize("seed", range(20))
def test_largest_per_supplier_picks_the_top_slots_with_ties_to_the_earlier_entry(seed):
    rng = np.random.default_rng(seed)
    n_suppliers = int(rng.integers(1, 8))
    n = int(rng.integers(0, 400))
    suppliers = rng.integers(0, n_suppliers, n)
    # few distinct values, so that many entries tie at each supplier's cut-off
    values = rng.integers(0, 6, n).astype(float) * (1.0 if seed % 2 else 0.5)
    slots = rng.integers(0, 12, n_suppliers)
    chosen = largest_per_supplier(suppliers, values, slots, n_suppliers)
    assert np.array_equal(chosen, _by_lexsort(suppliers, values, slots))


def test_largest_per_supplier_takes_everyone_when_there_is_room_and_no_one_without_slots():
    suppliers = np.array([0, 0, 1, 1, 1, 2])
    values = np.array([1.0, 2.0, 3.0, 1.0, 2.0, 9.0])
    chosen = largest_per_supplier(suppliers, values, np.array([5, 2, 0]), 3)
    assert chosen.tolist() == [True, True, True, False, True, False]


def test_the_finite_check_accepts_many_values_near_the_largest_float32():
    """Finite values whose sum would overflow float32 are no reason to stop a run."""
    scenario = small_scenario([{"name": "Us"}, {"name": "Them", "strategy": "transactional"}], steps=1)
    engine = MarketEngine(scenario, market_generator(3))
    engine.state.net_value[:] = np.finfo(np.float32).max
    engine.state.net_value[0, 0] = -np.finfo(np.float32).max
    check_finite(engine.state, "<test>")
    engine.state.net_value[1, 1] = np.nan
    with pytest.raises(NonFiniteState, match="customers' net value became NaN"):
        check_finite(engine.state, "<test>")
    engine.state.net_value[1, 1] = -np.inf
    with pytest.raises(NonFiniteState, match="customers' net value became infinite"):
        check_finite(engine.state, "<test>")
