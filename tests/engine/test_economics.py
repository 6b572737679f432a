"""Relationship economics: what winning a customer costs, share of wallet as a split of a
buyer's demand, tenure-dependent prices, and opportunism that buyers notice."""

from __future__ import annotations

import numpy as np
from support import small_scenario

from sim.config import Scenario
from sim.engine.market import MarketEngine, market_generator
from sim.engine.phases.choice import search_probability, wallet_split
from sim.engine.state import Stage

TWO = [{"name": "A", "strategy": "transactional", "initial_awareness": 1.0},
       {"name": "B", "strategy": "relationship", "initial_awareness": 1.0}]


def engine(scenario: Scenario, seed: int = 3) -> MarketEngine:
    return MarketEngine(scenario, market_generator(seed))


def multi_sourcing(max_suppliers: int = 3, segment: dict | None = None,
                   transactional_markup: float | None = None, **mechanisms) -> Scenario:
    suppliers = [{"name": "S", "strategy": "transactional", "count": 2, "initial_awareness": 1.0},
                 {"name": "R", "strategy": "relationship", "count": 2, "initial_awareness": 1.0}]
    if transactional_markup is not None:
        # equal prices; and the relationship suppliers keep every customer, so that only the
        # split, not their profitability reviews, decides whom they sell to
        suppliers[0]["markup"] = transactional_markup
        suppliers[1]["drops_unprofitable"] = False
    return small_scenario(suppliers, buyers=400, steps=60, segment={"max_suppliers": max_suppliers,
                          "search_propensity": 0.1, **(segment or {})}, mechanisms=mechanisms or None)


def relationship_share_of_wallet(segment: dict, growing_purchases: bool = True,
                                 proactive_offers: bool = True, transactional_markup: float | None = None,
                                 steps: int = 60) -> tuple[np.ndarray, float]:
    """The wallet of every multi-sourcing buyer after ``steps``, and the share of the buyers'
    demand the two relationship suppliers hold (over the buyers that buy from anyone)."""
    scenario = multi_sourcing(3, segment, transactional_markup,
                              **({} if growing_purchases else {"growing_purchases": False}))
    if not proactive_offers:
        scenario = scenario.with_overrides({"behaviour.wallet_share_gain": 0.0})
    e = engine(scenario)
    for _ in range(steps):
        e.step()
    buying = e.state.live().any(axis=1)
    return e.state.wallet.copy(), float(e.state.wallet[buying, 2:].sum(axis=1).mean())


def test_demand_is_conserved_every_step():
    """Share of wallet is a split: each buying buyer's orders add up to its whole demand."""
    for max_suppliers in (1, 3):
        e = engine(multi_sourcing(max_suppliers))
        for _ in range(60):
            tick = e.step()
            bought = np.bincount(tick.buyers, weights=tick.volume, minlength=e.state.n_buyers)
            buying = np.unique(tick.buyers)
            np.testing.assert_allclose(bought[buying], e.state.demand[buying], rtol=1e-5)


def test_wallet_shares_of_live_suppliers_sum_to_one():
    e = engine(multi_sourcing(3))
    for _ in range(60):
        e.step()
    state = e.state
    live = state.live()
    some = live.any(axis=1)
    np.testing.assert_allclose(np.where(live, state.wallet, 0).sum(axis=1)[some], 1.0, rtol=1e-5)
    assert np.all(state.wallet[~live] == 0)


def test_multi_sourcing_buyers_keep_several_suppliers_and_single_sourcing_ones_one():
    for max_suppliers, low, high in ((1, 1, 1), (3, 2, 3)):
        e = engine(multi_sourcing(max_suppliers))
        for _ in range(60):
            e.step()
        per_buyer = e.state.live().sum(axis=1)
        assert per_buyer.max() <= max_suppliers
        assert low <= np.median(per_buyer[per_buyer > 0]) <= high


def test_committed_suppliers_grow_their_share_of_wallet_at_the_others_expense():
    """Growing purchases: from the same market state, a relational buyer's split moves toward
    its committed suppliers and the proactive ones' offers, at the other suppliers' expense,
    and not without the mechanism and the offers (one step of the split, so both read the
    same state; what it adds up to over a run is study b's)."""
    scenario = multi_sourcing(3, {"relational_orientation": 0.9})
    e = engine(scenario)
    for _ in range(30):
        e.step()
    state = e.state
    rows = np.flatnonzero(state.max_suppliers > 1)
    live = state.live()[rows]
    both = live[:, :2].any(axis=1) & live[:, 2:].any(axis=1)
    assert both.sum() > 50

    def split(s: Scenario) -> np.ndarray:
        _, wallet = wallet_split(state, s, rows)
        np.testing.assert_allclose(wallet[both].sum(axis=1), 1.0, rtol=1e-5)  # a split
        return wallet[both]

    grown = split(scenario)
    no_offers = split(scenario.with_overrides({"behaviour.wallet_share_gain": 0.0}))
    flat = split(scenario.with_overrides({"mechanisms.growing_purchases": False,
                                          "behaviour.wallet_share_gain": 0.0}))
    # proactive offers: every buyer gives the (proactive) relationship suppliers more
    assert np.all(grown[:, 2:].sum(axis=1) >= no_offers[:, 2:].sum(axis=1) - 1e-6)
    # commitment: every buyer gives the supplier it is most committed to more
    commitment = np.where(live[both], state.commitment[rows][both], -1)
    most = np.argmax(commitment, axis=1)
    at = np.arange(len(most))
    assert np.all(no_offers[at, most] >= flat[at, most] - 1e-6)
    assert grown[:, 2:].sum(axis=1).mean() > flat[:, 2:].sum(axis=1).mean() + 0.005


def test_a_transactional_buyer_splits_its_demand_by_price_not_by_commitment_or_offers():
    """At relational orientation 0 the split follows the offers alone: the cheaper suppliers
    (transactional, markup 0.2 against 0.35, same quality) hold most of it, and commitment and
    proactive offers change nothing at all."""
    transactional = {"relational_orientation": 0.0, "price_sensitivity": 6.0}
    wallet, share = relationship_share_of_wallet(transactional)
    same, _ = relationship_share_of_wallet(transactional, growing_purchases=False, proactive_offers=False)
    np.testing.assert_array_equal(wallet, same)
    assert share < 0.3
    # the price decides: with the transactional suppliers at the relationship suppliers' markup
    # (0.35), the relationship suppliers (proactive: they close drifting needs) hold half or more
    _, at_equal_price = relationship_share_of_wallet(transactional, transactional_markup=0.35)
    assert at_equal_price > 0.45


def test_every_prospect_costs_acquisition_effort_even_when_all_buyers_know_every_supplier():
    """Winning a rival's customer is not free: a supplier pays its contacts for every buyer it
    does not sell to, aware of it or not."""
    scenario = small_scenario(TWO, buyers=300, steps=30)
    e = engine(scenario)
    for _ in range(29):
        e.step()
    tick_stage_before, barred_before = e.state.stage.copy(), e.state.barred.copy()
    tick = e.step()
    assert np.all(e.state.stage[:, :] != Stage.UNAWARE)
    state, b = e.state, scenario.behaviour
    spend = tick.supplier_accounts["acquisition_spend"]
    assert np.all(spend > 0)
    # every buyer not in a live relationship with the supplier is a prospect it pays for
    stage = tick_stage_before
    prospects = (((stage < Stage.EARLY) | (stage > Stage.FINAL)) & ~barred_before).sum(axis=0)
    np.testing.assert_allclose(spend, state.acquisition_contacts * prospects * b.cost_per_contact)


def test_prospecting_approaches_rivals_customers_and_makes_them_search():
    quiet = small_scenario([dict(TWO[0], acquisition_contacts=0.0), dict(TWO[1], acquisition_contacts=0.0)],
                           buyers=500, steps=20, mechanisms={"referrals": False})
    loud = quiet.with_overrides({"suppliers.acquisition_contacts": 20.0})
    searched = []
    for scenario in (quiet, loud):
        e = engine(scenario)
        searched.append(sum(e.step().searched for _ in range(20)))
    assert searched[1] > 1.3 * searched[0]


def test_a_price_rise_makes_customers_look_around_at_once():
    scenario = small_scenario(TWO, buyers=500, steps=30)
    e = engine(scenario)
    for _ in range(20):
        e.step()
    state = e.state
    buyers, flat = state.current_flat()
    before = search_probability(state, scenario, buyers, flat)
    state.markup[:] = state.markup * 1.5 + 0.3  # a steep rise on everyone's locked-in customers
    after = search_probability(state, scenario, buyers, flat)
    assert after.mean() > before.mean() + 0.3
    off = scenario.with_overrides({"mechanisms.price_rise_search": False})
    np.testing.assert_allclose(search_probability(state, off, buyers, flat), before)


def test_introductory_price_then_list_price_with_tenure():
    scenario = small_scenario([{"name": "K", "strategy": "bargains_then_ripoffs", "initial_awareness": 1.0}],
                              buyers=200, steps=12, segment={"search_propensity": 0.0})
    e = engine(scenario)
    list_price = float(e.state.price[0])
    first = e.step()
    np.testing.assert_allclose(first.price, list_price * 0.75)
    assert first.supplier_accounts["introductory_discount"][0] > 0
    for _ in range(6):
        tick = e.step()
    since_start = e.state.start_step[tick.buyers, 0] == 0  # not broken up and won back
    assert since_start.mean() > 0.8
    np.testing.assert_allclose(tick.price[since_start], list_price)
    np.testing.assert_allclose(tick.price[~since_start], list_price * 0.75)


def test_committed_buyers_accept_a_price_premium():
    from sim.engine.phases.choice import utility
    scenario = small_scenario(TWO, buyers=300, steps=30)
    e = engine(scenario)
    for _ in range(30):
        e.step()
    state = e.state
    buyers = np.flatnonzero((state.current == 1) & (state.commitment[:, 1] > 0.3))
    u = utility(state, scenario, buyers)
    off = utility(state, scenario.with_overrides({"mechanisms.price_premium": False}), buyers)
    assert np.all(u[:, 1] > off[:, 1])
    np.testing.assert_allclose(u[:, 0], off[:, 0])


def test_rip_offs_lose_customers_to_noticed_price_rises_where_switching_is_cheap():
    """Klemperer's bargains then rip-offs: the price rise at the end of the introductory offer
    makes the locked-in look around, so the harvest keeps fewer customers than it would if
    buyers only noticed at their next random search."""
    def customers_kept(noticed: bool) -> float:
        scenario = small_scenario(
            [{"name": "K", "strategy": "bargains_then_ripoffs", "initial_awareness": 1.0},
             {"name": "T", "strategy": "transactional", "initial_awareness": 1.0}],
            buyers=600, steps=30, segment={"switching_cost": 0.02, "search_propensity": 0.02},
            mechanisms={"price_rise_search": noticed})
        e = engine(scenario)
        for _ in range(30):
            e.step()
        return float(np.mean(e.state.current == 0))
    assert customers_kept(True) < customers_kept(False) - 0.03
