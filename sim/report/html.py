"""The self-contained HTML page of a results folder: tables, verdicts and the figures embedded
as data URIs, so it opens from disk with no network.

The page is rendered from Jinja2 templates (``sim/report/templates/*.html.j2``, autoescaped)
with the style sheet ``templates/report.css`` inlined; this module only builds what they show,
every number through the one formatter (:mod:`sim.observe.numbers`) and every outcome from the
registry (:mod:`sim.observe.kpis`)."""

from __future__ import annotations

import base64
import time
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from sim.experiment.store import ResultsFolder
from sim.observe import numbers
from sim.observe.kpis import HEADLINE, KPIS
from sim.report.data import ReportData, load_report_data
from sim.report.figures import _png, figures_for

TEMPLATES = "sim.report"


@cache
def _environment() -> jinja2.Environment:
    # templates are package data, found wherever relsim is installed (a wheel, a zip)
    return jinja2.Environment(loader=jinja2.PackageLoader("sim.report", "templates"),
                              autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
                              trim_blocks=True, lstrip_blocks=True)


def _css() -> str:
    return resources.files("sim.report").joinpath("templates/report.css").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- cells


def _bounded(low: float, high: float, kind: str) -> tuple[float, float]:
    """Shares, rates and 0-1 scores cannot leave [0, 1]; a t interval from few, spread-out
    runs can, and a board should not read '-28% market share'."""
    if kind in ("rate", "share", "score"):
        return max(low, 0.0), min(high, 1.0)
    return low, high


def cell(mean: float, half: float | None, kind: str) -> dict[str, str]:
    """A table cell: the value and, under it, its 95% interval "low to high"."""
    out = {"value": numbers.number(mean, kind), "ci": ""}
    if half is not None and np.isfinite(half) and np.isfinite(mean):
        low, high = _bounded(mean - half, mean + half, kind)
        out["ci"] = numbers.interval(low, high, kind)
    return out


def _group_head(data: ReportData, group: str) -> dict[str, str]:
    return {"text": group, "colour": data.colours.get(group, "#9aa5b1"), "sub": ""}


def _kpi_rows(data: ReportData, names: list[str], value) -> list[dict[str, Any]]:
    """One row per KPI, one cell per group; ``value(group, name)`` gives (mean, half)."""
    rows = []
    for name in names:
        k = KPIS[name]
        rows.append({"text": k.title(data.unit), "sub": k.unit_text(data.unit), "colour": "",
                     "cells": [cell(*value(g, name), k.kind) for g in data.groups]})
    return rows


def _interval_note(data: ReportData) -> str:
    return ("Small grey figures under each value are the 95% confidence interval across runs."
            if data.max_replicates() > 1 else "One run only: no confidence intervals.")


# --------------------------------------------------------------------------- run


#: The outcomes of a run's table, one column each.
RUN_TABLE = ("market_share", "cumulative_profit", "npv_profit", "retention_rate", "customers",
             "customer_lifetime_value", "mean_trust", "mean_commitment", "share_long_term", "share_final")


def _run_table(data: ReportData) -> dict[str, Any]:
    head = [{"text": data.group_title, "colour": "", "sub": ""}]
    head += [{"text": KPIS[c].title(data.unit), "sub": KPIS[c].unit_text(data.unit), "colour": ""}
             for c in RUN_TABLE]
    rows = []
    for _, row in data.summary.iterrows():
        group = str(row["group"])
        rows.append({"text": group, "colour": data.colours.get(group, "#9aa5b1"),
                     "sub": f"{row['suppliers']} supplier(s) at the end",
                     "cells": [cell(row[c], row.get(f"{c}_ci95", np.nan), KPIS[c].kind) for c in RUN_TABLE]})
    return {"head": head, "rows": rows, "css": "", "title": "",
            "note": "Totals over each strategy's suppliers; share and stage mix at the last "
                    f"{data.unit}, retention pooled over the run. " + _interval_note(data)}


def _run_highlights(data: ReportData) -> list[dict[str, str]]:
    """A few factual sentences from the by-strategy summary: who earned most, who holds most
    of the market, who keeps its customers best."""
    summary = data.summary
    lines = []
    for col, what in (("npv_profit", "earned the highest net present value of profit"),
                      ("market_share", "ended with the largest market share"),
                      ("retention_rate", f"kept the largest share of its customers each {data.unit}")):
        ranked = summary.dropna(subset=[col]).sort_values(col, ascending=False)
        if ranked.empty:
            continue
        k = KPIS[col]
        best = ranked.iloc[0]
        text = f"{best['group']} {what}: {k.format(best[col], best[f'{col}_ci95'])}"
        if len(ranked) > 1:
            others = "; ".join(f"{r['group']} {k.format(r[col], r[f'{col}_ci95'])}"
                               for _, r in ranked.iloc[1:].iterrows())
            text += f" (against {others})"
        lines.append({"css": "", "text": text + "."})
    return lines


# --------------------------------------------------------------------------- compare


BADGES = {"clear": ("clear difference", "clear"), "unclear": ("could be chance", "unclear"),
          "same": ("no difference", "same"), "no data": ("no data", "unclear")}


def _status(row: pd.Series) -> str:
    """The badge of a differences.csv row; folders written before the status column get it
    from the numbers, so a badge never contradicts its sentence."""
    status = row.get("status")
    if isinstance(status, str) and status in BADGES:
        return status
    diff, half = float(row["mean_difference"]), float(row["ci_high"]) - float(row["mean_difference"])
    if not np.isfinite(diff):
        return "no data"
    if diff == 0 and not (np.isfinite(half) and half > 0):
        return "same"
    return "clear" if bool(row["significant"]) else "unclear"


def _verdict_items(rows: pd.DataFrame) -> list[dict[str, str]]:
    items = []
    for _, row in rows.iterrows():
        badge, css = BADGES[_status(row)]
        items.append({"badge": badge, "css": css, "sentence": str(row["sentence"])})
    return items


def _compare_tables(data: ReportData) -> list[dict[str, Any]]:
    summary = data.compare_summary.assign(alternative=lambda f: f["alternative"].astype(str))
    indexed = summary.set_index(["alternative", "metric"])

    def value(group: str, name: str) -> tuple[float, float]:
        if (group, name) not in indexed.index:
            return np.nan, np.nan
        r = indexed.loc[(group, name)]
        return float(r["mean"]), float(r.get("half_width", float(r["ci_high"]) - float(r["mean"])))

    present = [m for m in KPIS if m in set(summary["metric"])]
    head = [{"text": "Measure (focal suppliers)", "colour": "", "sub": ""}]
    head += [_group_head(data, g) for g in data.groups]
    main = [m for m in present if m in HEADLINE]
    other = [m for m in present if m not in HEADLINE]
    focal = ", ".join(map(str, data.manifest.get("focal_suppliers", [])))
    tables = [{"head": head, "rows": _kpi_rows(data, main, value), "css": "", "title": "",
               "note": f"Measures for the focal suppliers ({focal}), the same market and random draws "
                       f"under every alternative. {_interval_note(data)}"}]
    if other:
        tables.append({"head": head, "rows": _kpi_rows(data, other, value), "css": "minor",
                       "title": "Other measures", "note": ""})
    return tables


def _compare_sections(data: ReportData) -> list[dict[str, Any]]:
    d = data.differences
    headline = d["metric"].isin(HEADLINE)
    sections = [{"template": "section.html.j2", "id": "verdict", "heading": "The differences that matter",
                 "paragraphs": [], "verdicts": _verdict_items(d[headline]), "minor": False, "tables": [],
                 "definitions": []}]
    if (~headline).any():
        sections.append({"template": "section.html.j2", "id": "other-verdicts", "heading": "Other measures",
                         "paragraphs": [], "verdicts": _verdict_items(d[~headline]), "minor": True,
                         "tables": [], "definitions": []})
    sections.append({"template": "section.html.j2", "id": "results", "heading": "Results per alternative",
                     "paragraphs": [], "verdicts": [], "minor": False, "tables": _compare_tables(data),
                     "definitions": []})
    return sections


def _run_sections(data: ReportData) -> list[dict[str, Any]]:
    return [{"template": "section.html.j2", "id": "highlights", "heading": "At a glance",
             "paragraphs": _run_highlights(data), "verdicts": [], "minor": False, "tables": [],
             "definitions": []},
            {"template": "section.html.j2", "id": "results", "heading": "Results per strategy",
             "paragraphs": [], "verdicts": [], "minor": False, "tables": [_run_table(data)],
             "definitions": []}]


# --------------------------------------------------------------------------- header


def _facts(data: ReportData) -> list[tuple[str, str]]:
    m = data.manifest
    market = data.scenario.get("market") or {}
    facts = []
    if market.get("buyers") is not None:
        facts.append(("Buyers", numbers.number(int(market["buyers"]), "count")))
    steps = data.suppliers["step"].max() + 1
    facts.append((f"{data.unit.capitalize()}s simulated", numbers.number(int(steps), "count")))
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
    market = data.scenario.get("market") or {}
    if data.kind == "compare":
        name = data.manifest.get("scenario_name") or market.get("name") or data.folder.name
        return str(name), str(market.get("description") or "Strategy comparison on the same market")
    return str(market.get("name") or data.folder.name), str(market.get("description") or "")


def render_html(data: ReportData, images: dict[str, bytes]) -> str:
    """The report page: header and key facts, the verdicts (compare) or highlights (run), the
    results table with 95% intervals, then every figure with its one-sentence caption."""
    title, subtitle = _scenario_title(data)
    figures = [{"name": spec.name, "heading": spec.heading,
                "caption": spec.caption.format(groups=data.group_word),
                "png": base64.b64encode(images[spec.name]).decode("ascii")}
               for spec in figures_for(data)]
    sections = _compare_sections(data) if data.kind == "compare" else _run_sections(data)
    versions = data.manifest.get("versions") or {}
    return _environment().get_template("report.html.j2").render(
        css=_css(), title=title, subtitle=subtitle, kind=data.kind, facts=_facts(data), notes=data.notes,
        sections=sections, figures=figures, stamp=time.strftime("%Y-%m-%d %H:%M"),
        version=str(versions.get("relsim", "")), folder=str(data.folder))


# --------------------------------------------------------------------------- entry points


def write_report(results_dir: str | Path) -> Path:
    """Draw every figure of a ``run`` or ``compare`` folder, save them as
    ``RESULTS_DIR/figures/NAME.png`` and write ``RESULTS_DIR/report.html`` (self-contained:
    the same PNGs embedded). Returns the page's path."""
    data = load_report_data(results_dir)
    # written through the store, which records them as ours (--overwrite may remove them)
    folder = ResultsFolder(data.folder)
    images = {}
    for spec in figures_for(data):
        images[spec.name] = _png(spec.draw(data))
        folder.write_output(f"figures/{spec.name}.png", images[spec.name])
    return folder.write_output("report.html", render_html(data, images).encode("utf-8"))
