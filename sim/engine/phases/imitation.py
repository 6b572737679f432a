"""Phase 9 of 9 (docs/ODD.md §7.9, optional): supplier learning by imitation. At each review a supplier may
compare itself with a random rival and copy the rival's strategy with a probability that
grows with the rival's profit advantage (replicator dynamics)."""

from __future__ import annotations

import numpy as np

from sim.config import Scenario
from sim.engine.state import MarketState
from sim.engine.tick import Tick

#: Supplier arrays that make up a strategy, copied together on imitation.
STRATEGY_ARRAYS = ("strategy_id", "markup", "acquisition_contacts", "level", "key_accounts_only",
                   "key_account_managers", "accounts_per_manager", "retention_spend",
                   "retention_benefit", "adaptation_investment", "drops_unprofitable",
                   "complacency", "serves_loyal_first", "introductory_discount",
                   "introductory_steps")


def imitate(state: MarketState, scenario: Scenario, rng: np.random.Generator, tick: Tick) -> list[tuple[int, int, int]]:
    """Reads profit since the last review; writes the strategy arrays of suppliers that
    switch. Returns (supplier, old strategy id, new strategy id) for each switch."""
    b = scenario.behaviour
    if tick.step == 0 or tick.step % b.review_interval:
        return []
    switches = []
    if scenario.mechanisms.supplier_learning:
        active = np.flatnonzero(state.active)
        profit = state.review_profit
        spread = np.ptp(profit[active]) if len(active) > 1 else 0.0
        for i in active:  # a loop over suppliers (tens), never over buyers
            if len(active) < 2 or rng.random() >= b.imitation_probability:
                continue
            rival = rng.choice(active[active != i])
            gap = profit[rival] - profit[i]
            if gap > 0 and spread > 0 and rng.random() < gap / spread:
                old = int(state.strategy_id[i])
                for name in STRATEGY_ARRAYS:
                    getattr(state, name)[i] = getattr(state, name)[rival]
                if old != int(state.strategy_id[i]):
                    switches.append((int(i), old, int(state.strategy_id[i])))
    state.review_profit[:] = 0.0
    return switches
