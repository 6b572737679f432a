"""The Python API as a notebook uses it: load a scenario, override fields, run, read pandas
tables, read a results folder back, and look at the market through Mesa's agents."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from support import ROOT

import sim
from sim import Buyer, RelationshipMarket, ScenarioError, Stage, Supplier, load_results, load_scenario
from sim.cli import main
from sim.experiment.run import TABLES, run

SCENARIO = ROOT / "scenarios" / "b2b_key_accounts.toml"


@pytest.fixture(scope="module")
def small():
    return load_scenario(SCENARIO).with_overrides({"market.buyers": 300, "market.steps": 6})


# --------------------------------------------------------------------------- load, override, run

def test_overrides_give_a_changed_copy_and_leave_the_original_alone():
    scenario = load_scenario(SCENARIO)
    changed = scenario.with_overrides({
        "market.buyers": 300, "buyers.switching_cost": 0.3, "suppliers[Partners].markup": 0.5,
        "strategies.transactional.acquisition_contacts": 3.0, "mechanisms.escalation": False})
    assert scenario.market.buyers == 3000 and scenario.mechanisms.escalation
    assert changed.market.buyers == 300 and not changed.mechanisms.escalation
    assert all((s.switching_cost.dist, s.switching_cost.value) == ("constant", 0.3) for s in changed.segments)
    markups = {row["name"]: row["strategy"].markup for row in changed.supplier_table()}
    assert markups == {"PriceLine 1": 0.2, "PriceLine 2": 0.2, "Partners 1": 0.5, "Partners 2": 0.5}
    assert changed.strategy_named("transactional").acquisition_contacts == 3.0
    assert scenario.strategy_named("transactional").acquisition_contacts == 2.0


def test_run_returns_pandas_tables_that_reflect_the_overrides(small):
    priced = small.with_overrides({"suppliers[Partners].markup": 0.5})
    results = run(priced, replicates=2, workers=1)
    for table in TABLES:
        assert isinstance(getattr(results, table), pd.DataFrame)
    assert len(results.market) == 2 * 6
    unit_cost = {s.name: s.unit_cost for s in priced.suppliers}
    prices = results.suppliers.groupby("supplier", observed=True)["price"].agg(["min", "max"])
    assert prices.loc["Partners 1"].tolist() == pytest.approx([unit_cost["Partners"] * 1.5] * 2)
    assert prices.loc["PriceLine 1"].tolist() == pytest.approx([unit_cost["PriceLine"] * 1.2] * 2)
    summary = results.summary()
    assert set(summary["strategy"]) == {"transactional", "relationship"}
    assert (summary["replicates"] == 2).all()
    assert summary["market_share"].sum() == pytest.approx(1.0, abs=0.05)


def test_scenario_from_a_plain_dict():
    scenario = sim.scenario_from_dict({"market": {"buyers": 50, "steps": 2},
                                       "suppliers": [{"name": "Solo", "strategy": "reactive"}]})
    assert [row["name"] for row in scenario.supplier_table()] == ["Solo"]
    with pytest.raises(ScenarioError, match=r"market.buyers = 0: must be a whole number from 1"):
        sim.scenario_from_dict({"market": {"buyers": 0}, "suppliers": [{"name": "Solo"}]})


def test_sim_run_can_be_called_twice_in_a_notebook(small):
    # the runner module is not named `run`, so importing it cannot rebind sim.run
    first = sim.run(small, replicates=1, workers=1)
    second = sim.run(small, replicates=1, workers=1)
    pd.testing.assert_frame_equal(first.market, second.market)


# --------------------------------------------------------------------------- results folders

def test_load_results_gives_the_frames_the_command_line_wrote(small, tmp_path, capsys):
    out = tmp_path / "results"
    assert main(["run", str(SCENARIO), "--steps", "6", "--replicates", "2", "--set", "market.buyers=300",
                 "--out", str(out), "--workers", "1"]) == 0
    loaded = load_results(out)
    in_memory = run(small, replicates=2, workers=1)
    for table in TABLES:
        pd.testing.assert_frame_equal(getattr(loaded, table), pd.read_parquet(out / f"{table}.parquet"), obj=table)
        pd.testing.assert_frame_equal(getattr(loaded, table), getattr(in_memory, table), obj=table)
    assert loaded.manifest == json.loads((out / "manifest.json").read_text())
    assert loaded.scenario.to_dict() == small.with_overrides({"market.replicates": 2}).to_dict()
    pd.testing.assert_frame_equal(loaded.summary(), in_memory.summary())


def test_load_results_of_something_else_says_what_it_found(tmp_path):
    with pytest.raises(ScenarioError, match="no such results folder"):
        load_results(tmp_path / "missing")
    with pytest.raises(ScenarioError, match=r"not a results folder \(no manifest.json\)"):
        load_results(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ScenarioError, match="damaged results manifest"):
        load_results(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"kind": "compare", "alternatives": []}))
    with pytest.raises(ScenarioError, match=r"a `relsim compare` folder: read it with sim.load_comparison\(PATH\)"):
        load_results(tmp_path)


def test_load_comparison_gives_back_what_compare_returned_and_wrote(small, tmp_path):
    out = tmp_path / "cmp"
    done = sim.compare(small, "transactional,relationship", replicates=2, workers=1, out=out)
    again = sim.load_comparison(out)
    assert [a.name for a in again.alternatives] == ["transactional", "relationship"]
    assert again.focal == done.focal and again.manifest["kind"] == "compare"
    pd.testing.assert_frame_equal(again.metrics, done.metrics)
    pd.testing.assert_frame_equal(again.summary, done.summary)
    pd.testing.assert_frame_equal(again.differences, done.differences)
    assert again.headline() == done.headline()
    for name, results in done.results.items():
        pd.testing.assert_frame_equal(again.results[name].suppliers, results.suppliers)
    with pytest.raises(ScenarioError, match="not the manifest of a `relsim compare` folder"):
        sim.load_comparison(out / "alternatives" / "transactional")


# --------------------------------------------------------------------------- Mesa agents

@pytest.fixture(scope="module")
def model(small) -> RelationshipMarket:
    return RelationshipMarket(small, seed=5).run(4)


def test_model_holds_one_mesa_agent_per_buyer_and_supplier(model):
    state = model.state
    assert len(model.agents_by_type[Buyer]) == state.n_buyers == 300
    assert len(model.agents_by_type[Supplier]) == state.n_suppliers == 4
    assert [s.name for s in model.agents_by_type[Supplier]] == model.supplier_names


def test_buyer_agents_read_the_model_arrays(model):
    state = model.state
    buyers = list(model.agents_by_type[Buyer])
    assert [b.segment for b in buyers] == [model.segment_names[k] for k in state.segment]
    assert np.array_equal([b.demand for b in buyers], state.demand)
    with_supplier = [b for b in buyers if b.current_supplier is not None]
    assert len(with_supplier) == int((state.current >= 0).sum()) > 0
    for b in with_supplier:
        j = int(state.current[b.index])
        assert b.current_supplier.index == j
        assert b.trust == state.trust[b.index, j] and b.commitment == state.commitment[b.index, j]
        assert b.stage == Stage(int(state.stage[b.index, j]))


def test_supplier_agents_read_and_write_the_model_arrays(small):
    model = RelationshipMarket(small, seed=5).run(2)
    state = model.state
    suppliers = model.agents_by_type[Supplier]
    for s in suppliers:
        assert (s.price, s.markup, s.quality) == (state.price[s.index], state.markup[s.index],
                                                  state.quality[s.index])
        assert s.customers == int((state.current == s.index).sum())
        assert s.cumulative_profit == state.cumulative_profit[s.index]
    assert suppliers.agg("customers", sum) == int((state.current >= 0).sum())
    partner = next(s for s in suppliers if s.name == "Partners 1")
    assert partner.strategy == "relationship" and partner.level == "proactive"
    partner.markup = 0.9
    assert state.markup[partner.index] == 0.9
    state.quality[partner.index] = 0.42
    assert partner.quality == 0.42
    model.step()  # the price follows the new markup: the agent wrote into the array the step reads
    assert partner.price == pytest.approx(state.unit_cost[partner.index] * 1.9)


def test_a_strategy_can_build_on_one_defined_after_it():
    scenario = sim.scenario_from_dict({
        "strategies": {"premium_kam": {"based_on": "our_base", "markup": 0.9},
                       "our_base": {"based_on": "relationship", "level": "partnership"}},
        "suppliers": [{"name": "Solo", "strategy": "premium_kam"}]})
    premium = scenario.strategies["premium_kam"]
    assert (premium.markup, premium.level) == (0.9, "partnership")
    assert premium.key_account_managers == sim.PRESETS["relationship"].key_account_managers


def test_strategies_based_on_each_other_in_a_circle_are_refused():
    with pytest.raises(ScenarioError, match="based on each other in a circle"):
        sim.scenario_from_dict({"strategies": {"a": {"based_on": "b"}, "b": {"based_on": "a"}},
                                "suppliers": [{"name": "Solo", "strategy": "a"}]})


def test_summary_counts_a_strategy_that_imitation_emptied_as_zero(small):
    learning = small.with_overrides({"mechanisms.supplier_learning": True,
                                     "behaviour.imitation_probability": 1.0, "market.steps": 36})
    results = sim.run(learning, replicates=3, workers=1)
    last = results.suppliers[results.suppliers["step"] == results.suppliers["step"].max()]
    held_at_end = last.groupby("replicate")["strategy"].nunique()
    assert held_at_end.min() == 1, "the case under test: some replicate ends with one strategy left"
    summary = results.summary()
    assert summary["suppliers"].sum() == pytest.approx(4.0)
    assert summary["market_share"].sum() == pytest.approx(1.0)


def test_run_summary_reports_acquisition_cost_and_lifetime_value_from_the_series(small):
    results = sim.run(small, replicates=2, workers=1)
    sup = results.suppliers
    summary = results.summary().set_index("strategy")
    for strategy, rows in sup.groupby("strategy", observed=True):
        per_rep = rows.groupby("replicate")
        acquisition = (per_rep["acquisition_spend"].sum() / per_rep["new_customers"].sum()).mean()
        assert summary.loc[strategy, "acquisition_cost_per_new_customer"] == pytest.approx(acquisition)
        margin = per_rep.apply(lambda g: (g["revenue"] - g["cost_of_goods"] - g["cost_to_serve"]
                                          - g["retention_spend"] - g["adaptation_spend"]
                                          - g["late_payment_cost"]).sum() / g["customers"].sum())
        r = per_rep["retained"].sum() / per_rep["customers_at_start"].sum()
        d = small.market.discount_rate
        assert summary.loc[strategy, "customer_lifetime_value"] == pytest.approx((margin * r / (1 + d - r)).mean())
    market = results.market
    assert {"acquisition_cost_per_new_customer", "customer_lifetime_value"} <= set(market.columns)
    assert {"acquisition_cost_per_new_customer", "customer_lifetime_value"} <= set(sup.columns)


def test_the_package_shows_its_public_names_and_compares_signature_to_a_reader():
    import inspect

    import sim

    assert set(sim.__all__) <= set(dir(sim))  # tab completion, though the names load on first use
    assert "replicates" in inspect.signature(sim.compare).parameters
    assert "focal" in (sim.compare.__doc__ or "")
