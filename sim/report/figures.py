"""The report's figures, one function per question a strategist asks. Each takes a
:class:`~sim.report.data.ReportData` and returns the ``Figure`` (Agg canvas, no pyplot), so a
notebook or a test can inspect what was drawn before it is saved."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.scale import SymmetricalLogTransform
from matplotlib.ticker import FuncFormatter, LogLocator, PercentFormatter

from sim.engine.state import Cause, Stage
from sim.observe import numbers
from sim.observe.kpis import KPIS
from sim.report.data import (
    DPI,
    MONEY,
    PALETTE,
    POSITIONING_NAMES,
    POSITIONINGS,
    STAGE_COLOURS,
    STAGE_COLUMNS,
    STAGE_NAMES,
    STYLE,
    ReportData,
)
from sim.stats.intervals import mean_interval

# --------------------------------------------------------------------------- figure helpers


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _styled(draw: Callable[[ReportData], Figure]) -> Callable[[ReportData], Figure]:
    """Draw under the report's rcParams (fonts, grid, spines) without touching the caller's."""
    def wrapper(data: ReportData) -> Figure:
        with matplotlib.rc_context(STYLE):
            return draw(data)
    wrapper.__name__ = draw.__name__
    wrapper.__doc__ = draw.__doc__
    return wrapper


def _title(fig: Figure, title: str, note: str | None = None) -> None:
    """Bold title top left; the small print wrapped to the figure's width along the bottom,
    with the layout told to leave room for it."""
    fig.suptitle(title, x=0.01, ha="left", fontsize=15, fontweight="bold", color="#1f2933")
    if note:
        import textwrap

        lines = textwrap.wrap(note, int(fig.get_figwidth() * 15))
        room = (0.12 + 0.19 * len(lines)) / fig.get_figheight()
        fig.get_layout_engine().set(rect=(0, room, 1, 1 - room))
        fig.text(0.01, 0.04 / fig.get_figheight(), "\n".join(lines), fontsize=9.5,
                 color="#52606d", ha="left", va="bottom", linespacing=1.4)


def _nothing_to_show(title: str, why: str) -> Figure:
    """A figure whose results hold nothing to draw: its title and, in its place, why and what
    to do about it."""
    fig = _figure(11, 3)
    ax = fig.subplots()
    ax.set_axis_off()
    ax.text(0.5, 0.5, why, ha="center", va="center", fontsize=13, color="#52606d", transform=ax.transAxes)
    _title(fig, title)
    return fig


def _runs_note(data: ReportData, interval: str | None = "shaded band") -> str:
    """The small print under a figure: how many runs, what the interval marks, whose data."""
    n = data.max_replicates()
    focal = ""
    if data.kind == "compare":
        focal = " Focal suppliers only: " + ", ".join(map(str, data.manifest["focal_suppliers"])) + "."
    if n <= 1:
        return "One run (replicate); run more replicates for confidence intervals." + focal
    text = f"Mean of {n} runs (replicates)"
    return text + (f"; {interval}: 95% confidence interval of the mean." if interval else ".") + focal


def _mark_events(ax, data: ReportData) -> None:
    """A dotted line and a short label at every scheduled event (entry, exit, price change,
    shock), so a change in a line can be read against what happened in the market."""
    from matplotlib.transforms import blended_transform_factory

    from sim.report.answer import scheduled_events

    transform = blended_transform_factory(ax.transData, ax.transAxes)
    for step, label, under in scheduled_events(data):
        ax.axvline(step, color="#52606d", ls=":", lw=1.3, zorder=1, gid=f"event:{step}")
        text = label if under == "all" else f"{label} ({under})"
        ax.text(step, 0.98, f" {text}", transform=transform, rotation=90, ha="right", va="top", fontsize=8.5,
                color="#3e4c59", gid=f"event:{step}")


def _plot_band(ax, band: pd.DataFrame, colour: str, label: str, ls: str = "-") -> None:
    x, mean, half = band["step"].to_numpy(), band["mean"].to_numpy(), band["half"].to_numpy()
    shown = np.isfinite(mean)
    ax.plot(x[shown], mean[shown], color=colour, lw=2.2, label=label, ls=ls)
    ok = shown & np.isfinite(half)
    if ok.any():
        ax.fill_between(x[ok], (mean - half)[ok], (mean + half)[ok], color=colour, alpha=0.18,
                        lw=0, label=f"_{label} 95% CI")


def _plot_groups(ax, data: ReportData, column: str) -> pd.DataFrame:
    """One line with its 95% band per group, in the group's colour; returns the bands."""
    band = data.band(column)
    for group in data.groups:
        _plot_band(ax, band[band["group"] == group], data.colours[group], group)
    return band


def _band_legend(ax, data: ReportData, extra: list | None = None, **kwargs) -> None:
    handles, labels = ax.get_legend_handles_labels()
    for handle, label in extra or []:
        handles.append(handle)
        labels.append(label)
    if data.max_replicates() > 1:
        handles.append(Patch(facecolor="#9aa5b1", alpha=0.35, lw=0))
        labels.append("95% confidence band")
    ax.legend(handles, labels, **kwargs)


#: Axis ticks and small labels: the one formatter's compact form (65k, 1.2M).
_money = numbers.compact


def _time_label(data: ReportData) -> str:
    return f"{data.unit.capitalize()} (simulation step)"


def _panel_grid(fig: Figure, n: int, sharey: bool = True):
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    axes = np.atleast_1d(fig.subplots(rows, cols, sharey=sharey, squeeze=False).ravel())
    for ax in axes[n:]:
        ax.set_visible(False)
    return axes[:n]


# --------------------------------------------------------------------------- the figures


@_styled
def fig_stage_mix(data: ReportData) -> Figure:
    """Customers by relationship stage over time: stacked areas, one panel per group."""
    n = len(data.groups)
    cols = min(n, 3)
    fig = _figure(max(4.6 * cols + 1.2, 10.0), 3.9 * math.ceil(n / cols) + 0.9)
    axes = _panel_grid(fig, n)
    means = data.series.groupby(["group", "step"], sort=True)[list(STAGE_COLUMNS)].mean()
    for ax, group in zip(axes, data.groups):
        frame = means.loc[group]
        ax.stackplot(frame.index.to_numpy(), *(frame[c].to_numpy() for c in STAGE_COLUMNS),
                     labels=[STAGE_NAMES[c] for c in STAGE_COLUMNS],
                     colors=[STAGE_COLOURS[c] for c in STAGE_COLUMNS], lw=0)
        ax.set_title(group, color=data.colours[group])
        ax.set_xlabel(_time_label(data))
        ax.set_xlim(frame.index.min(), frame.index.max())
        _mark_events(ax, data)
        ax.yaxis.set_major_formatter(FuncFormatter(_money))
    axes[0].set_ylabel("Customers (relationships)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles[::-1], labels[::-1], loc="outside right upper", title="Stage")
    _title(fig, f"Customers by relationship stage, per {data.group_word}", _runs_note(data, None))
    return fig


@_styled
def fig_trust_commitment(data: ReportData) -> Figure:
    """Customers' mean trust and commitment over time, one line per group."""
    fig = _figure(12, 4.8)
    axes = fig.subplots(1, 2, sharey=True)
    for ax, column, name in ((axes[0], "mean_trust", "Trust"),
                             (axes[1], "mean_commitment", "Commitment")):
        _plot_groups(ax, data, column)
        ax.set_title(f"{name} of current customers")
        ax.set_xlabel(_time_label(data))
        ax.set_ylim(0, 1)
        _mark_events(ax, data)
    axes[0].set_ylabel("Mean score (0 = none, 1 = full)")
    _band_legend(axes[1], data, loc="lower right")
    _title(fig, "Trust and commitment of customers", _runs_note(data))
    return fig


@_styled
def fig_cumulative_profit(data: ReportData) -> Figure:
    """Cumulative profit over time with 95% bands, one line per group."""
    fig = _figure(11, 5.2)
    ax = fig.subplots()
    _plot_groups(ax, data, "cumulative_profit")
    ax.axhline(0, color="#5f6b7a", lw=0.8)
    _mark_events(ax, data)
    ax.set_xlabel(_time_label(data))
    ax.set_ylabel(f"Cumulative profit ({MONEY})")
    ax.yaxis.set_major_formatter(FuncFormatter(_money))
    _band_legend(ax, data, loc="upper left")
    _title(fig, f"Cumulative profit, per {data.group_word}", _runs_note(data))
    return fig


@_styled
def fig_retention_churn(data: ReportData) -> Figure:
    """Retention (the registry's: share of the month's starting customers kept, of those
    not dropped on purpose) and, as counts, the customers who left (solid) apart from those
    dropped on purpose (dashed), one line per group."""
    fig = _figure(12, 4.8)
    axes = fig.subplots(1, 2)
    _plot_groups(axes[0], data, "retention_rate")
    _plot_groups(axes[1], data, "churned")
    dropped = bool(data.series["dropped"].fillna(0).any())
    if dropped:  # one legend entry for the dashed style, not one per group
        band = data.band("dropped")
        for group in data.groups:
            _plot_band(axes[1], band[band["group"] == group], data.colours[group], f"_{group} dropped", "--")
    for ax, name in ((axes[0], "Retention: share of customers kept"),
                     (axes[1], "Customers who left" + (" (dropped: dashed)" if dropped else ""))):
        ax.set_title(name)
        ax.set_xlabel(_time_label(data))
        _mark_events(ax, data)
    axes[0].yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    axes[0].set_ylabel(f"Share of the {data.unit}'s customers kept")
    axes[1].set_ylabel(f"Customers per {data.unit}")
    axes[1].yaxis.set_major_formatter(FuncFormatter(_money))
    axes[1].set_ylim(bottom=0)
    _band_legend(axes[1], data, loc="upper right", extra=[(Line2D([], [], color="#52606d", ls="--", lw=2.2),
                                                           "dropped on purpose")] if dropped else [])
    _title(fig, "Retention and churn", _runs_note(data))
    return fig


def segment_window(data: ReportData) -> int:
    """Steps a segment's retention is pooled over in the chart: a segment holds fewer
    customers than the whole book, so one month's rate is noisy; six months for a monthly run."""
    return 6 if data.unit == "month" else 1


@_styled
def fig_segment_retention(data: ReportData) -> Figure:
    """Retention among each buyer segment's customers over time (the registry's formula on
    the segment's counts, pooled over a trailing window), one panel per segment, a line per
    group with its 95% band, and the scheduled events marked."""
    band = data.segment_retention_band(segment_window(data))
    if band.empty:
        return _nothing_to_show("Retention by customer segment",
                                "These results hold no series by customer segment: they were written by an\n"
                                "earlier relsim. Run the same command again with --overwrite to record them.")
    segments = list(dict.fromkeys(band["segment"]))
    fig = _figure(max(4.6 * min(len(segments), 3) + 1.2, 11.0), 3.9 * math.ceil(len(segments) / 3) + 1.2)
    axes = _panel_grid(fig, len(segments))
    for ax, segment in zip(axes, segments):
        for group in data.groups:
            b = band[(band["segment"] == segment) & (band["group"] == group)]
            _plot_band(ax, b, data.colours[group], group)
        ax.set_title(segment)
        ax.set_xlabel(_time_label(data))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
        _mark_events(ax, data)
    window = segment_window(data)
    axes[0].set_ylabel(f"Customers kept per {data.unit}" + (f", trailing {window} {data.unit}s" if window > 1 else ""))
    handles, labels = axes[0].get_legend_handles_labels()
    if data.max_replicates() > 1:
        handles.append(Patch(facecolor="#9aa5b1", alpha=0.35, lw=0))
        labels.append("95% confidence band")
    fig.legend(handles, labels, loc="outside right upper")
    _title(fig, f"Retention by customer segment, per {data.group_word}", _runs_note(data))
    return fig


@_styled
def fig_market_share(data: ReportData) -> Figure:
    """Share of the market's volume over time, one line per group."""
    fig = _figure(11, 5.2)
    ax = fig.subplots()
    band = _plot_groups(ax, data, "market_share")
    _mark_events(ax, data)
    ax.set_xlabel(_time_label(data))
    ax.set_ylabel("Share of market volume")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0, min(1.0, max(0.05, float(np.nanmax(band["mean"] + band["half"].fillna(0))) * 1.15)))
    _band_legend(ax, data, loc="best")
    _title(fig, f"Market share, per {data.group_word}", _runs_note(data))
    return fig


def transition_matrix(data: ReportData, group: str) -> pd.DataFrame:
    """Mean number of relationships per run that moved from each stage (rows) to each
    stage (columns), over the stages that occur in any group."""
    t = data.transitions
    present = set(t["from_stage"]) | set(t["to_stage"])
    order = [s.label for s in Stage if s.label in present]
    mine = t[t["group"] == group]
    matrix = mine.pivot_table(index="from_stage", columns="to_stage", values="count",
                              aggfunc="sum", fill_value=0)
    return matrix.reindex(index=order, columns=order, fill_value=0) / data.replicates[group]


def ending_counts(data: ReportData) -> pd.DataFrame:
    """Relationships ended per run by cause: rows (group, cause) with mean and 95% half-width
    across replicates, zeros included."""
    t = data.transitions
    ended = t[t["to_stage"] == Stage.ENDED.label]
    causes = [c.label for c in Cause if c.label in set(ended["cause"])]
    rows = []
    for group in data.groups:
        reps = data.replicate_ids[group]
        per = ended[ended["group"] == group].pivot_table(index="replicate", columns="cause",
                                                         values="count", aggfunc="sum",
                                                         fill_value=0)
        per = per.reindex(index=reps, columns=causes, fill_value=0)
        for cause in causes:
            mean, half = mean_interval(per[cause].to_numpy())
            rows.append((group, cause, mean, half))
    return pd.DataFrame(rows, columns=["group", "cause", "mean", "half"])


CAUSE_NAMES = {
    "switched_away": "Customer switched to a rival", "distance_breakup": "Drifted apart",
    "dropped_unprofitable": "Dropped as unprofitable", "escalation": "Escalating conflict",
    "supplier_exit": "Supplier left the market", "competitor_entry": "Competitor entry",
}


@_styled
def fig_stage_flow(data: ReportData) -> Figure:
    """Stage-transition matrix per group (mean relationships per run moving from each stage
    to each other) and, below, why relationships ended."""
    if data.transitions.empty:
        return _nothing_to_show("How relationships move between stages, and why they end",
                                "No stage transitions were recorded: the scenario ran with\n"
                                "market.record_events = false. Run it again with the event log on to see them.")
    n = len(data.groups)
    cols = min(n, 3)
    heat_rows = math.ceil(n / cols)
    fig = _figure(max(5.3 * cols + 1.0, 11.0), 4.9 * heat_rows + 3.6)
    grid = fig.add_gridspec(heat_rows + 1, cols, height_ratios=[4.9] * heat_rows + [3.3])
    matrices = {g: transition_matrix(data, g) for g in data.groups}
    top = max(float(m.to_numpy().max()) for m in matrices.values())
    low = min((float(m.to_numpy()[m.to_numpy() > 0].min()) for m in matrices.values()
               if (m.to_numpy() > 0).any()), default=1.0)
    norm = LogNorm(vmin=max(min(low, top), 1e-3), vmax=max(top, 1e-3 * 10))
    image = None
    for i, group in enumerate(data.groups):
        ax = fig.add_subplot(grid[i // cols, i % cols])
        m = matrices[group]
        values = m.to_numpy(float)
        image = ax.imshow(np.ma.masked_less_equal(values, 0), cmap="Blues", norm=norm,
                          aspect="auto")
        ax.set_xticks(range(len(m.columns)), list(m.columns), rotation=35, ha="right",
                      rotation_mode="anchor", fontsize=9.5)
        ax.set_yticks(range(len(m.index)), list(m.index), fontsize=9.5)
        ax.grid(False)
        for (r, c), v in np.ndenumerate(values):
            if v > 0:
                dark = norm(v) > 0.6
                ax.text(c, r, numbers.compact(v), ha="center", va="center",
                        fontsize=8.5, color="white" if dark else "#1f2933")
        ax.set_title(group, color=data.colours[group])
        ax.set_xlabel("to stage")
        ax.set_ylabel("from stage")
    if image is not None:
        bar = fig.colorbar(image, ax=fig.axes[:n], shrink=0.8, label="Relationships per run (log scale)")
        bar.ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        bar.ax.yaxis.set_major_formatter(FuncFormatter(_money))
        bar.ax.yaxis.set_minor_formatter(FuncFormatter(lambda *_: ""))
    ax = fig.add_subplot(grid[heat_rows, :])
    endings = ending_counts(data)
    causes = list(dict.fromkeys(endings["cause"]))
    height = 0.8 / max(n, 1)
    for i, group in enumerate(data.groups):
        rows = endings[endings["group"] == group].set_index("cause").reindex(causes)
        y = np.arange(len(causes)) + (i - (n - 1) / 2) * height
        xerr = rows["half"].to_numpy() if data.max_replicates() > 1 else None
        ax.barh(y, rows["mean"].to_numpy(), height=height * 0.92, color=data.colours[group],
                label=group, xerr=xerr, error_kw={"ecolor": "#3e4c59", "capsize": 3, "lw": 1})
    ax.set_yticks(range(len(causes)), [CAUSE_NAMES.get(c, c.replace("_", " ").capitalize())
                                       for c in causes])
    ax.invert_yaxis()
    ax.set_xlabel("Relationships ended per run")
    ax.set_title("Why relationships ended")
    ax.xaxis.set_major_formatter(FuncFormatter(_money))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    _title(fig, "How relationships move between stages, and why they end",
           _runs_note(data, "whiskers on the bars"))
    return fig


def positioning_shares(data: ReportData) -> pd.DataFrame:
    """Share of each group's current relationships in each positioning: rows (group,
    positioning) with mean and 95% half-width across replicates."""
    current = data.relationships[data.relationships["current"]]
    labels = [p.label for p in POSITIONINGS]
    rows = []
    for group in data.groups:
        reps = data.replicate_ids[group]
        counts = pd.crosstab(current.loc[current["group"] == group, "replicate"],
                             current.loc[current["group"] == group, "positioning"])
        counts = counts.reindex(index=reps, columns=labels, fill_value=0)
        totals = counts.sum(axis=1)
        shares = counts.div(totals.where(totals > 0), axis=0)
        for label in labels:
            mean, half = mean_interval(shares[label].to_numpy())
            rows.append((group, label, mean, half))
    return pd.DataFrame(rows, columns=["group", "positioning", "mean", "half"])


@_styled
def fig_positioning(data: ReportData) -> Figure:
    """How buyers position their current suppliers at the end: share of relationships in
    each cell of the importance x value matrix, per group."""
    fig = _figure(11, 5.2)
    ax = fig.subplots()
    shares = positioning_shares(data)
    labels = [p.label for p in POSITIONINGS]
    n = len(data.groups)
    width = 0.8 / max(n, 1)
    for i, group in enumerate(data.groups):
        rows = shares[shares["group"] == group].set_index("positioning").reindex(labels)
        x = np.arange(len(labels)) + (i - (n - 1) / 2) * width
        yerr = rows["half"].to_numpy() if data.max_replicates() > 1 else None
        bars = ax.bar(x, rows["mean"].to_numpy(), width=width * 0.92, color=data.colours[group],
                      label=group, yerr=yerr, error_kw={"ecolor": "#3e4c59", "capsize": 3, "lw": 1})
        ax.bar_label(bars, labels=[numbers.percent(v) if np.isfinite(v) else "" for v in rows["mean"]],
                     padding=2, fontsize=9.5, color="#3e4c59")
    ax.set_xticks(range(len(labels)), [POSITIONING_NAMES[p] for p in labels])
    ax.set_ylabel("Share of current relationships")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0, 1.08)
    ax.grid(axis="x", visible=False)
    ax.legend(loc="upper right")
    _title(fig, "How buyers see their suppliers at the end of the run",
           _runs_note(data, "whiskers") + " Positioning: importance of the supplier to the buyer"
           " x value the buyer gets.")
    return fig


def relationship_value_bins(values: np.ndarray) -> np.ndarray:
    """Bin edges even on a symmetric-log scale (linear within ±1), covering ``values``."""
    transform = SymmetricalLogTransform(10, 1.0, 1.0)
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    t_low, t_high = transform.transform(np.array([[min(low, 0.0)], [max(high, 1.0)]])).ravel()
    edges = transform.inverted().transform(np.linspace(t_low, t_high, 41)[:, None]).ravel()
    edges[0], edges[-1] = min(low, edges[0]), max(high, edges[-1])
    return edges


@_styled
def fig_relationship_value(data: ReportData) -> Figure:
    """Distribution of the net value each relationship has brought the supplier so far, per
    group, on a symmetric-log axis. Realised value to date, not the forward-looking customer
    lifetime value of the registry (which the tables show under that name)."""
    fig = _figure(11, 5.2)
    ax = fig.subplots()
    rel = data.relationships
    edges = relationship_value_bins(rel["net_value"].to_numpy(float))
    for group in data.groups:
        values = rel.loc[rel["group"] == group, "net_value"].to_numpy(float)
        counts, _ = np.histogram(values, bins=edges)
        per_run = counts / data.replicates[group]
        mean, median = (float(values.mean()), float(np.median(values))) if len(values) else (np.nan, np.nan)
        ax.stairs(per_run, edges, color=data.colours[group], lw=2, gid=group,
                  label=f"{group}: mean {_money(mean)}, median {_money(median)}")
        ax.stairs(per_run, edges, color=data.colours[group], alpha=0.12, fill=True,
                  label="_fill")
        if np.isfinite(mean):
            ax.axvline(mean, color=data.colours[group], ls="--", lw=1.4)
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlim(edges[0], edges[-1])
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_formatter(FuncFormatter(_money))
    ax.set_xlabel(f"Net value of the relationship to the supplier so far ({MONEY}; log scale)")
    ax.set_ylabel("Relationships per run")
    ax.legend(loc="upper right", title="dashed line: mean")
    _title(fig, "What each relationship has been worth to the supplier so far",
           _runs_note(data, None) + " Every relationship that ever traded, ended ones included.")
    return fig


@_styled
def fig_differences(data: ReportData) -> Figure:
    """Compare only: each alternative's difference from the baseline per metric, as a share
    of the baseline, with its 95% interval; filled markers where the difference is clear."""
    d = data.differences.copy()
    if "relative_difference" not in d:
        d["relative_difference"] = np.nan
    if "relative_low" not in d:
        # a folder written before the interval counted the baseline's own uncertainty: no
        # whiskers, rather than the ones that understated it
        d["relative_low"] = d["relative_high"] = np.nan
    d = d[np.isfinite(d["relative_difference"].astype(float))]
    # a percentage whose baseline is too uncertain to bound it is left out (the verdicts say that
    # difference in money); folders from before the bounds existed keep every dot, unbarred
    unbounded = ~(np.isfinite(d["relative_low"].astype(float)) & np.isfinite(d["relative_high"].astype(float)))
    left_out = []
    if "relative_low" in data.differences:
        left_out = [m for m in dict.fromkeys(d.loc[unbounded, "metric"])
                    if m not in set(d.loc[~unbounded, "metric"])]
        d = d[~unbounded]
    metrics = [m for m in dict.fromkeys(data.differences["metric"]) if m in set(d["metric"])]
    alts = [a for a in data.groups if a in set(d["alternative"])] + \
        [a for a in dict.fromkeys(d["alternative"]) if a not in data.groups]
    fig = _figure(11, 0.42 * max(len(metrics), 3) + 2.2)
    ax = fig.subplots()
    n = max(len(alts), 1)
    step = 0.7 / n
    for i, alt in enumerate(alts):
        rows = d[d["alternative"] == alt].set_index("metric").reindex(metrics)
        y = np.arange(len(metrics)) + (i - (n - 1) / 2) * step
        x = rows["relative_difference"].to_numpy(float)
        low, high = rows["relative_low"].to_numpy(float), rows["relative_high"].to_numpy(float)
        bounded = np.isfinite(low) & np.isfinite(high)
        significant = rows["significant"].fillna(False).astype(bool).to_numpy()
        colour = data.colours.get(alt, PALETTE[i % len(PALETTE)])
        # Fieller's interval: not symmetric about the dot; none where the baseline's own value
        # is too uncertain for a percentage of it (said in the caption)
        ax.errorbar(x[bounded], y[bounded], xerr=np.vstack([x - low, high - x])[:, bounded], fmt="none",
                    ecolor=colour, elinewidth=1.8, capsize=3)
        ax.scatter(x[significant], y[significant], color=colour, s=46, zorder=3,
                   label=f"{alt} (clear difference)" if significant.any() else "_none")
        ax.scatter(x[~significant], y[~significant], facecolor="white", edgecolor=colour, s=46,
                   zorder=3, lw=1.8, label=f"{alt} (could be chance)" if (~significant).any()
                   else "_none")
        for xi, yi in zip(x, y):
            if np.isfinite(xi):
                ax.annotate(numbers.percent(xi, signed=True), (xi, yi), xytext=(0, 7), textcoords="offset points",
                            ha="center", va="bottom", fontsize=10, color=colour, fontweight="bold")
    ax.axvline(0, color="#1f2933", lw=1)
    ax.set_yticks(range(len(metrics)), [KPIS[m].title(data.unit) if m in KPIS else m.replace("_", " ")
                                        for m in metrics])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    baseline = ", ".join(dict.fromkeys(d["baseline"].astype(str))) or "the baseline"
    xlabel = f"Difference from {baseline}, as a share of {baseline}'s value (bars: 95% CI)"
    if left_out:  # under the axis, where the fig.legend below leaves room (the small print would overlap it)
        names = ", ".join(KPIS[m].title(data.unit).lower() if m in KPIS else m for m in left_out)
        import textwrap

        xlabel += "\n" + "\n".join(textwrap.wrap(
            f"Not shown: {names} ({baseline}'s own value is too uncertain for a percentage of it; "
            f"the verdicts give the difference in money)", int(fig.get_figwidth() * 8)))
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=min(4, 2 * n))
    _title(fig, f"What changes against {baseline}")
    return fig


@dataclass(frozen=True)
class FigureSpec:
    """One figure of the report: file stem, heading, a one-sentence caption and its drawer."""

    name: str
    heading: str
    caption: str        # {groups} becomes "strategy" or "alternative"
    draw: Callable[[ReportData], Figure]
    compare_only: bool = False


FIGURES = (
    FigureSpec("differences", "Differences from the baseline",
               "Each dot is how far an alternative moves a money measure away from the baseline, "
               "as a percentage of the baseline, and the whiskers are its 95% confidence interval, which "
               "counts the uncertainty of the baseline's own value (none where that value is too uncertain "
               "for a percentage of it): filled dots are clear differences, hollow ones could be chance.",
               fig_differences, compare_only=True),
    FigureSpec("stage_mix", "Where customers stand in the relationship life cycle",
               "Each panel shows, month by month, how many customers of each {groups} are in the "
               "early, development, long-term and final stages of their relationship.",
               fig_stage_mix),
    FigureSpec("trust_commitment", "Trust and commitment",
               "The lines show how much the current customers of each {groups} trust it and are "
               "committed to it, on a 0-to-1 scale, as the relationships mature.",
               fig_trust_commitment),
    FigureSpec("cumulative_profit", "Cumulative profit",
               "The lines add up each {groups}'s profit month by month, and the shaded band shows "
               "the range in which the true average lies with 95% confidence.",
               fig_cumulative_profit),
    FigureSpec("retention_churn", "Retention and churn",
               "The left panel shows the share of its customers each {groups} keeps from one month "
               "to the next (customers it dropped on purpose do not count against it), and the right panel "
               "how many customers leave it each month, with those it dropped on purpose dashed.",
               fig_retention_churn),
    FigureSpec("segment_retention", "Retention by customer segment",
               "Each panel follows one segment of buyers (key accounts, say) and shows the share of its "
               "customers each {groups} keeps from one month to the next, so you can see whether and since "
               "when one segment is kept better than another: customers kept / customers at the start not "
               "dropped on purpose, pooled over the trailing six months. Customers dropped on purpose are "
               "not counted as lost.",
               fig_segment_retention),
    FigureSpec("market_share", "Market share",
               "The lines show each {groups}'s share of all the volume bought in the market, "
               "month by month.",
               fig_market_share),
    FigureSpec("stage_flow", "How relationships move between stages",
               "Each grid counts how many relationships per run moved from the stage on the left "
               "to the stage along the bottom, and the bars below show why relationships ended.",
               fig_stage_flow),
    FigureSpec("positioning", "How buyers position their suppliers",
               "The bars show how the customers of each {groups} see it at the end: as a partner, "
               "a managed supplier, a desired one or an independent one, by how important it is to "
               "them and how much value it gives.",
               fig_positioning),
    FigureSpec("relationship_value", "What each relationship has been worth",
               "The curves show how many relationships per run have brought the supplier each net "
               "amount so far (realised value, not the forward-looking customer lifetime value of "
               "the tables), so a long tail to the right means a few very valuable customers.",
               fig_relationship_value),
)


def figures_for(data: ReportData) -> list[FigureSpec]:
    return [f for f in FIGURES if data.kind == "compare" or not f.compare_only]


def draw_figures(data: ReportData) -> dict[str, Figure]:
    """Every figure of the report for ``data``, by file stem (not yet saved)."""
    return {spec.name: spec.draw(data) for spec in figures_for(data)}


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


