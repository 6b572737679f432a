"""``relsim analyze``: effects by parameter, heatmaps, Sobol and Morris indices, PRIM boxes,
and a self-contained page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sweep_support import BASE_SCENARIO, GRID, write_sweep

from sim.cli.main import main
from sim.experiment.compare import METRICS
from sim.experiment.sweep import sweep
from sim.observe import numbers
from sim.report.analyze import load_analysis, write_analysis

COMPARE = GRID + '[compare]\nalternatives = ["transactional", "relationship"]\n'
SAMPLED = ('[sweep]\nscenario = "base.toml"\nreplicates = 1\n[parameters]\n'
           '"buyers.switching_cost" = { low = 0.0, high = 0.6 }\n'
           '"buyers.price_sensitivity" = { low = 1.0, high = 5.0 }\n')


@pytest.fixture(scope="module")
def compare_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare")
    sweep(write_sweep(folder, COMPARE), folder / "out", workers=1)
    return folder / "out"


@pytest.fixture(scope="module")
def profitable_store(tmp_path_factory):
    """A comparison over five years of the tiny market, where transactional makes a profit at
    every point (in the first year it loses money: no base for a percentage)."""
    folder = tmp_path_factory.mktemp("profitable")
    sweep(write_sweep(folder, COMPARE + '[set]\n"market.steps" = 60\n'), folder / "out", workers=1)
    return folder / "out"


def test_a_comparison_sweep_is_analysed_as_the_paired_advantage_of_the_alternative(compare_store):
    a = load_analysis(compare_store)
    assert a.label.startswith("Advantage of relationship over transactional")
    runs = a.per_run
    assert len(runs) == 12  # one paired difference per (point, replicate)
    table = a.effects["buyers.switching_cost"]
    assert list(table["level"]) == [0.0, 0.3] and list(table["runs"]) == [6, 6]
    # the table's means are the means of the paired differences at each level
    expected = runs.groupby("buyers.switching_cost")["value"].mean().to_numpy()
    assert table["mean"].to_numpy() == pytest.approx(expected)
    assert "beats transactional" in a.target


def test_the_analysis_page_has_tables_figures_and_csv_files_and_needs_no_network(compare_store):
    page, a = write_analysis(compare_store)
    text = page.read_text()
    assert "By parameter" in text and 'id="fig-main_effects"' in text and 'id="fig-heatmaps"' in text
    assert "http://" not in text and "https://" not in text and "data:image/png;base64," in text
    folder = compare_store / "analysis"
    assert (folder / "effects.csv").exists() and (folder / "figures" / "heatmaps.png").exists()
    if a.box is not None:
        assert "coverage" in text and (folder / "prim_box.csv").exists()


def test_sobol_indices_come_from_a_sobol_sweep_and_need_every_point(tmp_path):
    spec = write_sweep(tmp_path, SAMPLED + '[design]\nkind = "sobol"\nsamples = 8\n')
    sweep(spec, tmp_path / "out", workers=1)
    a = load_analysis(tmp_path / "out", outcome="market_share")
    assert list(a.sobol["parameter"]) == ["buyers.switching_cost", "buyers.price_sensitivity"]
    assert a.sobol[["S1", "ST", "S1_conf", "ST_conf"]].notna().all().all()
    assert len(a.effects["buyers.switching_cost"]) == 5  # a sampled range is shown by fifths
    # a store missing a run of the design says so instead of computing wrong indices
    runs_dir = tmp_path / "out" / "runs.parquet"
    part = next(runs_dir.glob("part-*.parquet"))
    frame = pd.read_parquet(part)
    frame.iloc[1:].to_parquet(part, index=False)
    a = load_analysis(tmp_path / "out", outcome="market_share")
    assert a.sobol is None and any("need every point of the design" in n for n in a.notes)


def test_morris_effects_come_from_a_morris_sweep(tmp_path, capsys):
    spec = write_sweep(tmp_path, SAMPLED + '[design]\nkind = "morris"\nsamples = 4\nlevels = 4\n')
    sweep(spec, tmp_path / "out", workers=1)
    assert main(["analyze", str(tmp_path / "out"), "--outcome", "market_share"]) == 0
    out = capsys.readouterr().out
    assert "Morris buyers.switching_cost: mu*" in out and "Morris buyers.price_sensitivity: mu*" in out
    assert (tmp_path / "out" / "analysis" / "morris.csv").exists()


def test_analyze_with_an_unknown_outcome_exits_2_naming_the_outcomes(compare_store, capsys):
    assert main(["analyze", str(compare_store), "--outcome", "cumulative_proft"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'cumulative_profit'" in err and "Traceback" not in err


def test_analyze_refuses_a_folder_that_is_not_a_sweep(tmp_path, capsys):
    assert main(["analyze", str(tmp_path)]) == 2
    assert "not a sweep store" in capsys.readouterr().err


def test_a_new_analysis_leaves_no_table_or_figure_of_an_earlier_one_that_no_longer_holds(compare_store):
    folder = compare_store / "analysis"
    (folder / "figures").mkdir(parents=True, exist_ok=True)
    (folder / "sobol.csv").write_text("left by an analysis of another design")
    (folder / "figures" / "morris.png").write_bytes(b"old")
    write_analysis(compare_store)
    assert not (folder / "sobol.csv").exists() and not (folder / "figures" / "morris.png").exists()
    assert (folder / "effects.csv").exists()


def test_a_parameter_name_with_html_characters_is_shown_as_text_not_markup(tmp_path):
    (tmp_path / "base.toml").write_text(BASE_SCENARIO.replace('name = "Acme"', 'name = "A&B <i>Co</i>"')
                                        .replace('name = "tiny market"', 'name = "tiny <b>market</b>"'))
    spec = tmp_path / "sweep.toml"
    spec.write_text('[sweep]\nname = "grid <script>alert(1)</script>"\nscenario = "base.toml"\nreplicates = 1\n'
                    '[parameters]\n"suppliers[A&B <i>Co</i>].markup" = { levels = [0.2, 0.4] }\n'
                    '"buyers.switching_cost" = { levels = [0.0, 0.3] }\n')
    sweep(spec, tmp_path / "out", workers=1)
    page, _ = write_analysis(tmp_path / "out")
    text = page.read_text()
    assert "<script>" not in text and "<i>Co</i>" not in text
    assert "grid &lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "suppliers[A&amp;B &lt;i&gt;Co&lt;/i&gt;].markup" in text


@pytest.mark.filterwarnings("ignore:Mean of empty slice")  # the other metrics, left empty here
def test_the_relative_advantage_at_each_point_is_compare_s_relative_difference(profitable_store):
    from sim.experiment.compare import differences
    from sim.experiment.sweep_store import SweepStore

    compare_store = profitable_store
    a = load_analysis(compare_store, relative=True)
    assert a.per_point["mean"].notna().all()  # every baseline makes a profit: a percentage everywhere
    assert a.kind == "relative" and a.label.startswith("Relative advantage of relationship over transactional")
    runs = SweepStore(compare_store).runs()
    for _, point in a.per_point.iterrows():
        at = runs[runs["point"] == point["point"]]
        # compare's own differences table on this point's paired runs
        table = differences(at[["alternative", "replicate", "cumulative_profit"]].assign(
            **{m: np.nan for m in METRICS if m != "cumulative_profit"}), ["transactional", "relationship"], True)
        row = table[table["metric"] == "cumulative_profit"].iloc[0]
        assert point["mean"] == pytest.approx(row["relative_difference"])
        assert (point["low"], point["high"]) == pytest.approx((row["relative_low"], row["relative_high"]), nan_ok=True)
        assert np.isnan(point["half_width"])  # not symmetric: no half-width
    # the Python API's per-point advantage is the same table
    from sim.experiment.sweep import SweepResults

    store = SweepStore(compare_store)
    api = SweepResults(compare_store, store.read_manifest()).advantage(relative=True)
    pd.testing.assert_frame_equal(api[["point", "mean", "low", "high", "runs"]].reset_index(drop=True),
                                  a.per_point[["point", "mean", "low", "high", "runs"]].reset_index(drop=True))


def test_a_relative_advantage_reads_as_percent_and_its_intervals_as_percent_not_points():
    from sim.observe import numbers

    assert numbers.number(0.25, "relative") == "25.0%"
    assert numbers.with_interval(0.25, 0.1, "relative") == "25.0% ± 10.0%"
    assert numbers.difference(0.25, "relative") == "+25.0%"
    assert numbers.difference_range(0.1, 0.32, "relative") == "10.0% to 32.0%"
    assert numbers.with_interval(0.25, 0.1, "share") == "25.0% ± 10.0 pts"  # shares keep their points


def test_in_a_comparison_above_finds_where_the_alternative_wins_by_at_least_so_much(profitable_store, capsys):
    compare_store = profitable_store
    relative = load_analysis(compare_store, relative=True).per_point["mean"]
    threshold = float(relative.median())
    a = load_analysis(compare_store, relative=True, above=threshold)
    assert "advantage over transactional on cumulative profit is at least" in a.target
    interesting = int((relative >= threshold).sum())
    # the box's points of interest are those at or above the threshold that it holds
    assert a.box is not None and a.box.cases_of_interest == pytest.approx(a.box.coverage * interesting)
    inside = a.box.contains(a.per_point)
    assert a.box.cases_of_interest == int((inside & (relative >= threshold).to_numpy()).sum())


def test_a_baseline_that_loses_money_is_no_base_for_a_relative_advantage_as_compare_says(compare_store, capsys):
    from sim.experiment.sweep_store import SweepStore

    runs = SweepStore(compare_store).runs()
    base = runs[runs["alternative"] == "transactional"].groupby("point")["cumulative_profit"].mean()
    losing = set(base[base <= 0].index)
    assert losing  # the tiny market's first year: transactional loses money at some points
    a = load_analysis(compare_store, relative=True)
    per_point = a.per_point.set_index("point")
    assert per_point.loc[sorted(losing), ["mean", "low", "high"]].isna().all().all()
    assert per_point.drop(index=sorted(losing))["mean"].notna().all()
    assert any(f"At {len(losing)} of the {len(per_point)} points transactional loses money" in n for n in a.notes)
    # compare on the same runs says the same: money, not a percentage of the loss
    from sim.experiment.compare import METRICS, differences

    point = sorted(losing)[0]
    at = runs[runs["point"] == point]
    table = differences(at[["alternative", "replicate", "cumulative_profit"]].assign(
        **{m: np.nan for m in METRICS if m != "cumulative_profit"}), ["transactional", "relationship"], True)
    row = table[table["metric"] == "cumulative_profit"].iloc[0]
    assert np.isnan(row["relative_difference"]) and "is no base for a percentage" in row["sentence"]


def test_relative_without_a_comparison_exits_2_saying_what_it_needs(tmp_path, capsys):
    folder = tmp_path / "plain"
    folder.mkdir()
    sweep(write_sweep(folder, GRID.replace("replicates = 2", "replicates = 1")), folder / "out", workers=1)
    assert main(["analyze", str(folder / "out"), "--relative"]) == 2
    err = capsys.readouterr().err
    assert "--relative: an advantage relative to a baseline needs a comparison sweep" in err
    assert "Traceback" not in err


def test_the_analysis_says_which_finished_runs_it_leaves_out_and_that_a_sweep_is_unfinished(compare_store, tmp_path):
    import json
    import shutil

    store = tmp_path / "store"
    shutil.copytree(compare_store, store)
    assert not [n for n in load_analysis(store).notes if "outside the current design" in n or "unfinished" in n]
    manifest = json.loads((store / "manifest.json").read_text())
    replicates = manifest["replicates"]
    # as a later command with fewer replicates leaves the manifest, then interrupted
    manifest.update(replicates=replicates - 1, status="interrupted")
    (store / "manifest.json").write_text(json.dumps(manifest))
    a = load_analysis(store)
    left_out = [n for n in a.notes if "outside the current design" in n]
    points = manifest["points"]
    assert left_out and left_out[0].startswith(f"{points * 2} finished run(s)")  # one replicate, 2 alternatives
    assert "--replicates N" in left_out[0]
    assert any(n.startswith("The sweep is unfinished:") and "It was interrupted" in n for n in a.notes)


def test_an_analysis_refuses_a_store_another_report_or_analysis_is_writing_and_writes_nothing(compare_store, capsys):
    from sim.experiment.files import OUTPUTS_LOCK_NAME, FolderLock

    before = {p: p.stat().st_mtime_ns for p in compare_store.rglob("*") if p.is_file()}
    with FolderLock(compare_store, "relsim analyze", OUTPUTS_LOCK_NAME):
        code = main(["analyze", str(compare_store)])
        after = {p: p.stat().st_mtime_ns for p in compare_store.rglob("*") if p.is_file()}
    err = capsys.readouterr().err
    assert code == 2
    assert "another relsim command is writing here (relsim analyze, pid" in err and "Traceback" not in err
    lock = compare_store / OUTPUTS_LOCK_NAME
    assert {p: t for p, t in after.items() if p != lock} == {p: t for p, t in before.items() if p != lock}
    assert main(["analyze", str(compare_store)]) == 0  # once the other one is done


def test_a_sweep_still_running_may_be_analysed_meanwhile(compare_store, capsys):
    from sim.experiment.files import FolderLock

    with FolderLock(compare_store, "relsim sweep --extend"):
        assert main(["analyze", str(compare_store)]) == 0
    assert (compare_store / "analysis" / "index.html").exists()


def test_an_overwrite_waits_for_no_analysis_and_removes_nothing_while_one_writes(tmp_path, capsys):
    from sim.experiment.files import OUTPUTS_LOCK_NAME, FolderLock

    spec = write_sweep(tmp_path, GRID)
    sweep(spec, tmp_path / "out", workers=1)
    write_analysis(tmp_path / "out")
    files = sorted(p for p in (tmp_path / "out").rglob("*") if p.is_file())
    with FolderLock(tmp_path / "out", "relsim analyze", OUTPUTS_LOCK_NAME):
        code = main(["sweep", str(spec), "--out", str(tmp_path / "out"), "--overwrite", "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "relsim analyze" in err and "Traceback" not in err
    assert sorted(p for p in (tmp_path / "out").rglob("*") if p.is_file()) == files


def test_a_comparisons_analysis_counts_its_values_as_paired_runs(compare_store, capsys):
    assert main(["analyze", str(compare_store)]) == 0
    printed = capsys.readouterr().out
    # 12 pairs of runs (the first test above: one paired difference per point and replicate),
    # which the sweep itself counts as 24 runs
    assert "over 12 paired differences (24 runs: the two alternatives on the same seed) at" in printed
    assert "12 paired differences (24 runs" in (compare_store / "analysis" / "index.html").read_text()


def test_a_sensitivity_analysis_measures_the_replicate_noise_in_its_point_means(tmp_path, capsys):
    spec = write_sweep(tmp_path, SAMPLED.replace("replicates = 1", "replicates = 3")
                       + '[design]\nkind = "sobol"\nsamples = 4\n')
    sweep(spec, tmp_path / "out", workers=1)
    assert main(["analyze", str(tmp_path / "out"), "--outcome", "market_share"]) == 0
    a = load_analysis(tmp_path / "out", outcome="market_share")
    # the share by hand: each point's variance between its 3 replicates over 3, averaged over
    # the points, against the variance of the point means the indices are computed from
    by_point = a.per_run.groupby("point")["value"]
    means = a.points["point"].map(by_point.mean())
    expected = (by_point.var() / 3).mean() / means.var()
    assert a.noise.share == pytest.approx(min(1.0, expected)) and a.noise.replicates == 3
    assert "Replicate noise" in a.noise_text and "a total index ST reads about" in a.noise_text
    assert a.noise_text in capsys.readouterr().out
    page = (tmp_path / "out" / "analysis" / "index.html").read_text()
    assert "Replicate noise" in page


def test_with_one_replicate_a_point_the_analysis_says_the_noise_cannot_be_measured(tmp_path):
    spec = write_sweep(tmp_path, SAMPLED + '[design]\nkind = "morris"\nsamples = 4\nlevels = 4\n')
    sweep(spec, tmp_path / "out", workers=1)
    a = load_analysis(tmp_path / "out", outcome="market_share")
    assert a.noise is None and "cannot be measured" in a.noise_text


def test_a_sampled_range_is_labelled_from_its_lowest_value_not_below_it(tmp_path):
    spec = write_sweep(tmp_path, SAMPLED + '[design]\nkind = "latin"\nsamples = 20\n')
    sweep(spec, tmp_path / "out", workers=1)
    _, a = write_analysis(tmp_path / "out", outcome="market_share")
    table = a.effects["buyers.switching_cost"]
    lowest = a.per_run["buyers.switching_cost"].min()
    assert table["level"].iloc[0].left == lowest
    csv = pd.read_csv(tmp_path / "out" / "analysis" / "effects.csv")
    first = csv[csv["parameter"] == "buyers.switching_cost"]["level"].iloc[0]
    assert first.startswith(numbers.plain(lowest, 3) + "–")


def test_the_discovery_says_how_many_points_are_not_settled_on_either_side_of_its_threshold(compare_store, capsys):
    assert main(["analyze", str(compare_store)]) == 0
    a = load_analysis(compare_store)
    if a.box is None:
        pytest.skip("no box in this small sweep")
    p = a.per_point
    straddling = int((~((p["low"] > 0) | (p["high"] < 0))).sum())  # the threshold: advantage > 0
    assert a.unsettled == straddling
    out = capsys.readouterr().out
    if straddling:
        assert f"{straddling} of the {len(p)} points have a 95% interval that reaches across" in out
    else:
        assert "Every point's 95% interval is on one side" in out


def test_a_sobol_index_s_interval_is_given_as_estimated_so_it_holds_its_estimate():
    from sim.report.analyze import _index_cell

    # a score cell clips to [0, 1] ("0.00 to 0.17" around -0.08); an index's interval is not
    cell = _index_cell(-0.08, 0.25)
    assert cell["value"] == numbers.number(-0.08, "score")
    assert cell["ci"] == numbers.interval(-0.33, 0.17, "score")
