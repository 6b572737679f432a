"""Phase 8 of 9 (docs/ODD.md §7.8): economics. Revenue, cost of goods, cost to serve by Kotler level (lower in
habitual relationships), retention, adaptation, key-account and acquisition spend, late
payments; profit per supplier; customer net value; buyer surplus."""

from __future__ import annotations

import numpy as np

from sim.config import Scenario
from sim.config.strategies import PARTNERSHIP
from sim.engine.compiled import jit
from sim.engine.state import MarketState, Stage
from sim.engine.tick import Tick

#: The per-supplier money flows of a step, in the order the supplier series reports them.
ACCOUNTS = ("volume", "revenue", "cost_of_goods", "cost_to_serve", "retention_spend",
            "adaptation_spend", "late_payment_cost", "key_account_cost", "acquisition_spend",
            "profit", "buyer_spend", "buyer_surplus", "customers", "unserved_volume",
            "introductory_discount")

#: the rows of the kernel's per-supplier sums
_SUMMED = ("volume", "revenue", "cost_of_goods", "cost_to_serve", "retention_spend",
           "adaptation_spend", "late_payment_cost", "new_accounts", "introductory_discount",
           "buyer_surplus", "unserved_volume")
(_VOLUME, _REVENUE, _COST_OF_GOODS, _COST_TO_SERVE, _RETENTION, _ADAPTATION, _LATE, _NEW,
 _INTRODUCTORY, _SURPLUS, _UNSERVED) = range(len(_SUMMED))


@jit
def _account_orders(order_suppliers, order_volume, order_price, served, main, opening,
                    buyers, flat, level, treated, buyer_payoff, late_draw,
                    payment_reliability, cost_to_serve, demand, unit_cost, list_price,
                    retention_spend, adaptation_investment, supplier_level, level_costs,
                    stage, orders, adaptation, commitment, net_value, recent_value,
                    late_payment_cost, cost_to_serve_scale, habitual_cost_saving,
                    habitual_cost_discount, adaptations, adaptation_commitment,
                    adaptation_ceiling, joint_investment_factor, cost_per_adaptation,
                    value_memory, cost_per_new_customer, sums, customers):
    """Each order's money, one pass over all orders (``served`` marks the served ones,
    ``j`` counts them: the served orders' arrays are aligned with them): revenue, cost of
    goods, late payment, cost to serve, retention, adaptation, the customer's net value and
    the main supplier's recent value, and every per-supplier sum. Fuses numpy's per-order
    gathers and scatters and a ``np.bincount`` per money flow; each sum adds in array order,
    as ``bincount`` does, so the sums are the same numbers."""
    j = 0
    for k in range(len(order_suppliers)):
        s = order_suppliers[k]
        volume = order_volume[k]
        if not served[k]:
            sums[_UNSERVED, s] += volume
            continue
        b, f = buyers[j], flat[j]
        price = order_price[k]  # the list price, or the introductory price of an offer
        revenue = price * volume
        cost_of_goods = unit_cost[s] * volume
        late = late_draw[b] >= payment_reliability[b]
        late_cost = (np.float64(late) * late_payment_cost) * revenue
        st = stage[f]
        habitual = (st == Stage.LONG_TERM or st == Stage.FINAL) and habitual_cost_saving
        serve_cost = (level_costs[level[j]] * cost_to_serve_scale * cost_to_serve[b]
                      * (1.0 - habitual_cost_discount * np.float64(habitual)))
        retention = retention_spend[s] * np.float64(treated[j])
        # Adaptations (seed 004): partners make relationship-specific adaptations only once
        # they expect long-term profit, i.e. commitment has reached ``adaptation_commitment``.
        # Partnership invests jointly with the customer: the stock grows twice as fast for
        # the same spend. The pair arrays are read only for the orders of investing
        # suppliers in the stages that adapt; the others add nothing and spend nothing.
        # (Written out here, not called: a jit function called per order with the arrays
        # was not inlined and cost more than the rest of the loop.)
        spend = 0.0
        invest = adaptation_investment[s]
        if (adaptations and treated[j] and invest > 0 and st >= Stage.DEVELOPMENT
                and st <= Stage.FINAL):
            stock = adaptation[f]
            # float32 comparisons and subtraction: numpy's, with the stock in float32; the
            # commitment is read only below the ceiling (most stocks reach it early)
            if stock < adaptation_ceiling and commitment[f] >= adaptation_commitment:
                joint = joint_investment_factor if supplier_level[s] == PARTNERSHIP else 1.0
                room = np.float64(adaptation_ceiling - stock)
                wanted = invest * joint
                added = wanted if (wanted <= room or wanted != wanted) else room  # np.minimum
                adaptation[f] = np.float32(np.float64(stock) + added)
                spend = added / joint * cost_per_adaptation
        net = revenue - cost_of_goods - late_cost - serve_cost - retention - spend
        net_value[f] += np.float32(net)
        # the recent value a supplier reviews is the main supplier's (``current``)
        if main[k]:
            recent_value[b] = (1 - value_memory) * recent_value[b] + value_memory * net
        sums[_VOLUME, s] += volume
        sums[_REVENUE, s] += revenue
        sums[_COST_OF_GOODS, s] += cost_of_goods
        sums[_COST_TO_SERVE, s] += serve_cost
        sums[_RETENTION, s] += retention
        sums[_ADAPTATION, s] += spend
        sums[_LATE, s] += late_cost
        # New accounts: an order opens an account the buyer never had with the supplier on
        # its first order (the stages phase has counted it). Setting up an account (sales
        # time, qualification, onboarding) is paid once per buyer and supplier; a former
        # customer won back re-orders on the account it has. The orders that open none
        # added cost x demand x 0 = +0.0, which changes no sum (a sum of finite terms from
        # +0.0 is never -0.0), so they skip the two reads.
        if opening[k] and orders[f] == 1:
            sums[_NEW, s] += cost_per_new_customer * demand[b]
        # revenue forgone on introductory offers (already out of revenue)
        sums[_INTRODUCTORY, s] += (list_price[s] - price) * volume
        sums[_SURPLUS, s] += buyer_payoff[j] * volume
        customers[s] += 1
        j += 1


def account(state: MarketState, scenario: Scenario, rng: np.random.Generator, tick: Tick) -> None:
    """Reads the served orders and each supplier's policies; writes customer net value,
    recent value, cumulative profit and ``tick.supplier_accounts``.

    Per served order: revenue = price x volume; late payment cost = late x
    ``late_payment_cost`` x revenue (late when the buyer's draw is at or above its payment
    reliability); cost to serve = level cost x ``cost_to_serve_scale`` x the buyer's cost to
    serve x (1 - ``habitual_cost_discount`` in long-term and final relationships); net value
    = revenue - cost of goods - late payment - cost to serve - retention - adaptation spend.
    Recent value (main supplier) <- (1 - m) recent + m net, m = ``value_memory``."""
    b, mech = scenario.behaviour, scenario.mechanisms
    S = state.n_suppliers
    buyers, _, flat = tick.served_orders(S)
    late_draw = rng.random(state.n_buyers)
    sums = np.zeros((len(_SUMMED), S))
    customers = np.zeros(S, np.int64)
    _account_orders(tick.suppliers, tick.volume, tick.price, tick.served, tick.main, tick.opening,
                    buyers, flat, tick.level, tick.treated, tick.buyer_payoff, late_draw,
                    state.payment_reliability, state.cost_to_serve, state.demand, state.unit_cost,
                    state.price, state.retention_spend, state.adaptation_investment, state.level,
                    np.asarray(b.level_costs, dtype=np.float64), state.stage.ravel(),
                    state.orders.ravel(), state.adaptation.ravel(), state.commitment.ravel(),
                    state.net_value.ravel(), state.recent_value,
                    b.late_payment_cost, b.cost_to_serve_scale, mech.habitual_cost_saving,
                    b.habitual_cost_discount, mech.adaptations, np.float32(b.adaptation_commitment),
                    np.float32(b.adaptation_ceiling), b.joint_investment_factor,
                    b.cost_per_adaptation, b.value_memory, b.cost_per_new_customer,
                    sums, customers)
    key_account_cost = np.where(state.active & mech.key_accounts,
                                state.key_account_managers * b.key_account_manager_cost, 0.0)
    n_served = len(flat)
    n_unserved = len(tick.suppliers) - n_served

    def summed(row: int, n: int) -> np.ndarray:
        # np.bincount of no entries counts them: int64 zeros, as the sums were before
        return sums[row] if n else np.zeros(S, np.int64)

    accounts = {
        "volume": summed(_VOLUME, n_served),
        "revenue": summed(_REVENUE, n_served),
        "cost_of_goods": summed(_COST_OF_GOODS, n_served),
        "cost_to_serve": summed(_COST_TO_SERVE, n_served),
        "retention_spend": summed(_RETENTION, n_served),
        "adaptation_spend": summed(_ADAPTATION, n_served),
        "late_payment_cost": summed(_LATE, n_served),
        "key_account_cost": key_account_cost,
        # prospecting (awareness phase) plus opening the accounts won this step
        "acquisition_spend": tick.acquisition_cost + summed(_NEW, n_served),
        "customers": customers.astype(float),
        # the buyers' side, computed from the buyers' own quantities (the money check): the
        # same prices and volumes as revenue
        "buyer_spend": summed(_REVENUE, n_served).copy(),
        # revenue forgone on introductory offers (already out of revenue): part of what
        # winning a customer costs
        "introductory_discount": summed(_INTRODUCTORY, n_served),
        "buyer_surplus": summed(_SURPLUS, n_served),
        "unserved_volume": summed(_UNSERVED, n_unserved),
    }
    accounts["profit"] = (accounts["revenue"] - accounts["cost_of_goods"] - accounts["cost_to_serve"]
                          - accounts["retention_spend"] - accounts["adaptation_spend"]
                          - accounts["late_payment_cost"] - key_account_cost
                          - accounts["acquisition_spend"])
    state.cumulative_profit += accounts["profit"]
    state.review_profit += accounts["profit"]
    tick.supplier_accounts = accounts
