"""Phase 7 of 9 (model.md step 8): stage transitions (Ford 1990; Ford et al. 1998; seed 004). A first order opens
the early stage; trust after enough orders moves it to development; commitment with
adaptations to long-term; long tenure with weak competition to final. Early relationships
may break with a probability that grows with cultural distance; habitual relationships let
needs drift unnoticed (complacency); any stage can end: the buyer switches away, escalation
reaches arbitration, or the supplier drops an unprofitable customer."""

from __future__ import annotations

import numpy as np

from sim.config import Scenario
from sim.engine.eventlog import EventLog
from sim.engine.phases.events import end_relationships
from sim.engine.phases.learning import cultural_distance
from sim.engine.state import Cause, MarketState, Stage
from sim.engine.tick import Tick


def close_alternatives(state: MarketState, band: float) -> np.ndarray:
    """For each supplier, how many active rivals offer a price and a quality both within
    ``band`` (relative) of its own."""
    price, quality = state.price, state.quality
    near_price = np.abs(price[:, None] - price[None, :]) <= band * price[:, None]
    near_quality = np.abs(quality[:, None] - quality[None, :]) <= band * np.maximum(quality[:, None], 1e-9)
    close = near_price & near_quality & state.active[None, :]
    np.fill_diagonal(close, False)
    return close.sum(axis=1)


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
    left = left[(state.stage.ravel()[left] >= Stage.EARLY) & (state.stage.ravel()[left] <= Stage.FINAL)]
    end_relationships(state, left, Cause.SWITCHED_AWAY, log, step)
    new_buyers, new_suppliers = buyers[opening], suppliers[opening]
    flat = all_flat[opening]
    stage = state.stage.ravel()[flat]
    first = state.orders.ravel()[flat] == 0
    log.record(step, new_buyers[first], new_suppliers[first], stage[first], Stage.EARLY,
               Cause.FIRST_ORDER)
    log.record(step, new_buyers[~first], new_suppliers[~first], stage[~first], Stage.EARLY,
               Cause.WON_BACK)
    state.stage.ravel()[flat] = Stage.EARLY
    state.start_step.ravel()[flat] = step
    state.escalation.ravel()[flat] = 0
    state.drift_gap.ravel()[flat] = 0
    state.recent_value[buyers[opening & main]] = 0.0
    state.current[buyers[main]] = suppliers[main]
    state.orders.ravel()[all_flat] = np.minimum(state.orders.ravel()[all_flat] + 1, 32_000)
    tick.count("new_customers", opening.sum())
    tick.new_by_supplier = np.bincount(new_suppliers, minlength=S)
    tick.count("switches", len(left))


def progress(state: MarketState, scenario: Scenario, rng: np.random.Generator, tick: Tick,
             log: EventLog) -> None:
    """Reads trust, commitment, adaptations, tenure and the suppliers' competition; moves
    the current relationships of this step's customers up (or out of) the stages."""
    b, mech = scenario.behaviour, scenario.mechanisms
    S, step = state.n_suppliers, tick.step
    buyers, suppliers, flat = tick.served_orders(S)
    stage = state.stage.ravel()[flat]
    still = (stage >= Stage.EARLY) & (stage <= Stage.FINAL)  # not ended this step
    if not still.all():
        buyers, suppliers, flat = buyers[still], suppliers[still], flat[still]
    stage = state.stage.ravel()[flat]
    if mech.stage_progression:
        # each test reads the pair arrays only for the relationships in the stage it concerns
        to_development = stage == Stage.EARLY
        at = np.flatnonzero(to_development)
        to_development[at] = ((state.trust.ravel()[flat[at]] >= b.development_trust)
                              & (state.orders.ravel()[flat[at]] >= b.development_orders))
        to_long_term = stage == Stage.DEVELOPMENT
        at = np.flatnonzero(to_long_term)
        to_long_term[at] = state.commitment.ravel()[flat[at]] >= b.long_term_commitment
        if mech.adaptations:
            at = np.flatnonzero(to_long_term)
            to_long_term[at] = state.adaptation.ravel()[flat[at]] > 0
        weak_competition = close_alternatives(state, scenario.market.close_alternative_band) \
            < b.final_max_close_alternatives
        # competition is not weak while a newcomer is fresh in the market (seed 004)
        settled_market = step - state.last_entry_step >= b.final_tenure
        to_final = (stage == Stage.LONG_TERM) & weak_competition[suppliers] & settled_market
        at = np.flatnonzero(to_final)
        to_final[at] = step - state.start_step.ravel()[flat[at]] >= b.final_tenure
        for mask, old, new, cause in ((to_development, Stage.EARLY, Stage.DEVELOPMENT, Cause.TRUST_REACHED),
                                      (to_long_term, Stage.DEVELOPMENT, Stage.LONG_TERM,
                                       Cause.COMMITMENT_REACHED),
                                      (to_final, Stage.LONG_TERM, Stage.FINAL, Cause.HABITUATION)):
            log.record(step, buyers[mask], suppliers[mask], old, new, cause)
            state.stage.ravel()[flat[mask]] = new
    else:
        to_development = np.zeros(len(flat), bool)
    if mech.distance_breakup:
        draws = rng.random(state.n_buyers)
        breaks = (stage == Stage.EARLY) & ~to_development
        at = np.flatnonzero(breaks)
        breaks[at] = draws[buyers[at]] < b.distance_breakup * cultural_distance(
            state, buyers[at], suppliers[at])
        end_relationships(state, flat[breaks], Cause.DISTANCE_BREAKUP, log, step)
        tick.count("distance_breakups", breaks.sum())
    if mech.complacency:
        # Seed 004: habit lowers the cost of managing a relationship but lets the buyer's
        # new needs go unnoticed; the serve phase resets the gap when someone notices.
        # Needs drift only so far from what was once agreed (max_need_gap).
        stage_now = state.stage.ravel()[flat]
        habitual = np.flatnonzero((stage_now == Stage.LONG_TERM) | (stage_now == Stage.FINAL))
        grow = state.need_drift[buyers[habitual]] * state.complacency[suppliers[habitual]]
        at = flat[habitual]
        state.drift_gap.ravel()[at] = np.minimum(state.drift_gap.ravel()[at] + grow, b.max_need_gap)
    if mech.escalation:
        exit_now = state.escalation.ravel()[flat] >= b.escalation_exit_level
        end_relationships(state, flat[exit_now], Cause.ESCALATION, log, step, bar=True)
        tick.count("escalation_exits", exit_now.sum())


def drop_unprofitable(state: MarketState, scenario: Scenario, tick: Tick, log: EventLog) -> None:
    """At review steps, suppliers that drop unprofitable customers end the relationships
    whose recent net value is negative (seed 003: serve customers of positive net value)."""
    b = scenario.behaviour
    if (not scenario.mechanisms.customer_dropping or tick.step == 0
            or tick.step % b.review_interval or not state.drops_unprofitable.any()):
        return
    buyers, flat = state.current_flat()
    suppliers = state.current[buyers]
    tenure = tick.step - state.start_step.ravel()[flat]
    drop = (state.drops_unprofitable[suppliers] & (state.recent_value[buyers] < 0)
            & (tenure >= b.drop_min_tenure))
    end_relationships(state, flat[drop], Cause.DROPPED_UNPROFITABLE, log, tick.step, bar=True)
    tick.count("dropped", drop.sum())


def transition(state: MarketState, scenario: Scenario, rng: np.random.Generator, tick: Tick,
               log: EventLog) -> None:
    open_and_switch(state, scenario, tick, log)
    progress(state, scenario, rng, tick, log)
    drop_unprofitable(state, scenario, tick, log)
