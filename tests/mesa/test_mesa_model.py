"""The Mesa face of the engine (docs/ODD.md, section 4, "Observation"): our scenario out of
Mesa's slot, agents made on first access, one step counter, a DataCollector surface that Mesa's
SolaraViz can plot."""

from __future__ import annotations

import pickle

import mesa
import numpy as np
import pytest
from support import SCENARIOS

import sim
from sim.config import load_scenario
from sim.mesa.model import RelationshipMarket


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIOS / "b2b_key_accounts.toml").with_overrides(
        {"market.buyers": 400, "market.steps": 6})


def test_a_run_keeps_no_live_model_in_its_scenario():
    # The issue measured 6.9 KB for the scenario against 8.6 MB once a model rode on it.
    big = load_scenario(SCENARIOS / "b2b_key_accounts.toml").with_overrides(
        {"market.buyers": 20_000, "market.steps": 2})
    results = sim.run(big, replicates=1)
    model = RelationshipMarket(big)
    model.run(1)
    assert len(pickle.dumps(results.scenario)) < 50_000
    assert len(pickle.dumps(model.market_scenario)) < 50_000
    assert not hasattr(model.market_scenario, "model")
    assert model.scenario.model is model  # Mesa's own slot holds Mesa's scenario, as Mesa wants


def test_a_comparison_keeps_no_live_model(scenario):
    comparison = sim.compare(scenario.with_overrides({"market.steps": 2}), replicates=2, workers=1)
    assert len(pickle.dumps(comparison)) < 5_000_000
    for value in vars(comparison).values():
        assert not isinstance(value, mesa.Model)
        if isinstance(value, list | tuple | dict):
            items = value.values() if isinstance(value, dict) else value
            assert not any(isinstance(x, mesa.Model) or hasattr(x, "model") for x in items)


def test_agents_are_made_only_when_first_asked_for(scenario):
    model = RelationshipMarket(scenario)
    model.run(3)
    model.market_frame(), model.datacollector.get_model_vars_dataframe()
    assert not model.agents_created
    assert len(model._all_agents) == 0  # Mesa's own registry is still empty
    long_term = model.agents_by_type[sim.Buyer].select(lambda b: b.stage == sim.Stage.LONG_TERM)
    assert model.agents_created
    assert len(model.agents) == model.state.n_buyers + model.state.n_suppliers
    assert set(model.agent_types) == {sim.Buyer, sim.Supplier}
    assert len(long_term) == int(model.market_frame()["long_term"].iloc[-1])
    first = model.agents_by_type[sim.Buyer]
    assert model.agents_by_type[sim.Buyer] is first  # made once


def test_each_agent_accessor_makes_the_agents(scenario):
    for read in (lambda m: m.agents, lambda m: m.agents_by_type, lambda m: m.agent_types,
                 lambda m: m.buyer_agents, lambda m: m.supplier_agents):
        model = RelationshipMarket(scenario)
        read(model)
        assert model.agents_created and len(model._all_agents) == 400 + model.state.n_suppliers


def test_results_do_not_depend_on_whether_agents_were_made(scenario):
    plain = RelationshipMarket(scenario, seed=3)
    looked_at = RelationshipMarket(scenario, seed=3)
    looked_at.agents_by_type  # noqa: B018
    plain.run(), looked_at.run()
    assert plain.market_frame().equals(looked_at.market_frame())


def test_model_steps_reads_the_engine_counter(scenario):
    model = RelationshipMarket(scenario)
    assert model.steps == model.state.step == 0
    seen = []
    engine_step = model.observed.step

    def spy():
        seen.append(model.steps)  # inside a step Mesa counts the step under way
        engine_step()

    model.observed.step = spy
    model.step()
    model.step()
    assert seen == [1, 2] and model.steps == model.state.step == 2
    model.observed.step = engine_step
    model.observed.step()  # stepping the engine alone moves the one counter too
    assert model.steps == 3
    with pytest.raises(AttributeError, match="follows the engine's step counter"):
        model.steps = 10


def test_datacollector_serves_the_recorded_series(scenario):
    model = RelationshipMarket(scenario).run(4)
    frame = model.datacollector.get_model_vars_dataframe()
    market, suppliers = model.market_frame(), model.supplier_frame()
    assert list(frame.index) == list(market["step"]) == [0, 1, 2, 3]
    assert np.array_equal(frame["mean_trust"].to_numpy(), market["mean_trust"].to_numpy(), equal_nan=True)
    name = model.supplier_names[0]
    mine = suppliers[suppliers["supplier"] == name]
    assert np.array_equal(frame[f"market_share: {name}"].to_numpy(), mine["market_share"].to_numpy())
    agents = model.datacollector.get_agent_vars_dataframe()
    assert agents.loc[(2, name), "profit"] == mine.set_index("step").loc[2, "profit"]
    assert model.datacollector.model_vars["mean_trust"][1] == market["mean_trust"].iloc[1]


def test_datacollector_and_the_model_show_customers_who_left_apart_from_those_dropped(scenario):
    model = RelationshipMarket(scenario.with_overrides({"market.steps": 24})).run()
    frame, suppliers = model.datacollector.get_model_vars_dataframe(), model.supplier_frame()
    for name in model.supplier_names:
        mine = suppliers[suppliers["supplier"] == name]
        for series in ("left_customers", "dropped_customers"):
            assert np.array_equal(frame[f"{series}: {name}"].to_numpy(), mine[series].to_numpy())
    assert suppliers["dropped_customers"].sum() > 0
    segments = model.segment_frame()
    assert segments.groupby("step")["dropped_customers"].sum().tolist() == \
        suppliers.groupby("step")["dropped_customers"].sum().tolist()


def test_datacollector_before_the_first_step_has_the_recorded_columns(scenario):
    model = RelationshipMarket(scenario)
    empty = model.datacollector.get_model_vars_dataframe()
    assert len(empty) == 0
    model.step()
    assert list(empty.columns) == list(model.datacollector.get_model_vars_dataframe().columns)


def test_solaraviz_accepts_the_model_and_its_controls_drive_it(scenario):
    solara = pytest.importorskip("solara")
    import ipyvuetify as v
    from mesa.visualization import SolaraViz, make_plot_component

    model = solara.reactive(RelationshipMarket(scenario))
    first = model.value

    @solara.component
    def Page():
        with solara.AppLayout():
            SolaraViz(model, components=[make_plot_component("mean_trust")],
                      model_params={"market_scenario": scenario})

    _, rc = solara.render(Page(), handle_error=False)
    step = rc.find(v.Btn, children=["Step"]).widget
    step.click()
    step.click()
    assert first.steps == 2 and len(first.datacollector.get_model_vars_dataframe()) == 2
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert model.value is not first and model.value.steps == 0
    assert model.value.market_scenario is scenario


def test_a_buyers_repr_names_its_row_and_its_mesa_id_apart(scenario):
    model = RelationshipMarket(scenario)
    model.run(2)
    buyer = list(model.agents_by_type[sim.Buyer])[2]
    assert repr(buyer).startswith(f"Buyer(index={buyer.index}, unique_id={buyer.unique_id}, ")
    assert buyer.index != buyer.unique_id  # the suppliers' agents come first: the two differ
