"""Figures and the self-contained HTML report of a results folder (``relsim report``).

Reads the output of ``relsim run`` (groups: the suppliers' strategies) or of ``relsim
compare`` (groups: the alternatives, drawn from the focal suppliers' rows), draws one
matplotlib figure per question a strategist asks — where customers stand in the
relationship life cycle, how trust, profit, retention and share evolve, how relationships
move between stages and why they end, how buyers position their suppliers, what a customer
is worth — and writes them as PNGs under ``RESULTS_DIR/figures/`` and, embedded as data
URIs, in ``RESULTS_DIR/report.html``, a page that opens from disk with no network.

Every figure function takes a :class:`ReportData` and returns the ``Figure`` (Agg canvas,
no pyplot), so a notebook or a test can inspect what was drawn before it is saved.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.scale import SymmetricalLogTransform
from matplotlib.ticker import FuncFormatter, LogLocator, PercentFormatter

from .report_assets import CSS
from .runner import TABLES, ResultsFolder
from .schema import ScenarioError
from .state import Cause, Positioning, Stage
from .summary import t_interval

#: Stage columns of the supplier series, in life-cycle order, with the names a reader knows.
STAGE_COLUMNS = ("early", "development", "long_term", "final")
STAGE_NAMES = {"early": "Early", "development": "Development", "long_term": "Long-term",
               "final": "Final"}
STAGE_COLOURS = {"early": "#c7e9b4", "development": "#7fcdbb", "long_term": "#1d91c0",
                 "final": "#0c2c84"}

#: Positionings in the order of the buyer's matrix (importance/risk x value, seed text 003).
POSITIONINGS = (Positioning.PARTNER, Positioning.MANAGED, Positioning.DESIRED,
                Positioning.INDEPENDENT)
POSITIONING_NAMES = {
    "partner": "Partner\n(important, valued)",
    "managed": "Managed\n(important, low value)",
    "desired": "Desired\n(minor, valued)",
    "independent": "Independent\n(minor, low value)",
}

#: Colour-blind-safe (Okabe & Ito) colours; preset strategies keep theirs in every report.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
           "#882255", "#44AA99", "#999933")
FIXED_COLOURS = {"relationship": "#0072B2", "transactional": "#D55E00", "segmented": "#009E73",
                 "basic": "#999933", "reactive": "#E69F00", "accountable": "#CC79A7",
                 "proactive": "#56B4E9", "partnership": "#882255"}

STYLE = {
    "font.size": 11.5, "axes.titlesize": 13, "axes.titleweight": "bold", "axes.labelsize": 12,
    "xtick.labelsize": 10.5, "ytick.labelsize": 10.5, "legend.fontsize": 10.5,
    "legend.frameon": False, "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.color": "#e3e6ea", "grid.linewidth": 0.8, "axes.axisbelow": True,
    "axes.edgecolor": "#5f6b7a", "axes.labelcolor": "#1f2933", "xtick.color": "#3e4c59",
    "ytick.color": "#3e4c59", "figure.facecolor": "white", "savefig.facecolor": "white",
}
DPI = 150
TIME_LABEL = "Month (simulation step)"
MONEY = "money units"

#: How each compare metric reads in the table: (label, kind); kind picks the number format.
METRICS = {
    "cumulative_profit": ("Cumulative profit", "money"),
    "npv_profit": ("Net present value of profit", "money"),
    "market_share": ("Market share at the end", "percent"),
    "retention_rate": ("Retention per month", "percent"),
    "churn_rate": ("Churn per month", "percent"),
    "mean_tenure": ("Mean tenure (orders per relationship)", "number"),
    "customer_lifetime_value": ("Customer lifetime value", "money"),
    "acquisition_cost_per_customer": ("Acquisition cost per new customer", "money"),
    "cost_to_serve_per_customer": ("Cost to serve per customer and month", "money"),
    "mean_trust": ("Customers' trust (0–1)", "index"),
    "mean_commitment": ("Customers' commitment (0–1)", "index"),
    "share_early": ("Customers in the early stage", "percent"),
    "share_development": ("Customers in development", "percent"),
    "share_long_term": ("Customers in the long-term stage", "percent"),
    "share_final": ("Customers in the final stage", "percent"),
}


# --------------------------------------------------------------------------- loading


@dataclass
class ReportData:
    """What the figures are drawn from, whatever kind of folder it came from.

    ``suppliers`` is the per-step supplier series with a ``group`` column (the strategy a
    supplier followed at that step, or the alternative in a compare, focal suppliers only);
    ``transitions`` counts stage transitions by group, replicate, from/to stage and cause;
    ``relationships`` holds group, replicate, current, positioning and net_value of every
    relationship that ever traded (each supplier in the group its strategy had at the end)."""

    folder: Path
    kind: str                      # "run" or "compare"
    manifest: dict[str, Any]
    groups: list[str]
    suppliers: pd.DataFrame
    transitions: pd.DataFrame
    relationships: pd.DataFrame
    replicate_ids: dict[str, list[int]]  # finished replicates per group
    compare_summary: pd.DataFrame | None = None
    differences: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def replicates(self) -> dict[str, int]:
        """Finished replicates per group."""
        return {g: len(ids) for g, ids in self.replicate_ids.items()}

    @property
    def group_word(self) -> str:
        return "alternative" if self.kind == "compare" else "strategy"

    @property
    def group_title(self) -> str:
        return "Alternative" if self.kind == "compare" else "Strategy"

    @cached_property
    def colours(self) -> dict[str, str]:
        """One colour per group, the same in every figure; preset strategy names keep theirs
        across reports, other groups take the palette's next free colour."""
        reserved = {FIXED_COLOURS[g.lower()] for g in self.groups if g.lower() in FIXED_COLOURS}
        colours: dict[str, str] = {}
        for group in self.groups:
            colour = FIXED_COLOURS.get(group.lower())
            used = set(colours.values())
            if colour is None or colour in used:
                free = [c for c in PALETTE if c not in used]
                colour = next((c for c in free if c not in reserved),
                              free[0] if free else PALETTE[len(colours) % len(PALETTE)])
            colours[group] = colour
        return colours

    @cached_property
    def series(self) -> pd.DataFrame:
        """One row per (group, replicate, step): the group's suppliers added together, trust
        and commitment weighted by current customers, retention over customers at the start
        of the step."""
        s = self.suppliers
        current = s[list(STAGE_COLUMNS)].sum(axis=1)
        frame = pd.DataFrame({
            "group": s["group"], "replicate": s["replicate"], "step": s["step"],
            "current": current, "market_share": s["market_share"],
            "cumulative_profit": s["cumulative_profit"],
            "customers_at_start": s["customers_at_start"], "retained": s["retained"],
            "lost_customers": s["lost_customers"], "new_customers": s["new_customers"],
            "trust_x": s["mean_trust"].fillna(0.0) * current,
            "commitment_x": s["mean_commitment"].fillna(0.0) * current,
            **{c: s[c] for c in STAGE_COLUMNS},
        })
        g = frame.groupby(["group", "replicate", "step"], sort=True).sum()
        # a group with no supplier in some replicate and step (after imitation) counts as zero
        # there, not as missing: otherwise its mean share would come from the other runs only
        steps = np.sort(s["step"].unique())
        full = pd.MultiIndex.from_tuples(
            [(grp, r, t) for grp in self.groups for r in self.replicate_ids[grp] for t in steps],
            names=["group", "replicate", "step"])
        g = g.reindex(full, fill_value=0).reset_index()
        customers = g["current"].where(g["current"] > 0)
        at_start = g["customers_at_start"].where(g["customers_at_start"] > 0)
        g["mean_trust"] = g["trust_x"] / customers
        g["mean_commitment"] = g["commitment_x"] / customers
        g["retention_rate"] = g["retained"] / at_start
        g["churn_rate"] = g["lost_customers"] / at_start
        g["churned"] = g["lost_customers"].where(g["customers_at_start"] > 0)  # none to lose at first
        return g.drop(columns=["trust_x", "commitment_x"])

    @cached_property
    def summary(self) -> pd.DataFrame:
        """One row per group, mean across replicates (``COL``) and 95% half-width
        (``COL_ci95``): share, cumulative profit, trust, commitment and stage shares at the
        last step, retention pooled over the run; ``suppliers`` at the end, as text. The same
        numbers as :func:`sim.summary.summarise_by_strategy` while suppliers keep their
        strategy, and still defined when imitation empties a strategy in some replicate."""
        g = self.series
        last = g[g["step"] == g["step"].max()].set_index(["group", "replicate"])
        totals = g.groupby(["group", "replicate"])[["retained", "customers_at_start"]].sum()
        per = last[["market_share", "cumulative_profit", "mean_trust", "mean_commitment"]].copy()
        per["retention_rate"] = totals["retained"] / totals["customers_at_start"].where(
            totals["customers_at_start"] > 0)
        for stage in STAGE_COLUMNS:
            per[f"share_{stage}"] = last[stage] / last["current"].where(last["current"] > 0)
        end = self.suppliers[self.suppliers["step"] == self.suppliers["step"].max()]
        rows = []
        for group in self.groups:
            mine = per.loc[group]
            row: dict[str, Any] = {"group": group, "replicates": len(mine)}
            for col in per.columns:
                row[col], row[f"{col}_ci95"] = t_interval(mine[col].to_numpy())
            count = end[end["group"] == group].groupby("replicate")["supplier"].nunique().reindex(
                self.replicate_ids[group], fill_value=0)
            low, high = int(count.min()), int(count.max())
            row["suppliers"] = f"{low}" if low == high else f"{low}–{high}"
            rows.append(row)
        return pd.DataFrame(rows)

    def band(self, column: str) -> pd.DataFrame:
        """Per group and step: mean across replicates and the 95% t half-width (NaN with one
        replicate)."""
        rows = []
        for (group, step), values in self.series.groupby(["group", "step"], sort=True)[column]:
            mean, half = t_interval(values.to_numpy())
            rows.append((group, step, mean, half))
        return pd.DataFrame(rows, columns=["group", "step", "mean", "half"])

    def max_replicates(self) -> int:
        return max(self.replicates.values()) if self.replicates else 0


def _finished_replicates(folder: ResultsFolder) -> list[int]:
    return sorted(folder.completed())


def _read(folder: ResultsFolder, table: str, replicate: int, columns: list[str],
          as_text: bool = True) -> pd.DataFrame:
    path = folder.replicate_file(table, replicate)
    try:
        frame = pd.read_parquet(path, columns=columns)
    except (OSError, ValueError, KeyError) as exc:
        raise ScenarioError(f"{path}: cannot read columns {', '.join(columns)}: {exc}") from None
    return _as_text(frame) if as_text else frame


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical names as plain text: replicate files may carry different categories."""
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.CategoricalDtype) or frame[col].dtype == object:
            frame[col] = frame[col].astype(str)
    return frame


SUPPLIER_COLUMNS = ["replicate", "step", "supplier", "strategy", "market_share", "profit",
                    "cumulative_profit", "customers", "customers_at_start", "retained",
                    "lost_customers", "new_customers", "mean_trust", "mean_commitment",
                    *STAGE_COLUMNS]


def _load_run_folder(path: Path, group: str | None = None,
                     focal: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[int]]:
    """The supplier series, transition counts and relationships of one run folder. With
    ``group``, every (focal) supplier belongs to it; otherwise to its strategy at the time."""
    folder = ResultsFolder(path)
    if not path.is_dir():
        raise ScenarioError(f"{path}: no such results folder")
    if folder.read_manifest() is None:
        raise ScenarioError(f"{path}: not a results folder (no manifest.json); give the folder "
                            f"written by relsim run or relsim compare")
    reps = _finished_replicates(folder)
    if not reps:
        missing = [t for t in TABLES if not any((path / f"{t}.parquet").glob("rep-*.parquet"))]
        raise ScenarioError(f"{path}: no finished replicates here (expected "
                            f"{', '.join(f'{t}.parquet/rep-*.parquet' for t in missing or TABLES)})")
    suppliers, transitions, relationships = [], [], []
    for r in reps:
        s = _read(folder, "suppliers", r, SUPPLIER_COLUMNS)
        if focal is not None:
            s = s[s["supplier"].isin(focal)]
            if s.empty:
                raise ScenarioError(f"{folder.replicate_file('suppliers', r)}: none of the focal "
                                    f"suppliers {', '.join(focal)} are in this run")
        s["group"] = group if group is not None else s["strategy"]
        suppliers.append(s)
        key = s[["step", "supplier", "group"]]

        ev = _read(folder, "events", r, ["step", "supplier", "from_stage", "to_stage", "cause"],
                   as_text=False)
        # count on the categorical codes first: the log holds one row per transition
        counts = ev.groupby(["step", "supplier", "from_stage", "to_stage", "cause"],
                            observed=True).size()
        counts = _as_text(counts.rename("count").reset_index()).merge(key, on=["step", "supplier"])
        counts = counts.groupby(["group", "from_stage", "to_stage", "cause"])["count"].sum()
        counts = counts.reset_index()
        counts.insert(1, "replicate", r)
        transitions.append(counts)

        # one row per pair that ever traded (the largest table): map names through the
        # categories rather than turning every row into text
        rel = _read(folder, "relationships", r, ["supplier", "current", "positioning", "net_value"],
                    as_text=False)
        last = key[s["step"] == s["step"].max()]
        group_of = dict(zip(last["supplier"], last["group"]))
        names = rel["supplier"].astype("category")
        codes = np.array([group_of.get(str(c)) for c in names.cat.categories] + [None], dtype=object)
        rel = pd.DataFrame({"replicate": r, "group": codes[names.cat.codes.to_numpy()],
                            "current": rel["current"].to_numpy(bool),
                            "positioning": np.asarray(rel["positioning"], dtype=object),
                            "net_value": rel["net_value"].to_numpy(float)})
        relationships.append(rel[pd.notna(rel["group"])])
    return (pd.concat(suppliers, ignore_index=True), pd.concat(transitions, ignore_index=True),
            pd.concat(relationships, ignore_index=True), reps)


def _ordered_groups(suppliers: pd.DataFrame) -> list[str]:
    first = suppliers.sort_values(["step", "replicate"], kind="stable")
    return list(dict.fromkeys(first["group"]))


def load_report_data(results_dir: str | Path) -> ReportData:
    """Read a ``run`` or ``compare`` results folder for the report; a missing, empty or
    malformed folder raises :class:`ScenarioError` saying what is wrong."""
    path = Path(results_dir)
    if not path.exists():
        raise ScenarioError(f"{path}: no such results folder; give the folder written by "
                            f"relsim run or relsim compare (e.g. results/b2b_key_accounts)")
    if not path.is_dir():
        raise ScenarioError(f"{path}: is a file, not a results folder")
    manifest = ResultsFolder(path).read_manifest()
    if manifest is None:
        raise ScenarioError(f"{path}: not a results folder (no manifest.json); give the folder "
                            f"written by relsim run or relsim compare")
    if not isinstance(manifest, dict):
        raise ScenarioError(f"{path}/manifest.json: expected a JSON object")
    kind = manifest.get("kind", "run")
    if kind == "run":
        return _load_run(path, manifest)
    if kind == "compare":
        return _load_compare(path, manifest)
    raise ScenarioError(f"{path}/manifest.json: kind = {kind!r}: the report reads 'run' or "
                        f"'compare' folders")


def _load_run(path: Path, manifest: dict) -> ReportData:
    suppliers, transitions, relationships, reps = _load_run_folder(path)
    groups = _ordered_groups(suppliers)
    notes = []
    expected = manifest.get("replicates")
    if isinstance(expected, int) and len(reps) < expected:
        notes.append(f"This run is incomplete: {len(reps)} of {expected} replicates had finished; "
                     f"the report shows those.")
    return ReportData(path, "run", manifest, groups, suppliers, transitions, relationships,
                      {g: list(reps) for g in groups}, notes=notes)


def _load_compare(path: Path, manifest: dict) -> ReportData:
    alternatives = manifest.get("alternatives")
    focal = manifest.get("focal_suppliers")
    if not isinstance(alternatives, list) or not alternatives:
        raise ScenarioError(f"{path}/manifest.json: a compare manifest needs a non-empty "
                            f"'alternatives' list")
    if not isinstance(focal, list) or not focal:
        raise ScenarioError(f"{path}/manifest.json: a compare manifest needs 'focal_suppliers' "
                            f"(the suppliers whose strategy was varied)")
    parts, groups, replicates, notes = [], [], {}, []
    for alt in alternatives:
        if not isinstance(alt, dict) or "name" not in alt:
            raise ScenarioError(f"{path}/manifest.json: alternatives: each needs a name and a folder")
        name = str(alt["name"])
        sub = path / alt.get("folder", f"alternatives/{name}")
        if not sub.is_dir():
            raise ScenarioError(f"{path}: alternative {name!r} has no results folder at {sub}")
        parts.append(_load_run_folder(sub, group=name, focal=[str(f) for f in focal]))
        groups.append(name)
        replicates[name] = list(parts[-1][3])
    expected = manifest.get("replicates")
    if isinstance(expected, int) and min(map(len, replicates.values())) < expected:
        notes.append("This comparison is incomplete: "
                     + ", ".join(f"{g} {len(n)} of {expected}" for g, n in replicates.items())
                     + " replicates had finished; the figures show those.")
    tables = {}
    for name in ("summary.csv", "differences.csv"):
        file = path / name
        if not file.exists():
            raise ScenarioError(f"{path}: compare folder without {name}; run relsim compare again "
                                f"to finish it")
        try:
            tables[name] = pd.read_csv(file)
        except (OSError, ValueError) as exc:
            raise ScenarioError(f"{file}: unreadable: {exc}") from None
    _require_columns(path / "summary.csv", tables["summary.csv"],
                     ["alternative", "metric", "mean", "ci_low", "ci_high"])
    _require_columns(path / "differences.csv", tables["differences.csv"],
                     ["baseline", "alternative", "metric", "mean_difference", "ci_low",
                      "ci_high", "significant", "sentence"])
    return ReportData(path, "compare", manifest, groups,
                      pd.concat([p[0] for p in parts], ignore_index=True),
                      pd.concat([p[1] for p in parts], ignore_index=True),
                      pd.concat([p[2] for p in parts], ignore_index=True),
                      replicates, compare_summary=tables["summary.csv"],
                      differences=tables["differences.csv"], notes=notes)


def _require_columns(file: Path, frame: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ScenarioError(f"{file}: missing column(s) {', '.join(missing)}")


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


def _plot_band(ax, band: pd.DataFrame, colour: str, label: str) -> None:
    x, mean, half = band["step"].to_numpy(), band["mean"].to_numpy(), band["half"].to_numpy()
    shown = np.isfinite(mean)
    ax.plot(x[shown], mean[shown], color=colour, lw=2.2, label=label)
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


def _band_legend(ax, data: ReportData, **kwargs) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if data.max_replicates() > 1:
        handles.append(Patch(facecolor="#9aa5b1", alpha=0.35, lw=0))
        labels.append("95% confidence band")
    ax.legend(handles, labels, **kwargs)


def _money(value: float, _pos: Any = None) -> str:
    """A money amount (or count) as a board reads it: 64,764 -> '65k', 1.0 -> '1'."""
    if not np.isfinite(value):
        return "–"
    magnitude = abs(value)
    if magnitude >= 1e6:
        return f"{value / 1e6:,.1f}M"
    if magnitude >= 1e4:
        return f"{value / 1e3:,.0f}k"
    if magnitude >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return "0" if round(value, 1) == 0 else f"{value:,.1f}"


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
        ax.set_xlabel(TIME_LABEL)
        ax.set_xlim(frame.index.min(), frame.index.max())
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
        ax.set_xlabel(TIME_LABEL)
        ax.set_ylim(0, 1)
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
    ax.set_xlabel(TIME_LABEL)
    ax.set_ylabel(f"Cumulative profit ({MONEY})")
    ax.yaxis.set_major_formatter(FuncFormatter(_money))
    _band_legend(ax, data, loc="upper left")
    _title(fig, f"Cumulative profit, per {data.group_word}", _runs_note(data))
    return fig


@_styled
def fig_retention_churn(data: ReportData) -> Figure:
    """Retention (share of the month's starting customers kept) and churn (customers lost
    each month), one line per group; churn as a count because the rate is 1 - retention."""
    fig = _figure(12, 4.8)
    axes = fig.subplots(1, 2)
    for ax, column, name in ((axes[0], "retention_rate", "Retention: share of customers kept"),
                             (axes[1], "churned", "Churn: customers lost")):
        _plot_groups(ax, data, column)
        ax.set_title(name)
        ax.set_xlabel(TIME_LABEL)
    axes[0].yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    axes[0].set_ylabel("Share of the month's customers kept")
    axes[1].set_ylabel("Customers lost per month")
    axes[1].yaxis.set_major_formatter(FuncFormatter(_money))
    axes[1].set_ylim(bottom=0)
    _band_legend(axes[1], data, loc="upper right")
    _title(fig, "Retention and churn", _runs_note(data))
    return fig


@_styled
def fig_market_share(data: ReportData) -> Figure:
    """Share of the market's volume over time, one line per group."""
    fig = _figure(11, 5.2)
    ax = fig.subplots()
    band = _plot_groups(ax, data, "market_share")
    ax.set_xlabel(TIME_LABEL)
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
            mean, half = t_interval(per[cause].to_numpy())
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
        fig = _figure(11, 3)
        ax = fig.subplots()
        ax.set_axis_off()
        ax.text(0.5, 0.5, "No stage transitions were recorded: the scenario ran with\n"
                "market.record_events = false. Run it again with the event log on to see them.",
                ha="center", va="center", fontsize=13, color="#52606d", transform=ax.transAxes)
        _title(fig, "How relationships move between stages, and why they end")
        return fig
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
                ax.text(c, r, f"{v:,.0f}" if v >= 10 else f"{v:.1f}", ha="center", va="center",
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
            mean, half = t_interval(shares[label].to_numpy())
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
        ax.bar_label(bars, labels=[f"{v:.0%}" if np.isfinite(v) else "" for v in rows["mean"]],
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


def lifetime_value_bins(values: np.ndarray) -> np.ndarray:
    """Bin edges even on a symmetric-log scale (linear within ±1), covering ``values``."""
    transform = SymmetricalLogTransform(10, 1.0, 1.0)
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    t_low, t_high = transform.transform(np.array([[min(low, 0.0)], [max(high, 1.0)]])).ravel()
    edges = transform.inverted().transform(np.linspace(t_low, t_high, 41)[:, None]).ravel()
    edges[0], edges[-1] = min(low, edges[0]), max(high, edges[-1])
    return edges


@_styled
def fig_lifetime_value(data: ReportData) -> Figure:
    """Distribution of realised customer lifetime value (net value to the supplier per
    relationship, to date), per group, on a symmetric-log axis."""
    fig = _figure(11, 5.2)
    ax = fig.subplots()
    rel = data.relationships
    edges = lifetime_value_bins(rel["net_value"].to_numpy(float))
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
    _title(fig, "Customer lifetime value: what each relationship has been worth",
           _runs_note(data, None) + " Every relationship that ever traded, ended ones included.")
    return fig


@_styled
def fig_differences(data: ReportData) -> Figure:
    """Compare only: each alternative's difference from the baseline per metric, as a share
    of the baseline, with its 95% interval; filled markers where the difference is clear."""
    d = data.differences.copy()
    if "relative_difference" not in d or "relative_half_width" not in d:
        d["relative_difference"] = np.nan
        d["relative_half_width"] = np.nan
    d = d[np.isfinite(d["relative_difference"].astype(float))]
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
        half = rows["relative_half_width"].to_numpy(float)
        significant = rows["significant"].fillna(False).astype(bool).to_numpy()
        colour = data.colours.get(alt, PALETTE[i % len(PALETTE)])
        ax.errorbar(x, y, xerr=np.where(np.isfinite(half), half, 0), fmt="none",
                    ecolor=colour, elinewidth=1.8, capsize=3)
        ax.scatter(x[significant], y[significant], color=colour, s=46, zorder=3,
                   label=f"{alt} (clear difference)" if significant.any() else "_none")
        ax.scatter(x[~significant], y[~significant], facecolor="white", edgecolor=colour, s=46,
                   zorder=3, lw=1.8, label=f"{alt} (could be chance)" if (~significant).any()
                   else "_none")
        for xi, yi in zip(x, y):
            if np.isfinite(xi):
                ax.annotate(f"{xi:+.0%}", (xi, yi), xytext=(0, 7), textcoords="offset points",
                            ha="center", va="bottom", fontsize=10, color=colour, fontweight="bold")
    ax.axvline(0, color="#1f2933", lw=1)
    ax.set_yticks(range(len(metrics)), [METRICS.get(m, (m.replace("_", " "), ""))[0]
                                        for m in metrics])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    baseline = ", ".join(dict.fromkeys(d["baseline"].astype(str))) or "the baseline"
    ax.set_xlabel(f"Difference from {baseline}, as a share of {baseline}'s value (bars: 95% CI)")
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
               "as a percentage of the baseline, and the whiskers are its 95% confidence interval: "
               "filled dots are clear differences, hollow ones could be chance.",
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
               "to the next, and the right panel how many customers it loses each month.",
               fig_retention_churn),
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
    FigureSpec("lifetime_value", "Customer lifetime value",
               "The curves show how many relationships per run have been worth each amount to the "
               "supplier so far, so a long tail to the right means a few very valuable customers.",
               fig_lifetime_value),
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


# --------------------------------------------------------------------------- HTML


def _number(value: float, kind: str) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    if kind == "percent":
        return f"{100 * value:.1f}%"
    if kind == "money":
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    if kind == "index":
        return f"{value:.2f}"
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"


def _bounded(low: float, high: float, kind: str) -> tuple[float, float]:
    """Shares, rates and 0-1 scores cannot leave [0, 1]; a t interval from few, spread-out
    runs can, and a board should not read '-28% market share'."""
    if kind in ("percent", "index"):
        return max(low, 0.0), min(high, 1.0)
    return low, high


def _cell(mean: float, low: float | None, high: float | None, kind: str) -> str:
    text = f'<span class="value">{_number(mean, kind)}</span>'
    if low is not None and high is not None and np.isfinite(low) and np.isfinite(high):
        low, high = _bounded(low, high, kind)
        text += f'<span class="ci">{_number(low, kind)} – {_number(high, kind)}</span>'
    return text


def _run_table(data: ReportData) -> str:
    columns = [("market_share", "Market share", "at the end", "percent"),
               ("cumulative_profit", "Cumulative profit", MONEY, "money"),
               ("retention_rate", "Retention", "per month", "percent"),
               ("mean_trust", "Trust", "0 to 1", "index"),
               ("mean_commitment", "Commitment", "0 to 1", "index"),
               ("share_long_term", "Long-term", "share of customers", "percent"),
               ("share_final", "Final stage", "share of customers", "percent")]
    head = "".join(f'<th>{html.escape(label)}<span class="ci">{html.escape(unit)}</span></th>'
                   for _, label, unit, _ in columns)
    body = []
    for _, row in data.summary.iterrows():
        cells = []
        for col, _, _, kind in columns:
            half = row.get(f"{col}_ci95", np.nan)
            low, high = (row[col] - half, row[col] + half) if np.isfinite(half) else (None, None)
            cells.append(f"<td>{_cell(row[col], low, high, kind)}</td>")
        group = str(row["group"])
        body.append(f'<tr><th scope="row">{_swatch(data, group)}{html.escape(group)}'
                    f'<span class="ci">{row["suppliers"]} supplier(s) at the end</span></th>'
                    + "".join(cells) + "</tr>")
    return (f'<div class="scroll"><table class="results"><thead><tr><th>{data.group_title}</th>'
            f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def _compare_table(data: ReportData) -> str:
    summary = data.compare_summary
    alts = [a for a in data.groups if a in set(summary["alternative"].astype(str))]
    alts += [a for a in dict.fromkeys(summary["alternative"].astype(str)) if a not in alts]
    head = "".join(f"<th>{_swatch(data, a)}{html.escape(a)}</th>" for a in alts)
    body = []
    for metric in dict.fromkeys(summary["metric"]):
        label, kind = METRICS.get(metric, (str(metric).replace("_", " ").capitalize(), "number"))
        rows = summary[summary["metric"] == metric].assign(
            alternative=lambda f: f["alternative"].astype(str)).set_index("alternative")
        cells = []
        for alt in alts:
            if alt in rows.index:
                r = rows.loc[alt]
                cells.append(f"<td>{_cell(float(r['mean']), float(r['ci_low']), float(r['ci_high']), kind)}</td>")
            else:
                cells.append("<td>–</td>")
        body.append(f'<tr><th scope="row">{html.escape(label)}</th>{"".join(cells)}</tr>')
    return (f'<div class="scroll"><table class="results"><thead><tr><th>Measure (focal '
            f"suppliers)</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


#: The verdicts a board reads first; the others follow under "Other measures".
HEADLINE_METRICS = ("cumulative_profit", "npv_profit", "market_share", "retention_rate",
                    "customer_lifetime_value")


def _verdicts(data: ReportData) -> str:
    """Every verdict sentence of differences.csv, tagged clear or not: the headline measures
    first, then the others in smaller type (all visible, so a printed page keeps them)."""
    def items(rows: pd.DataFrame) -> str:
        out = []
        for _, row in rows.iterrows():
            clear = bool(row["significant"]) if pd.notna(row["significant"]) else False
            tag = ('<span class="tag clear">clear difference</span>' if clear
                   else '<span class="tag unclear">could be chance</span>')
            out.append(f"<li>{tag}{html.escape(str(row['sentence']))}</li>")
        return "".join(out)

    d = data.differences
    headline = d["metric"].isin(HEADLINE_METRICS)
    if not headline.any():
        headline = pd.Series(True, index=d.index)
    text = f'<ul class="verdicts">{items(d[headline])}</ul>'
    if (~headline).any():
        text += f'<h3>Other measures</h3><ul class="verdicts minor">{items(d[~headline])}</ul>'
    return text


def _run_highlights(data: ReportData) -> str:
    """A few factual sentences from the by-strategy summary: who earned most, who holds most
    of the market, who keeps its customers best."""
    summary = data.summary
    if summary.empty:
        return ""
    lines = []
    for col, what, kind in (("cumulative_profit", "earned the most cumulative profit", "money"),
                            ("market_share", "ended with the largest market share", "percent"),
                            ("retention_rate", "kept the largest share of its customers each month",
                             "percent")):
        ranked = summary.dropna(subset=[col]).sort_values(col, ascending=False)
        if ranked.empty:
            continue
        best = ranked.iloc[0]
        text = f"<b>{html.escape(str(best['group']))}</b> {what}: {_interval_text(best, col, kind)}"
        if len(ranked) > 1:
            others = "; ".join(f"{html.escape(str(r['group']))} {_interval_text(r, col, kind)}"
                               for _, r in ranked.iloc[1:].iterrows())
            text += f" (against {others})"
        lines.append(f"<li>{text}.</li>")
    return f'<ul class="verdicts highlights">{"".join(lines)}</ul>'


def _interval_text(row: pd.Series, col: str, kind: str) -> str:
    half = row.get(f"{col}_ci95", np.nan)
    text = _number(row[col], kind)
    if np.isfinite(half):
        low, high = _bounded(row[col] - half, row[col] + half, kind)
        text += f" (95% CI {_number(low, kind)} to {_number(high, kind)})"
    return text


def _swatch(data: ReportData, group: str) -> str:
    colour = data.colours.get(group, "#9aa5b1")
    return f'<span class="swatch" style="background:{colour}"></span>'


def _facts(data: ReportData) -> list[tuple[str, str]]:
    m = data.manifest
    if data.kind == "compare":
        first = data.folder / data.manifest["alternatives"][0].get(
            "folder", f"alternatives/{data.manifest['alternatives'][0]['name']}")
        scenario = (ResultsFolder(first).read_manifest() or {}).get("scenario", {})
    else:
        scenario = m.get("scenario", {})
    market = scenario.get("market", {}) if isinstance(scenario, dict) else {}
    facts = []
    if market.get("buyers") is not None:
        facts.append(("Buyers", f"{int(market['buyers']):,}"))
    steps = data.suppliers["step"].max() + 1
    facts.append(("Months simulated", f"{steps:,}"))
    reps = sorted(set(data.replicates.values()))
    facts.append(("Runs (replicates)", " / ".join(str(r) for r in reps)))
    if m.get("root_seed") is not None:
        facts.append(("Root seed", str(m["root_seed"])))
    if data.kind == "compare":
        facts.append(("Alternatives", ", ".join(data.groups)))
        facts.append(("Focal suppliers", ", ".join(map(str, m.get("focal_suppliers", [])))))
        overrides = m.get("overrides") or {}
        if overrides:
            facts.append(("What-if settings", ", ".join(f"{k} = {v}" for k, v in overrides.items())))
    else:
        first = data.suppliers[data.suppliers["step"] == data.suppliers["step"].min()]
        per = first.groupby("group")["supplier"].unique()
        facts.append(("Suppliers (strategy at the start)", "; ".join(f"{g}: {', '.join(sorted(per[g]))}"
                                             for g in data.groups if g in per.index)))
    if m.get("wall_time_s") is not None:
        facts.append(("Computing time", f"{float(m['wall_time_s']):,.1f} s"))
    return facts


def _scenario_title(data: ReportData) -> tuple[str, str]:
    m = data.manifest
    if data.kind == "compare":
        name = m.get("scenario_name") or data.folder.name
        return str(name), "Strategy comparison on the same market"
    market = m.get("scenario", {}).get("market", {}) if isinstance(m.get("scenario"), dict) else {}
    return str(market.get("name") or data.folder.name), str(market.get("description") or "")




def render_html(data: ReportData, images: dict[str, bytes]) -> str:
    """The report page: header and key facts, the verdicts (compare) or highlights (run), the
    results table with 95% intervals, then every figure with its one-sentence caption."""
    title, subtitle = _scenario_title(data)
    esc = html.escape
    facts = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in _facts(data))
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "img-src data:; style-src 'unsafe-inline'\">",
        '<link rel="icon" href="data:,">',
        f"<title>{esc(title)} — relsim report</title>", f"<style>{CSS}</style></head><body>",
        '<header class="top"><div class="wrap">',
        f'<div class="kicker">relsim {"comparison" if data.kind == "compare" else "simulation"} report</div>',
        f"<h1>{esc(title)}</h1>", f"<p>{esc(subtitle)}</p>" if subtitle else "",
        f'<dl class="facts">{facts}</dl></div></header>', '<main class="wrap">',
    ]
    parts += [f'<div class="note">{esc(n)}</div>' for n in data.notes]
    n = data.max_replicates()
    interval_note = ("Small grey figures under each value are the 95% confidence interval across "
                     "runs." if n > 1 else "One run only: no confidence intervals.")
    if data.kind == "compare":
        parts += ['<section class="card" id="verdict"><h2>Verdict</h2>', _verdicts(data),
                  "</section>",
                  '<section class="card" id="results"><h2>Results per alternative</h2>',
                  _compare_table(data),
                  f'<p class="tablenote">Measures for the focal suppliers '
                  f'({esc(", ".join(map(str, data.manifest.get("focal_suppliers", []))))}), '
                  f"the same market and random draws under every alternative. {interval_note}</p>",
                  "</section>"]
    else:
        parts += ['<section class="card" id="highlights"><h2>At a glance</h2>',
                  _run_highlights(data), "</section>",
                  '<section class="card" id="results"><h2>Results per strategy</h2>', _run_table(data),
                  f'<p class="tablenote">Totals over each strategy\'s suppliers; share and stage mix '
                  f"at the last month, retention averaged over the run. {interval_note}</p>",
                  "</section>"]
    specs = figures_for(data)
    parts.append('<section class="card"><nav class="toc"><h2>Figures</h2><ol>'
                 + "".join(f'<li><a href="#fig-{s.name}">{esc(s.heading)}</a></li>' for s in specs)
                 + "</ol></nav></section>")
    for spec in specs:
        caption = spec.caption.format(groups=data.group_word)
        encoded = base64.b64encode(images[spec.name]).decode("ascii")
        parts.append(f'<figure class="card" id="fig-{spec.name}"><h2>{esc(spec.heading)}</h2>'
                     f"<figcaption>{esc(caption)}</figcaption>"
                     f'<img src="data:image/png;base64,{encoded}" alt="{esc(spec.heading)}: '
                     f'{esc(caption)}"></figure>')
    versions = data.manifest.get("versions") or {}
    stamp = time.strftime("%Y-%m-%d %H:%M")
    parts += ["</main>", '<footer class="wrap">',
              f"Generated {esc(stamp)} by relsim {esc(str(versions.get('relsim', '')))} from "
              f"<code>{esc(str(data.folder))}</code>. Figures are also saved as PNG files in "
              f"<code>figures/</code> next to this page.", "</footer></body></html>"]
    return "\n".join(p for p in parts if p)


# --------------------------------------------------------------------------- entry points


def write_report(results_dir: str | Path) -> Path:
    """Draw every figure of a ``run`` or ``compare`` folder, save them as
    ``RESULTS_DIR/figures/NAME.png`` and write ``RESULTS_DIR/report.html`` (self-contained:
    the same PNGs embedded). Returns the page's path."""
    data = load_report_data(results_dir)
    figures_dir = data.folder / "figures"
    figures_dir.mkdir(exist_ok=True)
    images = {}
    for spec in figures_for(data):
        images[spec.name] = _png(spec.draw(data))
        _atomic_write(figures_dir / f"{spec.name}.png", images[spec.name])
    target = data.folder / "report.html"
    _atomic_write(target, render_html(data, images).encode("utf-8"))
    return target


def _atomic_write(target: Path, content: bytes) -> None:
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_bytes(content)
    os.replace(tmp, target)


def cli_report(args) -> int:
    """``relsim report RESULTS_DIR``."""
    page = write_report(args.results)
    names = [f"{spec.name}.png" for spec in FIGURES
             if (page.parent / "figures" / f"{spec.name}.png").exists()]
    print(f"report: {page}")
    print(f"figures: {page.parent / 'figures'}/ ({', '.join(names)})")
    return 0
