"""Phases 5 and 6: satisfaction by expectation disconfirmation (Oliver 1980), then
complaints and recovery by Kotler's level, the key-client loss cycle's escalation (seed
003), noticing drifted needs, and proactive offers that raise share of wallet."""

from __future__ import annotations

import numpy as np

from ..scenario import Scenario
from ..state import MarketState
from ..strategies import ACCOUNTABLE, PARTNERSHIP, PROACTIVE, REACTIVE
from .delivery import treatment_level
from .tick import Tick


def serve(state: MarketState, scenario: Scenario, rng: np.random.Generator, tick: Tick) -> None:
    """Reads performance and expectations of the served orders; writes expectation,
    dissatisfaction, escalation, last problem step, drift gap, wallet share, and the
    trust evidence (``tick.evidence``) and contact flags the learning phase uses.

    Evidence = clip(scale*(performance - expectation + tolerance), -1, 1): a shortfall
    inside the zone of tolerance still confirms the supplier. Basic suppliers answer
    nothing; reactive ones resolve voiced complaints; accountable ones also find silent
    dissatisfaction by follow-up; proactive ones also notice drifting needs and offer
    improvements; partnership solves problems jointly (higher recovery probability)."""
    b, mech = scenario.behaviour, scenario.mechanisms
    served = tick.served
    buyers, suppliers = tick.buyers[served], tick.suppliers[served]
    flat = buyers * state.n_suppliers + suppliers
    perf = tick.performance
    expectation = state.expectation.ravel()[flat].astype(float)
    shortfall = expectation - perf
    dissatisfaction = np.maximum(0.0, shortfall - b.tolerance_zone)
    evidence = np.clip(b.disconfirmation_scale * (b.tolerance_zone - shortfall), -1.0, 1.0)
    level, treated = treatment_level(state, buyers, suppliers)
    unhappy = tick.problem | (dissatisfaction > 0)
    recovered = np.zeros(len(flat), bool)
    # per-buyer draws (one column per use), so a buyer meets the same luck in every
    # alternative of a comparison
    draws = rng.random((4, state.n_buyers))[:, buyers]
    if mech.service_recovery:
        voiced = unhappy & (draws[0] < state.complaint_propensity[buyers])
        silent = unhappy & ~voiced
        found_silent = silent & (level >= ACCOUNTABLE) & (draws[1] < b.followup_detection)
        known = (voiced & (level >= REACTIVE)) | found_silent
        p_fix = np.where(level == PARTNERSHIP, b.partnership_recovery_probability,
                         b.recovery_probability)
        recovered = known & (draws[2] < p_fix)
        evidence[recovered] = np.maximum(evidence[recovered], b.recovery_evidence)
        dissatisfaction[recovered] = 0.0
        tick.count("complaints", voiced.sum())
        tick.count("silent_dissatisfied", silent.sum())
        tick.count("recovered", recovered.sum())
        tick.count("recovered_silent", (recovered & found_silent).sum())
    if mech.escalation:
        unresolved = tick.problem & ~recovered
        escalation = state.escalation.ravel()[flat].astype(np.int16)
        repeated = unresolved & (tick.step - state.last_problem.ravel()[flat] <= b.escalation_window)
        escalation += repeated
        escalation -= recovered & (escalation > 0)
        state.escalation.ravel()[flat] = np.minimum(escalation, 127)
        state.last_problem.ravel()[flat[unresolved]] = tick.step
        tick.count("escalations", repeated.sum())
    state.dissatisfaction[buyers] = dissatisfaction
    if mech.expectation_adaptation:
        state.expectation.ravel()[flat] = expectation + b.expectation_rate * (perf - expectation)
    attentive = (level >= PROACTIVE) | state.key_account[buyers]
    if mech.complacency:
        noticed = attentive & (draws[3] < b.drift_notice_probability)
        state.drift_gap.ravel()[flat[noticed]] = 0.0
    staying = tick.previous_current[buyers] == suppliers
    wallet = np.where(staying, state.wallet_share[buyers], b.base_wallet_share)
    state.wallet_share[buyers] = np.minimum(1.0, wallet + b.wallet_share_gain * (level >= PROACTIVE))
    tick.evidence = evidence
    tick.contact = (level >= ACCOUNTABLE) | state.key_account[buyers]
    tick.treated = treated
    tick.level = level
