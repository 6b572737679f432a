"""Phase 4: delivery. Key accounts are assigned, then each served order is delivered:
performance = quality + key-account benefit + adaptation benefit - unnoticed need drift
+ noise; a delivery below the problem threshold is a problem."""

from __future__ import annotations

import numpy as np

from sim.config import Scenario
from sim.config.strategies import BASIC
from sim.engine.compiled import jit
from sim.engine.state import MarketState
from sim.engine.tick import Tick


@jit
def _worse(values, a, b):
    """Entry ``a`` ranks after entry ``b``: a smaller value, or the same value and later."""
    return values[a] < values[b] or (values[a] == values[b] and a > b)


@jit
def _largest_per_supplier(suppliers, values, slots, n_suppliers):
    """``largest_per_supplier`` in one pass over the entries: each supplier keeps its best
    ``slots`` entries so far in a heap whose root is the one ranked last (``_worse``). An
    entry comes after every entry already held, so it takes a full heap's place only with a
    value above the root's; a tie at the cut-off stays with the earlier entry. Suppliers
    with no more entries than slots keep them all (their heap never fills)."""
    n = len(suppliers)
    count = np.zeros(n_suppliers, np.int64)
    for i in range(n):
        count[suppliers[i]] += 1
    capacity = np.zeros(n_suppliers, np.int64)
    start = np.zeros(n_suppliers + 1, np.int64)
    for s in range(n_suppliers):
        if slots[s] > 0:
            capacity[s] = count[s] if slots[s] >= count[s] else int(slots[s])
        start[s + 1] = start[s] + capacity[s]
    heap = np.empty(start[n_suppliers], np.int64)
    size = np.zeros(n_suppliers, np.int64)
    # the value to beat once a heap is full (its root's): one comparison per entry, which
    # mostly fails, instead of a branch on the supplier's slots the order of buyers scrambles
    bar = np.full(n_suppliers, np.inf)
    for i in range(n):
        s = suppliers[i]
        if not (values[i] > bar[s] or size[s] < capacity[s]):
            continue
        h = start[s]
        k = capacity[s]
        if size[s] < k:  # room: the entry goes in, and up past better-ranked parents
            j = size[s]
            size[s] += 1
            heap[h + j] = i
            while j > 0:
                parent = (j - 1) // 2
                if not _worse(values, heap[h + j], heap[h + parent]):
                    break
                heap[h + j], heap[h + parent] = heap[h + parent], heap[h + j]
                j = parent
        else:  # it replaces the last-ranked, which sinks to its place
            heap[h] = i
            j = 0
            while True:
                child = 2 * j + 1
                if child >= k:
                    break
                if child + 1 < k and _worse(values, heap[h + child + 1], heap[h + child]):
                    child += 1
                if not _worse(values, heap[h + child], heap[h + j]):
                    break
                heap[h + j], heap[h + child] = heap[h + child], heap[h + j]
                j = child
        if size[s] == k:
            bar[s] = values[heap[h]]
    chosen = np.zeros(n, np.bool_)
    for j in range(len(heap)):
        chosen[heap[j]] = True
    return chosen


def largest_per_supplier(suppliers: np.ndarray, values: np.ndarray, slots: np.ndarray,
                         n_suppliers: int) -> np.ndarray:
    """Whether each entry is among the ``slots[s]`` largest ``values`` of its supplier ``s``,
    ties going to the earlier entry: the first ``slots[s]`` entries of each supplier in
    ``np.lexsort((-values, suppliers))`` order.

    Only the top few of each supplier matter (tens of key accounts among up to millions of
    orders), so instead of sorting every entry by value, a compiled pass keeps each
    supplier's best ``slots`` entries so far in a small heap (``_largest_per_supplier``):
    linear in the entries, times the logarithm of the slots for the few entries that get in.
    Suppliers with no more entries than slots take them all."""
    return _largest_per_supplier(suppliers, values, slots, n_suppliers)


def assign_key_accounts(state: MarketState, scenario: Scenario, tick: Tick) -> None:
    """Each supplier's managers take on its largest ordering customers, up to
    managers x accounts per manager (key-account management), ranked by the volume they buy
    from it. Writes ``tick.key_account`` (per served order: a multi-sourcing buyer may be a key
    account of several suppliers) and ``key_account`` (of the buyer's main supplier)."""
    state.key_account[:] = False
    buyers, suppliers, _ = tick.served_orders(state.n_suppliers)
    if not scenario.mechanisms.key_accounts or not np.any(state.key_account_managers):
        tick.key_account = np.zeros(len(buyers), bool)
        return
    slots = state.key_account_managers * state.accounts_per_manager
    every = tick.served.all()
    volume = tick.volume if every else tick.volume[tick.served]
    tick.key_account = largest_per_supplier(suppliers, volume, slots, state.n_suppliers)
    main = tick.main if every else tick.main[tick.served]
    state.key_account[buyers[tick.key_account & main]] = True


def treatment_level(state: MarketState, buyers: np.ndarray, suppliers: np.ndarray,
                    key_account: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Kotler level each customer actually gets, whether it is treated at all): a segmented
    supplier gives its level only to its key accounts (``key_account``, per order), basic
    treatment to the rest."""
    treated = ~state.key_accounts_only[suppliers] | key_account
    return np.where(treated, state.level[suppliers], BASIC), treated


@jit
def _performance(buyers, suppliers, flat, main, key_account, buyer_noise, other_noise, quality, quality_noise,
                 adaptation, drift_gap, key_account_benefit, adaptation_benefit, problem_threshold):
    """Each served order's performance, whether it is a problem, and how many are, in the
    precision numpy worked in: float64 but for adaptation_benefit x adaptation, a float32
    product (``adaptation_benefit`` is float32) promoted to float64 exactly. An order with the
    buyer's main supplier takes the buyer's draw, the others take ``other_noise`` in turn.
    Fuses the gathers of quality, adaptation, drift gap and the draws, the whole-vector
    operations and their temporaries."""
    n = len(flat)
    performance = np.empty(n)
    problem = np.empty(n, np.bool_)
    problems = 0
    other = 0
    for i in range(n):
        s = suppliers[i]
        f = flat[i]
        if main[i]:
            noise = buyer_noise[buyers[i]]
        else:
            noise = other_noise[other]
            other += 1
        p = quality[s] + key_account_benefit * (1.0 if key_account[i] else 0.0)
        p = p + np.float64(adaptation_benefit * adaptation[f])
        p = p - np.float64(drift_gap[f])
        p = p + quality_noise[s] * noise
        performance[i] = p
        problem[i] = p < problem_threshold
        if problem[i]:
            problems += 1
    return performance, problem, problems


def deliver(state: MarketState, scenario: Scenario, rng: np.random.Generator, tick: Tick) -> None:
    """Reads quality, key accounts, adaptations and drift gaps of the served orders; writes
    ``tick.performance`` and ``tick.problem`` (aligned with the served orders)."""
    assign_key_accounts(state, scenario, tick)
    b = scenario.behaviour
    buyers, suppliers, flat = tick.served_orders(state.n_suppliers)
    # one draw per buyer for its main supplier's delivery (common random numbers across
    # alternatives), and one per order for a multi-sourcing buyer's other suppliers
    buyer_noise = rng.standard_normal(state.n_buyers)
    main = tick.main[tick.served] if not tick.served.all() else tick.main
    other_noise = buyer_noise[:0]
    if not main.all():
        other_noise = rng.standard_normal(len(main) - np.count_nonzero(main))
    # performance = quality + key_account_benefit*[key account] + adaptation_benefit*adaptation
    #               - drift gap + quality noise*noise
    tick.performance, tick.problem, problems = _performance(
        buyers, suppliers, flat, main, tick.key_account, buyer_noise, other_noise, state.quality,
        state.quality_noise, state.adaptation.ravel(), state.drift_gap.ravel(), float(b.key_account_benefit),
        np.float32(b.adaptation_benefit), float(b.problem_threshold))
    tick.count("problems", problems)
