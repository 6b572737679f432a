"""The report: figures drawn from the results (right series, right groups), the HTML page for
a run and for a compare folder, clear errors on bad folders, and the page in a real browser."""

from __future__ import annotations

import base64
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
from sim.observe.summary import summarise_by_strategy
from sim.report import data as report_data
from sim.report import figures

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


# ------------------------------------------------------------------ a compare folder by hand
# Written to the contract sim/compare.py follows: alternatives/<name>/ run folders, the focal
# suppliers' metrics per (alternative, replicate), summary.csv and differences.csv.


def _focal_metrics(folder: Path, alternative: str) -> pd.DataFrame:
    s = pd.read_parquet(folder / "suppliers.parquet")
    s = s[s["supplier"].astype(str).isin(FOCAL)]
    rel = pd.read_parquet(folder / "relationships.parquet")
    rel = rel[rel["supplier"].astype(str).isin(FOCAL)]
    last = s[s["step"] == s["step"].max()]
    rows = []
    for r, g in s.groupby("replicate"):
        end = last[last["replicate"] == r]
        mine = rel[rel["replicate"] == r]
        current = end[STAGES].to_numpy().sum()
        discount = 1.01 ** -g["step"].to_numpy()
        row = {
            "alternative": alternative, "replicate": int(r),
            "cumulative_profit": g["profit"].sum(),
            "npv_profit": float((g["profit"].to_numpy() * discount).sum()),
            "market_share": end["market_share"].sum(),
            "retention_rate": g["retained"].sum() / g["customers_at_start"].sum(),
            "churn_rate": g["lost_customers"].sum() / g["customers_at_start"].sum(),
            "mean_tenure": mine.loc[mine["current"], "tenure"].mean(),
            "customer_lifetime_value": mine["net_value"].mean(),
            "acquisition_cost_per_customer": g["acquisition_spend"].sum() / g["new_customers"].sum(),
            "cost_to_serve_per_customer": g["cost_to_serve"].sum() / g["customers"].sum(),
            "mean_trust": (end["mean_trust"].fillna(0) * end[STAGES].sum(axis=1)).sum() / current,
            "mean_commitment": (end["mean_commitment"].fillna(0) * end[STAGES].sum(axis=1)).sum()
            / current,
        }
        for stage in STAGES:
            row[f"share_{stage}"] = end[stage].sum() / current
        rows.append(row)
    return pd.DataFrame(rows)


def _interval(values: np.ndarray) -> tuple[float, float]:
    values = np.asarray(values, float)
    mean = values.mean()
    half = student_t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return float(mean), float(half)


def build_compare_folder(root: Path) -> Path:
    alternatives = {"relationship": {}, "transactional": {"suppliers[Partners].strategy": "transactional"}}
    for name, overrides in alternatives.items():
        _run(root / "alternatives" / name, **overrides)
    metrics = pd.concat([_focal_metrics(root / "alternatives" / n, n) for n in alternatives],
                        ignore_index=True)
    metrics.to_parquet(root / "metrics.parquet", index=False)
    names = [c for c in metrics.columns if c not in ("alternative", "replicate")]
    summary, differences = [], []
    for name, g in metrics.groupby("alternative", sort=False):
        for metric in names:
            mean, half = _interval(g[metric])
            summary.append({"alternative": name, "metric": metric, "mean": mean,
                            "ci_low": mean - half, "ci_high": mean + half, "half_width": half,
                            "replicates": len(g)})
    base = metrics[metrics["alternative"] == "relationship"].set_index("replicate")
    other = metrics[metrics["alternative"] == "transactional"].set_index("replicate")
    for metric in names:
        mean, half = _interval(other[metric] - base[metric])
        baseline = float(base[metric].mean())
        significant = bool(abs(mean) > half)
        differences.append({
            "baseline": "relationship", "alternative": "transactional", "metric": metric,
            "mean_difference": mean, "ci_low": mean - half, "ci_high": mean + half,
            "relative_difference": mean / baseline if baseline else float("nan"),
            "relative_half_width": half / abs(baseline) if baseline else float("nan"),
            "significant": significant,
            "sentence": f"Transactional instead of relationship changes {metric.replace('_', ' ')} "
                        f"by {mean:,.3g} (95% CI {mean - half:,.3g} to {mean + half:,.3g})"
                        + (" & that is a clear difference." if significant else "; it could be chance."),
        })
    pd.DataFrame(summary).to_csv(root / "summary.csv", index=False)
    pd.DataFrame(differences).to_csv(root / "differences.csv", index=False)
    manifest = {"kind": "compare", "scenario_name": "B2B market with key accounts",
                "alternatives": [{"name": n, "folder": f"alternatives/{n}"} for n in alternatives],
                "focal_suppliers": FOCAL, "replicates": REPLICATES, "root_seed": 20241,
                "overrides": {"market.buyers": 300}, "wall_time_s": 1.0}
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return root


@pytest.fixture(scope="module")
def compare_folder(tmp_path_factory) -> Path:
    return build_compare_folder(tmp_path_factory.mktemp("report") / "compare")


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
            "lost_customers", "current", "trust_x", "commitment_x", *STAGES]
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


def test_retention_is_retained_over_customers_at_start_and_churn_counts_lost_customers(
        run_folder, run_data):
    fig = figures.fig_retention_churn(run_data)
    g = per_group_step(suppliers_table(run_folder))
    at_start = g["customers_at_start"].where(g["customers_at_start"] > 0)
    g["retention"] = g["retained"] / at_start
    g["lost"] = g["lost_customers"].where(g["customers_at_start"] > 0)
    retention, churn = fig.axes[:2]
    check_lines(retention, mean_and_half(g, "strategy", "retention"), "strategy", run_data.groups)
    check_lines(churn, mean_and_half(g, "strategy", "lost"), "strategy", run_data.groups)
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
        assert [c.get_label() for c in layers] == ["Early", "Development", "Long-term", "Final"]
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


def test_lifetime_value_histogram_counts_every_relationship_per_run(run_folder, run_data):
    fig = figures.fig_lifetime_value(run_data)
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
    assert fig._suptitle is not None and fig._suptitle.get_text()
    drawn = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    assert drawn
    for ax in drawn:
        assert ax.get_xlabel() or ax.get_xticklabels(), f"{spec.name}: axis without x label"
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
        assert html.escape(spec.caption.format(groups="strategy")) in page
    assert "B2B market with key accounts" in page
    assert "Results per strategy" in page and "95% confidence interval" in page


def test_run_table_shows_each_strategys_summary_with_its_interval(run_folder, run_report):
    page = run_report.read_text()
    summary = summarise_by_strategy(suppliers_table(run_folder))
    for _, row in summary.iterrows():
        assert row["strategy"] in page
        share, half = row["market_share"], row["market_share_ci95"]
        assert f"{100 * share:.1f}%" in page
        assert f"{100 * (share - half):.1f}% – {100 * (share + half):.1f}%" in page
        assert f"{row['cumulative_profit']:,.0f}" in page


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
    want = d["relative_difference"].to_numpy()
    np.testing.assert_allclose(np.sort(plotted), np.sort(want[np.isfinite(want)]))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == report_data.METRICS["cumulative_profit"][0]
    assert "relationship" in ax.get_xlabel()


def test_compare_report_leads_with_the_verdicts_then_the_table_then_the_figures(
        compare_folder, compare_report):
    page = compare_report.read_text()
    d = pd.read_csv(compare_folder / "differences.csv")
    for sentence in d["sentence"]:
        assert html.escape(sentence) in page
    assert page.index("Verdict") < page.index("Results per alternative") < page.index("<img")
    summary = pd.read_csv(compare_folder / "summary.csv")
    profit = summary[(summary["metric"] == "cumulative_profit")]
    for _, row in profit.iterrows():
        assert f"{row['ci_low']:,.0f} – {row['ci_high']:,.0f}" in page
    for metric in summary["metric"].unique():
        assert html.escape(report_data.METRICS[metric][0]) in page
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
    else:
        assert "at a glance" in body.lower()


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
        assert html.escape(sentence) in text
    summary = pd.read_csv(out / "summary.csv")
    assert all(html.escape(report_data.METRICS[m][0]) in text for m in summary["metric"].unique())
