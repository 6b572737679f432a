"""``relsim analyze``: what a sweep found, as tables, figures and one self-contained page.

For one outcome (a summary outcome of the focal supplier, or, in a sweep with a comparison,
the paired advantage of one alternative over the baseline in that outcome):

- a table per parameter: the mean outcome at each level (or fifth of its range), with the
  95% interval over runs, and main-effect and interaction plots drawn from it;
- heatmaps of the mean outcome over each pair of parameters of a grid;
- Sobol first-order and total indices with intervals (Sobol designs), Morris mu* and sigma
  (Morris designs);
- scenario discovery: the PRIM box of the space where the outcome holds (the alternative
  wins, or the outcome reaches a threshold), with its limits, coverage, density and mass.

Written to ``DIR/analysis/``: ``index.html`` (figures embedded, no network needed), the
figures as PNG files and each table as CSV. Only that folder is written."""

from __future__ import annotations

import base64
import html
import itertools
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config.schema import ScenarioError, suggest
from sim.experiment.files import atomic_write_bytes, atomic_write_text
from sim.experiment.sweep_store import SweepStore
from sim.observe import numbers
from sim.observe.kpis import KPIS
from sim.report.data import DPI, PALETTE, STYLE
from sim.report.figures import _figure, _png
from sim.report.html import _css
from sim.stats.intervals import mean_interval
from sim.stats.sensitivity import PrimBox, morris_indices, prim, sobol_indices

#: a numeric parameter with more distinct values than this is shown by fifths of its range
MAX_LEVELS = 8
BINS = 5


@dataclass
class SweepAnalysis:
    """A sweep's runs reduced to one outcome, and what was found in them."""

    path: Path
    manifest: dict[str, Any]
    outcome: str
    label: str
    kind: str
    parameters: list[str]
    points: pd.DataFrame  # design order, one row per design row
    per_run: pd.DataFrame  # point, replicate, parameters, value
    per_point: pd.DataFrame  # point, parameters, mean, half_width, runs
    target: str  # what PRIM looks for, in words
    axis_label: str = ""  # the outcome, short enough for an axis
    effects: dict[str, pd.DataFrame] = field(default_factory=dict)
    sobol: pd.DataFrame | None = None
    morris: pd.DataFrame | None = None
    box: PrimBox | None = None
    notes: list[str] = field(default_factory=list)


def load_analysis(folder: str | Path, outcome: str = "cumulative_profit", alternative: str | None = None,
                  above: float | None = None) -> SweepAnalysis:
    """Read a sweep store and compute every analysis its design allows."""
    store = SweepStore(folder)
    manifest = store.read_manifest()
    if manifest is None or manifest.get("kind") != "sweep":
        raise ScenarioError(f"{store.path}: not a sweep store (no sweep.json); run `relsim sweep SPEC "
                            f"--out {store.path}` first")
    points = store.points()
    parameters = list(manifest["parameters"])
    runs = store.runs()
    notes = []
    if runs.empty:
        raise ScenarioError(f"{store.path}: no finished runs yet; run the sweep first")
    failed = runs[runs["status"] != "ok"]
    if len(failed):
        notes.append(f"{len(failed)} run(s) failed and are left out (first error: {failed['error'].iloc[0]}).")
    runs = runs[runs["status"] == "ok"]
    runs = runs[runs["point"].isin(set(points["point"])) & (runs["replicate"] < manifest["replicates"])]
    outcomes = list(manifest.get("outcomes") or [c for c in KPIS if c in runs])
    if outcome not in outcomes:
        raise ScenarioError(f"--outcome {outcome!r}: not an outcome of this sweep{suggest(outcome, outcomes)}; "
                            f"outcomes: {', '.join(outcomes)}")
    kpi = KPIS.get(outcome)
    label, kind = (kpi.label, kpi.kind) if kpi else (outcome.replace("_", " ").capitalize(), "count")
    alternatives = manifest.get("alternatives") or []
    if alternatives:
        names = list(dict.fromkeys(runs["alternative"].astype(str)))
        base = Path(alternatives[0]).stem if alternatives[0].endswith(".toml") else alternatives[0]
        chosen = alternative or (Path(alternatives[-1]).stem if alternatives[-1].endswith(".toml")
                                 else alternatives[-1])
        if chosen not in names or chosen == base:
            raise ScenarioError(f"--alternative {chosen!r}: must be one of the sweep's alternatives other "
                                f"than the baseline {base!r}: {', '.join(n for n in names if n != base)}")
        wide = runs.pivot_table(index=["point", "replicate"], columns="alternative", values=outcome,
                                aggfunc="first", observed=True)
        wide = wide.dropna(subset=[base, chosen])
        per_run = (wide[chosen] - wide[base]).rename("value").reset_index()
        what = label.lower()
        axis = f"{chosen} − {base}: {what}"
        label = f"Advantage of {chosen} over {base}: {what}"
        target = f"{chosen} beats {base} on {what} (mean advantage > 0)"
        threshold = 0.0
    else:
        per_run = runs[["point", "replicate", outcome]].rename(columns={outcome: "value"})
        threshold = above
        target = None
        axis = label
    values = points.drop_duplicates("point").set_index("point")[parameters]
    per_run = per_run.join(values, on="point")
    rows = []
    for point, g in per_run.groupby("point", sort=False):
        mean, half = mean_interval(g["value"].to_numpy())
        rows.append({"point": point, "mean": mean, "half_width": half, "runs": len(g)})
    per_point = pd.DataFrame(rows).join(values, on="point")
    if threshold is None:
        threshold = float(np.nanquantile(per_point["mean"], 0.75))
        target = f"{label.lower()} in the top quarter of points (at least {numbers.number(threshold, kind)})"
    elif target is None:
        target = f"{label.lower()} at least {numbers.number(threshold, kind)}"
    analysis = SweepAnalysis(store.path, manifest, outcome, label, kind, parameters, points, per_run,
                             per_point, target, axis_label=axis, notes=notes)
    analysis.effects = {p: effect_table(per_run, p) for p in parameters}
    _sensitivity(analysis)
    if len(per_point) >= 4 and per_point["mean"].notna().any():
        wins = (per_point["mean"] > threshold) if alternatives else (per_point["mean"] >= threshold)
        if wins.all() or not wins.any():
            notes.append(f"Scenario discovery: {'every' if wins.all() else 'no'} point has "
                         f"{target}; there is no region to find.")
        else:
            analysis.box = prim(per_point[parameters], wins.to_numpy(), threshold=0.8)
    return analysis


def _levels(series: pd.Series) -> pd.Series:
    """The level a run's parameter value belongs to: itself, or its fifth of the range."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series) \
            and series.nunique() > MAX_LEVELS:
        edges = np.unique(np.quantile(series, np.linspace(0, 1, BINS + 1)))
        return pd.cut(series, edges, include_lowest=True)
    return series


def effect_table(per_run: pd.DataFrame, parameter: str) -> pd.DataFrame:
    """Mean outcome and its 95% interval over runs, at each level of ``parameter``."""
    rows = []
    for level, g in per_run.groupby(_levels(per_run[parameter]), sort=True, observed=True):
        mean, half = mean_interval(g["value"].to_numpy())
        rows.append({"parameter": parameter, "level": level, "mean": mean,
                     "ci_low": mean - half, "ci_high": mean + half, "runs": len(g)})
    return pd.DataFrame(rows)


def _sensitivity(a: SweepAnalysis) -> None:
    design = a.manifest["design"]
    if design["kind"] not in ("sobol", "morris"):
        return
    means = a.per_point.set_index("point")["mean"]
    y = a.points["point"].map(means).to_numpy(float)
    missing = int(np.isnan(y).sum())
    what = "Sobol indices" if design["kind"] == "sobol" else "Morris effects"
    if missing:
        a.notes.append(f"{what} need every point of the design: {missing} of {len(y)} design rows have no "
                       f"result yet; run the sweep to the end (the same command resumes it).")
        return
    problem = a.manifest["problem"]
    if design["kind"] == "sobol":
        a.sobol = sobol_indices(problem, y, second_order=design["second_order"])
    else:
        x = a.points[[f"x:{p}" for p in a.parameters]].to_numpy(float)
        a.morris = morris_indices(problem, x, y, levels=design["levels"])


# --------------------------------------------------------------------------- figures


def _short(name: str) -> str:
    return name if len(name) <= 38 else "…" + name[-37:]


def _level_text(level: Any) -> str:
    if isinstance(level, pd.Interval):
        return f"{level.left:.3g}–{level.right:.3g}"
    if isinstance(level, float):
        return f"{level:.4g}"
    return str(level)


def fig_main_effects(a: SweepAnalysis):
    n = len(a.parameters)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig = _figure(max(6.5, 4.2 * cols), 3.4 * rows)
    axes = fig.subplots(rows, cols, squeeze=False, sharey=True)
    for ax, p in zip(axes.flat, a.parameters):
        t = a.effects[p]
        x = np.arange(len(t))
        ax.plot(x, t["mean"], marker="o", color=PALETTE[0])
        ax.fill_between(x, t["ci_low"], t["ci_high"], color=PALETTE[0], alpha=0.2, linewidth=0)
        ax.set_xticks(x, [_level_text(v) for v in t["level"]], rotation=30 if len(t) > 4 else 0)
        ax.set_xlabel(_short(p))
        if a.manifest.get("alternatives"):
            ax.axhline(0, color="#555", linewidth=0.8)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    axes[0][0].set_ylabel(a.axis_label)
    fig.suptitle("Main effects (band: 95% interval over runs)")
    return fig


def _pairs(a: SweepAnalysis) -> list[tuple[str, str]]:
    return list(itertools.combinations(a.parameters, 2))[:6]


def fig_interactions(a: SweepAnalysis):
    pairs = _pairs(a)
    cols = min(len(pairs), 3)
    rows = math.ceil(len(pairs) / cols)
    fig = _figure(max(6.5, 4.6 * cols), 3.6 * rows)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, (p, q) in zip(axes.flat, pairs):
        run = a.per_run.assign(_p=_levels(a.per_run[p]), _q=_levels(a.per_run[q]))
        table = run.groupby(["_q", "_p"], observed=True)["value"].mean().unstack("_p")
        x = np.arange(table.shape[1])
        for k, (level, line) in enumerate(table.iterrows()):
            ax.plot(x, line.to_numpy(), marker="o", color=PALETTE[k % len(PALETTE)],
                    label=f"{_short(q)} = {_level_text(level)}")
        ax.set_xticks(x, [_level_text(v) for v in table.columns], rotation=30 if len(x) > 4 else 0)
        ax.set_xlabel(_short(p))
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(pairs):]:
        ax.set_visible(False)
    axes[0][0].set_ylabel(a.axis_label)
    fig.suptitle("Interactions")
    return fig


def fig_heatmaps(a: SweepAnalysis):
    pairs = _pairs(a)
    cols = min(len(pairs), 2)
    rows = math.ceil(len(pairs) / cols)
    fig = _figure(max(6.5, 5.4 * cols), 4.4 * rows)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, (p, q) in zip(axes.flat, pairs):
        table = a.per_run.groupby([q, p])["value"].mean().unstack(p).sort_index(ascending=False)
        values = table.to_numpy(float)
        diverging = a.manifest.get("alternatives") and np.nanmin(values) < 0 < np.nanmax(values)
        limit = np.nanmax(np.abs(values)) if diverging else None
        image = ax.imshow(values, aspect="auto", cmap="RdBu" if diverging else "viridis",
                          vmin=-limit if diverging else None, vmax=limit if diverging else None)
        shade = image.norm(values)
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v) and values.size <= 64:  # dark text on light cells, light on dark
                light = abs(shade[i, j] - 0.5) < 0.3 if diverging else shade[i, j] > 0.6
                ax.text(j, i, numbers.number(v, a.kind), ha="center", va="center", fontsize=8,
                        color="black" if light else "white")
        ax.set_xticks(range(table.shape[1]), [_level_text(v) for v in table.columns], rotation=30)
        ax.set_yticks(range(table.shape[0]), [_level_text(v) for v in table.index])
        ax.set_xlabel(_short(p))
        ax.set_ylabel(_short(q))
        ax.grid(False)
        fig.colorbar(image, ax=ax, shrink=0.85, label=_short(a.axis_label))
    for ax in list(axes.flat)[len(pairs):]:
        ax.set_visible(False)
    fig.suptitle("Mean at each combination")
    return fig


def fig_sobol(a: SweepAnalysis):
    s = a.sobol
    fig = _figure(7.5, 0.55 * len(s) + 1.8)
    ax = fig.subplots()
    y = np.arange(len(s))
    ax.barh(y - 0.2, s["S1"], 0.38, xerr=s["S1_conf"], color=PALETTE[0], label="first order S1")
    ax.barh(y + 0.2, s["ST"], 0.38, xerr=s["ST_conf"], color=PALETTE[1], label="total ST")
    ax.set_yticks(y, [_short(p) for p in s["parameter"]])
    ax.invert_yaxis()
    ax.set_xlabel("share of the outcome's variance (bars: 95% interval)")
    ax.legend()
    fig.suptitle("Sobol indices")
    return fig


def fig_morris(a: SweepAnalysis):
    m = a.morris
    fig = _figure(7.0, 4.8)
    ax = fig.subplots()
    ax.errorbar(m["mu_star"], m["sigma"], xerr=m["mu_star_conf"], fmt="o", color=PALETTE[0])
    for _, r in m.iterrows():
        ax.annotate(_short(r["parameter"]), (r["mu_star"], r["sigma"]), xytext=(5, 4),
                    textcoords="offset points", fontsize=9)
    top = max(float(m["mu_star"].max()), float(m["sigma"].max()), 1e-12)
    ax.plot([0, top], [0, top], color="#999", linewidth=0.8, linestyle="--")
    ax.set_xlabel("μ*: mean absolute elementary effect (importance)")
    ax.set_ylabel("σ: spread of effects (interactions, non-linearity)")
    fig.suptitle("Morris screening")
    return fig


def fig_prim(a: SweepAnalysis):
    t = a.box.trajectory
    fig = _figure(7.0, 4.6)
    ax = fig.subplots()
    points = ax.scatter(t["coverage"], t["density"], c=t["restricted"], cmap="viridis", s=30)
    chosen = t[t["chosen"]]
    ax.scatter(chosen["coverage"], chosen["density"], s=160, facecolors="none", edgecolors="#D55E00",
               linewidths=2, label="chosen box (before pasting)")
    ax.set_xlabel("coverage: share of all cases of interest inside the box")
    ax.set_ylabel("density: share of the box's cases that are of interest")
    fig.colorbar(points, ax=ax, label="parameters restricted")
    ax.legend(loc="lower left")
    fig.suptitle("PRIM peeling trajectory")
    return fig


FIGURE_NAMES = ("main_effects", "interactions", "heatmaps", "sobol", "morris", "prim")


def figures(a: SweepAnalysis) -> list[tuple[str, str, str, Any]]:
    """(name, heading, caption, draw) of each figure this sweep allows."""
    out = [("main_effects", "Main effects", f"{a.label}: mean over runs at each level of each parameter.",
            fig_main_effects)]
    if len(a.parameters) >= 2:
        out.append(("interactions", "Interactions", "Mean outcome along one parameter, one line per level "
                    "of another: lines that are not parallel mean one parameter's effect depends on the "
                    "other.", fig_interactions))
        if a.manifest["design"]["kind"] == "grid":
            out.append(("heatmaps", "Heatmaps", "Mean outcome at every combination of two parameters "
                        "(averaged over the others).", fig_heatmaps))
    if a.sobol is not None:
        out.append(("sobol", "Sobol indices", "Share of the outcome's variance due to each parameter alone "
                    "(S1) and with its interactions (ST), with 95% bootstrap intervals.", fig_sobol))
    if a.morris is not None:
        out.append(("morris", "Morris screening", "Elementary effects over the trajectories: to the right "
                    "the important parameters, upwards those that interact or act non-linearly.", fig_morris))
    if a.box is not None:
        out.append(("prim", "Scenario discovery (PRIM)", f"Boxes found while peeling towards: {a.target}; "
                    "the trade-off between coverage and density.", fig_prim))
    return out


# --------------------------------------------------------------------------- page


def _table(frame: pd.DataFrame, columns: list[tuple[str, str, str]]) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(label)}</th>" for _, label, _ in columns)
    body = []
    for _, row in frame.iterrows():
        cells = []
        for col, _, kind in columns:
            value = row[col]
            if kind == "text":
                text = _level_text(value)
            elif kind == "whole":
                text = f"{int(value):,}"
            else:
                text = numbers.number(float(value), kind)
            cells.append(f"<td>{esc(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="scroll"><table class="results"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _box_html(a: SweepAnalysis) -> str:
    esc = html.escape
    b = a.box
    rows = []
    for _, r in b.limits.iterrows():
        if r["levels"] is not None:
            where = "one of " + ", ".join(map(str, r["levels"]))
        else:
            where = f"from {r['low']:.4g} to {r['high']:.4g}"
        rows.append(f"<tr><th scope=\"row\">{esc(r['parameter'])}</th><td>{esc(where)}</td></tr>")
    limits = "".join(rows) or "<tr><td colspan=2>no restriction: the whole space</td></tr>"
    return (f"<p>Looking for the points where {esc(a.target)}. The box below holds "
            f"<b>{b.cases}</b> of {len(a.per_point)} points; <b>{b.cases_of_interest}</b> of them are such "
            f"points.</p><ul><li>coverage {100 * b.coverage:.0f}% (share of all such points inside the box)</li>"
            f"<li>density {100 * b.density:.0f}% (share of the box's points that are such points)</li>"
            f"<li>mass {100 * b.mass:.0f}% (share of all points inside the box)</li></ul>"
            f'<table class="results"><thead><tr><th>Parameter</th><th>Box limits</th></tr></thead>'
            f"<tbody>{limits}</tbody></table>")


def render_page(a: SweepAnalysis, images: dict[str, bytes]) -> str:
    esc = html.escape
    m = a.manifest
    facts = [("Design", f"{m['design']['kind']}, {m['points']} points"), ("Replicates", str(m["replicates"])),
             ("Runs analysed", f"{len(a.per_run):,}"), ("Outcome", a.label)]
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
             "style-src 'unsafe-inline'\">", '<link rel="icon" href="data:,">',
             f"<title>{esc(m['name'])} — relsim sweep analysis</title>", f"<style>{_css()}</style></head><body>",
             '<header class="top"><div class="wrap"><div class="kicker">relsim sweep analysis</div>',
             f"<h1>{esc(m['name'])}</h1>", f"<p>{esc(m.get('description') or '')}</p>",
             '<dl class="facts">' + "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in facts)
             + "</dl></div></header>", '<main class="wrap">']
    parts += [f'<div class="note">{esc(n)}</div>' for n in a.notes]
    if a.box is not None:
        parts += ['<section class="card" id="discovery"><h2>Where it holds</h2>', _box_html(a), "</section>"]
    if a.sobol is not None:
        parts += ['<section class="card" id="sobol-table"><h2>Sobol indices</h2>',
                  _table(a.sobol, [("parameter", "Parameter", "text"), ("S1", "S1", "index"),
                                   ("S1_conf", "± (95%)", "index"), ("ST", "ST", "index"),
                                   ("ST_conf", "± (95%)", "index")]), "</section>"]
    if a.morris is not None:
        parts += ['<section class="card" id="morris-table"><h2>Morris screening</h2>',
                  _table(a.morris, [("parameter", "Parameter", "text"), ("mu_star", "μ*", a.kind),
                                    ("mu_star_conf", "± (95%)", a.kind), ("mu", "μ", a.kind),
                                    ("sigma", "σ", a.kind)]), "</section>"]
    parts.append('<section class="card" id="effects"><h2>By parameter</h2>')
    for p in a.parameters:
        parts += [f"<h3>{esc(p)}</h3>", _table(a.effects[p], [
            ("level", "Level", "text"), ("mean", "Mean", a.kind), ("ci_low", "95% low", a.kind),
            ("ci_high", "95% high", a.kind), ("runs", "Runs", "whole")])]
    parts.append("</section>")
    for name, heading, caption, _ in figures(a):
        encoded = base64.b64encode(images[name]).decode("ascii")
        parts.append(f'<figure class="card" id="fig-{name}"><h2>{esc(heading)}</h2>'
                     f"<figcaption>{esc(caption)}</figcaption>"
                     f'<img src="data:image/png;base64,{encoded}" alt="{esc(heading)}: {esc(caption)}"></figure>')
    parts += ["</main>", '<footer class="wrap">',
              f"Generated {esc(time.strftime('%Y-%m-%d %H:%M'))} by relsim "
              f"{esc(str((m.get('versions') or {}).get('relsim', '')))} from <code>{esc(str(a.path))}</code>; "
              f"tables as CSV and figures as PNG in <code>analysis/</code>.", "</footer></body></html>"]
    return "\n".join(p for p in parts if p)


def write_analysis(folder: str | Path, outcome: str = "cumulative_profit", alternative: str | None = None,
                   above: float | None = None) -> tuple[Path, SweepAnalysis]:
    """Analyse a sweep store and write ``DIR/analysis/`` (page, figures, tables)."""
    import matplotlib

    a = load_analysis(folder, outcome, alternative, above)
    target = a.path / "analysis"
    (target / "figures").mkdir(parents=True, exist_ok=True)
    images = {}
    with matplotlib.rc_context(STYLE):
        for name, _, _, draw in figures(a):
            images[name] = _png(draw(a))
            atomic_write_bytes(target / "figures" / f"{name}.png", images[name])
    for name in set(FIGURE_NAMES) - set(images):  # an earlier analysis's, which no longer holds
        (target / "figures" / f"{name}.png").unlink(missing_ok=True)
    tables = {"effects": pd.concat(a.effects.values(), ignore_index=True).assign(
        level=lambda f: f["level"].map(_level_text)), "points": a.per_point, "sobol": a.sobol,
        "morris": a.morris, "prim_box": a.box.limits if a.box is not None else None}
    for name, frame in tables.items():
        if frame is not None:
            atomic_write_text(target / f"{name}.csv", frame.to_csv(index=False))
        else:
            (target / f"{name}.csv").unlink(missing_ok=True)
    page = target / "index.html"
    atomic_write_text(page, render_page(a, images))
    return page, a


__all__ = ["SweepAnalysis", "load_analysis", "effect_table", "write_analysis", "DPI"]
