"""The outcome registry and the one number formatter: each KPI declared once with a label in
the scenario's step unit, computed from the series as its definition says, printed one way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support import SCENARIOS

from sim.config import load_scenario
from sim.experiment.run import run
from sim.observe import numbers
from sim.observe.kpis import HEADLINE, KPIS, OBJECTIVE, replicate_outcomes, step_unit


@pytest.fixture(scope="module")
def results():
    scenario = load_scenario(SCENARIOS / "b2b_key_accounts.toml").with_overrides(
        {"market.buyers": 300, "market.steps": 12})
    return run(scenario, replicates=2, workers=1)


def test_every_kpi_declares_label_kind_direction_and_definition():
    for k in KPIS.values():
        assert k.kind in numbers.KINDS and k.better in ("higher", "lower", "neither")
        assert k.definition and k.title("month")[0].isupper()
        assert "step" not in k.title("month")  # the unit is the scenario's, "per month"
    assert OBJECTIVE in HEADLINE and KPIS["retention_rate"].title("week") == "Retention per week"


def test_outcomes_follow_their_definitions_on_the_series(results):
    s = results.suppliers
    focal = ["Partners 1", "Partners 2"]
    out = replicate_outcomes(s, focal, 0.01, relationships=results.relationships).set_index("replicate")
    mine = s[s["supplier"].astype(str).isin(focal)]
    for r, g in mine.groupby("replicate"):
        assert out.loc[r, "cumulative_profit"] == pytest.approx(g["profit"].sum())
        npv = sum(p / 1.01 ** (t + 1) for p, t in zip(g["profit"], g["step"]))
        assert out.loc[r, "npv_profit"] == pytest.approx(npv)
        at_risk = g["customers_at_start"].sum() - g["dropped_customers"].sum()
        assert out.loc[r, "retention_rate"] == pytest.approx(g["retained"].sum() / at_risk)
        end = g[g["step"] == g["step"].max()]
        assert out.loc[r, "market_share"] == pytest.approx(end["market_share"].sum())
        margin = (g["revenue"] - g[["cost_of_goods", "cost_to_serve", "retention_spend", "adaptation_spend",
                                     "late_payment_cost"]].sum(axis=1)).sum() / g["customers"].sum()
        retention = out.loc[r, "retention_rate"]
        assert out.loc[r, "customer_lifetime_value"] == pytest.approx(margin * retention / (1.01 - retention))
        rel = results.relationships
        rel = rel[(rel["replicate"] == r) & rel["supplier"].astype(str).isin(focal)]
        assert out.loc[r, "mean_tenure"] == pytest.approx(rel["orders"].mean())


def test_a_strategy_nobody_holds_at_the_end_counts_as_zero_share(results):
    s = results.suppliers.copy()
    last = s["step"] == s["step"].max()
    s["strategy"] = s["strategy"].astype(str)
    s.loc[last & (s["strategy"] == "relationship"), "strategy"] = "transactional"
    out = replicate_outcomes(s, None, 0.01, by="strategy").set_index(["replicate", "strategy"])
    assert (out.xs("relationship", level="strategy")[["market_share", "customers"]] == 0).all().all()


def test_step_unit_reads_the_scenario_or_its_stored_dict():
    assert step_unit(None) == "month" and step_unit({"market": {"step_unit": "week"}}) == "week"


@pytest.mark.parametrize(("value", "half", "kind", "text"), [
    (0.373, 0.02, "rate", "37.3% ± 2.0 pts"),
    (0.972, 0.029, "share", "97.2% ± 2.9 pts"),
    (12345.6, 1234.5, "money", "12,346 ± 1,234"),
    (6.432, 1.2, "money", "6.43 ± 1.20"),
    (0.6234, 0.031, "score", "0.62 ± 0.03"),
    (0.0031, np.nan, "money", "0.0031"),
    (np.nan, 1.0, "money", "–"),
    # a mean near 0 with a wide interval keeps the interval's precision, not the mean's own
    (-16.9, 669.1, "money", "-17 ± 669"),
    (5.5, 0.16, "money", "5.50 ± 0.16"),
])
def test_numbers_read_one_way(value, half, kind, text):
    assert numbers.with_interval(value, half, kind) == text
    assert "e" not in numbers.number(value, kind).lower().replace("–", "")


def test_an_interval_of_no_width_says_so_once_instead_of_repeating_its_value():
    # every replicate gave the same number: "0.0% ± 0.0 pts" or "96.9%" under "96.9%" would
    # say the value twice
    assert numbers.interval(0.969, 0.969, "rate") == numbers.NO_SPREAD == "no spread across runs"
    assert numbers.difference_range(0.1, 0.1, "share") == numbers.NO_SPREAD
    assert numbers.difference_range(425, 425, "money") == numbers.NO_SPREAD
    assert numbers.with_interval(0.0, 0.0, "rate") == "0.0%, no spread"
    assert numbers.with_interval(425, 0, "count") == "425, no spread"
    assert numbers.interval(0.35, 0.39, "rate") == "35.0% to 39.0%"


def test_a_narrow_interval_keeps_the_decimals_that_tell_its_ends_apart():
    assert numbers.interval(425.2, 425.4, "money") == "425.2 to 425.4"  # not "425 to 425"
    assert numbers.interval(0.96912, 0.96938, "rate") == "96.91% to 96.94%"
    assert numbers.difference_range(0.10012, 0.10044, "share") == "10.01 to 10.04 pts"
    assert numbers.interval(12_100, 12_600, "money") == "12,100 to 12,600"  # wide: as before
    assert numbers.difference(-0.023, "rate") == "−2.3 pts" and numbers.difference(1200, "money") == "+1,200"


def test_the_run_summary_is_the_registry_by_strategy(results):
    summary = results.summary().set_index("strategy")
    per = replicate_outcomes(results.suppliers, None, 0.01, by="strategy", relationships=results.relationships)
    for name in KPIS:
        want = per.groupby("strategy", observed=True)[name].mean()
        np.testing.assert_allclose(summary.loc[want.index, name], want, rtol=1e-12, err_msg=name)
    assert isinstance(summary, pd.DataFrame)


def test_a_narrow_interval_is_shown_not_rounded_to_nothing():
    assert numbers.with_interval(0.9712, 0.0003, "rate") == "97.1% ± 0.03 pts"
    assert numbers.with_interval(0.0, 0.0, "money") == "0.00, no spread"  # nothing, not narrow


def test_lifetime_value_has_no_finite_value_when_nothing_is_lost_or_discounted():
    from sim.observe.kpis import lifetime_value

    # retention 1 and no discounting: m*r/(1 + d - r) would divide by zero
    assert np.isnan(lifetime_value(10.0, 2, 1.0, 0.0))
    assert lifetime_value(10.0, 2, 1.0, 0.01) == pytest.approx(5.0 / 0.01)
    assert lifetime_value(10.0, 2, 0.9, 0.0) == pytest.approx(5.0 * 0.9 / 0.1)
