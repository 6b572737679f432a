"""Phase 5 of 9 (docs/ODD.md §7.5): satisfaction by expectation disconfirmation (Oliver 1980), then
complaints and recovery by Kotler's level, the key-client loss cycle's escalation (seed
003), noticing drifted needs, and proactive offers that raise share of wallet."""

from __future__ import annotations

import numpy as np

from sim.config import Scenario
from sim.config.strategies import ACCOUNTABLE, BASIC, PARTNERSHIP, PROACTIVE, REACTIVE
from sim.engine.compiled import jit
from sim.engine.state import MarketState
from sim.engine.tick import Tick

#: positions of the event counters in the kernel's ``counts``, in the order they are counted
_COUNTERS = ("complaints", "silent_dissatisfied", "recovered", "recovered_silent", "escalations",
             "rescued")


@jit
def _maximum(a, b):
    """np.maximum's choice: the first unless the second is larger (a NaN first stays)."""
    return a if (a >= b or a != a) else b


@jit
def _steps_since(step, then):
    """``step - then`` as numpy works it out for a Python int and an int16 array: in int16."""
    return np.int16(step - np.int64(then))


@jit
def _serve_orders(buyers, suppliers, flat, performance, problem, key_account, draws, step,
                  supplier_level, key_accounts_only, complaint_propensity,
                  expectation, complained, escalation, last_problem, drift_gap, dissatisfaction,
                  tolerance_zone, disconfirmation_scale, followup_detection, recovery_probability,
                  partnership_recovery_probability, recovery_evidence, escalation_window,
                  calm_steps_to_ease, warning_escalation, escalation_exit_level,
                  escalation_rescue_probability, expectation_rate, drift_notice_probability,
                  service_recovery, escalating, expectation_adaptation, complacency,
                  evidence, level, treated, contact, counts):
    """The whole phase for each served order, one pass: disconfirmation, the treatment
    level (delivery.treatment_level's rule), complaint and recovery, the escalation ladder,
    its easing and the rescue, the buyer's dissatisfaction (its worst delivery), the
    expectation update and noticed drift. Fuses what numpy did as a gather and a scatter
    per pair array and a temporary per intermediate value; each order's pair is its own
    (each served pair appears once in ``flat``), so doing every step for one order before
    the next gives what whole-vector steps gave. The draws are numpy's, handed in."""
    # a multi-sourcing buyer is as dissatisfied as its worst delivery this step
    for i in range(len(buyers)):
        dissatisfaction[buyers[i]] = 0.0
    for i in range(len(buyers)):
        b, s, f = buyers[i], suppliers[i], flat[i]
        perf = performance[i]
        ka = key_account[i]
        e0 = np.float64(expectation[f])
        shortfall = e0 - perf
        dis = _maximum(0.0, shortfall - tolerance_zone)
        ev = min(max(disconfirmation_scale * (tolerance_zone - shortfall), -1.0), 1.0)
        # delivery.treatment_level: a segmented supplier treats only its key accounts
        t = (not key_accounts_only[s]) or ka
        lvl = supplier_level[s] if t else np.int64(BASIC)
        unhappy = problem[i] or dis > 0
        recovered = False
        if service_recovery:
            voiced = unhappy and draws[0, b] < complaint_propensity[b]
            silent = unhappy and not voiced
            found_silent = silent and lvl >= ACCOUNTABLE and draws[1, b] < followup_detection
            known = (voiced and lvl >= REACTIVE) or found_silent
            if known:
                p = partnership_recovery_probability if lvl == PARTNERSHIP else recovery_probability
                recovered = draws[2, b] < p
            if recovered:
                ev = _maximum(ev, recovery_evidence)
                dis = 0.0
            if voiced:
                complained[f] = True
                counts[0] += 1
            counts[1] += silent
            counts[2] += recovered
            counts[3] += recovered and found_silent
        if escalating:
            # only problems and recoveries move the escalation ladder
            unresolved = problem[i] and not recovered
            if unresolved or recovered:
                esc = np.int64(escalation[f])
                if unresolved and _steps_since(step, last_problem[f]) <= escalation_window:
                    esc += 1
                    counts[4] += 1
                if recovered and esc > 0:
                    esc -= 1
                escalation[f] = np.int8(min(esc, 127))
                if unresolved:
                    last_problem[f] = np.int16(step)
            # tension eases by one level for every calm spell without a problem
            if escalation[f] > 0:
                calm = np.int64(_steps_since(step, last_problem[f]))
                if calm > 0 and calm % calm_steps_to_ease == 0:
                    escalation[f] -= 1
            # The key-client loss cycle (seed 003): repeated problems (escalation 1), open
            # dissatisfaction (``warning_escalation``, 2: the client's staff warn others and
            # monitor failures), pressure to change supplier, an ultimatum (one level below
            # ``escalation_exit_level``), then arbitration and exit. A supplier catches the
            # client in time only if it hears it: an attentive one (accountable level and
            # above, or a key-account manager) sees the open dissatisfaction on its
            # follow-up, a reactive one hears only the ultimatum, a basic one nothing.
            # Caught, the dispute is settled with ``escalation_rescue_probability`` (the
            # lucky orders): escalation back to 0, the problem record and the unnoticed
            # drift that caused it cleared. (Written out here: a jit function called per
            # order with the arrays is not inlined, and the call costs.)
            e = np.int64(escalation[f])
            if e > 0 and draws[4, b] < escalation_rescue_probability:
                if lvl >= ACCOUNTABLE or ka:
                    hears = e >= warning_escalation
                else:
                    hears = lvl >= REACTIVE and e >= escalation_exit_level - 1
                if hears:
                    escalation[f] = 0
                    last_problem[f] = -10_000
                    drift_gap[f] = 0.0
                    counts[5] += 1
        dissatisfaction[b] = _maximum(dissatisfaction[b], dis)
        if expectation_adaptation:
            # Expectations learn what the supplier's offer delivers; the unnoticed drift of
            # the buyer's needs is a shortfall against those needs, felt as dissatisfaction
            # and lost trust, not a lower standard the buyer comes to accept.
            offer = perf + np.float64(drift_gap[f])
            expectation[f] = np.float32(e0 + expectation_rate * (offer - e0))
        attentive = lvl >= PROACTIVE or ka
        if complacency and attentive and draws[3, b] < drift_notice_probability:
            drift_gap[f] = 0.0
        evidence[i] = ev
        level[i] = lvl
        treated[i] = t
        contact[i] = lvl >= ACCOUNTABLE or ka


def serve(state: MarketState, scenario: Scenario, rng: np.random.Generator, tick: Tick) -> None:
    """Reads performance and expectations of the served orders; writes expectation,
    dissatisfaction, escalation, last problem step, drift gap, and the
    trust evidence (``tick.evidence``) and contact flags the learning phase uses.

    Evidence = clip(scale*(performance - expectation + tolerance), -1, 1): a shortfall
    inside the zone of tolerance still confirms the supplier. Basic suppliers answer
    nothing; reactive ones resolve voiced complaints; accountable ones also find silent
    dissatisfaction by follow-up; proactive ones also notice drifting needs and offer
    improvements; partnership solves problems jointly (higher recovery probability).
    Escalation eases one level after each ``calm_steps_to_ease`` steps without a problem.

    Each chance is a per-buyer draw (one row of ``draws`` per use: 0 complaint, 1 follow-up,
    2 recovery, 3 drift noticed, 4 rescue), so a buyer meets the same luck in every
    alternative of a comparison; each use reads its row only where it matters."""
    b, mech = scenario.behaviour, scenario.mechanisms
    buyers, suppliers, flat = tick.served_orders(state.n_suppliers)
    M = len(flat)
    draws = rng.random((5, state.n_buyers))
    evidence = np.empty(M)
    level = np.empty(M, np.int64)
    treated = np.empty(M, bool)
    contact = np.empty(M, bool)
    counts = np.zeros(len(_COUNTERS), np.int64)
    _serve_orders(buyers, suppliers, flat, tick.performance, tick.problem, tick.key_account, draws,
                  tick.step, state.level, state.key_accounts_only, state.complaint_propensity,
                  state.expectation.ravel(), state.complained.ravel(), state.escalation.ravel(),
                  state.last_problem.ravel(), state.drift_gap.ravel(), state.dissatisfaction,
                  b.tolerance_zone, b.disconfirmation_scale, b.followup_detection,
                  b.recovery_probability, b.partnership_recovery_probability, b.recovery_evidence,
                  b.escalation_window, b.calm_steps_to_ease, b.warning_escalation,
                  b.escalation_exit_level, b.escalation_rescue_probability, b.expectation_rate,
                  b.drift_notice_probability, mech.service_recovery, mech.escalation,
                  mech.expectation_adaptation, mech.complacency,
                  evidence, level, treated, contact, counts)
    counted = (_COUNTERS[:4] if mech.service_recovery else ()) + (_COUNTERS[4:] if mech.escalation else ())
    for name in counted:
        tick.count(name, counts[_COUNTERS.index(name)])
    tick.evidence = evidence
    tick.contact = contact
    tick.treated = treated
    tick.level = level
