"""Phase 6 of 9 (docs/ODD.md §7.6): learning. Trust (asymmetric, Slovic 1993; Morgan & Hunt 1994 drivers),
commitment (Morgan & Hunt 1994), preference J (Weisbuch, Kirman & Herreiner 2000) and the
loyalty index L (Kirman & Vriend 2001)."""

from __future__ import annotations

import numpy as np

from sim.config import Scenario
from sim.engine.compiled import jit
from sim.engine.state import MarketState
from sim.engine.tick import Tick


def update_trust(trust: np.ndarray, evidence: np.ndarray, gain: float, loss: float) -> np.ndarray:
    """T + gain*e*(1-T) for good evidence, T + loss*e*T for bad: with loss > gain trust is
    lost faster than it is gained."""
    return np.where(evidence >= 0, trust + gain * evidence * (1.0 - trust), trust + loss * evidence * trust)


def cultural_distance(state: MarketState, buyers: np.ndarray, suppliers: np.ndarray) -> np.ndarray:
    return np.abs(state.cultural_position[buyers] - state.supplier_position[suppliers])


@jit
def _clip(x, low, high):
    """np.clip(x, low, high) for a float: max(x, low) then min(., high) as numpy's loop takes
    them (the second operand unless the first is larger / smaller, a NaN kept)."""
    x = x if (x > low or x != x) else low
    return x if (x < high or x != x) else high


@jit
def _exponent_arguments(adaptation, flat, buyers, suppliers, switching, switching_cost, switching_scale,
                        termination_scale, treated, retention_spend, retention_benefit):
    """The arguments of the two exponentials of the commitment drivers, per served order, in
    one (2, orders) float64 array for numpy's expm1: row 0 -sunk/termination_scale with
    sunk = adaptation + switching cost x scale (only where ``switching``: adaptations alone are
    float32, and ``learn`` works their row out in numpy), row 1 -[treated] x retention spend x
    retention benefit. Fuses the gathers (adaptation, the buyer's switching cost, the
    supplier's programme) and the products, with one temporary instead of six."""
    n = len(flat)
    arguments = np.empty((2, n))
    for i in range(n):
        if switching:
            sunk = np.float64(adaptation[flat[i]]) + switching_cost[buyers[i]] * switching_scale
            arguments[0, i] = -sunk / termination_scale
        else:
            arguments[0, i] = 0.0
        s = suppliers[i]
        arguments[1, i] = -(((1.0 if treated[i] else 0.0) * retention_spend[s]) * retention_benefit[s])
    return arguments


@jit
def _learn_orders(flat, buyers, suppliers, evidence, contact, price, opening, main, performance,
                  expm1_sunk, expm1_programme, trust, price_paid, last_price_paid, commitment,
                  preference, loyalty, cultural_position, supplier_position, willingness_to_pay,
                  gain, loss, communication_gain, shared_values_gain, opportunism_loss,
                  problem_threshold, benefit_scale, from_trust, from_termination, from_benefits,
                  from_shared_values, keep, rate, visit):
    """``learn``'s per-order pass (its docstring gives the formulas), in the precision numpy
    worked in: trust and the drivers in float64, (1 - rate) x C in float32 (``keep``), the
    termination cost -expm1(-sunk/scale) in the dtype of ``expm1_sunk`` (``from_termination``
    has it too), the payoff cast to float32 before it is added to J (J and L decayed by
    numpy before). Fuses what were the gathers of trust, last price, commitment, the buyer's
    and supplier's positions and willingness to pay, a dozen whole-vector operations with
    their temporaries, and the scatters of trust, price paid, last price paid (main orders),
    commitment, J and L: each order's pair is its own (the flat indices are distinct), so
    the orders' read-modify-writes do not meet. Returns the buyer's payoff per order."""
    n = len(flat)
    payoff = np.empty(n)
    for i in range(n):
        f = flat[i]
        k = buyers[i]
        s = suppliers[i]
        t = np.float64(trust[f])
        e = evidence[i]
        if e >= 0:
            t = t + gain * e * (1.0 - t)
        else:
            t = t + loss * e * t
        t = t + communication_gain * (1.0 if contact[i] else 0.0) * (1.0 - t)
        shared = 1.0 - abs(cultural_position[k] - supplier_position[s])
        t = t + shared_values_gain * shared * (1.0 - t)
        # Opportunism: a price rise on a buyer already buying from the supplier (Klemperer's
        # harvesting of locked-in customers) erodes trust. The float32 record of the last
        # price is compared as it is (promoted exactly); a rise below 1e-6 is its rounding.
        p = price[i]
        last = price_paid[f]
        if not opening[i] and last > 0 and p > last:
            paid = np.float64(last)
            rise = (p - paid) / paid
            if rise < 1e-6:
                rise = 0.0
            t = t - opportunism_loss * rise * t
        t = _clip(t, 0.0, 1.0)
        trust[f] = np.float32(t)  # trust goes on in float64 into the drivers
        price_paid[f] = np.float32(p)
        if main[i]:
            last_price_paid[k] = p
        # relationship benefits: what the delivery is worth above a problem, and what the
        # retention programme adds, combined as 1 - (1 - p)(1 - r): each fills part of what
        # the other leaves, so a better programme always adds where delivery leaves room, and
        # the driver stays within [0, 1] without a clip that would make more benefit worth nothing
        fine = _clip((performance[i] - problem_threshold) / benefit_scale, 0.0, 1.0)
        benefits = 1.0 - (1.0 - fine) * (1.0 - (-expm1_programme[i]))
        drivers = (from_trust * t + from_termination * (-expm1_sunk[i]) + from_benefits * benefits
                   + from_shared_values * shared)
        c = np.float64(keep * commitment[f]) + rate * drivers
        commitment[f] = np.float32(_clip(c, 0.0, 1.0))
        # WKH: J <- (1 - gamma) J + pi, pi the buyer's surplus per unit from this transaction;
        # Kirman & Vriend: L <- L/(1 + alpha) + alpha/(1 + alpha) [visited]
        pay = willingness_to_pay[k] * performance[i] - p
        payoff[i] = pay
        preference[f] = preference[f] + np.float32(pay)
        loyalty[f] = loyalty[f] + visit
    return payoff


def learn(state: MarketState, scenario: Scenario, rng: np.random.Generator, tick: Tick) -> None:
    """Reads the served orders' evidence, contact, price and adaptations; writes trust,
    commitment, preference J, loyalty L and the last price paid. Rationed orders are
    evidence -1 against the supplier that turned the buyer away.

    Per served order (T trust, e evidence, all in float64 until stored as float32):

        T <- T + gain*e*(1-T) if e >= 0 else T + loss*e*T      (``update_trust``)
        T <- T + communication_gain*[contact]*(1-T)
        T <- T + shared_values_gain*v*(1-T),  v = 1 - |cultural position - supplier position|
        T <- T - opportunism_loss*rise*T   on a repeat order whose price rose above the last
                                           price paid, rise = (price - last)/last (0 below 1e-6)
        T <- clip(T, 0, 1)
        C <- clip((1 - rate)*C + rate*(w_T*T + w_K*(1 - exp(-sunk/scale)) + w_B*B + w_V*v), 0, 1)
             sunk = adaptation (+ switching cost x its scale), B = 1 - (1 - p)(1 - r),
             p = clip((performance - problem threshold)/(1 - problem threshold), 0, 1),
             r = 1 - exp(-[treated]*retention spend*retention benefit)
        J <- (1 - gamma)*J + (willingness to pay*performance - price)    (every pair decays)
        L <- L/(1 + alpha) + alpha/(1 + alpha)*[visited]                 (every pair decays)
    """
    b, mech = scenario.behaviour, scenario.mechanisms
    S = state.n_suppliers
    loss = b.trust_loss if mech.asymmetric_trust else b.trust_gain
    buyers, suppliers, flat = tick.served_orders(S)
    served = tick.served
    every = served.all()
    price = tick.price if every else tick.price[served]
    opening = tick.opening if every else tick.opening[served]
    main = tick.main if every else tick.main[served]
    # the exponentials stay numpy's (its own vectorised expm1), worked out on the orders
    # before the kernel, in place on the arguments a compiled loop gathers
    exponentials = _exponent_arguments(
        state.adaptation.ravel(), flat, buyers, suppliers, bool(mech.switching_costs), state.switching_cost,
        float(state.switching_cost_scale), float(b.termination_cost_scale), tick.treated,
        state.retention_spend, state.retention_benefit)
    np.expm1(exponentials, out=exponentials)
    expm1_sunk, expm1_programme = exponentials
    if not mech.switching_costs:
        # adaptations alone are float32, and so is their termination cost
        expm1_sunk = np.expm1(-np.take(state.adaptation.ravel(), flat) / b.termination_cost_scale)
    # J and L decay on every pair (numpy's in-place multiply: one streaming pass, which a
    # compiled pass over the pairs that also adds the orders' terms did not beat); the
    # kernel adds the served orders' terms
    state.preference *= np.float32(1.0 - b.preference_memory_loss)
    state.loyalty *= np.float32(1.0 / (1.0 + b.loyalty_alpha))
    tick.buyer_payoff = _learn_orders(
        flat, buyers, suppliers, tick.evidence, tick.contact, price, opening, main, tick.performance,
        expm1_sunk, expm1_programme, state.trust.ravel(), state.price_paid.ravel(), state.last_price_paid,
        state.commitment.ravel(), state.preference.ravel(), state.loyalty.ravel(),
        state.cultural_position, state.supplier_position, state.willingness_to_pay,
        float(b.trust_gain), float(loss), float(b.communication_gain), float(b.shared_values_gain),
        float(b.opportunism_loss), float(b.problem_threshold), float(max(1e-9, 1.0 - b.problem_threshold)),
        float(b.commitment_from_trust), expm1_sunk.dtype.type(b.commitment_from_termination_cost),
        float(b.commitment_from_benefits), float(b.commitment_from_shared_values),
        np.float32(1 - b.commitment_rate), float(b.commitment_rate),
        np.float32(b.loyalty_alpha / (1.0 + b.loyalty_alpha)))
    rationed = ~served
    if rationed.any():
        rflat = tick.buyers[rationed] * S + tick.suppliers[rationed]
        state.trust.ravel()[rflat] = np.clip(update_trust(
            np.take(state.trust.ravel(), rflat), np.float32(-1.0), b.trust_gain, loss), 0, 1)
