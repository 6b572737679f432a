"""Phase 4: delivery. Key accounts are assigned, then each served order is delivered:
performance = quality + key-account benefit + adaptation benefit - unnoticed need drift
+ noise; a delivery below the problem threshold is a problem."""

from __future__ import annotations

import numpy as np

from sim.config import Scenario
from sim.config.strategies import BASIC
from sim.engine.state import MarketState
from sim.engine.tick import Tick


def largest_per_supplier(suppliers: np.ndarray, values: np.ndarray, slots: np.ndarray,
                         n_suppliers: int) -> np.ndarray:
    """Whether each entry is among the ``slots[s]`` largest ``values`` of its supplier ``s``,
    ties going to the earlier entry: the first ``slots[s]`` entries of each supplier in
    ``np.lexsort((-values, suppliers))`` order.

    Only the top few of each supplier matter (tens of key accounts among up to millions of
    orders), so instead of sorting every entry by value, each supplier with more entries than
    slots finds its ``slots``-th largest value with ``np.partition`` (linear time) and takes
    the entries above it plus, in their order, as many entries equal to it as slots remain.
    Suppliers with no more entries than slots take them all. The loop runs over crowded
    suppliers only, at most ``len(values) / min(slots)`` of them."""
    count = np.bincount(suppliers, minlength=n_suppliers)
    chosen = ((slots > 0) & (slots >= count))[suppliers]
    crowded = np.flatnonzero((count > slots) & (slots > 0))
    if len(crowded) == 0:
        return chosen
    # entries grouped by supplier, each group in the entries' own order (a stable radix sort
    # of the small supplier numbers)
    order = np.argsort(suppliers.astype(np.int16 if n_suppliers < 2**15 else np.int64), kind="stable")
    starts = np.concatenate(([0], np.cumsum(count)))
    for s in crowded:
        group = order[starts[s]:starts[s + 1]]
        v = values[group]
        k = int(slots[s])
        kth = np.partition(v, len(v) - k)[len(v) - k]  # the k-th largest value
        above = v > kth
        ties = np.flatnonzero(v == kth)[:k - int(above.sum())]
        chosen[group[above]] = True
        chosen[group[ties]] = True
    return chosen


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
    volume = tick.volume[tick.served] if not tick.served.all() else tick.volume
    tick.key_account = largest_per_supplier(suppliers, volume, slots, state.n_suppliers)
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
                   + b.adaptation_benefit * np.take(state.adaptation.ravel(), flat)
                   - np.take(state.drift_gap.ravel(), flat)
                   + state.quality_noise[suppliers] * noise)
    tick.performance = performance
    tick.problem = performance < b.problem_threshold
    tick.count("problems", tick.problem.sum())
