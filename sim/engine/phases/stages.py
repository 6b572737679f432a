"""Phase 7 of 9 (docs/ODD.md §7.7): stage transitions (Ford 1990; Ford et al. 1998; seed 004). A first order opens
the early stage; trust after enough orders moves it to development; commitment with
adaptations to long-term; long tenure with weak competition to final. Early relationships
may break with a probability that grows with cultural distance; habitual relationships let
needs drift unnoticed (complacency); any stage can end: the buyer switches away, escalation
reaches arbitration, or the supplier drops an unprofitable customer."""

from __future__ import annotations

import numpy as np

from sim.config import Scenario
from sim.config.strategies import ACCOUNTABLE
from sim.engine.eventlog import EventLog
from sim.engine.phases.choice import utility
from sim.engine.phases.delivery import treatment_level
from sim.engine.phases.events import end_relationships
from sim.engine.phases.learning import cultural_distance
from sim.engine.state import PAIR_FLOAT, Cause, MarketState, Stage
from sim.engine.tick import Tick


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
    left = replaces[opening & (replaces >= 0)]
    stage = np.take(state.stage.ravel(), left)
    left = left[(stage >= Stage.EARLY) & (stage <= Stage.FINAL)]
    # seed 002: most customers who leave never said a word
    tick.count("silent_leavers", int((~np.take(state.complained.ravel(), left)).sum()))
    end_relationships(state, left, Cause.SWITCHED_AWAY, log, step)
    # supplier-base consolidation (choice): the slivers a multi-sourcing buyer stopped buying
    consolidated = tick.consolidated
    stage = np.take(state.stage.ravel(), consolidated)
    consolidated = consolidated[(stage >= Stage.EARLY) & (stage <= Stage.FINAL)]
    tick.count("silent_leavers", int((~np.take(state.complained.ravel(), consolidated)).sum()))
    end_relationships(state, consolidated, Cause.SWITCHED_AWAY, log, step)
    new_buyers, new_suppliers = buyers[opening], suppliers[opening]
    flat = all_flat[opening]
    stage = np.take(state.stage.ravel(), flat)
    first = np.take(state.orders.ravel(), flat) == 0
    log.record(step, new_buyers[first], new_suppliers[first], stage[first], Stage.EARLY,
               Cause.FIRST_ORDER)
    log.record(step, new_buyers[~first], new_suppliers[~first], stage[~first], Stage.EARLY,
               Cause.WON_BACK)
    state.stage.ravel()[flat] = Stage.EARLY
    state.start_step.ravel()[flat] = step
    state.stage_start.ravel()[flat] = step
    state.complained.ravel()[flat] = False
    state.escalation.ravel()[flat] = 0
    state.drift_gap.ravel()[flat] = 0
    state.recent_value[buyers[opening & main]] = 0.0
    state.current[buyers[main]] = suppliers[main]
    state.orders.ravel()[all_flat] = np.minimum(np.take(state.orders.ravel(), all_flat) + 1, 32_000)
    tick.count("new_customers", opening.sum())
    tick.new_by_supplier = np.bincount(new_suppliers, minlength=S)
    tick.count("switches", len(left) + len(consolidated))


def progress(state: MarketState, scenario: Scenario, rng: np.random.Generator, tick: Tick,
             log: EventLog) -> None:
    """Reads trust, commitment, adaptations, tenure and the suppliers' competition; moves
    the current relationships of this step's customers up (or out of) the stages."""
    b, mech = scenario.behaviour, scenario.mechanisms
    S, step = state.n_suppliers, tick.step
    buyers, suppliers, flat = tick.served_orders(S)
    key_account = tick.key_account  # per served order
    stage = np.take(state.stage.ravel(), flat)
    still = (stage >= Stage.EARLY) & (stage <= Stage.FINAL)  # not ended this step
    if not still.all():
        buyers, suppliers, flat = buyers[still], suppliers[still], flat[still]
        key_account, stage = key_account[still], stage[still]
    if mech.stage_progression:
        # each test reads the pair arrays only for the relationships in the stage it concerns
        to_development = stage == Stage.EARLY
        at = np.flatnonzero(to_development)
        to_development[at] = ((state.trust.ravel()[flat[at]] >= b.development_trust)
                              & (state.orders.ravel()[flat[at]] >= b.development_orders))
        if b.development_needs_investment:
            at = np.flatnonzero(to_development)
            to_development[at] = invests_in_relationship(state, buyers[at], suppliers[at], key_account[at])
        to_long_term = stage == Stage.DEVELOPMENT
        at = np.flatnonzero(to_long_term)
        to_long_term[at] = state.commitment.ravel()[flat[at]] >= b.long_term_commitment
        if mech.adaptations:
            at = np.flatnonzero(to_long_term)
            to_long_term[at] = state.adaptation.ravel()[flat[at]] > 0
        # long-term -> final: long enough in the long-term stage, no newcomer fresh in the
        # market (seed 004), and few close alternatives in the buyer's own view
        settled_market = step - state.last_entry_step >= b.final_tenure
        to_final = (stage == Stage.LONG_TERM) & settled_market
        at = np.flatnonzero(to_final)
        to_final[at] = step - state.stage_start.ravel()[flat[at]] >= b.final_tenure
        at = np.flatnonzero(to_final)
        to_final[at] = close_alternatives(state, scenario, buyers[at], suppliers[at]) \
            < b.final_max_close_alternatives
        for mask, old, new, cause in ((to_development, Stage.EARLY, Stage.DEVELOPMENT, Cause.TRUST_REACHED),
                                      (to_long_term, Stage.DEVELOPMENT, Stage.LONG_TERM,
                                       Cause.COMMITMENT_REACHED),
                                      (to_final, Stage.LONG_TERM, Stage.FINAL, Cause.HABITUATION)):
            log.record(step, buyers[mask], suppliers[mask], old, new, cause)
            state.stage.ravel()[flat[mask]] = new
            state.stage_start.ravel()[flat[mask]] = step
    else:
        to_development = np.zeros(len(flat), bool)
    if mech.distance_breakup:
        draws = rng.random(state.n_buyers)
        breaks = (stage == Stage.EARLY) & ~to_development
        at = np.flatnonzero(breaks)
        # cultural distance weighs on a buyer as far as it looks for a relationship at all
        # (rho): a purely transactional buyer buys on price and quality from whoever is
        # distant, so its purchases are no relationship that distance could break
        breaks[at] = draws[buyers[at]] < (b.distance_breakup * state.relational_orientation[buyers[at]]
                                          * cultural_distance(state, buyers[at], suppliers[at]))
        end_relationships(state, flat[breaks], Cause.DISTANCE_BREAKUP, log, step)
        tick.count("distance_breakups", breaks.sum())
    if mech.complacency:
        drift_needs(state, scenario, tick, buyers, suppliers, flat)
    if mech.escalation:
        exit_now = np.take(state.escalation.ravel(), flat) >= b.escalation_exit_level
        end_relationships(state, flat[exit_now], Cause.ESCALATION, log, step, bar=True)
        tick.count("escalation_exits", exit_now.sum())


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
    face had they stayed young, and a less complacent one faces less."""
    b = scenario.behaviour
    stage = np.take(state.stage.ravel(), flat)
    live = (stage >= Stage.EARLY) & (stage <= Stage.FINAL)
    habitual = (stage == Stage.LONG_TERM) | (stage == Stage.FINAL)
    share = np.where(habitual, state.complacency[suppliers], 1.0)
    grow = np.where(live, state.need_drift[buyers] * share, 0.0)
    gap = np.minimum(np.take(state.drift_gap.ravel(), flat) + grow, b.max_need_gap).astype(PAIR_FLOAT)
    searched = np.zeros(state.n_buyers, bool)
    searched[tick.searchers] = True
    gap[searched[buyers] & live & ~habitual] = 0.0
    # one scatter of the new gaps (each served pair appears once in ``flat``), cast before it:
    # the same rounding, 3x faster than fancy assignment's own conversion
    state.drift_gap.ravel()[flat] = gap


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
