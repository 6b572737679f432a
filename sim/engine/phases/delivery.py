"""Phase 4: delivery. Key accounts are assigned, then each served order is delivered:
performance = quality + key-account benefit + adaptation benefit - unnoticed need drift
+ noise; a delivery below the problem threshold is a problem."""

from __future__ import annotations

import numpy as np

from sim.config import Scenario
from sim.config.strategies import BASIC
from sim.engine.state import MarketState
from sim.engine.tick import Tick


def by_supplier_largest_first(suppliers: np.ndarray, values: np.ndarray, n_suppliers: int) -> np.ndarray:
    """The permutation ``np.lexsort((-values, suppliers))``: by supplier, then largest value
    first, ties in the order given. Built from a fast unstable sort whose ties are then put
    back in order, and a radix sort of the supplier numbers."""
    key = -values
    order = np.argsort(key)
    ranked = key[order]
    tie = ranked[1:] == ranked[:-1]
    if tie.any():
        run = np.concatenate(([0], np.cumsum(~tie)))
        order = np.sort(run * len(order) + order) % len(order)
    supplier = suppliers[order].astype(np.int16 if n_suppliers < 2**15 else np.int64)
    return order[np.argsort(supplier, kind="stable")]


def assign_key_accounts(state: MarketState, scenario: Scenario, tick: Tick) -> None:
    """Each supplier's managers take on its largest ordering customers, up to
    managers x accounts per manager (key-account management), ranked by the volume they buy
    from it. Writes ``tick.key_account`` (per served order: a multi-sourcing buyer may be a key
    account of several suppliers) and ``key_account`` (of the buyer's main supplier)."""
    state.key_account[:] = False
    buyers, suppliers, _ = tick.served_orders(state.n_suppliers)
    tick.key_account = np.zeros(len(buyers), bool)
    if not scenario.mechanisms.key_accounts or not np.any(state.key_account_managers):
        return
    slots = state.key_account_managers * state.accounts_per_manager
    managed = np.flatnonzero(slots[suppliers] > 0)
    volume = tick.volume[tick.served] if not tick.served.all() else tick.volume
    order = by_supplier_largest_first(suppliers[managed], volume[managed], state.n_suppliers)
    s_sorted = suppliers[managed][order]
    group_start = np.r_[0, np.flatnonzero(np.diff(s_sorted)) + 1]
    rank = np.arange(len(order)) - np.repeat(group_start, np.diff(np.r_[group_start, len(order)]))
    tick.key_account[managed[order[rank < slots[s_sorted]]]] = True
    main = tick.main[tick.served] if not tick.served.all() else tick.main
    state.key_account[buyers[tick.key_account & main]] = True


def treatment_level(state: MarketState, buyers: np.ndarray, suppliers: np.ndarray,
                    key_account: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Kotler level each customer actually gets, whether it is treated at all): a segmented
    supplier gives its level only to its key accounts (``key_account``, per order), basic
    treatment to the rest."""
    treated = ~state.key_accounts_only[suppliers] | key_account
    return np.where(treated, state.level[suppliers], BASIC), treated


def deliver(state: MarketState, scenario: Scenario, rng: np.random.Generator, tick: Tick) -> None:
    """Reads quality, key accounts, adaptations and drift gaps of the served orders; writes
    ``tick.performance`` and ``tick.problem`` (aligned with the served orders)."""
    assign_key_accounts(state, scenario, tick)
    b = scenario.behaviour
    buyers, suppliers, flat = tick.served_orders(state.n_suppliers)
    # one draw per buyer for its main supplier's delivery (common random numbers across
    # alternatives), and one per order for a multi-sourcing buyer's other suppliers
    noise = rng.standard_normal(state.n_buyers)[buyers]
    main = tick.main[tick.served] if not tick.served.all() else tick.main
    if not main.all():
        noise[~main] = rng.standard_normal(int((~main).sum()))
    performance = (state.quality[suppliers]
                   + b.key_account_benefit * tick.key_account
                   + b.adaptation_benefit * state.adaptation.ravel()[flat]
                   - state.drift_gap.ravel()[flat]
                   + state.quality_noise[suppliers] * noise)
    tick.performance = performance
    tick.problem = performance < b.problem_threshold
    tick.count("problems", tick.problem.sum())
