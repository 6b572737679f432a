"""relsim compare: common random numbers, paired intervals, verdicts, bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sim import ScenarioError, load_scenario
from sim.experiment.compare import METRICS, compare, difference_interval, resolve_alternatives
from sim.experiment.run import COMPARE_REPLICATES

SCENARIO = "scenarios/b2b_key_accounts.toml"
SMALL = {"market.buyers": 300, "market.steps": 36}


@pytest.fixture(scope="module")
def small_market():
    scenario = load_scenario(SCENARIO).with_overrides(SMALL)
    # user strategies for the tests: an exact copy of a preset, and a pair that differs
    # only in price when buyers do not care about price
    return scenario.with_overrides({
        "strategies.copy_of_relationship.based_on": "relationship",
        "strategies.cheap.based_on": "transactional", "strategies.cheap.markup": 0.05,
        "strategies.dear.based_on": "transactional", "strategies.dear.markup": 0.6,
    })


def profit_difference(comparison):
    d = comparison.differences
    return d[d["metric"] == "cumulative_profit"].iloc[0]


def test_identical_alternatives_with_common_random_numbers_differ_by_exactly_nothing(small_market):
    c = compare(small_market, "relationship,copy_of_relationship", replicates=4, workers=1)
    row = profit_difference(c)
    assert row["mean_difference"] == 0.0
    assert not row["significant"]
    assert row["sentence"] == ("copy_of_relationship and relationship have the same cumulative profit in "
                               "every one of the 4 replicates.")


@pytest.mark.slow  # 8 studies of 6 replicates: a calibration check, run with -m slow (CI stays under 5 min)
def test_identical_alternatives_are_rarely_called_different(small_market):
    # Independent seeds make the two arms genuinely noisy; a 95% interval should call them
    # different in about 5% of studies. Over 8 studies allow at most 2 false alarms.
    false_alarms = 0
    for root in range(8):
        c = compare(small_market, "relationship,copy_of_relationship", replicates=6, seed=100 + root,
                    workers=1, common_random_numbers=False)
        false_alarms += bool(profit_difference(c)["significant"])
    assert false_alarms <= 2


def test_strictly_dominant_alternative_is_clearly_better(small_market):
    insensitive = small_market.with_overrides({"buyers.price_sensitivity": 0.0})
    c = compare(insensitive, "cheap,dear", replicates=5, workers=1)
    row = profit_difference(c)
    assert row["significant"]
    assert row["mean_difference"] > 0
    assert row["ci_low"] > 0
    assert row["sentence"].startswith("dear earns") and "more cumulative profit than cheap" in row["sentence"]
    assert "clear at 5 replicates" in row["sentence"]


def test_common_random_numbers_narrow_the_interval_of_the_difference(small_market):
    # 20 replicates: multi-sourcing buyers make the pairing looser than it was, and at 8 the
    # two half-widths' own noise could swap them (measured: 258 vs 220 at 8, 149 vs 201 at 20)
    crn = compare(small_market, "transactional,relationship", replicates=20, workers=1)
    independent = compare(small_market, "transactional,relationship", replicates=20, workers=1,
                          common_random_numbers=False)
    half = {name: (profit_difference(c)["ci_high"] - profit_difference(c)["ci_low"]) / 2
            for name, c in (("crn", crn), ("independent", independent))}
    assert half["crn"] < half["independent"]


def test_alternatives_share_buyers_and_seeds(small_market):
    c = compare(small_market, "transactional,relationship", replicates=2, workers=1)
    a = c.results["transactional"].relationships.query("replicate == 1")
    b = c.results["relationship"].relationships.query("replicate == 1")
    # the same buyers exist in both arms: compare their sampled demand by buyer id
    demand_a = a.groupby("buyer")["demand"].first()
    demand_b = b.groupby("buyer")["demand"].first()
    common = demand_a.index.intersection(demand_b.index)
    assert len(common) > 100
    np.testing.assert_array_equal(demand_a.loc[common].to_numpy(), demand_b.loc[common].to_numpy())


def test_the_alternative_is_given_to_the_focal_supplier_only(small_market):
    """One supplier, "you", is varied: of an entry with count = 2 only the first copy, and
    its twin stays the rival it was (unless every copy is asked for)."""
    alts, focal = resolve_alternatives(small_market, "basic,partnership")  # the file marks Partners
    assert focal == ["Partners 1"]
    for alt in alts:
        strategies = [s.strategy for s in alt.scenario.suppliers]
        assert strategies == ["transactional", alt.name, "relationship"]
        names = [row["name"] for row in alt.scenario.supplier_table()]
        assert names == [row["name"] for row in small_market.supplier_table()]
    alts, focal = resolve_alternatives(small_market, "basic,partnership", focal="PriceLine")
    assert focal == ["PriceLine 1"]
    assert [s.strategy for s in alts[0].scenario.suppliers] == ["basic", "transactional", "relationship"]
    alts, focal = resolve_alternatives(small_market, "basic,partnership", focal="Partners", focal_all=True)
    assert focal == ["Partners 1", "Partners 2"]
    assert [s.strategy for s in alts[0].scenario.suppliers] == ["transactional", "basic"]


def test_metrics_are_computed_from_the_supplier_series(small_market):
    c = compare(small_market, "transactional,relationship", replicates=2, workers=1)
    sup = c.results["relationship"].suppliers
    focal = sup[sup["supplier"].astype(str).isin(c.focal)]
    expected = focal.groupby("replicate")["profit"].sum().to_numpy()
    got = c.metrics[c.metrics["alternative"] == "relationship"].sort_values("replicate")["cumulative_profit"]
    np.testing.assert_allclose(got.to_numpy(), expected)
    last = focal[focal["step"] == focal["step"].max()]
    share = last.groupby("replicate")["market_share"].sum().to_numpy()
    got_share = c.metrics[c.metrics["alternative"] == "relationship"].sort_values("replicate")["market_share"]
    np.testing.assert_allclose(got_share.to_numpy(), share)
    assert set(c.summary["metric"]) == set(METRICS)


def test_verdicts_read_like_a_board_report():
    from sim.experiment.compare import verdict

    sentence, clear, relative, _ = verdict("cost_to_serve_per_customer", "a", "b", 0.05, 0.055, 7.4e-05, 20,
                                           relative_bounds=(1.09, 1.11))
    assert sentence == ("b has 110% more relationship cost per customer and month than a (95% interval +109% "
                        "to +111%); the difference is clear at 20 replicates.")
    assert clear and relative == pytest.approx(1.1)
    sentence, clear, _, _ = verdict("market_share", "a", "b", 0.5, -0.011, 0.02, 8)
    assert verdict("share_long_term", "a", "b", 0.0, 0.0, 0.0, 20)[0] == (
        "neither b nor a has any customers in the long-term stage in any of the 20 replicates.")
    assert sentence.startswith("b has 1.1 pts ± 2.0 pts less market share at the end than a; at 8 replicates")
    assert not clear


def test_a_money_difference_many_times_its_base_is_said_in_money_not_as_a_wonder_percentage():
    from sim.experiment.compare import verdict

    # 22,447 more on a base of 425 would read "+5,282%"
    sentence, clear, relative, _ = verdict("npv_profit", "transactional", "relationship", 425.0, 22447.0, 1168.0, 20,
                                           relative_bounds=(40.0, 70.0))
    assert sentence == ("relationship earns 22,447 ± 1,168 more net present value of profit than transactional "
                        "(relationship's 22,872 is 54 times transactional's 425); the difference is clear at "
                        "20 replicates.")
    assert clear and relative == pytest.approx(22447 / 425)  # the table keeps the ratio
    # a loss-making baseline: a percentage of it means nothing either
    sentence, _, _, _ = verdict("cumulative_profit", "a", "b", -300.0, 100.0, 50.0, 10, relative_bounds=(0.1, 0.5))
    assert "b earns 100 ± 50 more cumulative profit than a (whose -300 is no base for a percentage)" in sentence
    # a multiple below ten keeps a decimal; it is what b earns in all, not the difference's multiple
    sentence, _, _, _ = verdict("cumulative_profit", "a", "b", 12349.0, 75039.0, 3975.0, 10, relative_bounds=(5, 7))
    assert "b earns 75,039 ± 3,975 more cumulative profit than a (b's 87,388 is 7.1 times a's 12,349)" in sentence
    # within three times the base, the percentage stays, with its interval as handed in
    sentence, _, _, bounds = verdict("cumulative_profit", "a", "b", 1000.0, 2500.0, 100.0, 10,
                                     relative_bounds=(2.3, 2.7))
    assert sentence.startswith("b earns 250% more cumulative profit than a (95% interval +230% to +270%")
    assert bounds == (2.3, 2.7)


def test_a_percentage_of_a_baseline_too_uncertain_to_bound_it_is_said_in_money():
    from sim.experiment.compare import verdict

    sentence, clear, relative, bounds = verdict("npv_profit", "a", "b", 777.0, 1500.0, 364.0, 20,
                                                relative_bounds=(float("nan"), float("nan")))
    assert sentence.startswith("b earns 1,500 ± 364 more net present value of profit than a (a's own 777 is too "
                               "uncertain at 20 replicates to say it as a percentage)")
    assert clear and relative == pytest.approx(1500 / 777)


def test_the_relative_interval_counts_the_baselines_own_uncertainty():
    from scipy import stats

    from sim.stats.intervals import relative_difference_interval

    rng = np.random.default_rng(3)
    base = 777 + 922 * rng.standard_normal(20)          # a baseline known only to about ±430
    other = base + 5137 + 800 * rng.standard_normal(20)  # paired: the same seeds
    ratio, low, high, n = relative_difference_interval(base, other, paired=True)
    assert n == 20 and ratio == pytest.approx((other - base).mean() / base.mean())
    # the interval is the set of ratios R for which mean(d - R b) is not told from 0 (Fieller),
    # found here by brute force over a grid of R
    d, t = other - base, stats.t.ppf(0.975, 19)
    grid = np.linspace(-50, 50, 200_001)
    inside = [abs((d - r * base).mean()) <= t * (d - r * base).std(ddof=1) / np.sqrt(20) for r in grid]
    held = grid[np.flatnonzero(inside)]
    assert low == pytest.approx(held.min(), abs=1e-3) and high == pytest.approx(held.max(), abs=1e-3)
    # far wider than the difference's half-width over the baseline's mean, which ignores it
    naive = stats.t.ppf(0.975, 19) * d.std(ddof=1) / np.sqrt(20) / base.mean()
    assert high - low > 4 * 2 * naive
    # a baseline that cannot be told from 0 gives no percentage at all
    vague = 100 + 922 * rng.standard_normal(20)
    assert np.isnan(relative_difference_interval(vague, vague + 5000, paired=True)[1])
    # a baseline with no spread: the difference's own interval, over the baseline
    _, low, high, _ = relative_difference_interval(np.full(5, 200.0), np.array([300.0, 310, 290, 305, 295]),
                                                   paired=True)
    half = stats.t.ppf(0.975, 4) * np.std([100.0, 110, 90, 105, 95], ddof=1) / np.sqrt(5)
    assert (low, high) == pytest.approx(((100 - half) / 200, (100 + half) / 200))


def test_paired_interval_matches_a_hand_computation():
    base = np.array([10.0, 12.0, 11.0, 13.0])
    other = base + np.array([1.0, 2.0, 1.5, 2.5])
    mean, half, n = difference_interval(base, other, paired=True)
    diffs = other - base
    from scipy.stats import t
    assert mean == pytest.approx(diffs.mean())
    assert half == pytest.approx(t.ppf(0.975, 3) * diffs.std(ddof=1) / 2)
    assert n == 4


@pytest.mark.parametrize("alternatives, message", [
    ("transactional", "name at least two alternatives"),
    ("transactional,relatinship", "did you mean 'relationship'"),
    ("transactional,transactional", "only once"),
    ("transactional,missing.toml", "no such scenario file"),
])
def test_bad_alternatives_get_a_clear_message(small_market, alternatives, message):
    with pytest.raises(ScenarioError, match=message):
        resolve_alternatives(small_market, alternatives)


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], capture_output=True, text=True,
                          cwd=cwd)


@pytest.mark.parametrize("setting, fragments", [
    ("buyers.switching_cost=abc", ["switching_cost", "'abc'", "must be a number"]),
    ("nosuch.key=1", ["nosuch.key", "unknown key"]),
    ("market.buyrs=5", ["market.buyrs", "did you mean 'buyers'"]),
    ("market.steps=-3", ["market.steps = -3", "whole number from 1"]),
])
def test_bad_set_in_compare_gets_the_same_clear_error_as_a_file(tmp_path, setting, fragments):
    proc = run_cli("compare", SCENARIO, "--set", setting, "--out", str(tmp_path / "c"), "--no-report")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr


def test_compare_command_writes_its_tables_and_prints_the_verdict(tmp_path):
    out = tmp_path / "cmp"
    proc = run_cli("compare", SCENARIO, "--replicates", "3", "--set", "market.buyers=200",
                   "--steps", "24", "--out", str(out), "--no-report", "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    assert "relationship earns" in proc.stdout and "cumulative profit than transactional" in proc.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "compare" and manifest["status"] == "complete"
    assert [a["name"] for a in manifest["alternatives"]] == ["transactional", "relationship"]
    metrics = pd.read_parquet(out / "metrics.parquet")
    assert len(metrics) == 6 and set(metrics["alternative"]) == {"transactional", "relationship"}
    diffs = pd.read_csv(out / "differences.csv")
    assert set(diffs["metric"]) == set(METRICS)
    for alt in ("transactional", "relationship"):
        assert len(pd.read_parquet(out / "alternatives" / alt / "market.parquet")) == 3 * 24


TINY = {"market.buyers": 60, "market.steps": 4}


@pytest.mark.parametrize(("in_the_file", "asked", "expected", "why"), [
    (3, None, 3, "market.replicates"),  # the scenario's author chose 3
    (3, 2, 2, "--replicates"),  # the command line overrides the file
    (1, None, COMPARE_REPLICATES, "compare's default: market.replicates = 1 gives no confidence interval"),
])
def test_compare_runs_the_scenarios_replicates_unless_asked_and_records_why(in_the_file, asked, expected, why):
    scenario = load_scenario(SCENARIO).with_overrides({**TINY, "market.replicates": in_the_file})
    c = compare(scenario, replicates=asked, workers=1)
    assert c.manifest["replicates"] == expected and c.manifest["replicates_from"] == why
    assert len(c.metrics) == 2 * expected
    assert {r.manifest["replicates_from"] for r in c.results.values()} == {why}


def test_run_compare_and_report_say_how_many_replicates_and_why(tmp_path, capsys):
    from support import relsim_in_process

    scenario = tmp_path / "three.toml"
    scenario.write_text('[market]\nname = "three"\nbuyers = 60\nsteps = 4\nreplicates = 3\n\n'
                        '[[suppliers]]\nname = "Us"\nstrategy = "relationship"\n\n'
                        '[[suppliers]]\nname = "Them"\nstrategy = "transactional"\n')
    code, out, _ = relsim_in_process(capsys, "run", str(scenario), "--out", str(tmp_path / "r"), "--workers", "1")
    assert code == 0 and "3 replicate(s) (market.replicates)" in out.splitlines()[0]
    code, out, _ = relsim_in_process(capsys, "run", str(scenario), "--out", str(tmp_path / "r2"), "--workers", "1",
                                     "--replicates", "2")
    assert code == 0 and "2 replicate(s) (--replicates)" in out.splitlines()[0]
    code, out, _ = relsim_in_process(capsys, "compare", str(scenario), "--out", str(tmp_path / "c"),
                                     "--workers", "1")
    assert code == 0
    assert "3 replicates each (market.replicates; common random numbers)" in out.splitlines()[0]
    assert "3 runs each" in out  # the answer counts the same runs
    page = (tmp_path / "c" / "report.html").read_text()
    assert "3 (market.replicates)" in page
