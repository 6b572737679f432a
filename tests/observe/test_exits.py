"""Customers who left and customers dropped on purpose, counted apart: the recorder's counts
(customers at the start = retained + left + dropped, per supplier and per buyer segment), the
registry's retention that counts only those who left against it, and the per-segment series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support import SCENARIOS

from sim.config import load_scenario
from sim.engine.state import Cause
from sim.observe.kpis import KPIS, dropped_share, replicate_outcomes, retention, with_exits
from sim.observe.market import ObservedMarket


@pytest.fixture(scope="module")
def market():
    """The default market, long enough for reviews at which unprofitable customers are dropped."""
    scenario = load_scenario(SCENARIOS / "b2b_key_accounts.toml").with_overrides(
        {"market.buyers": 800, "market.steps": 48})
    m = ObservedMarket(scenario, 11)
    m.run()
    return m


def test_every_starting_customer_is_retained_left_or_dropped(market):
    s = market.supplier_frame()
    assert (s["customers_at_start"] == s["retained"] + s["left_customers"] + s["dropped_customers"]).all()
    assert (s[["left_customers", "dropped_customers"]] >= 0).all().all()
    assert (s["lost_customers"] == s["left_customers"] + s["dropped_customers"]).all()
    assert s["dropped_customers"].sum() > 0 and s["left_customers"].sum() > 0


def test_dropped_customers_are_the_logged_drops_of_starting_customers(market):
    s = market.supplier_frame()
    events = market.events_frame()
    drops = events[events["cause"] == Cause.DROPPED_UNPROFITABLE.label]
    logged = drops.groupby(["step", "supplier"], observed=True).size()
    counted = s.set_index(["step", "supplier"])["dropped_customers"]
    counted = counted[counted > 0]
    # drops happen after a customer's minimum tenure, so each was its supplier's at the step's start
    assert counted.sort_index().to_dict() == logged.sort_index().to_dict()
    m = market.market_frame().set_index("step")
    assert (s.groupby("step")["dropped_customers"].sum() == m["dropped"]).all()


def test_retention_counts_only_customers_who_left(market):
    s = market.supplier_frame()
    at_risk = s["customers_at_start"] - s["dropped_customers"]
    want = s["retained"] / at_risk.where(at_risk > 0)
    np.testing.assert_allclose(s["retention_rate"], want)
    dropping = s["dropped_customers"] > 0
    # where a supplier dropped customers, the old definition (retained / at start) read lower
    d = s[dropping]
    assert (d["retention_rate"] > d["retained"] / d["customers_at_start"]).all()
    m = market.market_frame().set_index("step")
    by_step = s.groupby("step")[["retained", "customers_at_start", "dropped_customers"]].sum()
    total = by_step["retained"] / (by_step["customers_at_start"] - by_step["dropped_customers"]).where(lambda n: n > 0)
    np.testing.assert_allclose(m["retention_rate"], total)
    np.testing.assert_allclose(m["churn_rate"].dropna(), 1 - total.dropna())


def test_the_registry_keeps_retention_and_the_dropped_share_apart(market):
    s = market.supplier_frame()
    out = replicate_outcomes(s, ["Partners 1"], 0.01).iloc[0]
    mine = s[s["supplier"] == "Partners 1"]
    at_start, dropped = mine["customers_at_start"].sum(), mine["dropped_customers"].sum()
    assert dropped > 0
    assert out["retention_rate"] == pytest.approx(mine["retained"].sum() / (at_start - dropped))
    assert out["churn_rate"] == pytest.approx(mine["left_customers"].sum() / (at_start - dropped))
    assert out["dropped_rate"] == pytest.approx(dropped / at_start)
    assert KPIS["dropped_rate"].better == "neither"  # letting go of a loss-maker is a choice, not a failure
    assert "not dropped on purpose" in KPIS["retention_rate"].definition


def test_retention_formula_is_nan_with_nobody_at_risk():
    assert np.isnan(retention(0, 3, 3)) and retention(2, 4, 1) == pytest.approx(2 / 3)
    assert np.isnan(dropped_share(0, 0)) and dropped_share(1, 4) == 0.25
    series = retention(pd.Series([1, 0]), pd.Series([2, 0]), pd.Series([0, 0]))
    assert isinstance(series, pd.Series) and series.iloc[0] == 0.5 and np.isnan(series.iloc[1])


def test_series_written_before_drops_were_counted_apart_keep_their_meaning(market):
    old = market.supplier_frame().drop(columns=["left_customers", "dropped_customers"])
    filled = with_exits(old)
    assert (filled["dropped_customers"] == 0).all()
    assert (filled["left_customers"] == old["customers_at_start"] - old["retained"]).all()
    out = replicate_outcomes(old, ["Partners 1"], 0.01).iloc[0]
    mine = old[old["supplier"] == "Partners 1"]
    assert out["retention_rate"] == pytest.approx(mine["retained"].sum() / mine["customers_at_start"].sum())


def test_segment_series_split_each_supplier_by_buyer_segment(market):
    seg, s = market.segment_frame(), market.supplier_frame()
    assert set(seg["segment"]) == {"key accounts", "small business"}
    assert len(seg) == len(s) * 2
    counts = ["customers_at_start", "retained", "left_customers", "dropped_customers", "new_customers"]
    summed = seg.groupby(["step", "supplier"], observed=True)[counts + ["revenue", "volume"]].sum()
    own = s.set_index(["step", "supplier"]).loc[summed.index]
    assert (summed[counts] == own[counts]).all().all()
    np.testing.assert_allclose(summed["revenue"], own["revenue"], rtol=1e-9)
    np.testing.assert_allclose(summed["volume"], own["volume"], rtol=1e-9)
    # each buyer's segment: the customers at the end per segment are the buyers of that segment
    state = market.state
    last = seg[seg["step"] == seg["step"].max()]
    for (supplier, segment), n in last.set_index(["supplier", "segment"])["customers_at_end"].items():
        k = market.engine.supplier_names.index(supplier)
        g = market.engine.segment_names.index(segment)
        assert n == int(((state.current == k) & (state.segment == g)).sum())
    np.testing.assert_allclose(seg["retention_rate"],
                               retention(seg["retained"], seg["customers_at_start"], seg["dropped_customers"]))


def test_retention_by_customer_size_weighs_each_customer_by_its_demand(market):
    """The recorder's demand-weighted counts match the buyers' own demand, and the registry's
    retention by size is the retention formula applied to them: a key account that leaves
    costs what it buys, not one customer out of many."""
    s = market.supplier_frame()
    demand = np.asarray(market.engine.state.demand)
    assert (s["demand_retained"] <= s["demand_at_start"] + 1e-9).all()
    assert (s["demand_dropped"] <= s["demand_at_start"] + 1e-9).all()
    # customers at start with no demand weight is impossible: every buyer demands something
    assert ((s["customers_at_start"] > 0) == (s["demand_at_start"] > 0)).all()
    assert s["demand_at_start"].max() <= s["customers_at_start"].max() * demand.max() + 1e-9
    out = replicate_outcomes(s, ["Partners 1"], 0.01).iloc[0]
    mine = s[s["supplier"] == "Partners 1"]
    want = mine["demand_retained"].sum() / (mine["demand_at_start"].sum() - mine["demand_dropped"].sum())
    assert out["size_weighted_retention"] == pytest.approx(want)
    # key accounts are large and loyal: weighed by size, retention is higher than counted
    assert out["size_weighted_retention"] > out["retention_rate"]
    assert "size_weighted_retention" in KPIS


def test_retention_by_size_of_a_hand_made_series_counts_the_big_customer_as_big():
    # two customers at the start: one buying 10 a step stays, one buying 1 leaves
    series = pd.DataFrame({
        "replicate": [0], "step": [0], "supplier": ["A"], "active": [True], "market_share": [1.0],
        "mean_trust": [0.5], "mean_commitment": [0.5], "profit": [1.0], "revenue": [1.0],
        "cost_of_goods": [0.0], "cost_to_serve": [0.0], "retention_spend": [0.0], "adaptation_spend": [0.0],
        "late_payment_cost": [0.0], "key_account_cost": [0.0], "acquisition_spend": [0.0], "customers": [1],
        "customers_at_start": [2], "retained": [1], "left_customers": [1], "dropped_customers": [0],
        "new_customers": [0], "demand_at_start": [11.0], "demand_retained": [10.0], "demand_dropped": [0.0],
        "early": [1], "development": [0], "long_term": [0], "final": [0]})
    out = replicate_outcomes(series, None, 0.01).iloc[0]
    assert out["retention_rate"] == pytest.approx(0.5)
    assert out["size_weighted_retention"] == pytest.approx(10 / 11)


def test_series_written_before_retention_by_size_read_it_as_unknown(market):
    old = market.supplier_frame().drop(columns=["demand_at_start", "demand_retained", "demand_dropped"])
    out = replicate_outcomes(old, ["Partners 1"], 0.01).iloc[0]
    assert np.isnan(out["size_weighted_retention"]) and np.isfinite(out["retention_rate"])
