"""Phase 7 of 9 (docs/ODD.md §7.7): stage transitions (Ford 1990; Ford et al. 1998; seed 004). A first order opens
the early stage; trust after enough orders moves it to development; commitment with
adaptations to long-term; long tenure with weak competition to final. Early relationships
may break with a probability that grows with cultural distance; habitual relationships let
needs drift unnoticed (complacency); any stage can end: the buyer switches away, escalation
reaches arbitration, or the supplier drops an unprofitable customer."""

from __future__ import annotations

import numpy as np

from sim.config import Scenario
from sim.config.strategies import ACCOUNTABLE, BASIC
from sim.engine.compiled import jit
from sim.engine.eventlog import EventLog
from sim.engine.phases.choice import utility
from sim.engine.phases.delivery import treatment_level
from sim.engine.phases.events import end_relationships
from sim.engine.state import Cause, MarketState, Stage
from sim.engine.tick import Tick

#: stage codes as the kernels compare them (plain ints: numba freezes them when it compiles)
EARLY, LONG_TERM, FINAL = int(Stage.EARLY), int(Stage.LONG_TERM), int(Stage.FINAL)


def close_alternatives(state: MarketState, scenario: Scenario, buyers: np.ndarray,
                       suppliers: np.ndarray) -> np.ndarray:
    """For each buyer, how many rivals of its supplier it sees as close alternatives: active
    suppliers it knows and may buy from whose utility to it (price, expected quality, trust
    and preference as this buyer weighs them, before switching costs) comes within
    ``final_alternative_margin`` of its current supplier's.

    Competition is judged by the buyer's own view (Ford 1990: the final stage is reached when
    the buyer no longer considers alternatives), not by a global band on list prices: a
    relationship buyer whose trust and experience set its supplier apart sees no close rival,
    a transactional buyer facing equal offers sees them all."""
    if len(buyers) == 0:
        return np.zeros(0, np.int64)
    u = utility(state, scenario, buyers, switching_costs=False)
    S = state.n_suppliers
    own = u.ravel()[np.arange(len(buyers)) * S + suppliers]
    known = np.take(state.stage, buyers, axis=0) != Stage.UNAWARE
    known &= ~np.take(state.barred, buyers, axis=0)
    known &= state.active[None, :]
    close = known & (u >= (own - scenario.behaviour.final_alternative_margin)[:, None])
    close.ravel()[np.arange(len(buyers)) * S + suppliers] = False
    return close.sum(axis=1)


def invests_in_relationship(state: MarketState, buyers: np.ndarray, suppliers: np.ndarray,
                            key_account: np.ndarray) -> np.ndarray:
    """Whether the supplier makes the relationship investments Ford (1990) describes for the
    development stage for this customer: it keeps in contact after the sale (accountable
    level or above, or a key-account manager), spends on retaining it, or is prepared to
    adapt to it. A basic supplier with none of these sells and goes: trust alone does not
    develop such a relationship beyond the early stage."""
    level, treated = treatment_level(state, buyers, suppliers, key_account)
    return (((level >= ACCOUNTABLE) | key_account)
            | (treated & ((state.retention_spend[suppliers] > 0)
                          | (state.adaptation_investment[suppliers] > 0))))


# The kernels' loops avoid branches the processor cannot predict: a test's result is
# combined with & and |, and a list grows by writing each entry at its end and advancing
# the end by the test (0 or 1). Where a test selects a small or one-stage subset whose
# values live in other pair arrays, the subset is listed first and looped over apart, so
# that only its own pair arrays are read, and only at its own orders (reading commitment at
# every order instead of the development ones' was slower: a pass over the orders costs
# what the cache lines of the arrays it touches cost).


@jit
def _replaced_pairs(stage, complained, opening, replaces):
    """The live relationships the opening orders replace (``replaces``, in order) and how many
    of them never complained: fuses the masks, gathers and the count of open_and_switch's
    switched-away pairs into one read-only pass over the orders."""
    n = len(opening)
    # the candidates first (a sequential pass), then their pairs' stage and complaint in a
    # loop without branches: the loads at scattered pairs are independent of each other, so
    # their cache misses overlap (behind a branch per order they came one at a time: 0.7 ms)
    replaced = np.empty(n, np.int64)
    m = 0
    for i in range(n):
        p = replaces[i]
        replaced[m] = p
        m += opening[i] & (p >= 0)
    left = np.empty(m, np.int64)
    k = 0
    silent = 0
    for j in range(m):
        p = replaced[j]
        st = stage[p]
        take = (st >= EARLY) & (st <= FINAL)
        left[k] = p
        k += take
        silent += take & (not complained[p])
    return left[:k], silent


@jit
def _open_orders(stage, orders, start_step, stage_start, complained, escalation, drift_gap,
                 recent_value, current, buyers, suppliers, flat, opening, main, step, n_suppliers):
    """Two passes for open_and_switch. Over every served order: the pair counts one more order
    (capped at 32,000), a main order's buyer takes the supplier as ``current``, an opening
    order is listed with whether it is the pair's first order. Over the opening orders: the
    pair's old stage is kept for the log (first orders and win-backs apart, in order), it
    moves to the early stage, its clocks start, its complaint, escalation and drift are
    cleared, a main order's buyer's recent value is reset, and the supplier counts a new
    customer. Fuses two gathers and eight scatters of the numpy version, its masks and the
    bincount of new customers per supplier. Each served pair appears once among the orders,
    so updating it in place gives what gathering all first gave."""
    n = len(flat)
    opened = np.empty(n, np.int64)
    was_first = np.empty(n, np.bool_)
    k = 0
    for i in range(n):
        f = flat[i]
        o = orders[f]
        orders[f] = min(o + 1, 32_000)
        if main[i]:  # nearly every order: predicted
            current[buyers[i]] = suppliers[i]
        opened[k] = i
        was_first[k] = o == 0
        k += opening[i]
    first = np.empty(k, np.int64)
    first_old = np.empty(k, np.int8)
    won = np.empty(k, np.int64)
    won_old = np.empty(k, np.int8)
    n_first = 0
    n_won = 0
    new_by_supplier = np.zeros(n_suppliers, np.int64)
    for j in range(k):
        i = opened[j]
        f = flat[i]
        st = stage[f]
        stage[f] = 2  # early
        start_step[f] = step
        stage_start[f] = step
        complained[f] = False
        escalation[f] = 0
        drift_gap[f] = 0
        new_by_supplier[suppliers[i]] += 1
        if main[i]:
            recent_value[buyers[i]] = 0.0
        is_first = was_first[j]
        first[n_first] = i
        first_old[n_first] = st
        n_first += is_first
        won[n_won] = i
        won_old[n_won] = st
        n_won += not is_first
    return first[:n_first], first_old[:n_first], won[:n_won], won_old[:n_won], new_by_supplier


def open_and_switch(state: MarketState, scenario: Scenario, tick: Tick, log: EventLog) -> None:
    """Served orders: an order that opens a relationship (first order, or won back) moves it
    to the early stage and ends the relationship it replaces (switched away: a
    single-sourcing buyer's old supplier, or the smallest supplier of a full multi-sourcing
    portfolio). The buyer's main supplier becomes ``current``."""
    S = state.n_suppliers
    step = tick.step
    buyers, suppliers, all_flat = tick.served_orders(S)
    served = tick.served
    opening = tick.opening[served] if not served.all() else tick.opening
    replaces = tick.replaces[served] if not served.all() else tick.replaces
    main = tick.main[served] if not served.all() else tick.main
    left, silent = _replaced_pairs(state.stage.ravel(), state.complained.ravel(), opening, replaces)
    # seed 002: most customers who leave never said a word
    tick.count("silent_leavers", silent)
    end_relationships(state, left, Cause.SWITCHED_AWAY, log, step)
    # supplier-base consolidation (choice): the slivers a multi-sourcing buyer stopped buying
    consolidated = tick.consolidated
    stage = np.take(state.stage.ravel(), consolidated)
    consolidated = consolidated[(stage >= Stage.EARLY) & (stage <= Stage.FINAL)]
    tick.count("silent_leavers", int((~np.take(state.complained.ravel(), consolidated)).sum()))
    end_relationships(state, consolidated, Cause.SWITCHED_AWAY, log, step)
    first, first_old, won, won_old, new_by_supplier = _open_orders(
        state.stage.ravel(), state.orders.ravel(), state.start_step.ravel(), state.stage_start.ravel(),
        state.complained.ravel(), state.escalation.ravel(), state.drift_gap.ravel(), state.recent_value,
        state.current, buyers, suppliers, all_flat, opening, main, step, S)
    log.record(step, buyers[first], suppliers[first], first_old, Stage.EARLY, Cause.FIRST_ORDER)
    log.record(step, buyers[won], suppliers[won], won_old, Stage.EARLY, Cause.WON_BACK)
    tick.count("new_customers", len(first) + len(won))
    tick.new_by_supplier = new_by_supplier
    tick.count("switches", len(left) + len(consolidated))


@jit
def _classify(stage, trust, orders, commitment, adaptation, stage_start, buyers, suppliers, flat,
              key_account, progression, development_trust, development_orders, needs_investment,
              key_accounts_only, level, retention_spend, adaptation_investment, long_term_commitment,
              adaptations, settled_market, step, final_tenure, breakup, draws, rho, cultural_position,
              supplier_position, distance_breakup):
    """Read-only passes over the served orders for progress (one over all of them that lists
    them by stage, then one over each stage's list): which relationships are still
    live (``still``), which early ones reach development (trust, orders and, where needed,
    the supplier's investment: invests_in_relationship and treatment_level inlined), which
    development ones reach long-term (commitment, adaptations), which long-term ones are
    candidates for the final stage (tenure; their close alternatives are counted after, in
    numpy) and which early ones that stay early break up over cultural distance (the draw
    handed in; the distance is learning.cultural_distance inlined). Fuses the gathers of
    stage, trust, orders, commitment, adaptation and stage_start and the masks of each test;
    the lists keep the orders' order, as the numpy masks did. Thresholds on float32 pair
    arrays come as float32 (numpy compares a float32 array with a Python float in float32)."""
    n = len(flat)
    still = np.empty(n, np.bool_)
    # the orders by stage, so that each test reads only its own pair arrays, at its own orders
    early = np.empty(n, np.int64)
    developing = np.empty(n, np.int64)
    long_term_now = np.empty(n, np.int64)
    n_early = n_developing = n_long_term_now = 0
    for i in range(n):
        st = stage[flat[i]]
        still[i] = (st >= EARLY) & (st <= FINAL)  # not ended this step
        early[n_early] = i
        n_early += st == 2
        developing[n_developing] = i
        n_developing += st == 3
        long_term_now[n_long_term_now] = i
        n_long_term_now += st == LONG_TERM
    dev = np.empty(n_early, np.int64)
    breaks = np.empty(n_early, np.int64)
    n_dev = n_breaks = 0
    for j in range(n_early):
        i = early[j]
        f = flat[i]
        s = suppliers[i]
        to_dev = progression & (trust[f] >= development_trust) & (orders[f] >= development_orders)
        if needs_investment:
            ka = key_account[i]
            treated = (not key_accounts_only[s]) | ka
            lev = level[s] if treated else BASIC
            to_dev &= ((lev >= ACCOUNTABLE) | ka
                       | (treated & ((retention_spend[s] > 0) | (adaptation_investment[s] > 0))))
        dev[n_dev] = i
        n_dev += to_dev
        if breakup:
            b = buyers[i]
            breaks[n_breaks] = i
            n_breaks += (not to_dev) & (
                draws[b] < distance_breakup * rho[b] * abs(cultural_position[b] - supplier_position[s]))
    long_term = np.empty(n_developing, np.int64)
    n_long = 0
    if progression:
        for j in range(n_developing):
            i = developing[j]
            f = flat[i]
            long_term[n_long] = i
            n_long += (commitment[f] >= long_term_commitment) & ((not adaptations) | (adaptation[f] > 0))
    final = np.empty(n_long_term_now, np.int64)
    n_final = 0
    if progression and settled_market:
        for j in range(n_long_term_now):
            i = long_term_now[j]
            final[n_final] = i
            n_final += step - stage_start[flat[i]] >= final_tenure
    return still, dev[:n_dev], long_term[:n_long], final[:n_final], breaks[:n_breaks]


def progress(state: MarketState, scenario: Scenario, rng: np.random.Generator, tick: Tick,
             log: EventLog) -> None:
    """Reads trust, commitment, adaptations, tenure and the suppliers' competition; moves
    the current relationships of this step's customers up (or out of) the stages."""
    b, mech = scenario.behaviour, scenario.mechanisms
    S, step = state.n_suppliers, tick.step
    buyers, suppliers, flat = tick.served_orders(S)
    key_account = tick.key_account  # per served order
    # the phase's only draws (one per buyer, for the distance break-ups), drawn before the
    # tests that they follow in the model: nothing else in the phase draws from ``rng``
    draws = rng.random(state.n_buyers) if mech.distance_breakup else np.zeros(0)
    # long-term -> final: long enough in the long-term stage, no newcomer fresh in the
    # market (seed 004), and few close alternatives in the buyer's own view
    settled_market = step - state.last_entry_step >= b.final_tenure
    still, to_development, to_long_term, to_final, breaks = _classify(
        state.stage.ravel(), state.trust.ravel(), state.orders.ravel(), state.commitment.ravel(),
        state.adaptation.ravel(), state.stage_start.ravel(), buyers, suppliers, flat, key_account,
        mech.stage_progression, np.float32(b.development_trust), b.development_orders,
        b.development_needs_investment, state.key_accounts_only, state.level, state.retention_spend,
        state.adaptation_investment, np.float32(b.long_term_commitment), mech.adaptations,
        settled_market, step, b.final_tenure, mech.distance_breakup, draws,
        state.relational_orientation, state.cultural_position, state.supplier_position,
        b.distance_breakup)
    if mech.stage_progression:
        if len(to_final):
            to_final = to_final[close_alternatives(state, scenario, buyers[to_final], suppliers[to_final])
                                < b.final_max_close_alternatives]
        for at, old, new, cause in ((to_development, Stage.EARLY, Stage.DEVELOPMENT, Cause.TRUST_REACHED),
                                    (to_long_term, Stage.DEVELOPMENT, Stage.LONG_TERM,
                                     Cause.COMMITMENT_REACHED),
                                    (to_final, Stage.LONG_TERM, Stage.FINAL, Cause.HABITUATION)):
            log.record(step, buyers[at], suppliers[at], old, new, cause)
            state.stage.ravel()[flat[at]] = new
            state.stage_start.ravel()[flat[at]] = step
    if mech.distance_breakup:
        # cultural distance weighs on a buyer as far as it looks for a relationship at all
        # (rho): a purely transactional buyer buys on price and quality from whoever is
        # distant, so its purchases are no relationship that distance could break
        end_relationships(state, flat[breaks], Cause.DISTANCE_BREAKUP, log, step)
        tick.count("distance_breakups", len(breaks))
    if mech.complacency or mech.escalation:
        exits = _drift_and_exits(state.stage.ravel(), state.drift_gap.ravel(), state.escalation.ravel(),
                                 state.need_drift, state.complacency, searched_buyers(state, tick),
                                 buyers, suppliers, flat, still, b.max_need_gap, mech.complacency,
                                 mech.escalation, b.escalation_exit_level)
    if mech.escalation:
        end_relationships(state, flat[exits], Cause.ESCALATION, log, step, bar=True)
        tick.count("escalation_exits", len(exits))


def searched_buyers(state: MarketState, tick: Tick) -> np.ndarray:
    """Per buyer: whether it looked around this step."""
    searched = np.zeros(state.n_buyers, bool)
    searched[tick.searchers] = True
    return searched


@jit
def _drift_and_exits(stage, drift_gap, escalation, need_drift, complacency, searched, buyers,
                     suppliers, flat, still, max_need_gap, drift, escalation_exits, exit_level):
    """drift_needs's formula in one pass over the orders that are ``still`` live relationships
    (its stage gather, the two selections, the clip and the scatter of the gaps), fused with
    progress's escalation test: the orders whose escalation reached the exit level, listed in
    order. numpy's dtypes: the float32 gap plus the float64 growth in float64, the minimum
    cast back to float32."""
    n = len(flat)
    exits = np.empty(n, np.int64)
    n_exits = 0
    for i in range(n):
        f = flat[i]
        go = still[i]
        if drift:
            st = stage[f]
            live = (st >= EARLY) & (st <= FINAL)
            habitual = (st == LONG_TERM) | (st == FINAL)
            share = complacency[suppliers[i]] if habitual else 1.0
            grow = need_drift[buyers[i]] * share if live else 0.0
            gap = np.float32(min(np.float64(drift_gap[f]) + grow, max_need_gap))
            if searched[buyers[i]] & live & (not habitual):
                gap = np.float32(0.0)
            drift_gap[f] = gap if go else drift_gap[f]
        exits[n_exits] = i
        n_exits += go & escalation_exits & (escalation[f] >= exit_level)
    return exits[:n_exits]


def drift_needs(state: MarketState, scenario: Scenario, tick: Tick, buyers: np.ndarray,
                suppliers: np.ndarray, flat: np.ndarray) -> None:
    """A buyer's needs move on in every live relationship: the gap between what it needs and
    what it gets grows each step by its need drift, up to ``max_need_gap``.

    In a young relationship (early, development) the buyer is still evaluating: when it looks
    around it re-states what it needs, and the supplier it stays with fits its offer again.
    In a habitual one (long-term, final) re-ordering is routine and nobody re-states anything;
    the supplier's complacency is the share of the drift that goes unnoticed there (seed 004:
    habit breeds complacency, new needs go unnoticed, which opens the door to competitors).
    Attentive suppliers (proactive and above, key-account managers) notice and close the gap
    in the service phase. Young relationships drift too, so ripening is no loss in itself: a
    basic supplier whose customers reach the habitual stages faces the same drift it would
    face had they stayed young, and a less complacent one faces less.

    (progress runs the same kernel, fused with its escalation test.)"""
    _drift_and_exits(state.stage.ravel(), state.drift_gap.ravel(), state.escalation.ravel(),
                     state.need_drift, state.complacency, searched_buyers(state, tick), buyers,
                     suppliers, flat, np.ones(len(flat), bool), scenario.behaviour.max_need_gap,
                     True, False, 0)


def drop_unprofitable(state: MarketState, scenario: Scenario, tick: Tick, log: EventLog) -> None:
    """At review steps, suppliers that drop unprofitable customers end the relationships
    whose recent net value is negative (seed 003: serve customers of positive net value)."""
    b = scenario.behaviour
    if (not scenario.mechanisms.customer_dropping or tick.step == 0
            or tick.step % b.review_interval or not state.drops_unprofitable.any()):
        return
    buyers, flat = state.current_flat()
    suppliers = state.current[buyers]
    tenure = tick.step - np.take(state.start_step.ravel(), flat)
    drop = (state.drops_unprofitable[suppliers] & (state.recent_value[buyers] < 0)
            & (tenure >= b.drop_min_tenure))
    tick.dropped = flat[drop]
    end_relationships(state, tick.dropped, Cause.DROPPED_UNPROFITABLE, log, tick.step, bar=True)
    tick.count("dropped", drop.sum())


def transition(state: MarketState, scenario: Scenario, rng: np.random.Generator, tick: Tick,
               log: EventLog) -> None:
    open_and_switch(state, scenario, tick, log)
    progress(state, scenario, rng, tick, log)
    drop_unprofitable(state, scenario, tick, log)
