"""The report: figures drawn from the results (right series, right groups), the HTML page for
a run and for a compare folder, clear errors on bad folders, and the page in a real browser."""

from __future__ import annotations

import base64
import copy
import html
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.patches import StepPatch
from scipy.stats import t as student_t
from support import ROOT

import sim
from sim import report
from sim.cli import main
from sim.config import load_scenario
from sim.experiment.run import run
from sim.observe import numbers
from sim.observe.kpis import HEADLINE, KPIS
from sim.report import figures
from sim.report import html as html_module
from sim.stats.intervals import mean_interval

ROOT = ROOT
SCENARIO = ROOT / "scenarios" / "b2b_key_accounts.toml"
CHROMIUM = Path("/usr/bin/chromium")
SMALL = {"market.buyers": 300, "market.steps": 24}
REPLICATES = 3
FOCAL = ["Partners 1", "Partners 2"]
STAGES = ["early", "development", "long_term", "final"]


def _run(out: Path, **overrides) -> Path:
    scenario = load_scenario(SCENARIO).with_overrides({**SMALL, **overrides})
    run(scenario, replicates=REPLICATES, out=out, workers=1)
    return out


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    return _run(tmp_path_factory.mktemp("report") / "run")


@pytest.fixture(scope="module")
def run_data(run_folder) -> report.ReportData:
    return report.load_report_data(run_folder)


# ------------------------------------------------------------------ a compare folder, as compare writes it


@pytest.fixture(scope="module")
def compare_folder(tmp_path_factory) -> Path:
    """What ``relsim compare --focal Partners --focal-all`` writes: both copies of the Partners
    entry as relationship vs transactional (the report is tested on the real thing, not a
    folder built to look like it; --focal-all so that the two focal suppliers are the only
    holders of the relationship strategy, which the run-summary comparison below relies on)."""
    out = tmp_path_factory.mktemp("report") / "compare"
    sim.compare(load_scenario(SCENARIO), "relationship,transactional", replicates=REPLICATES,
                focal="Partners", overrides=SMALL, out=out, workers=1, focal_all=True)
    return out


@pytest.fixture(scope="module")
def compare_data(compare_folder) -> report.ReportData:
    return report.load_report_data(compare_folder)


@pytest.fixture(scope="module")
def run_cli(run_folder) -> tuple[int, str]:
    """``relsim report RUN_FOLDER`` as a user types it: exit code and what it printed."""
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["report", str(run_folder)])
    return code, printed.getvalue()


@pytest.fixture(scope="module")
def run_report(run_folder, run_cli) -> Path:
    return run_folder / "report.html"


@pytest.fixture(scope="module")
def compare_report(compare_folder) -> Path:
    return report.write_report(compare_folder)


# ------------------------------------------------------------------ independent computations


def page_cells(page: str, section: str) -> set[tuple[str, str]]:
    """(value, interval) of every table cell in the page's section ``id=section``."""
    import re

    start = page.index(f'id="{section}"')
    body = page[start:page.index("</section>", start)]
    pairs = re.findall(r'<td><span class="value">(.*?)</span>(?:<span class="ci">(.*?)</span>)?</td>', body)
    return {(html.unescape(v), html.unescape(c)) for v, c in pairs}



def suppliers_table(folder: Path) -> pd.DataFrame:
    s = pd.read_parquet(folder / "suppliers.parquet")
    for col in ("supplier", "strategy"):
        s[col] = s[col].astype(str)
    return s


def per_group_step(s: pd.DataFrame, by: str = "strategy") -> pd.DataFrame:
    """Sum over each group's suppliers per replicate and step."""
    s = s.assign(current=s[STAGES].sum(axis=1),
                 trust_x=s["mean_trust"].fillna(0) * s[STAGES].sum(axis=1),
                 commitment_x=s["mean_commitment"].fillna(0) * s[STAGES].sum(axis=1))
    cols = ["market_share", "cumulative_profit", "retained", "customers_at_start",
            "lost_customers", "left_customers", "dropped_customers", "current", "trust_x", "commitment_x", *STAGES]
    return s.groupby([by, "replicate", "step"])[cols].sum().reset_index()


def mean_and_half(frame: pd.DataFrame, by: str, value: str) -> pd.DataFrame:
    stats = frame.groupby([by, "step"])[value].agg(["mean", "std", "count"]).reset_index()
    stats["half"] = student_t.ppf(0.975, stats["count"] - 1) * stats["std"] / np.sqrt(stats["count"])
    return stats


def lines_by_label(ax) -> dict[str, Line2D]:
    return {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}


def band_top(collection) -> dict[float, float]:
    """Upper edge of a fill_between polygon: the largest y at each x."""
    top: dict[float, float] = {}
    for path in collection.get_paths():
        for x, y in path.vertices:
            top[x] = max(top.get(x, -np.inf), y)
    return top


def check_lines(ax, expected: pd.DataFrame, by: str, groups: list[str]) -> None:
    lines = lines_by_label(ax)
    assert sorted(lines) == sorted(groups)
    for group in groups:
        want = expected[expected[by] == group].dropna(subset=["mean"])
        x, y = lines[group].get_data()
        assert len(x) > 1
        np.testing.assert_array_equal(x, want["step"].to_numpy())
        np.testing.assert_allclose(y, want["mean"].to_numpy(), rtol=1e-9, atol=1e-12)
        assert np.ptp(y) > 0, f"{group}: a flat line suggests the wrong series"


# ------------------------------------------------------------------ figures from a run


def test_groups_of_a_run_are_the_strategies_in_order_of_appearance(run_folder, run_data):
    s = suppliers_table(run_folder)
    assert run_data.kind == "run"
    assert run_data.groups == list(dict.fromkeys(s.sort_values(["step", "replicate"])["strategy"]))
    assert set(run_data.groups) == {"transactional", "relationship"}
    assert run_data.replicates == {g: REPLICATES for g in run_data.groups}
    assert len(set(run_data.colours.values())) == len(run_data.groups)


def test_market_share_lines_are_each_strategys_mean_share_with_t_bands(run_folder, run_data):
    fig = figures.fig_market_share(run_data)
    assert isinstance(fig.canvas, FigureCanvasAgg)
    ax = fig.axes[0]
    expected = mean_and_half(per_group_step(suppliers_table(run_folder)), "strategy", "market_share")
    check_lines(ax, expected, "strategy", run_data.groups)
    bands = [c for c in ax.collections if c.get_label().endswith("95% CI")]
    assert len(bands) == len(run_data.groups)
    for band in bands:
        group = band.get_label()[1:].removesuffix(" 95% CI")
        want = expected[expected["strategy"] == group]
        top = band_top(band)
        np.testing.assert_allclose([top[x] for x in want["step"]], want["mean"] + want["half"],
                                   rtol=1e-9)


def test_cumulative_profit_lines_add_up_each_strategys_suppliers(run_folder, run_data):
    fig = figures.fig_cumulative_profit(run_data)
    ax = fig.axes[0]
    expected = mean_and_half(per_group_step(suppliers_table(run_folder)), "strategy",
                             "cumulative_profit")
    check_lines(ax, expected, "strategy", run_data.groups)
    # the end of each line is the run's total profit of that strategy, averaged over replicates
    s = suppliers_table(run_folder)
    totals = s.groupby(["strategy", "replicate"])["profit"].sum().groupby("strategy").mean()
    for group, line in lines_by_label(ax).items():
        assert line.get_ydata()[-1] == pytest.approx(totals[group], rel=1e-9)
    assert "profit" in ax.get_ylabel().lower() and "money" in ax.get_ylabel()


def test_trust_and_commitment_are_weighted_by_current_customers(run_folder, run_data):
    fig = figures.fig_trust_commitment(run_data)
    g = per_group_step(suppliers_table(run_folder))
    g["mean_trust"] = g["trust_x"] / g["current"].where(g["current"] > 0)
    g["mean_commitment"] = g["commitment_x"] / g["current"].where(g["current"] > 0)
    for ax, column in zip(fig.axes, ("mean_trust", "mean_commitment")):
        check_lines(ax, mean_and_half(g, "strategy", column), "strategy", run_data.groups)
        assert ax.get_ylim() == (0, 1)


def test_retention_counts_only_customers_who_left_and_dropped_ones_are_drawn_apart(run_folder, run_data):
    fig = figures.fig_retention_churn(run_data)
    g = per_group_step(suppliers_table(run_folder))
    at_start = g["customers_at_start"].where(g["customers_at_start"] > 0)
    at_risk = (g["customers_at_start"] - g["dropped_customers"]).where(lambda n: n > 0)
    g["retention"] = g["retained"] / at_risk
    g["left"] = g["left_customers"].where(at_start.notna())
    g["dropped"] = g["dropped_customers"].where(at_start.notna())
    assert g["dropped"].sum() > 0, "the run folder's scenario should drop customers"
    retention, churn = fig.axes[:2]
    check_lines(retention, mean_and_half(g, "strategy", "retention"), "strategy", run_data.groups)
    check_lines(churn, mean_and_half(g, "strategy", "left"), "strategy", run_data.groups)
    dashed = {line.get_label()[1:-len(" dropped")]: line for line in churn.get_lines() if line.get_ls() == "--"}
    for group in run_data.groups:
        want = mean_and_half(g, "strategy", "dropped")
        want = want[want["strategy"] == group].dropna(subset=["mean"])
        np.testing.assert_allclose(dashed[group].get_ydata(), want["mean"].to_numpy(), rtol=1e-9)
    assert "dropped on purpose" in [t.get_text() for t in churn.get_legend().get_texts()]
    for line in lines_by_label(retention).values():
        assert 0 < line.get_ydata().min() and line.get_ydata().max() <= 1
        assert line.get_xdata()[0] == 1  # nobody to keep or lose before the first month


def test_stage_mix_stacks_each_strategys_customers_by_stage(run_folder, run_data):
    fig = figures.fig_stage_mix(run_data)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == run_data.groups
    means = per_group_step(suppliers_table(run_folder)).groupby(["strategy", "step"])[STAGES].mean()
    for ax in panels:
        layers = [c for c in ax.collections]
        assert [c.get_label() for c in layers] == ["Early", "Development", "Long-term", "Final (settled)"]
        want = means.loc[ax.get_title()]
        stacked = want[STAGES].cumsum(axis=1)
        for layer, stage in zip(layers, STAGES):
            top = band_top(layer)
            np.testing.assert_allclose([top[x] for x in want.index], stacked[stage], rtol=1e-9)
        assert stacked["final"].max() > 0


def test_transition_matrix_counts_events_per_run_by_strategy(run_folder, run_data):
    fig = figures.fig_stage_flow(run_data)
    events = pd.read_parquet(run_folder / "events.parquet")
    for col in ("supplier", "from_stage", "to_stage", "cause"):
        events[col] = events[col].astype(str)
    key = suppliers_table(run_folder)[["replicate", "step", "supplier", "strategy"]]
    events = events.merge(key, on=["replicate", "step", "supplier"])
    heatmaps = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in heatmaps] == run_data.groups
    for ax in heatmaps:
        image: AxesImage = ax.images[0]
        rows = [t.get_text() for t in ax.get_yticklabels()]
        cols = [t.get_text() for t in ax.get_xticklabels()]
        mine = events[events["strategy"] == ax.get_title()]
        want = pd.crosstab(mine["from_stage"], mine["to_stage"]).reindex(
            index=rows, columns=cols, fill_value=0) / REPLICATES
        np.testing.assert_allclose(np.ma.filled(image.get_array(), 0), want.to_numpy(), rtol=1e-9)
        assert want.loc["early", "ended"] > 0
    # and why they ended: one bar group per strategy, the mean count per run of each cause
    causes = next(ax for ax in fig.axes if ax.get_title() == "Why relationships ended")
    ended = events[events["to_stage"] == "ended"]
    per = ended.groupby(["strategy", "replicate", "cause"]).size().unstack("cause", fill_value=0)
    bars = [c for c in causes.containers if isinstance(c, BarContainer)]
    assert [b.get_label() for b in bars] == run_data.groups
    names = {v: k for k, v in figures.CAUSE_NAMES.items()}
    order = [names[t.get_text()] for t in causes.get_yticklabels()]
    for container in bars:
        want = per.loc[container.get_label()].reindex(columns=order, fill_value=0)
        widths = [patch.get_width() for patch in container.patches]
        np.testing.assert_allclose(widths, want.reindex(range(REPLICATES), fill_value=0).mean())


def test_positioning_bars_are_shares_of_current_relationships(run_folder, run_data):
    fig = figures.fig_positioning(run_data)
    ax = fig.axes[0]
    rel = pd.read_parquet(run_folder / "relationships.parquet")
    rel["supplier"] = rel["supplier"].astype(str)
    s = suppliers_table(run_folder)
    last = s[s["step"] == s["step"].max()][["replicate", "supplier", "strategy"]]
    current = rel[rel["current"]].merge(last, on=["replicate", "supplier"])
    order = ["partner", "managed", "desired", "independent"]
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert [b.get_label() for b in bars] == run_data.groups
    for container in bars:
        mine = current[current["strategy"] == container.get_label()]
        counts = pd.crosstab(mine["replicate"], mine["positioning"].astype(str)).reindex(
            columns=order, fill_value=0)
        shares = counts.div(counts.sum(axis=1), axis=0).mean()
        heights = [p.get_height() for p in container.patches]
        np.testing.assert_allclose(heights, shares.to_numpy(), rtol=1e-9)
        assert sum(heights) == pytest.approx(1.0)


def test_relationship_value_histogram_counts_every_relationship_per_run(run_folder, run_data):
    fig = figures.fig_relationship_value(run_data)
    ax = fig.axes[0]
    rel = pd.read_parquet(run_folder / "relationships.parquet")
    rel["supplier"] = rel["supplier"].astype(str)
    s = suppliers_table(run_folder)
    last = s[s["step"] == s["step"].max()][["replicate", "supplier", "strategy"]]
    rel = rel.merge(last, on=["replicate", "supplier"])
    outlines = [p for p in ax.patches if isinstance(p, StepPatch) and p.get_gid()]
    assert [p.get_gid() for p in outlines] == run_data.groups
    for patch in outlines:
        values, edges, _ = patch.get_data()
        net = rel.loc[rel["strategy"] == patch.get_gid(), "net_value"].to_numpy()
        counts, _ = np.histogram(net, bins=edges)
        np.testing.assert_allclose(values, counts / REPLICATES)
        assert values.sum() * REPLICATES == pytest.approx(len(net))  # nobody left out
    assert ax.get_xscale() == "symlog"


@pytest.mark.parametrize("spec", report.FIGURES[1:], ids=lambda s: s.name)
def test_every_figure_is_titled_labelled_and_drawn_from_data(run_data, spec):
    fig = spec.draw(run_data)
    assert fig.get_suptitle().strip(), f"{spec.name}: no title"
    drawn = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    assert drawn
    fig.canvas.draw()  # tick labels get their text when drawn
    for ax in drawn:
        ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text().strip()]
        assert ax.get_xlabel() or ticks, f"{spec.name}: axis without x label or named ticks"
        assert ax.has_data(), f"{spec.name}: an empty panel"
    assert any(ax.get_ylabel() for ax in drawn)
    assert any(ax.get_legend() for ax in drawn) or fig.legends or \
        [ax.get_title() for ax in drawn if ax.get_title()] == run_data.groups


def test_figure_functions_leave_the_callers_matplotlib_settings_alone(run_data):
    import matplotlib

    before = (matplotlib.get_backend(), dict(matplotlib.rcParams))
    figures.fig_market_share(run_data)
    assert (matplotlib.get_backend(), dict(matplotlib.rcParams)) == before


# ------------------------------------------------------------------ the report of a run


def test_report_of_a_run_writes_a_self_contained_page_and_the_pngs(run_folder, run_report):
    assert run_report == run_folder / "report.html"
    names = sorted(p.name for p in (run_folder / "figures").glob("*.png"))
    assert names == sorted(f"{s.name}.png" for s in report.FIGURES if not s.compare_only)
    page = run_report.read_text()
    embedded = [base64.b64decode(chunk.split('"')[0]) for chunk in
                page.split('src="data:image/png;base64,')[1:]]
    assert len(embedded) == len(names)
    assert sorted(embedded) == sorted((run_folder / "figures" / n).read_bytes() for n in names)
    assert "http://" not in page and "https://" not in page and "<script" not in page
    for spec in report.FIGURES[1:]:
        assert spec.caption.format(groups="strategy") in html.unescape(page)
    assert "B2B market with key accounts" in page
    assert "Results per strategy" in page and "95% confidence interval" in page


def test_run_table_shows_each_strategys_summary_with_its_interval(run_folder, run_report):
    page = run_report.read_text()
    results = sim.load_results(run_folder)
    summary = results.summary()
    cells = page_cells(page, "results")
    for _, row in summary.iterrows():
        assert row["strategy"] in page
        share, half = row["market_share"], row["market_share_ci95"]
        assert (numbers.number(share, "share"),
                numbers.interval(max(share - half, 0), min(share + half, 1), "share")) in cells
        profit, half = row["cumulative_profit"], row["cumulative_profit_ci95"]
        assert (numbers.number(profit, "money"), numbers.interval(profit - half, profit + half, "money")) in cells


def test_a_cell_whose_interval_has_no_width_says_so_instead_of_repeating_its_value(compare_folder,
                                                                                 compare_report):
    cells = page_cells(compare_report.read_text(), "results") | page_cells(compare_report.read_text(),
                                                                           "other-verdicts")
    assert all(value != ci for value, ci in cells), [c for c in cells if c[0] == c[1]]
    # a transactional supplier spends nothing on relationships in every run: no spread at all
    summary = pd.read_csv(compare_folder / "summary.csv").set_index(["alternative", "metric"])
    saved = summary.loc[("transactional", "relationship_spend")]
    assert saved["mean"] == 0 and saved["half_width"] == 0
    assert (numbers.number(0.0, "money"), numbers.NO_SPREAD) in cells


def test_incomplete_run_reports_its_finished_replicates_and_says_so(run_folder, tmp_path):
    partial = tmp_path / "partial"
    shutil.copytree(run_folder, partial, ignore=shutil.ignore_patterns("figures", "report.html"))
    (partial / "events.parquet" / "rep-00002.parquet").unlink()
    data = report.load_report_data(partial)
    assert data.replicates == {g: 2 for g in data.groups}
    assert sorted(data.suppliers["replicate"].unique()) == [0, 1]
    assert any("2 of 3" in note for note in data.notes)


def test_one_replicate_draws_means_without_bands_and_says_so(run_folder, tmp_path):
    single = tmp_path / "single"
    shutil.copytree(run_folder, single, ignore=shutil.ignore_patterns("figures", "report.html"))
    for folder in single.glob("*.parquet"):
        for rep in ("rep-00001.parquet", "rep-00002.parquet"):
            (folder / rep).unlink()
    data = report.load_report_data(single)
    assert data.max_replicates() == 1
    ax = figures.fig_market_share(data).axes[0]
    assert sorted(lines_by_label(ax)) == sorted(data.groups)
    assert not [c for c in ax.collections if c.get_label().endswith("95% CI")]
    drawn = report.draw_figures(data)
    assert all(any(a.has_data() for a in fig.axes) for fig in drawn.values())
    page = report.render_html(data, {name: b"png" for name in drawn})
    table = page.split("<tbody>")[1].split("</tbody>")[0]
    assert "One run only" in page and " – " not in table and "95% CI" not in page


def test_a_strategy_that_imitation_empties_counts_as_zero_not_as_missing(run_folder, tmp_path):
    # as if both relationship suppliers of replicate 0 imitated the transactional ones at month 12
    copy = tmp_path / "imitated"
    shutil.copytree(run_folder, copy, ignore=shutil.ignore_patterns("figures", "report.html"))
    file = copy / "suppliers.parquet" / "rep-00000.parquet"
    s = pd.read_parquet(file)
    s["strategy"] = s["strategy"].astype(str).where(s["step"] < 12, "transactional")
    s.to_parquet(file, index=False)
    data = report.load_report_data(copy)
    line = lines_by_label(figures.fig_market_share(data).axes[0])["relationship"]
    all_reps = suppliers_table(copy)
    mine = all_reps[(all_reps["strategy"] == "relationship") & (all_reps["step"] == 20)]
    expected = mine.groupby("replicate")["market_share"].sum().reindex(range(REPLICATES),
                                                                       fill_value=0).mean()
    assert line.get_ydata()[list(line.get_xdata()).index(20)] == pytest.approx(expected)
    row = data.summary.set_index("group").loc["relationship"]
    assert row["suppliers"] == "0–2" and row["replicates"] == REPLICATES
    assert "relationship" in report.render_html(data, {f.name: b"png" for f in report.FIGURES})


def test_without_an_event_log_the_flow_figure_says_why_it_is_empty(run_folder, tmp_path):
    copy = tmp_path / "no-events"
    shutil.copytree(run_folder, copy, ignore=shutil.ignore_patterns("figures", "report.html"))
    for file in (copy / "events.parquet").glob("rep-*.parquet"):
        pd.read_parquet(file).iloc[:0].to_parquet(file, index=False)
    data = report.load_report_data(copy)
    fig = figures.fig_stage_flow(data)
    assert "record_events = false" in " ".join(t.get_text() for t in fig.axes[0].texts)


# ------------------------------------------------------------------ the report of a compare


def test_compare_groups_are_the_alternatives_drawn_from_focal_suppliers(compare_folder, compare_data):
    assert compare_data.kind == "compare"
    assert compare_data.groups == ["relationship", "transactional"]
    assert set(compare_data.suppliers["supplier"]) == set(FOCAL)
    fig = figures.fig_market_share(compare_data)
    frames = []
    for name in compare_data.groups:
        s = suppliers_table(compare_folder / "alternatives" / name)
        frames.append(s[s["supplier"].isin(FOCAL)].assign(alternative=name))
    expected = mean_and_half(per_group_step(pd.concat(frames), by="alternative"), "alternative",
                             "market_share")
    check_lines(fig.axes[0], expected, "alternative", compare_data.groups)
    # the rivals are not in it: focal shares stay below the whole market
    assert max(lines_by_label(fig.axes[0])["relationship"].get_ydata()) < 0.99


def test_compare_differences_figure_plots_the_relative_differences(compare_folder, compare_data):
    fig = figures.fig_differences(compare_data)
    ax = fig.axes[0]
    d = pd.read_csv(compare_folder / "differences.csv")
    plotted = np.concatenate([c.get_offsets()[:, 0] for c in ax.collections
                              if c.get_label().startswith("transactional")])
    # a dot for each money measure whose percentage has a bounded interval (Fieller's, with the
    # baseline's own uncertainty), its whiskers at those bounds; the others are named, not drawn
    bounded = np.isfinite(d["relative_low"]) & np.isfinite(d["relative_high"]) & np.isfinite(d["relative_difference"])
    np.testing.assert_allclose(np.sort(plotted), np.sort(d.loc[bounded, "relative_difference"].to_numpy()))
    ends = np.concatenate([seg[:, 0] for c in ax.collections if hasattr(c, "get_segments") for seg in c.get_segments()])
    bounds = d.loc[bounded, ["relative_low", "relative_high"]].to_numpy().ravel()
    np.testing.assert_allclose(np.sort(ends), np.sort(bounds))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [KPIS[m].title() for m in d.loc[bounded, "metric"]]
    assert "relationship" in ax.get_xlabel()
    for m in d.loc[np.isfinite(d["relative_difference"]) & ~bounded, "metric"]:
        assert KPIS[m].title().lower() in ax.get_xlabel().replace("\n", " ")


def test_compare_report_leads_with_the_verdicts_then_the_table_then_the_figures(
        compare_folder, compare_report):
    page = compare_report.read_text()
    d = pd.read_csv(compare_folder / "differences.csv")
    for sentence in d["sentence"]:
        assert sentence in html.unescape(page)
    assert page.index("The differences that matter") < page.index("Results per alternative") < page.index("<img")
    summary = pd.read_csv(compare_folder / "summary.csv")
    cells = page_cells(page, "results") | page_cells(page, "other-verdicts")  # headline, then the rest
    for _, row in summary.iterrows():
        k = KPIS[row["metric"]]
        assert (numbers.number(row["mean"], k.kind), numbers.interval(
            *html_module._bounded(row["ci_low"], row["ci_high"], k.kind), k.kind)) in cells, row["metric"]
    for metric in summary["metric"].unique():
        assert KPIS[metric].title() in html.unescape(page)
    names = sorted(p.name for p in (compare_folder / "figures").glob("*.png"))
    assert names == sorted(f"{s.name}.png" for s in report.FIGURES)
    assert page.count('src="data:image/png;base64,') == len(report.FIGURES)
    assert "Partners 1, Partners 2" in page


# ------------------------------------------------------------------ bad folders


def test_missing_folder_is_a_scenario_error(tmp_path):
    with pytest.raises(sim.ScenarioError, match="no such results folder"):
        report.write_report(tmp_path / "nowhere")


def test_folder_without_manifest_is_a_scenario_error(tmp_path):
    (tmp_path / "stray.txt").write_text("not results")
    with pytest.raises(sim.ScenarioError, match="no manifest.json"):
        report.write_report(tmp_path)
    assert not (tmp_path / "report.html").exists()


def test_run_folder_without_tables_is_a_scenario_error(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"replicates": 2}))
    with pytest.raises(sim.ScenarioError, match="no finished replicates"):
        report.write_report(tmp_path)


def test_compare_folder_missing_an_alternative_is_a_scenario_error(compare_folder, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(compare_folder, broken, ignore=shutil.ignore_patterns("figures", "report.html"))
    shutil.rmtree(broken / "alternatives" / "transactional")
    with pytest.raises(sim.ScenarioError, match="'transactional' has no results folder"):
        report.load_report_data(broken)


def test_cli_report_prints_where_it_wrote(run_folder, run_cli):
    code, out = run_cli
    assert code == 0
    assert str(run_folder / "report.html") in out and str(run_folder / "figures") in out
    assert (run_folder / "report.html").stat().st_size > 100_000


def test_cli_report_on_a_missing_folder_exits_2_without_traceback(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "no such results folder" in err and "Traceback" not in err


# ------------------------------------------------------------------ in a real browser


@pytest.fixture(scope="module")
def chromium():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (install Debian's chromium: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"])
        try:
            yield browser
        finally:
            browser.close()


@pytest.mark.browser
@pytest.mark.parametrize("which", ["run", "compare"])
def test_report_opens_offline_in_chromium_with_every_image_loaded(which, chromium, request):
    page_path: Path = request.getfixturevalue(f"{which}_report")
    problems, requests = [], []
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url}"))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_path.as_uri(), wait_until="load")
        images = page.eval_on_selector_all(
            "img", "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
        heading = page.inner_text("h1")
        body = page.inner_text("body")
    finally:
        page.close()
    assert problems == []
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    expected = len([s for s in report.FIGURES if which == "compare" or not s.compare_only])
    assert len(images) == expected
    assert all(complete and width > 0 and height > 0 for complete, width, height in images)
    assert heading == "B2B market with key accounts"
    if which == "compare":
        sentences = pd.read_csv(page_path.parent / "differences.csv")["sentence"]
        assert all(sentence in body for sentence in sentences)
        assert "clear difference" in body.lower()
        # per-segment retention over time, the return on spend's interval, drops apart
        assert "retention per month by segment, over time" in body.lower() and "months 12–23" in body
        assert "Fieller's method" in body
    else:
        assert "at a glance" in body.lower()
    assert "Dropped on purpose per month" in body and "Retention by customer segment" in body


# ------------------------------------------------------------------ the real compare, once it lands


def test_report_reads_what_relsim_compare_writes(tmp_path):
    pytest.importorskip("sim.experiment.compare", reason="sim/compare.py is not there yet")
    out = tmp_path / "cmp"
    code = main(["compare", str(SCENARIO), "--replicates", "2", "--steps", "12", "--set",
                 "market.buyers=200", "--out", str(out), "--no-report", "--workers", "1"])
    assert code == 0
    data = report.load_report_data(out)
    assert data.kind == "compare" and data.groups == [a["name"] for a in data.manifest["alternatives"]]
    assert set(data.suppliers["supplier"]) <= set(data.manifest["focal_suppliers"])
    assert figures.fig_differences(data).axes[0].has_data()
    # the page around the figures (drawing them all again is covered above)
    text = report.render_html(data, {s.name: b"png" for s in report.FIGURES})
    for sentence in pd.read_csv(out / "differences.csv")["sentence"]:
        assert sentence in html.unescape(text)
    summary = pd.read_csv(out / "summary.csv")
    assert all(KPIS[m].title() in html.unescape(text) for m in summary["metric"].unique())


# ------------------------------------------------------------------ one definition per outcome


def test_every_outcome_is_the_same_number_in_the_report_compare_and_the_run_summary(compare_folder, compare_data):
    """The same name is the same number everywhere: compare's summary.csv, the report's own
    summary of the same folder, and the run summary of the alternative's folder (where the
    focal Partners alone hold the relationship strategy) agree for every KPI."""
    compared = pd.read_csv(compare_folder / "summary.csv").set_index(["alternative", "metric"])
    reported = compare_data.summary.set_index("group")
    run_summary = sim.load_results(compare_folder / "alternatives" / "relationship").summary().set_index("strategy")
    assert set(compared.index.get_level_values("metric")) == set(KPIS)
    for name in KPIS:
        for alternative in compare_data.groups:
            want = compared.loc[(alternative, name)]
            np.testing.assert_allclose(reported.loc[alternative, name], want["mean"], rtol=1e-9, err_msg=name)
            np.testing.assert_allclose(reported.loc[alternative, f"{name}_ci95"], want["half_width"],
                                       rtol=1e-9, err_msg=name)
        np.testing.assert_allclose(run_summary.loc["relationship", name], compared.loc[("relationship", name), "mean"],
                                   rtol=1e-9, err_msg=name)


def test_labels_carry_the_scenarios_step_unit_and_never_say_per_step(compare_report, run_report):
    for page in (compare_report.read_text(), run_report.read_text()):
        assert "per step" not in page and "Retention per month" in page


def test_a_difference_of_nothing_in_every_replicate_is_badged_no_difference(compare_folder, compare_report):
    """Badge and sentence agree: "the same in every one of the N replicates" is not "could be chance"."""
    d = pd.read_csv(compare_folder / "differences.csv")
    same = d[d["status"] == "same"]
    assert not same.empty  # the settled-stage shares are 0 under both in a 24-month market
    page = html.unescape(compare_report.read_text())
    for sentence in same["sentence"]:
        item = page[page.index(sentence) - 80:page.index(sentence)]
        assert "no difference" in item and "could be chance" not in item


# ------------------------------------------------------------------ results of an earlier relsim


def test_a_run_written_before_drops_and_segments_were_recorded_still_reports_and_says_so(run_folder, tmp_path):
    """An earlier relsim wrote no segments table and no left/dropped counts: the report still
    reads the folder, keeps retention's old meaning for it, and says so."""
    older = tmp_path / "older"
    shutil.copytree(run_folder, older)
    shutil.rmtree(older / "segments.parquet")
    for path in (older / "suppliers.parquet").glob("rep-*.parquet"):
        frame = pd.read_parquet(path)
        frame.drop(columns=["left_customers", "dropped_customers"]).to_parquet(path)
    (older / "report.html").unlink(missing_ok=True)
    data = report.load_report_data(older)
    assert data.segments is None
    assert any("did not count customers dropped on purpose apart" in n for n in data.notes)
    s = pd.read_parquet(older / "suppliers.parquet")
    for group, g in s.groupby("strategy", observed=True):
        want = g.groupby("replicate")["retained"].sum() / g.groupby("replicate")["customers_at_start"].sum()
        got = data.outcomes[data.outcomes["group"] == str(group)].set_index("replicate")["retention_rate"]
        np.testing.assert_allclose(got.sort_index().to_numpy(), want.sort_index().to_numpy())
    page = html.unescape(report.render_html(data, {spec.name: b"png" for spec in figures.FIGURES}))
    assert "did not count customers dropped on purpose apart" in page


def test_the_results_show_customers_who_left_apart_from_those_dropped_with_both_rates(
        compare_folder, compare_data, compare_report):
    page = compare_report.read_text()
    cells = page_cells(page, "results")
    start = page.index('id="results"')
    section = html.unescape(page[start:page.index("</section>", start)])
    assert "Who left and who was let go" in section
    assert "Customers dropped on purpose (per run)" in section and "Dropped on purpose per month" in section
    summary = compare_data.summary.set_index("group")
    for group in compare_data.groups:
        for name in ("retention_rate", "dropped_rate"):
            want = html_module.cell(summary.loc[group, name], summary.loc[group, f"{name}_ci95"], KPIS[name].kind)
            assert (want["value"], want["ci"]) in cells
    # the dropped count per run is the focal suppliers' logged drops
    events = pd.read_parquet(compare_folder / "alternatives" / "relationship" / "events.parquet")
    focal = compare_data.manifest["focal_suppliers"]
    drops = events[(events["cause"] == "dropped_unprofitable") & events["supplier"].astype(str).isin(focal)]
    per_run = drops.groupby("replicate").size().reindex(compare_data.replicate_ids["relationship"], fill_value=0)
    want = html_module.cell(*mean_interval(per_run.to_numpy()), "count")
    assert per_run.sum() > 0 and (want["value"], want["ci"]) in cells


def test_a_report_refuses_a_folder_another_report_or_an_overwrite_is_writing(run_folder, tmp_path, capsys):
    from sim.experiment.files import OUTPUTS_LOCK_NAME, FolderBusy, FolderLock

    busy = tmp_path / "busy"
    shutil.copytree(run_folder, busy, ignore=shutil.ignore_patterns("figures", "report.html"))
    with FolderLock(busy, "relsim --overwrite", OUTPUTS_LOCK_NAME):
        with pytest.raises(FolderBusy, match=r"another relsim command is writing here \(relsim --overwrite"):
            report.write_report(busy)
        assert main(["report", str(busy)]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert not (busy / "report.html").exists() and not (busy / "figures").exists()
    assert report.write_report(busy).exists()  # free again


def test_a_busy_folder_or_a_users_file_is_refused_before_any_figure_is_drawn(run_folder, tmp_path, monkeypatch):
    from sim.experiment.files import OUTPUTS_LOCK_NAME, FolderBusy, FolderLock
    from sim.report import html as report_html

    drawn = []
    monkeypatch.setattr(report_html, "_png", lambda figure: drawn.append(figure) or b"png")
    busy = tmp_path / "busy"
    shutil.copytree(run_folder, busy, ignore=shutil.ignore_patterns("figures", "report.html"))
    with FolderLock(busy, "relsim --overwrite", OUTPUTS_LOCK_NAME):
        with pytest.raises(FolderBusy):
            report.write_report(busy)
    mine = tmp_path / "mine"
    shutil.copytree(run_folder, mine, ignore=shutil.ignore_patterns("figures", "report.html", ".relsim-files.json"))
    (mine / "report.html").write_text("my own notes")
    assert main(["report", str(mine)]) == 2
    assert drawn == []  # both refused at once, not after seconds of drawing
    assert report.write_report(busy).exists() and drawn  # a free folder is drawn and written


def test_a_store_writes_or_removes_a_later_output_only_under_its_lock(run_folder, tmp_path):
    from sim.experiment.store import ResultsFolder

    copy = tmp_path / "copy"
    shutil.copytree(run_folder, copy)
    folder = ResultsFolder(copy)
    with pytest.raises(RuntimeError, match="take the later writers' lock first"):
        folder.write_output("figures/extra.png", b"png")
    with pytest.raises(RuntimeError, match="take the later writers' lock first"):
        folder.remove_output("report.html")
    assert not (copy / "figures" / "extra.png").exists()
    with folder.writing_outputs("relsim report"):
        with folder.writing_outputs("relsim report"):  # the holder may nest
            folder.write_output("figures/extra.png", b"png")
        assert (copy / "figures" / "extra.png").read_bytes() == b"png"
        folder.remove_output("figures/extra.png")
    assert not (copy / "figures" / "extra.png").exists()


def test_a_report_never_replaces_a_file_of_the_users_with_one_of_its_names(run_folder, tmp_path, capsys):
    mine = tmp_path / "mine"
    shutil.copytree(run_folder, mine, ignore=shutil.ignore_patterns("figures", "report.html", ".relsim-files.json"))
    (mine / "figures").mkdir()
    (mine / "figures" / "market_share.png").write_bytes(b"my own chart")
    (mine / "report.html").write_text("my own notes")
    assert main(["report", str(mine)]) == 2
    err = capsys.readouterr().err
    assert "relsim did not write" in err and "figures/market_share.png" in err and "report.html" in err
    assert (mine / "figures" / "market_share.png").read_bytes() == b"my own chart"
    assert (mine / "report.html").read_text() == "my own notes"
    assert sorted(p.name for p in (mine / "figures").iterdir()) == ["market_share.png"]  # nothing else drawn in
    # and --overwrite, which removes only relsim's files, refuses the folder rather than take them
    assert main(["run", str(SCENARIO), "--out", str(mine), "--overwrite", "--replicates", "1",
                 *[f"--set={k}={v}" for k, v in SMALL.items()]]) == 2
    assert (mine / "report.html").read_text() == "my own notes"


def test_a_run_reports_highlights_say_when_the_ranking_could_be_chance(run_data):
    from sim.report.html import _run_highlights

    summary = run_data.summary.copy()
    assert len(summary) == 2
    data = copy.copy(run_data)
    data.summary = summary.assign(npv_profit=[22325.0, 717.0], npv_profit_ci95=[33568.0, 16178.0],
                                  market_share=[0.7, 0.3], market_share_ci95=[0.01, 0.01])
    lines = [line["text"] for line in _run_highlights(data)]
    npv = next(line for line in lines if "net present value" in line)
    share = next(line for line in lines if "market share" in line)
    assert "the intervals overlap, so this order could be chance" in npv
    assert "could be chance" not in share


def test_the_verdicts_say_once_what_their_percentages_intervals_count(compare_folder, compare_report):
    from sim.experiment.compare import RELATIVE_INTERVAL_NOTE

    d = pd.read_csv(compare_folder / "differences.csv")
    page = html.unescape(compare_report.read_text())
    assert np.isfinite(d.loc[d["metric"].isin(HEADLINE), "relative_low"]).any()  # a percentage with an interval
    note = RELATIVE_INTERVAL_NOTE
    assert (note[0].upper() + note[1:]) in page
    assert "counting the uncertainty" not in page  # not repeated in every sentence
