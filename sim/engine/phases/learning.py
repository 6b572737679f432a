"""Phase 6 of 9 (docs/ODD.md §7.6): learning. Trust (asymmetric, Slovic 1993; Morgan & Hunt 1994 drivers),
commitment (Morgan & Hunt 1994), preference J (Weisbuch, Kirman & Herreiner 2000) and the
loyalty index L (Kirman & Vriend 2001)."""

from __future__ import annotations

import numpy as np

from sim.config import Scenario
from sim.engine.state import PAIR_FLOAT, MarketState
from sim.engine.tick import Tick


def update_trust(trust: np.ndarray, evidence: np.ndarray, gain: float, loss: float) -> np.ndarray:
    """T + gain*e*(1-T) for good evidence, T + loss*e*T for bad: with loss > gain trust is
    lost faster than it is gained."""
    return np.where(evidence >= 0, trust + gain * evidence * (1.0 - trust), trust + loss * evidence * trust)


def cultural_distance(state: MarketState, buyers: np.ndarray, suppliers: np.ndarray) -> np.ndarray:
    return np.abs(state.cultural_position[buyers] - state.supplier_position[suppliers])


def learn(state: MarketState, scenario: Scenario, rng: np.random.Generator, tick: Tick) -> None:
    """Reads the served orders' evidence, contact, price and adaptations; writes trust,
    commitment, preference J, loyalty L and the last price paid. Rationed orders are
    evidence -1 against the supplier that turned the buyer away."""
    b, mech = scenario.behaviour, scenario.mechanisms
    S = state.n_suppliers
    loss = b.trust_loss if mech.asymmetric_trust else b.trust_gain
    buyers, suppliers, flat = tick.served_orders(S)
    trust = update_trust(np.take(state.trust.ravel(), flat).astype(float), tick.evidence, b.trust_gain, loss)
    trust += b.communication_gain * tick.contact * (1.0 - trust)
    shared_values = 1.0 - cultural_distance(state, buyers, suppliers)
    trust += b.shared_values_gain * shared_values * (1.0 - trust)
    # Opportunism: a price rise on a buyer already buying from the supplier (Klemperer's
    # harvesting of locked-in customers) erodes trust.
    served = tick.served
    price = tick.price[served] if not served.all() else tick.price
    repeat = ~(tick.opening[served] if not served.all() else tick.opening)
    last = np.take(state.price_paid.ravel(), flat)  # float32, compared as it is (promoted exactly)
    # worked out only where the price went up (few orders): elsewhere the rise is 0 and
    # subtracting 0 x trust leaves trust exactly as it is
    up = np.flatnonzero(repeat & (last > 0) & (price > last))
    paid = last[up].astype(float)
    rise = (price[up] - paid) / paid
    rise[rise < 1e-6] = 0.0  # the float32 record of the last price is no rise
    trust[up] -= b.opportunism_loss * rise * trust[up]
    trust = np.clip(trust, 0.0, 1.0)
    # float64 values are cast to the pair arrays' float32 before the scatter (astype is the
    # same rounding; numpy's fancy assignment converts element by element, 3x slower)
    state.trust.ravel()[flat] = trust.astype(PAIR_FLOAT)
    state.price_paid.ravel()[flat] = price.astype(np.float32)
    main = tick.main[served] if not served.all() else tick.main
    state.last_price_paid[buyers[main]] = price[main]
    rationed = ~tick.served
    if rationed.any():
        rflat = tick.buyers[rationed] * S + tick.suppliers[rationed]
        state.trust.ravel()[rflat] = np.clip(update_trust(
            np.take(state.trust.ravel(), rflat), np.float32(-1.0), b.trust_gain, loss), 0, 1)

    termination = np.zeros(len(flat))
    sunk = np.take(state.adaptation.ravel(), flat)
    if mech.switching_costs:
        sunk = sunk + state.switching_cost[buyers] * state.switching_cost_scale
    termination = -np.expm1(-sunk / b.termination_cost_scale)
    performance_benefit = np.clip((tick.performance - b.problem_threshold)
                                  / max(1e-9, 1.0 - b.problem_threshold), 0.0, 1.0)
    # relationship benefits: what the delivery is worth above a problem, and what the
    # retention programme adds, combined as 1 - (1 - p)(1 - r): each fills part of what the
    # other leaves, so a better programme always adds where delivery leaves room, and the
    # driver stays within [0, 1] without a clip that would make more benefit worth nothing
    programme = -np.expm1(-(tick.treated * state.retention_spend[suppliers] * state.retention_benefit[suppliers]))
    benefits = 1.0 - (1.0 - performance_benefit) * (1.0 - programme)
    drivers = (b.commitment_from_trust * trust + b.commitment_from_termination_cost * termination
               + b.commitment_from_benefits * benefits
               + b.commitment_from_shared_values * shared_values)
    commitment = np.take(state.commitment.ravel(), flat)
    state.commitment.ravel()[flat] = np.clip(
        (1 - b.commitment_rate) * commitment + b.commitment_rate * drivers, 0.0, 1.0).astype(PAIR_FLOAT)

    # WKH: J <- (1 - gamma) J + pi, pi the buyer's surplus per unit from this transaction.
    state.preference *= np.float32(1.0 - b.preference_memory_loss)
    payoff = state.willingness_to_pay[buyers] * tick.performance - price
    state.preference.ravel()[flat] += payoff.astype(np.float32)
    tick.buyer_payoff = payoff
    # Kirman & Vriend: L <- L/(1 + alpha) + alpha/(1 + alpha) [visited].
    state.loyalty *= np.float32(1.0 / (1.0 + b.loyalty_alpha))
    state.loyalty.ravel()[flat] += np.float32(b.loyalty_alpha / (1.0 + b.loyalty_alpha))
