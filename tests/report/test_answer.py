"""The report a board can decide from: the answer first (ranking on the objective and a
recommendation that agrees with it), return on relationship spend, segments, rivals, the
market simulated with its events marked on every time chart, what-ifs of the market as
alternatives, honest computing time, and figures that stay readable with five alternatives."""

from __future__ import annotations

import html
import itertools

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text
from support import SCENARIOS

import sim
from sim.cli import main
from sim.config import load_scenario
from sim.config.schema import ScenarioError
from sim.experiment.compare import resolve_alternatives
from sim.observe.kpis import KPIS, replicate_outcomes
from sim.report import answer, figures, load_report_data, render_html
from sim.stats.intervals import paired_difference_interval

B2B = SCENARIOS / "b2b_key_accounts.toml"
ENTRANT = SCENARIOS / "low_price_entrant.toml"
FIVE = "transactional,relationship,segmented,basic,reactive"


@pytest.fixture(scope="module")
def five(tmp_path_factory):
    out = tmp_path_factory.mktemp("answer") / "five"
    sim.compare(load_scenario(B2B), FIVE, replicates=3, focal="Partners", workers=1, out=out,
                overrides={"market.buyers": 250, "market.steps": 18})
    return load_report_data(out)


@pytest.fixture(scope="module")
def entrant(tmp_path_factory):
    """The low-price entrant market against the same market without the entrant."""
    out = tmp_path_factory.mktemp("answer") / "entrant"
    code = main(["compare", str(ENTRANT), "--alternative", "no entrant: events[0].step=never", "--replicates", "2",
                 "--set", "market.buyers=250", "--out", str(out), "--workers", "1", "--no-report"])
    assert code == 0
    return out


# --------------------------------------------------------------------------- the answer


def test_alternatives_are_ranked_on_the_objective_best_first_with_paired_gaps(five):
    ranked = answer.rank_alternatives(five)
    means = five.summary.set_index("group")["npv_profit"]
    assert [r.group for r in ranked] == list(means.sort_values(ascending=False).index)
    best = ranked[0].group
    o = five.outcomes
    for r in ranked[1:]:
        b = o[o["group"] == best].set_index("replicate")["npv_profit"].sort_index()
        x = o[o["group"] == r.group].set_index("replicate")["npv_profit"].sort_index()
        diff, half, _ = paired_difference_interval(x.to_numpy(), b.to_numpy())
        assert (r.gap, r.gap_half) == pytest.approx((diff, half))
        assert r.status == ("clear" if abs(diff) > half else "unclear")


def test_an_objective_where_less_is_better_ranks_the_lowest_first(five):
    ranked = answer.rank_alternatives(five, "churn_rate")
    means = five.summary.set_index("group")["churn_rate"]
    assert [r.group for r in ranked] == list(means.sort_values().index)
    assert all(r.gap >= 0 for r in ranked)


def test_the_recommendation_agrees_with_the_ranking_and_says_under_which_conditions(five):
    for objective in ("npv_profit", "market_share", "customers"):
        ranked = answer.rank_alternatives(five, objective)
        text = answer.recommendation(five, objective)
        if ranked[1].status == "clear":
            assert text.startswith(f"Choose {ranked[0].group}.") and "clear difference" in text
        else:
            assert text.startswith(f"{ranked[0].group} and {ranked[1].group} cannot be told apart")
            assert "Choose" not in text
        assert "250 buyers, 18 months" in text and "3 runs each" in text and "not a forecast" in text


def page_of(data, objective=None) -> str:
    """The page around the figures (drawing them is tested in test_report.py), as text."""
    return html.unescape(render_html(data, {s.name: b"png" for s in figures.FIGURES}, objective))


def test_a_report_opens_with_the_answer_ranked_on_the_chosen_objective(five):
    page = page_of(five, "customers")
    assert page.index('id="answer"') < page.index('id="verdict"') < page.index("<img")
    assert answer.recommendation(five, "customers") in page
    ranked = [r.group for r in answer.rank_alternatives(five, "customers")]
    answer_part = page[page.index('id="answer"'):page.index('id="verdict"')]
    assert [answer_part.index(f"{i + 1}. {g}") for i, g in enumerate(ranked)] == sorted(
        answer_part.index(f"{i + 1}. {g}") for i, g in enumerate(ranked))


def test_an_unknown_objective_is_one_clear_message_and_exit_2(five, capsys):
    assert main(["report", str(five.folder), "--objective", "npv_proft"]) == 2
    err = capsys.readouterr().err
    assert "--objective 'npv_proft': no such outcome (did you mean 'npv_profit'?)" in err and "Traceback" not in err


# --------------------------------------------------------------------------- spend, segments, rivals


def test_return_on_relationship_spend_is_extra_profit_per_unit_of_extra_spend(five):
    series = five.series.set_index(["group", "replicate", "step"])["cumulative_profit"]
    o = five.outcomes
    for r in answer.spend_returns(five):
        def mean_gap(name, r=r):
            more = o[o["group"] == r.more].set_index("replicate")[name].sort_index()
            less = o[o["group"] == r.less].set_index("replicate")[name].sort_index()
            return float((more - less).mean())
        assert r.extra_spend == pytest.approx(mean_gap("relationship_spend")) and r.extra_spend >= 0
        assert r.extra_profit == pytest.approx(mean_gap("cumulative_profit"))
        if r.extra_spend > 0:
            assert r.ratio == pytest.approx(r.extra_profit / r.extra_spend)
        gap = (series.loc[r.more] - series.loc[r.less]).groupby(level="step").mean()
        if r.paid_back:
            assert (gap.loc[r.payback:] >= 0).all() and (r.payback == gap.index[0] or gap.loc[r.payback - 1] < 0)
        else:
            assert gap.iloc[-1] < 0


def test_a_return_on_spend_says_when_the_pair_also_changes_price_or_acquisition(five, tmp_path):
    returns = {r.more: r for r in answer.spend_returns(five)}
    # relationship against transactional also raises the markup and cuts the prospecting
    assert returns["relationship"].also_changes == ["markup 0.2 → 0.35", "acquisition_contacts 2 → 0.5"]
    from sim.report.html import _spend_section

    section = str(_spend_section(five))
    assert "(also changes markup 0.2 → 0.35, acquisition_contacts 2 → 0.5: not the spend's return alone)" in section
    # Kotler's rungs hold price and prospecting equal: their extra profit is the service's
    out = tmp_path / "rungs"
    sim.compare(load_scenario(B2B), "basic,proactive", replicates=2, focal="Partners", workers=1, out=out,
                overrides={"market.buyers": 150, "market.steps": 12})
    rungs = load_report_data(out)
    assert [r.also_changes for r in answer.spend_returns(rungs)] == [[]]
    assert "not the spend's return alone" not in str(_spend_section(rungs))


def test_the_return_per_unit_of_spend_has_fiellers_interval_over_the_paired_runs(five):
    """At each end of the interval, extra profit - R x extra spend is exactly at the t bound
    over the paired runs: the definition of Fieller's interval, checked from the outcomes."""
    from scipy import stats

    o = five.outcomes
    checked = 0
    for r in answer.spend_returns(five):
        if not r.ratio_defined:
            continue
        def gap(name, r=r):
            more = o[o["group"] == r.more].set_index("replicate")[name].sort_index()
            less = o[o["group"] == r.less].set_index("replicate")[name].sort_index()
            return (more - less).to_numpy()
        profit, spend = gap("cumulative_profit"), gap("relationship_spend")
        t = stats.t.ppf(0.975, len(profit) - 1)
        assert r.ratio_low <= r.ratio <= r.ratio_high
        for edge in (r.ratio_low, r.ratio_high):
            z = profit - edge * spend
            assert abs(z.mean()) / stats.sem(z) == pytest.approx(t, rel=1e-6)
        checked += 1
    assert checked >= 1


def test_a_return_on_spend_indistinguishable_from_zero_is_said_in_words(five):
    """Give the alternatives the same relationship spend but for noise: the ratio then has no
    interval, and the report says why instead of printing one."""
    import dataclasses

    noisy = dataclasses.replace(five)
    outcomes = five.outcomes.copy()
    # each alternative: 1 unit more than the one before, plus luck of +-50 or more in its runs
    offset = {g: float(k) for k, g in enumerate(five.groups)}
    luck = {g: (-1) ** k * (k + 1) * np.array([-50.0, 0.0, 50.0]) for k, g in enumerate(five.groups)}
    outcomes["relationship_spend"] = [1000.0 + offset[g] + luck[g][k % 3]
                                      for k, g in zip(outcomes["replicate"], outcomes["group"])]
    noisy.__dict__["outcomes"] = outcomes
    returns = answer.spend_returns(noisy)
    assert returns and not any(r.ratio_defined for r in returns)
    page = html.unescape(render_html(noisy, {spec.name: b"png" for spec in figures.FIGURES}))
    start = page.index('id="spend"')
    assert "no interval: the extra spend cannot be told from zero" in page[start:page.index("</section>", start)]


def test_the_payback_range_is_where_the_bounds_of_the_paired_gap_stay_above_zero(five):
    series = five.series.set_index(["group", "replicate", "step"])["cumulative_profit"]
    for r in answer.spend_returns(five):
        gaps = (series.loc[r.more] - series.loc[r.less]).unstack("step")
        mean = gaps.mean()
        half = gaps.apply(lambda column: paired_difference_interval(np.zeros(len(column)), column.to_numpy())[1])

        def stays(path):
            ok = (path >= 0)[::-1].cummin()[::-1]
            return int(ok.idxmax()) if ok.iloc[-1] else None
        assert r.payback == stays(mean)
        assert r.payback_earliest == stays(mean + half) and r.payback_latest == stays(mean - half)
        if r.payback is not None and r.payback_latest is not None:
            assert r.payback_earliest <= r.payback <= r.payback_latest


def test_segment_retention_over_time_comes_from_the_recorded_segment_series(five):
    """Per segment and period, the mean over runs of the focal supplier's retention among the
    segment's customers: retained / (customers at the start - dropped), from segments.parquet."""
    table = answer.segment_retention_table(five).set_index(["segment", "group", "first"])
    focal = five.manifest["focal_suppliers"]
    periods = answer.retention_periods(five)
    assert periods[0][0] == 0 and periods[-1][1] == 17 and len(periods) > 1
    for group in five.groups:
        seg = pd.read_parquet(five.folder / "alternatives" / group / "segments.parquet")
        seg = seg[seg["supplier"].astype(str).isin(focal)]
        for first, last in periods:
            part = seg[(seg["step"] >= first) & (seg["step"] <= last)]
            sums = part.groupby(["segment", "replicate"], observed=True)[
                ["retained", "customers_at_start", "dropped_customers"]].sum()
            rate = sums["retained"] / (sums["customers_at_start"] - sums["dropped_customers"]).where(lambda n: n > 0)
            for segment, values in rate.groupby(level="segment"):
                want = values.dropna()
                if want.empty:
                    continue
                assert table.loc[(segment, group, first), "mean"] == pytest.approx(want.mean())


def test_the_segment_retention_chart_draws_each_segments_trailing_retention_with_events(five):
    fig = figures.fig_segment_retention(five)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["key accounts", "small business"]
    focal = five.manifest["focal_suppliers"]
    window = figures.segment_window(five)
    for ax in panels:
        lines = {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}
        assert sorted(lines) == sorted(five.groups)
        for group in five.groups:
            seg = pd.read_parquet(five.folder / "alternatives" / group / "segments.parquet")
            seg = seg[seg["supplier"].astype(str).isin(focal) & (seg["segment"].astype(str) == ax.get_title())]
            sums = seg.groupby(["replicate", "step"])[["retained", "customers_at_start", "dropped_customers"]].sum()
            trailing = sums.groupby(level="replicate").rolling(window, min_periods=1).sum().droplevel(0)
            rate = trailing["retained"] / (trailing["customers_at_start"] - trailing["dropped_customers"]).where(
                lambda n: n > 0)
            want = rate.groupby(level="step").mean().dropna()
            x, y = lines[group].get_data()
            np.testing.assert_array_equal(x, want.index.to_numpy())
            np.testing.assert_allclose(y, want.to_numpy(), rtol=1e-9)


def test_without_segment_series_the_segment_chart_says_so_and_the_report_still_reads(five):
    import dataclasses

    older = dataclasses.replace(five, segments=None)
    fig = figures.fig_segment_retention(older)
    assert any("earlier relsim" in t.get_text() for t in fig.texts + fig.axes[0].texts)
    assert answer.segment_retention_table(older).empty
    page = html.unescape(render_html(older, {spec.name: b"png" for spec in figures.FIGURES}))
    assert "Results by customer segment" in page and "by segment, over time" not in page


def test_segment_results_add_up_to_the_focal_suppliers_relationships_and_endings(five, tmp_path):
    per = answer.segment_outcomes(five)
    rel = five.relationships
    for (group, replicate), g in per.groupby(["group", "replicate"]):
        mine = rel[(rel["group"] == group) & (rel["replicate"] == replicate)]
        assert g["net_value"].sum() == pytest.approx(mine["net_value"].sum())
        assert g["customers"].sum() == mine["current"].sum()
    events = pd.read_parquet(five.folder / "alternatives" / "relationship" / "events.parquet")
    dropped = events[(events["cause"] == "dropped_unprofitable") & events["supplier"].astype(str).isin(
        five.manifest["focal_suppliers"])]
    got = per[per["group"] == "relationship"].groupby("replicate")["dropped"].sum()
    assert got.to_dict() == dropped.groupby("replicate").size().reindex(got.index, fill_value=0).to_dict()
    assert set(per["segment"]) == {"key accounts", "small business"}


def test_each_rival_is_reported_under_each_alternative(five):
    table = answer.rival_table(five)
    assert set(table["group"]) == set(five.groups)
    # only "you" (Partners 1) is varied: the other copy of the entry is a rival like PriceLine
    assert set(table["supplier"]) == {"Partners 2", "PriceLine 1", "PriceLine 2"}
    suppliers = pd.read_parquet(five.folder / "alternatives" / "basic" / "suppliers.parquet")
    mine = suppliers[suppliers["supplier"].astype(str) == "PriceLine 1"]
    want = replicate_outcomes(mine, None, 0.01)["npv_profit"].mean()
    got = table[(table["group"] == "basic") & (table["supplier"] == "PriceLine 1") & (table["metric"] == "npv_profit")]
    assert float(got["mean"].iloc[0]) == pytest.approx(want)


def test_the_strategy_table_shows_only_fields_that_differ_between_alternatives(five):
    differ = answer.strategy_differences(five)
    assert list(differ.columns) == five.groups
    assert (differ.nunique(axis=1) > 1).all()
    assert differ.loc["strategy"].tolist() == five.groups
    assert "accounts_per_manager" not in differ.index  # the same in every preset here


# --------------------------------------------------------------------------- what-ifs of the market


def test_a_named_what_if_drops_the_entrant_and_its_events():
    scenario = load_scenario(ENTRANT)
    alternatives, _ = resolve_alternatives(scenario, None, what_ifs=["no entrant: events[0].step=never"])
    assert [a.name for a in alternatives] == ["as is", "no entrant"]
    assert alternatives[0].scenario is scenario
    without = alternatives[1].scenario
    assert "Newcomer" not in [s.name for s in without.suppliers]
    assert not any(e.supplier == "Newcomer" for e in without.events)
    cheap, = resolve_alternatives(scenario, "relationship", what_ifs=["cheap: market.discount_rate=0.02"])[0][1:]
    assert cheap.scenario.market.discount_rate == 0.02 and cheap.source == "what-if: market.discount_rate=0.02"


@pytest.mark.parametrize(("text", "message"), [
    ("no entrant", "give NAME: KEY=VALUE"),
    ("x: events[5].step=never", "events[5].step: the scenario has 1 event(s)"),
    ("x: market.discount_rat=0.1", "discount_rat"),
    ("x:", "no settings after 'x'"),
])
def test_a_malformed_what_if_is_one_clear_message(text, message):
    with pytest.raises(ScenarioError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")
                       .replace(")", r"\)")):
        resolve_alternatives(load_scenario(ENTRANT), "relationship", what_ifs=[text])


def test_what_ifs_share_random_numbers_and_the_baseline_is_the_plain_run(entrant):
    compared = pd.read_parquet(entrant / "metrics.parquet")
    plain = sim.run(load_scenario(ENTRANT).with_overrides({"market.buyers": 250}), replicates=2, workers=1)
    want = replicate_outcomes(plain.suppliers, ["Steady"], 0.01, relationships=plain.relationships)
    got = compared[compared["alternative"] == "as is"].reset_index(drop=True)
    for name in KPIS:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-12, err_msg=name)


def test_a_what_if_of_the_market_is_never_recommended_as_a_choice(entrant):
    """An entrant or not is no one's choice: the answer says which case is best for you."""
    data = load_report_data(entrant)
    assert answer.market_what_ifs(data) == {"as is", "no entrant"}
    text = answer.recommendation(data)
    best = answer.rank_alternatives(data)[0].group
    assert not text.startswith("Choose")
    assert text.startswith(f"{best} is the best case for you.") or "cannot be told apart" in text


def test_the_market_table_says_the_focal_supplier_plays_each_alternative(five):
    """The scenario shown is the first alternative's; the focal entry's strategy cell names every
    alternative it plays, not that one alone, and the rivals keep the file's strategy."""
    from sim.report.html import _market_section

    tables = _market_section(five)["tables"]
    suppliers = next(t for t in tables if t["title"] == "Suppliers and rivals")
    assert [h["text"] for h in suppliers["head"]] == ["Supplier entry", "count", "strategy", "role"]
    cells = {row["text"]: [c["value"] for c in row["cells"]] for row in suppliers["rows"]}
    focal = [c for c in cells.values() if c[2] == "focal (varied)"]
    assert focal and all(c[1] == "each alternative in turn: " + FIVE.replace(",", ", ") for c in focal)
    assert cells["PriceLine"][1] == "transactional"


def test_every_time_chart_marks_the_scheduled_events(entrant):
    data = load_report_data(entrant)
    assert answer.scheduled_events(data) == [(60, "Newcomer enters", "as is")]
    for draw in (figures.fig_stage_mix, figures.fig_trust_commitment, figures.fig_cumulative_profit,
                 figures.fig_retention_churn, figures.fig_segment_retention, figures.fig_market_share):
        fig = draw(data)
        for ax in [a for a in fig.axes if a.get_visible() and a.has_data()]:
            marks = [line for line in ax.get_lines() if line.get_gid() == "event:60"]
            assert marks and marks[0].get_xdata()[0] == 60, draw.__name__
            assert any(t.get_gid() == "event:60" and "Newcomer enters" in t.get_text() for t in ax.texts)


def test_the_report_describes_the_market_it_ran(entrant):
    page = page_of(load_report_data(entrant))
    market = page[page.index('id="market"'):]
    scenario = load_scenario(ENTRANT)
    assert scenario.market.description in market
    for segment in scenario.segments:
        assert segment.name in market
    for supplier in scenario.suppliers:
        assert supplier.name in market
    assert "no entrant" in market and "events[0].step=never" in market and "Newcomer enters" in market
    assert "Final (settled) stage" in market and "not an ending" in market


def test_computing_time_is_the_simulations_own_and_says_what_was_reused(entrant):
    assert "replicates reused" not in page_of(load_report_data(entrant))
    code = main(["compare", str(ENTRANT), "--alternative", "no entrant: events[0].step=never", "--replicates", "2",
                 "--set", "market.buyers=250", "--out", str(entrant), "--workers", "1", "--no-report"])
    assert code == 0
    data = load_report_data(entrant)
    assert data.manifest["reused_replicates"] == 4
    page = page_of(data)
    runs = sum(sum(pd.read_json(entrant / "alternatives" / a / "manifest.json", typ="series")["replicate_wall_time_s"]
                   .values()) for a in ("as-is", "no-entrant"))
    wall = data.manifest["wall_time_s"]
    assert (f"{runs:,.1f} s of simulation (the replicates' times added up; {wall:,.1f} s of wall time for the last "
            f"command; 4 of 4 replicates reused from an earlier command)") in page


# --------------------------------------------------------------------------- five alternatives stay readable


def _labels(fig) -> list[Text]:
    """The texts a reader reads around the data: figure texts, legends, and per panel its
    title, axis labels and the tick labels actually drawn (within the view)."""
    texts = list(fig.texts)
    for legend in [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]:
        texts += [*legend.get_texts(), legend.get_title()]
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        texts += [ax.title, ax.xaxis.label, ax.yaxis.label]
        for axis, (low, high) in ((ax.xaxis, sorted(ax.get_xlim())), (ax.yaxis, sorted(ax.get_ylim()))):
            span = (high - low) * 1e-9
            texts += [tick.label1 for tick in axis.get_major_ticks()
                      if tick.label1.get_visible() and low - span <= tick.get_loc() <= high + span]
    return [t for t in texts if t.get_visible() and t.get_text().strip()]


def readability_problems(fig) -> list[str]:
    """Legends or labels outside the figure, and level labels whose boxes overlap."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    frame = fig.bbox
    problems = []

    def inside(box) -> bool:
        return box.x0 >= frame.x0 - 1 and box.x1 <= frame.x1 + 1 and box.y0 >= frame.y0 - 1 and box.y1 <= frame.y1 + 1

    for legend in [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]:
        if not inside(legend.get_window_extent(renderer)):
            problems.append("legend outside the figure")
    boxes = [(t, t.get_window_extent(renderer)) for t in _labels(fig)]
    problems += [f"{t.get_text()!r} clipped" for t, box in boxes if not inside(box)]
    # a rotated label's box is not its footprint (slanted labels share box corners by design)
    level = [(t, b) for t, b in boxes if t.get_rotation() % 180 in (0, 90)]
    for (a, box_a), (b, box_b) in itertools.combinations(level, 2):
        width = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
        height = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
        if width > 1 and height > 1:
            problems.append(f"{a.get_text()!r} overlaps {b.get_text()!r}")
    return problems


def test_the_readability_check_finds_overlaps_and_clipped_legends():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], label="a long legend entry")
    ax.legend(loc="upper left", bbox_to_anchor=(1.5, 1.0))
    ax.set_title("Overlapping title")
    fig.text(0.5, 0.9, "Overlapping title", ha="center")
    problems = readability_problems(fig)
    assert "legend outside the figure" in problems and any("overlaps" in p for p in problems)


@pytest.mark.parametrize("spec", [s for s in figures.FIGURES], ids=lambda s: s.name)
def test_five_alternatives_keep_legends_inside_and_labels_apart(five, spec):
    assert len(five.groups) == 5
    assert readability_problems(spec.draw(five)) == []


def test_a_malformed_what_if_on_the_command_line_exits_2_and_computes_nothing(tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", str(ENTRANT), "--alternative", "no entrant events[0].step=never", "--replicates", "2",
                 "--out", str(out), "--workers", "1", "--no-report"]) == 2
    err = capsys.readouterr().err
    assert "--alternative 'no entrant events[0].step=never': give NAME: KEY=VALUE" in err and "Traceback" not in err
    assert not out.exists()


def test_compare_prints_the_answer_the_report_opens_with(entrant, capsys):
    assert main(["compare", str(ENTRANT), "--alternative", "no entrant: events[0].step=never", "--replicates", "2",
                 "--set", "market.buyers=250", "--out", str(entrant), "--workers", "1", "--no-report",
                 "--objective", "market_share"]) == 0
    printed = capsys.readouterr().out
    line = next(x for x in printed.splitlines() if x.startswith("answer (market_share): "))
    assert line.removeprefix("answer (market_share): ") == answer.recommendation(load_report_data(entrant),
                                                                                "market_share")


def test_a_what_if_of_the_market_has_no_return_on_spend(entrant, five):
    """'No entrant' against 'as is' is no spending decision: its spend differs only because the
    market does; strategies keep their return on relationship spend."""
    assert answer.spend_returns(load_report_data(entrant)) == []
    assert [r.more for r in answer.spend_returns(five)]  # strategies against each other: there


def test_with_strategies_and_a_what_if_the_answer_still_names_the_strategy_to_choose(tmp_path):
    out = tmp_path / "mixed"
    assert main(["compare", str(ENTRANT), "--alternatives", "complacent,relationship", "--alternative",
                 "no entrant: events[0].step=never", "--replicates", "2", "--set", "market.buyers=250",
                 "--out", str(out), "--workers", "1", "--no-report"]) == 0
    data = load_report_data(out)
    assert answer.market_what_ifs(data) == {"no entrant"}
    assert {(r.more, r.less) for r in answer.spend_returns(data)} <= {("relationship", "complacent"),
                                                                      ("complacent", "relationship")}
    ranked = [r.group for r in answer.rank_alternatives(data)]
    text = answer.recommendation(data)
    assert ranked[0] == "no entrant"  # the market without the entrant is the best case here
    top = next(g for g in ranked if g != "no entrant")
    assert f"Of the strategies you can choose, {top} ranks first" in text
