"""``relsim analyze``: what a sweep found, as tables, figures and one self-contained page.

For one outcome (a summary outcome of the focal supplier, or, in a sweep with a comparison,
the paired advantage of one alternative over the baseline in that outcome):

- a table per parameter: the mean outcome at each level (or fifth of its runs, by value), with the
  95% interval over runs, and main-effect and interaction plots drawn from it;
- heatmaps of the mean outcome over each pair of parameters of a grid;
- Sobol first-order and total indices with intervals (Sobol designs), Morris mu* and sigma
  (Morris designs);
- scenario discovery: the PRIM box of the space where the outcome holds (the alternative
  wins, or the outcome reaches a threshold), with its limits, coverage, density and mass.

Written to ``DIR/analysis/``: ``index.html`` (figures embedded, no network needed), the
figures as PNG files and each table as CSV. Only that folder is written."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config.schema import ScenarioError, suggest
from sim.experiment.store import KINDS
from sim.experiment.sweep_store import ANALYSIS, ANALYSIS_FIGURES, ANALYSIS_TABLES, SweepStore
from sim.experiment.sweep_tables import advantage_by_point, paired_advantage, point_summary
from sim.observe import numbers
from sim.observe.kpis import KPIS
from sim.report.data import DPI, PALETTE, STYLE
from sim.report.figures import _figure, _png
from sim.report.html import _plain_table, _section, _text, cell, figure_item, render_document
from sim.stats.intervals import mean_interval
from sim.stats.sensitivity import (
    PrimBox,
    ReplicateNoise,
    morris_indices,
    morris_noise_floor,
    prim,
    replicate_noise,
    sobol_indices,
)

#: a numeric parameter with more distinct values than this is shown in fifths of its runs, by value
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
    per_point: pd.DataFrame  # point, parameters, mean, half_width, low, high, runs (95% interval)
    target: str  # what PRIM looks for, in words
    axis_label: str = ""  # the outcome, short enough for an axis
    effects: dict[str, pd.DataFrame] = field(default_factory=dict)
    sobol: pd.DataFrame | None = None
    morris: pd.DataFrame | None = None
    noise: ReplicateNoise | None = None  # replicate noise in the point means the indices read
    noise_text: str = ""  # what it does to them, in words (the page and the console say it)
    box: PrimBox | None = None
    unsettled: int = 0  # points whose 95% interval reaches across the box's threshold
    notes: list[str] = field(default_factory=list)

    def runs_analysed(self) -> str:
        """How many values the analysis rests on, in the sweep's own count of runs: in a
        comparison each value is a pair of runs (both alternatives on one seed)."""
        n = len(self.per_run)
        if self.manifest.get("alternatives"):
            return (f"{numbers.number(n, 'count')} paired differences ({numbers.number(2 * n, 'count')} runs: "
                    f"the two alternatives on the same seed)")
        return f"{numbers.number(n, 'count')} runs"


def load_analysis(folder: str | Path, outcome: str | None = None, alternative: str | None = None,
                  above: float | None = None, relative: bool = False) -> SweepAnalysis:
    """Read a sweep store and compute every analysis its design allows. ``outcome``: by
    default the sweep's first [outcomes] entry, else cumulative profit. ``relative``: in a
    comparison, the advantage relative to the baseline's mean at each point (compare's
    relative difference) rather than in the outcome's units."""
    store = SweepStore(folder)
    manifest = store.read_manifest()
    if manifest is None:
        raise ScenarioError(f"{store.path}: not a sweep store (no manifest.json); run `relsim sweep SPEC "
                            f"--out {store.path}` first")
    if manifest.get("kind") != "sweep":
        raise ScenarioError(f"{store.path}: not a sweep store (it holds the results of "
                            f"{KINDS.get(manifest.get('kind', 'run'), 'another command')}; `relsim report` "
                            f"reads those)")
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
    in_design = runs["point"].isin(set(points["point"])) & (runs["replicate"] < manifest["replicates"])
    if not in_design.all():
        # the store keeps runs of earlier, larger designs (more replicates, other points); the
        # analysis reads the design as the last sweep command left it, and says what it leaves out
        beyond = int((runs["replicate"] >= manifest["replicates"]).sum())
        notes.append(f"{int((~in_design).sum())} finished run(s) in the store are outside the current design "
                     f"({manifest['replicates']} replicate(s) at {len(set(points['point']))} point(s)) and are "
                     f"left out" + (f"; `relsim sweep SPEC --out {store.path} --replicates N` with a larger N "
                                    f"brings the extra replicates back in" if beyond else "") + ".")
    runs = runs[in_design]
    expected = len(set(points["point"])) * manifest["replicates"] * max(1, len(manifest.get("alternatives") or []))
    if manifest.get("status") == "running":
        notes.append(f"The sweep is still {store.status_text(manifest)}: these results cover the {len(runs)} of "
                     f"its {expected} runs finished so far; analyse it again when it is done.")
    elif manifest.get("status") != "complete":
        notes.append(f"The sweep is unfinished: these results cover {len(runs)} of its {expected} runs. It was "
                     f"{store.status_text(manifest)}.")
    elif len(runs) < expected:
        notes.append(f"These results cover {len(runs)} of the sweep's {expected} runs.")
    outcomes = list(manifest.get("outcomes") or [c for c in KPIS if c in runs])
    if outcome is None:
        outcome = (manifest.get("series_outcomes") or ["cumulative_profit"])[0]
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
        per_run = paired_advantage(runs, outcome, base, chosen, relative_to_baseline=relative)
        what = label.lower()
        if relative:
            kind = "relative"
            axis = f"{chosen} vs {base}: {what}, relative"
            label = f"Relative advantage of {chosen} over {base}: {what}"
        else:
            axis = f"{chosen} − {base}: {what}"
            label = f"Advantage of {chosen} over {base}: {what}"
        if above is None:
            target, threshold = f"{chosen} beats {base} on {what} (mean advantage > 0)", 0.0
        else:  # where it wins by at least so much
            target, threshold = (f"{chosen}'s advantage over {base} on {what} is at least "
                                 f"{numbers.number(above, kind)}"), above
    else:
        if relative:
            raise ScenarioError("--relative: an advantage relative to a baseline needs a comparison sweep "
                                "(a [compare] table with alternatives)")
        per_run = runs[["point", "replicate", outcome]].rename(columns={outcome: "value"})
        threshold = above
        target = None
        axis = label
    values = points.drop_duplicates("point").set_index("point")[parameters]
    per_run = per_run.join(values, on="point")
    if alternatives:
        per_point = advantage_by_point(runs, outcome, base, chosen, relative).join(values, on="point")
        losing = int(per_point["mean"].isna().sum()) if relative else 0
        if losing:
            notes.append(f"At {losing} of the {len(per_point)} points {base} loses money or makes none on "
                         f"{what}: no base for a percentage (as relsim compare says), so those points have no "
                         f"relative advantage and are left out of what follows; without --relative the "
                         f"analysis reads the advantage in money at every point.")
    else:
        per_point = point_summary(per_run).join(values, on="point")
        per_point["low"] = per_point["mean"] - per_point["half_width"]
        per_point["high"] = per_point["mean"] + per_point["half_width"]
    if threshold is None:
        threshold = float(np.nanquantile(per_point["mean"], 0.75))
        target = f"{label.lower()} in the top quarter of points (at least {numbers.number(threshold, kind)})"
    elif target is None:
        target = f"{label.lower()} at least {numbers.number(threshold, kind)}"
    analysis = SweepAnalysis(store.path, manifest, outcome, label, kind, parameters, points, per_run,
                             per_point, target, axis_label=axis, notes=notes)
    analysis.effects = {p: effect_table(per_run, p) for p in parameters}
    _sensitivity(analysis)
    # the points with a value (a relative advantage has none where the baseline loses)
    valued = per_point[per_point["mean"].notna()]
    if len(valued) >= 4:
        wins = (valued["mean"] > threshold) if alternatives and above is None \
            else (valued["mean"] >= threshold)
        if wins.all() or not wins.any():
            notes.append(f"Scenario discovery: {target} at {'every' if wins.all() else 'no'} point; "
                         f"there is no region to find.")
        else:
            analysis.box = prim(valued[parameters], wins.to_numpy(), threshold=0.8)
            # a point whose interval reaches across the threshold (or has none) may fall on the
            # other side with other seeds: PRIM's cases are only as firm as their points
            settled = (valued["low"] > threshold) | (valued["high"] < threshold)
            analysis.unsettled = int((~settled).sum())
    return analysis


def _levels(series: pd.Series) -> pd.Series:
    """The level a run's parameter value belongs to: itself, or, for a parameter sampled over a
    range, the fifth of the runs (by its value) it falls in."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series) \
            and series.nunique() > MAX_LEVELS:
        edges = np.unique(np.quantile(series, np.linspace(0, 1, BINS + 1)))
        # include_lowest widens the first bin by a thousandth of the range below the lowest
        # value (pandas), which its label would show ("-0.000666-0.00982" for a range from 0):
        # the bins are named by the edges themselves, the lowest and highest values sampled
        return pd.cut(series, edges, include_lowest=True).cat.rename_categories(
            pd.IntervalIndex.from_breaks(edges, closed="right"))
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
    if missing and a.kind == "relative" and a.per_point["runs"].gt(0).all():
        a.notes.append(f"{what} need a value at every point of the design: {missing} of {len(y)} design rows "
                       f"have no relative advantage (the baseline loses money there); analyse the advantage in "
                       f"money (without --relative) for them.")
        return
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
    a.noise = replicate_noise(a.per_run["point"].to_numpy(), a.per_run["value"].to_numpy(), y)
    a.noise_text = noise_text(a)


#: the replicate noise's share of the point means' variance below which it is not worth a word
NOISE_TOLERATED = 0.1


def noise_text(a: SweepAnalysis) -> str:
    """What replicate noise does to the sensitivity indices of ``a``, in words."""
    what = "indices" if a.sobol is not None else "effects"
    if a.noise is None:
        return (f"With one replicate a point, how much of these {what} is replicate noise cannot be "
                f"measured: a stochastic model's outcome differs from seed to seed, and the {what} read "
                f"that as an effect of the parameters. Two or more replicates a point (--replicates) measure it.")
    n = a.noise
    share = numbers.percent(n.share, 0)
    replicates = numbers.plain(n.replicates, 2)
    text = (f"Replicate noise: {share} of the variance of the point means these {what} are computed from is "
            f"the spread between the {replicates} replicates at each point. ")
    if a.sobol is not None:
        score, rest = numbers.number(n.share, "score"), numbers.number(1.0 - n.share, "score")
        text += (f"With it, a total index ST reads about {score} + {rest} × its value without the noise, so an ST "
                 f"near {score} may be noise alone, and a first-order S1 about {rest} × its value.")
    else:
        mu_star, sigma = morris_noise_floor(n, a.manifest["design"]["levels"])
        text += (f"It alone gives a parameter without any effect a μ* of about {numbers.number(mu_star, a.kind)} "
                 f"and a σ of about {numbers.number(sigma, a.kind)}, so a μ* near that may be noise alone.")
    if n.share > NOISE_TOLERATED:
        needed = n.replicates_for_share(NOISE_TOLERATED)
        text += (f" About {numbers.number(math.ceil(needed), 'count')} replicates a point would bring the noise "
                 f"to {numbers.percent(NOISE_TOLERATED, 0)} (it falls as 1/replicates)." if needed is not None else
                 " The point means vary no more than the noise alone would make them: the "
                 f"{what} say nothing yet; run more replicates.")
    return text


# --------------------------------------------------------------------------- figures


def _short(name: str) -> str:
    return name if len(name) <= 44 else "…" + name[-43:]


def _level_text(level: Any) -> str:
    if isinstance(level, pd.Interval):
        return f"{numbers.plain(level.left, 3)}–{numbers.plain(level.right, 3)}"
    return numbers.plain(level)


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
        # every cell empty where a relative advantage has no base anywhere: drawn blank
        some = bool(np.isfinite(values).any())
        diverging = a.manifest.get("alternatives") and some and np.nanmin(values) < 0 < np.nanmax(values)
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
    fig = _figure(7.5, 0.55 * len(s) + 2.2)
    ax = fig.subplots()
    y = np.arange(len(s))
    ax.barh(y - 0.2, s["S1"], 0.38, xerr=s["S1_conf"], color=PALETTE[0], label="first order S1")
    ax.barh(y + 0.2, s["ST"], 0.38, xerr=s["ST_conf"], color=PALETTE[1], label="total ST")
    ax.set_yticks(y, [_short(p) for p in s["parameter"]])
    ax.invert_yaxis()
    if a.noise is not None:  # what replicate noise alone adds to every ST
        ax.axvline(a.noise.share, color="#555", linewidth=1.0, linestyle="--",
                   label=f"replicate noise ({numbers.number(a.noise.share, 'score')})")
    ax.set_xlabel("share of the outcome's variance (bars: 95% interval)")
    # below the axes, where no bar can be under it
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=3, frameon=False)
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
    if a.noise is not None:  # the mu* of a parameter without any effect, from replicate noise alone
        floor = morris_noise_floor(a.noise, a.manifest["design"]["levels"])[0]
        ax.axvline(floor, color="#555", linewidth=1.0, linestyle=":",
                   label=f"μ* from replicate noise alone ({numbers.number(floor, a.kind)})")
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", frameon=False)
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


def _interval_cell(mean: float, low: float, high: float, kind: str, paired: bool) -> dict[str, str]:
    """A mean and its 95% interval; an advantage (a paired difference) reads as one."""
    if paired:
        return _text(numbers.difference(mean, kind), numbers.difference_range(low, high, kind))
    return cell(mean, (high - low) / 2, kind)


def _effects_section(a: SweepAnalysis) -> dict[str, Any]:
    paired = bool(a.manifest.get("alternatives"))
    tables = []
    for p in a.parameters:
        t = a.effects[p]
        rows = [(_level_text(r["level"]), [_interval_cell(r["mean"], r["ci_low"], r["ci_high"], a.kind, paired),
                                           _text(numbers.number(int(r["runs"]), "count"))])
                for _, r in t.iterrows()]
        tables.append(_plain_table(["Level", a.label, "Runs"], rows, title=p))
    return _section("effects", "By parameter", tables=tables,
                    paragraphs=["The mean over runs at each level of each parameter (for a parameter sampled over a "
                                "range, in fifths of the runs by its value), "
                                "with its 95% interval under it."])


def _discovery_section(a: SweepAnalysis) -> dict[str, Any]:
    b = a.box
    rows = []
    for _, r in b.limits.iterrows():
        if r["levels"] is not None:
            where = "one of " + ", ".join(map(numbers.plain, r["levels"]))
        else:
            where = f"from {numbers.plain(r['low'])} to {numbers.plain(r['high'])}"
        rows.append((str(r["parameter"]), [_text(where)]))
    if not rows:
        rows = [("no restriction", [_text("the whole space")])]
    return _section("discovery", "Where it holds", paragraphs=[
        f"Looking for the points where {a.target}. The box below holds {b.cases} of "
        f"{int(a.per_point['mean'].notna().sum())} points; "
        f"{b.cases_of_interest} of them are such points. {unsettled_text(a)}"],
        definitions=[("Coverage " + numbers.percent(b.coverage, 0), "share of all such points inside the box"),
                     ("Density " + numbers.percent(b.density, 0), "share of the box's points that are such points"),
                     ("Mass " + numbers.percent(b.mass, 0), "share of all points inside the box")],
        tables=[_plain_table(["Parameter", "Box limits"], rows)])


def unsettled_text(a: SweepAnalysis) -> str:
    """How many points' side of the threshold is settled by their replicates, in words."""
    n = int(a.per_point["mean"].notna().sum())  # the points with a value: PRIM's cases
    if not a.unsettled:
        return "Every point's 95% interval is on one side of the threshold."
    replicates = numbers.number(int(a.manifest["replicates"]), "count")
    return (f"{numbers.number(a.unsettled, 'count')} of the {numbers.number(n, 'count')} points have a 95% "
            f"interval that reaches across the threshold: at {replicates} replicate(s) a point, which side they "
            f"are on is not settled, and other seeds could move them and the box with them.")


def _index_cell(value: float, conf: float) -> dict[str, str]:
    """A Sobol index and its bootstrap interval as estimated, not clipped to [0, 1] as a score
    cell is: an estimate of -0.08 with an interval of 0.00 to 0.17 would not contain itself,
    and the console and the figure give the interval unclipped."""
    return {"value": numbers.number(value, "score"),
            "ci": numbers.interval(value - conf, value + conf, "score") if np.isfinite(conf) else ""}


def _sobol_section(a: SweepAnalysis) -> dict[str, Any]:
    rows = [(str(r["parameter"]), [_index_cell(r["S1"], r["S1_conf"]), _index_cell(r["ST"], r["ST_conf"])])
            for _, r in a.sobol.iterrows()]
    return _section("sobol-table", "Sobol indices", paragraphs=[a.noise_text], tables=[_plain_table(
        ["Parameter", "First order S1", "Total ST"], rows,
        note="Shares of the outcome's variance; under each index its 95% bootstrap interval. An index is "
             "between 0 and 1: an estimate or an interval beyond them is the estimate's own error.")])


def _morris_section(a: SweepAnalysis) -> dict[str, Any]:
    rows = [(str(r["parameter"]), [cell(r["mu_star"], r["mu_star_conf"], a.kind), cell(r["mu"], None, a.kind),
                                   cell(r["sigma"], None, a.kind)]) for _, r in a.morris.iterrows()]
    return _section("morris-table", "Morris screening", paragraphs=[a.noise_text], tables=[_plain_table(
        ["Parameter", "μ* (importance)", "μ", "σ (interactions)"], rows,
        note=f"Elementary effects on {a.label.lower()}; under μ* its 95% bootstrap interval.")])


def render_page(a: SweepAnalysis, images: dict[str, bytes]) -> str:
    """The analysis page, from the report's templates (``page.html.j2``, autoescaped)."""
    m = a.manifest
    facts = [("Design", f"{m['design']['kind']}, {numbers.number(int(m['points']), 'count')} points"),
             ("Replicates", numbers.number(int(m["replicates"]), "count")),
             ("Runs analysed", a.runs_analysed()), ("Outcome", a.label)]
    sections = [s(a) for s, present in ((_discovery_section, a.box is not None), (_sobol_section, a.sobol is not None),
                                        (_morris_section, a.morris is not None)) if present]
    sections.append(_effects_section(a))
    return render_document(
        title=str(m["name"]), subtitle=str(m.get("description") or ""), kicker="relsim sweep analysis",
        page_name="relsim sweep analysis", facts=facts, notes=a.notes, sections=sections,
        figures=[figure_item(name, heading, caption, images[name]) for name, heading, caption, _ in figures(a)],
        version=str((m.get("versions") or {}).get("relsim", "")), folder=str(a.path),
        outputs="Tables as CSV and figures as PNG in analysis/.")


def write_analysis(folder: str | Path, outcome: str | None = None, alternative: str | None = None,
                   above: float | None = None, relative: bool = False) -> tuple[Path, SweepAnalysis]:
    """Analyse a sweep store and write ``DIR/analysis/`` (page, figures, tables), each file
    through the store, which records it as the sweep's own (``--overwrite`` removes it)."""
    import matplotlib

    a = load_analysis(folder, outcome, alternative, above, relative)
    store = SweepStore(a.path)
    tables = {"effects": pd.concat(a.effects.values(), ignore_index=True).assign(
        level=lambda f: f["level"].map(_level_text)), "points": a.per_point, "sobol": a.sobol,
        "morris": a.morris, "prim_box": a.box.limits if a.box is not None else None}
    written = [name for name in ANALYSIS_TABLES if tables[name] is not None]
    outputs = [*(f"{ANALYSIS}/figures/{name}.png" for name, _, _, _ in figures(a)),
               *(f"{ANALYSIS}/{name}.csv" for name in written), f"{ANALYSIS}/index.html"]
    # a store another command is writing or clearing, or a user's file in the way, is refused
    # before the figures are drawn, not after; checked again as the files are written
    with store.writing_outputs("relsim analyze"):
        store.refuse_foreign_outputs(outputs)
    with matplotlib.rc_context(STYLE):
        images = {name: _png(draw(a)) for name, _, _, draw in figures(a)}
    page_html = render_page(a, images).encode("utf-8")
    # drawn first, written under the folder's lock: never while a sweep extends the store or
    # an --overwrite clears it, and two analyses never lose each other's ledger lines
    with store.writing_outputs("relsim analyze"):
        store.refuse_foreign_outputs(outputs)
        for name, png in images.items():
            store.write_output(f"{ANALYSIS}/figures/{name}.png", png)
        for name in set(ANALYSIS_FIGURES) - set(images):  # an earlier analysis's, which no longer holds
            store.remove_output(f"{ANALYSIS}/figures/{name}.png")
        for name in ANALYSIS_TABLES:
            frame = tables[name]
            if frame is not None:
                store.write_output(f"{ANALYSIS}/{name}.csv", frame.to_csv(index=False).encode("utf-8"))
            else:
                store.remove_output(f"{ANALYSIS}/{name}.csv")
        page = store.write_output(f"{ANALYSIS}/index.html", page_html)
    return page, a


__all__ = ["SweepAnalysis", "load_analysis", "effect_table", "write_analysis", "DPI"]
