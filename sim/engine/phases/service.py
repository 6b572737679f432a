"""Phase 5 of 9 (docs/ODD.md §7.5): satisfaction by expectation disconfirmation (Oliver 1980), then
complaints and recovery by Kotler's level, the key-client loss cycle's escalation (seed
003), noticing drifted needs, and proactive offers that raise share of wallet."""

from __future__ import annotations

import numpy as np

from sim.config import Scenario
from sim.config.strategies import ACCOUNTABLE, PARTNERSHIP, PROACTIVE, REACTIVE
from sim.engine.phases.delivery import treatment_level
from sim.engine.state import PAIR_FLOAT, MarketState
from sim.engine.tick import Tick


def rescue_escalated(state: MarketState, scenario: Scenario, tick: Tick, flat: np.ndarray,
                     level: np.ndarray, key_account: np.ndarray, lucky: np.ndarray,
                     escalation: np.ndarray | None = None) -> None:
    """The key-client loss cycle (seed 003): repeated problems (escalation 1), open
    dissatisfaction (``warning_escalation``, 2: the client's staff warn others and monitor
    failures), pressure to change supplier, an ultimatum (one level below
    ``escalation_exit_level``), then arbitration and exit. A supplier catches the client in
    time only if it hears it: an attentive one (accountable level and above, or a
    key-account manager) sees the open dissatisfaction on its follow-up, a reactive one
    hears only the ultimatum, a basic one nothing. Caught, the dispute is settled with
    ``escalation_rescue_probability`` (the ``lucky`` orders): escalation back to 0, the
    problem record and the unnoticed drift that caused it cleared. ``escalation``, the
    pairs' escalation now, may be handed in by a caller that has it."""
    b = scenario.behaviour
    if escalation is None:
        escalation = np.take(state.escalation.ravel(), flat)
    hears = np.where((level >= ACCOUNTABLE) | key_account,
                     escalation >= b.warning_escalation,
                     (level >= REACTIVE) & (escalation >= b.escalation_exit_level - 1))
    settled = flat[hears & lucky]
    state.escalation.ravel()[settled] = 0
    state.last_problem.ravel()[settled] = -10_000
    state.drift_gap.ravel()[settled] = 0.0
    tick.count("rescued", len(settled))


def serve(state: MarketState, scenario: Scenario, rng: np.random.Generator, tick: Tick) -> None:
    """Reads performance and expectations of the served orders; writes expectation,
    dissatisfaction, escalation, last problem step, drift gap, and the
    trust evidence (``tick.evidence``) and contact flags the learning phase uses.

    Evidence = clip(scale*(performance - expectation + tolerance), -1, 1): a shortfall
    inside the zone of tolerance still confirms the supplier. Basic suppliers answer
    nothing; reactive ones resolve voiced complaints; accountable ones also find silent
    dissatisfaction by follow-up; proactive ones also notice drifting needs and offer
    improvements; partnership solves problems jointly (higher recovery probability).
    Escalation eases one level after each ``calm_steps_to_ease`` steps without a problem."""
    b, mech = scenario.behaviour, scenario.mechanisms
    buyers, suppliers, flat = tick.served_orders(state.n_suppliers)
    perf = tick.performance
    expectation = np.take(state.expectation.ravel(), flat).astype(float)
    shortfall = expectation - perf
    dissatisfaction = np.maximum(0.0, shortfall - b.tolerance_zone)
    evidence = np.clip(b.disconfirmation_scale * (b.tolerance_zone - shortfall), -1.0, 1.0)
    level, treated = treatment_level(state, buyers, suppliers, tick.key_account)
    unhappy = tick.problem | (dissatisfaction > 0)
    recovered = np.zeros(len(flat), bool)
    # per-buyer draws (one row per use), so a buyer meets the same luck in every
    # alternative of a comparison; each use reads its row only where it matters
    draws = rng.random((5, state.n_buyers))

    def chance(use: int, where: np.ndarray, p) -> np.ndarray:
        """Whether the draws of ``use`` fall below ``p`` (a number, or a function giving
        it for the orders at the positions it is handed) for the orders flagged in ``where``."""
        hit = np.zeros(len(flat), bool)
        at = np.flatnonzero(where)
        hit[at] = draws[use, buyers[at]] < (p(at) if callable(p) else p)
        return hit

    if mech.service_recovery:
        voiced = chance(0, unhappy, lambda at: state.complaint_propensity[buyers[at]])
        silent = unhappy & ~voiced
        found_silent = chance(1, silent & (level >= ACCOUNTABLE), b.followup_detection)
        known = (voiced & (level >= REACTIVE)) | found_silent
        recovered = chance(2, known, lambda at: np.where(
            level[at] == PARTNERSHIP, b.partnership_recovery_probability, b.recovery_probability))
        evidence[recovered] = np.maximum(evidence[recovered], b.recovery_evidence)
        dissatisfaction[recovered] = 0.0
        state.complained.ravel()[flat[voiced]] = True
        tick.count("complaints", voiced.sum())
        tick.count("silent_dissatisfied", silent.sum())
        tick.count("recovered", recovered.sum())
        tick.count("recovered_silent", (recovered & found_silent).sum())
    if mech.escalation:
        # only problems and recoveries move the escalation ladder
        unresolved = tick.problem & ~recovered
        moved = np.flatnonzero(unresolved | recovered)
        at = flat[moved]
        escalation = np.take(state.escalation.ravel(), at).astype(np.int16)
        repeated = unresolved[moved] & (tick.step - np.take(state.last_problem.ravel(), at) <= b.escalation_window)
        escalation += repeated
        escalation -= recovered[moved] & (escalation > 0)
        state.escalation.ravel()[at] = np.minimum(escalation, 127)
        state.last_problem.ravel()[flat[unresolved]] = tick.step
        tick.count("escalations", repeated.sum())
        # tension eases by one level for every calm spell without a problem; the served
        # pairs' escalation is gathered once and kept in step with the write (each served
        # pair appears once in ``flat``), not gathered again for the rescue
        escalation = np.take(state.escalation.ravel(), flat)
        tense = np.flatnonzero(escalation > 0)
        calm = tick.step - state.last_problem.ravel()[flat[tense]]
        cooling = tense[(calm > 0) & (calm % b.calm_steps_to_ease == 0)]
        state.escalation.ravel()[flat[cooling]] -= 1
        escalation[cooling] -= 1
        rescue_escalated(state, scenario, tick, flat, level, tick.key_account,
                         chance(4, escalation > 0, b.escalation_rescue_probability), escalation)
    # a multi-sourcing buyer is as dissatisfied as its worst delivery this step
    state.dissatisfaction[buyers] = 0.0
    np.maximum.at(state.dissatisfaction, buyers, dissatisfaction)
    if mech.expectation_adaptation:
        # Expectations learn what the supplier's offer delivers; the unnoticed drift of the
        # buyer's needs is a shortfall against those needs, felt as dissatisfaction and lost
        # trust, not a lower standard the buyer comes to accept.
        offer = perf + np.take(state.drift_gap.ravel(), flat)
        # cast before the scatter: the same rounding, 3x faster than fancy assignment's own
        state.expectation.ravel()[flat] = (expectation + b.expectation_rate * (offer - expectation)).astype(PAIR_FLOAT)
    attentive = (level >= PROACTIVE) | tick.key_account
    if mech.complacency:
        noticed = chance(3, attentive, b.drift_notice_probability)
        state.drift_gap.ravel()[flat[noticed]] = 0.0
    tick.evidence = evidence
    tick.contact = (level >= ACCOUNTABLE) | tick.key_account
    tick.treated = treated
    tick.level = level
