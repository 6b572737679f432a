"""Phase 8 of 9 (docs/ODD.md §7.8): economics. Revenue, cost of goods, cost to serve by Kotler level (lower in
habitual relationships), retention, adaptation, key-account and acquisition spend, late
payments; profit per supplier; customer net value; buyer surplus."""

from __future__ import annotations

import numpy as np

from sim.config import Scenario
from sim.config.strategies import PARTNERSHIP
from sim.engine.state import MarketState, Stage
from sim.engine.tick import Tick

#: The per-supplier money flows of a step, in the order the supplier series reports them.
ACCOUNTS = ("volume", "revenue", "cost_of_goods", "cost_to_serve", "retention_spend",
            "adaptation_spend", "late_payment_cost", "key_account_cost", "acquisition_spend",
            "profit", "buyer_spend", "buyer_surplus", "customers", "unserved_volume",
            "introductory_discount")


def invest_in_adaptations(state: MarketState, scenario: Scenario, buyers: np.ndarray,
                          suppliers: np.ndarray, flat: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """Seed 004: partners make relationship-specific adaptations only once they expect
    long-term profit, i.e. commitment has reached ``adaptation_commitment``. Partnership
    invests jointly with the customer: the stock grows twice as fast for the same spend.
    Writes the adaptation stock; returns the supplier's spend per order."""
    b = scenario.behaviour
    if not scenario.mechanisms.adaptations:
        return np.zeros(len(flat))
    invest = state.adaptation_investment[suppliers]
    spend = np.zeros(len(flat))
    # the pair arrays are read only for the orders of investing suppliers in the stages
    # that adapt; the others add nothing and spend nothing
    stage = np.take(state.stage.ravel(), flat)
    candidates = np.flatnonzero(treated & (invest > 0) & (stage >= Stage.DEVELOPMENT)
                                & (stage <= Stage.FINAL))
    at = flat[candidates]
    stock = np.take(state.adaptation.ravel(), at)
    eligible = (np.take(state.commitment.ravel(), at) >= b.adaptation_commitment) & (stock < b.adaptation_ceiling)
    candidates, at, stock = candidates[eligible], at[eligible], stock[eligible]
    joint = np.where(state.level[suppliers[candidates]] == PARTNERSHIP, b.joint_investment_factor, 1.0)
    added = np.minimum(invest[candidates] * joint, b.adaptation_ceiling - stock)
    state.adaptation.ravel()[at] = stock + added
    spend[candidates] = added / joint * b.cost_per_adaptation
    return spend


def new_accounts(state: MarketState, tick: Tick, flat: np.ndarray) -> np.ndarray:
    """Per served order (pairs at ``flat``): whether it opened an account the buyer never had
    with the supplier, its first order (the stages phase has counted it). Setting up an
    account (sales time, qualification, onboarding) is paid once per buyer and supplier; a
    former customer won back re-orders on the account it has."""
    served = tick.served
    opening = tick.opening[served] if not served.all() else tick.opening
    return opening & (np.take(state.orders.ravel(), flat) == 1)


def account(state: MarketState, scenario: Scenario, rng: np.random.Generator, tick: Tick) -> None:
    """Reads the served orders and each supplier's policies; writes customer net value,
    recent value, cumulative profit and ``tick.supplier_accounts``."""
    b = scenario.behaviour
    S = state.n_suppliers
    served = tick.served
    buyers, suppliers, flat = tick.served_orders(S)
    volume = tick.volume[served]
    price = tick.price[served]  # the list price, or the introductory price of an offer
    revenue = price * volume
    cost_of_goods = state.unit_cost[suppliers] * volume
    late = rng.random(state.n_buyers)[buyers] >= state.payment_reliability[buyers]
    late_cost = late * b.late_payment_cost * revenue
    level_cost = np.asarray(b.level_costs)[tick.level]
    stage = np.take(state.stage.ravel(), flat)
    habitual = ((stage == Stage.LONG_TERM) | (stage == Stage.FINAL)) & scenario.mechanisms.habitual_cost_saving
    cost_to_serve = (level_cost * b.cost_to_serve_scale * state.cost_to_serve[buyers]
                     * (1.0 - b.habitual_cost_discount * habitual))
    retention = state.retention_spend[suppliers] * tick.treated
    adaptation = invest_in_adaptations(state, scenario, buyers, suppliers, flat, tick.treated)
    net = revenue - cost_of_goods - late_cost - cost_to_serve - retention - adaptation
    state.net_value.ravel()[flat] += net.astype(np.float32)
    # the recent value a supplier reviews is the main supplier's (``current``)
    main = tick.main[served] if not served.all() else tick.main
    mb = buyers[main]
    state.recent_value[mb] = (1 - b.value_memory) * state.recent_value[mb] + b.value_memory * net[main]

    def per_supplier(values: np.ndarray) -> np.ndarray:
        return np.bincount(suppliers, weights=values, minlength=S)

    key_account_cost = np.where(state.active & scenario.mechanisms.key_accounts,
                                state.key_account_managers * b.key_account_manager_cost, 0.0)
    accounts = {
        "volume": per_supplier(volume),
        "revenue": per_supplier(revenue),
        "cost_of_goods": per_supplier(cost_of_goods),
        "cost_to_serve": per_supplier(cost_to_serve),
        "retention_spend": per_supplier(retention),
        "adaptation_spend": per_supplier(adaptation),
        "late_payment_cost": per_supplier(late_cost),
        "key_account_cost": key_account_cost,
        # prospecting (awareness phase) plus opening the accounts won this step
        "acquisition_spend": tick.acquisition_cost + per_supplier(
            b.cost_per_new_customer * state.demand[buyers] * new_accounts(state, tick, flat)),
        "customers": np.bincount(suppliers, minlength=S).astype(float),
        # the buyers' side, computed from the buyers' own quantities (the money check)
        "buyer_spend": per_supplier(tick.price[served] * tick.volume[served]),
        # revenue forgone on introductory offers (already out of revenue): part of what
        # winning a customer costs
        "introductory_discount": per_supplier((state.price[suppliers] - price) * volume),
        "buyer_surplus": per_supplier(tick.buyer_payoff * volume),
        "unserved_volume": np.bincount(tick.suppliers[~served], weights=tick.volume[~served],
                                       minlength=S),
    }
    accounts["profit"] = (accounts["revenue"] - accounts["cost_of_goods"] - accounts["cost_to_serve"]
                          - accounts["retention_spend"] - accounts["adaptation_spend"]
                          - accounts["late_payment_cost"] - key_account_cost
                          - accounts["acquisition_spend"])
    state.cumulative_profit += accounts["profit"]
    state.review_profit += accounts["profit"]
    tick.supplier_accounts = accounts
