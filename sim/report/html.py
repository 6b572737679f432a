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

from sim.experiment.compare import RELATIVE_INTERVAL_NOTE
from sim.experiment.store import ResultsFolder
from sim.observe import numbers
from sim.observe.kpis import HEADLINE, KPIS
from sim.report import answer
from sim.report.data import ReportData, load_report_data
from sim.report.figures import _png, figures_for
from sim.report.text import replicates_why
from sim.stats.intervals import mean_interval

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
    if kind == "count":  # customers, orders: never below zero
        return max(low, 0.0), high
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
RUN_TABLE = ("market_share", "cumulative_profit", "npv_profit", "retention_rate", "dropped_rate", "customers",
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
            runner = ranked.iloc[1]
            low, high = best[col] - best[f"{col}_ci95"], runner[col] + runner[f"{col}_ci95"]
            if not (np.isfinite(low) and np.isfinite(high)) or low <= high:
                # a ranking of means whose intervals overlap (or are unknown) says little
                text += (f"; at {data.max_replicates()} replicate(s) the intervals overlap, so this order "
                         f"could be chance")
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


def _section(id_: str, heading: str, *, paragraphs: list[str] | None = None, verdicts=None,
             tables=None, definitions=None, minor: bool = False, lead: str = "") -> dict[str, Any]:
    paras = ([{"css": "answer", "text": lead}] if lead else []) + [{"css": "", "text": t} for t in paragraphs or []]
    return {"template": "section.html.j2", "id": id_, "heading": heading, "paragraphs": paras,
            "verdicts": verdicts or [], "minor": minor, "tables": tables or [], "definitions": definitions or []}


def _text(value: str, ci: str = "") -> dict[str, str]:
    return {"value": value, "ci": ci}


def _plain_table(head: list[str], rows: list[tuple[str, list[dict[str, str]]]], note: str = "",
                 title: str = "", colours: dict[str, str] | None = None) -> dict[str, Any]:
    colours = colours or {}
    return {"head": [{"text": h, "colour": colours.get(h, ""), "sub": ""} for h in head],
            "rows": [{"text": name, "sub": "", "colour": colours.get(name, ""), "cells": cells}
                     for name, cells in rows], "css": "", "title": title, "note": note}


def _answer_section(data: ReportData, objective: str | None) -> dict[str, Any]:
    name = answer.objective_of(data, objective)
    k = KPIS[name]
    rows = []
    for r in answer.rank_alternatives(data, name):
        if r.status == "best":
            gap = _text("best", "")
        else:
            low, high = r.gap - r.gap_half, r.gap + r.gap_half
            gap = _text(numbers.spread(r.gap, k.kind, numbers.decimals_for(r.gap, k.kind)) + " behind",
                        numbers.difference_range(low, high, k.kind) + " · " + BADGES[r.status][0])
        rows.append((f"{r.rank}. {r.group}", [cell(r.mean, r.half, k.kind), gap]))
    colours = {f"{r.rank}. {r.group}": data.colours.get(r.group, "") for r in answer.rank_alternatives(data, name)}
    table = _plain_table(["Alternative, best first", k.title(data.unit), "Gap to the best"], rows, colours=colours,
                         note=f"Ranked on {k.title(data.unit).lower()} ({k.describe(data.unit)}); the gap to the "
                              "best is the mean of the paired differences with its 95% confidence interval. Choose "
                              "another objective with relsim report --objective NAME (e.g. market_share).")
    return _section("answer", "The answer", lead=answer.recommendation(data, name), tables=[table])


def _spend_section(data: ReportData) -> dict[str, Any] | None:
    returns = answer.spend_returns(data)
    market = answer.market_what_ifs(data)
    if not returns:
        return None
    money = KPIS["cumulative_profit"]
    rows = []
    steps = int(data.suppliers["step"].max()) + 1
    for r in returns:
        pair = f"{r.more} against {r.less}"
        if r.also_changes:  # the extra profit is not the spend's alone: said beside the pair
            pair += f" (also changes {', '.join(r.also_changes)}: not the spend's return alone)"
        rows.append((pair, [
            _text(money.format_difference(r.extra_spend), numbers.interval(
                r.extra_spend - r.extra_spend_half, r.extra_spend + r.extra_spend_half, "money")),
            _text(money.format_difference(r.extra_profit), numbers.interval(
                r.extra_profit - r.extra_profit_half, r.extra_profit + r.extra_profit_half, "money")),
            _ratio_cell(r), _payback_cell(r, data.unit, steps)]))
    table = _plain_table(["Pair", "Extra relationship spend", "Extra cumulative profit",
                          "Profit per unit of extra spend", "Paid back"], rows,
                         note="Relationship spend: key-account managers, retention spend, adaptations and the cost "
                              "of the service level, over the run. Extra profit is after that spend; 95% intervals of "
                              "the paired differences under each figure. Paid back: the first "
                              f"{data.unit} from which the extra cumulative profit stays at or above zero, and "
                              f"under it the {data.unit}s between which that happens with 95% confidence. Profit per "
                              "unit of extra spend: extra profit / extra spend, its 95% interval by Fieller's method "
                              "over the paired runs; it has none when the extra spend cannot be told from zero."
                              + (" Where a pair also changes price or acquisition (markup, contacts, an "
                                 "introductory offer), its extra profit comes from those too: the profit per unit "
                                 "is then what the whole change earns per unit of its relationship spend, not the "
                                 "spend's own return; an alternative that changes only the relationship levers "
                                 "measures that." if any(r.also_changes for r in returns) else "")
                              + (f" Left out: {', '.join(sorted(market))}, a change of the market rather than of "
                                 "your own spending (its relationship spend differs only because the market does)."
                                 if market else ""))
    return _section("spend", "Return on relationship spend", tables=[table])


def _ratio_cell(r: answer.SpendReturn) -> dict[str, str]:
    """Extra profit per unit of extra spend, with its interval or, where the extra spend is
    indistinguishable from zero, the words that say why there is none."""
    if not np.isfinite(r.ratio):
        return _text("–", "no extra relationship spend")
    if not r.ratio_defined:
        return _text(numbers.number(r.ratio, "money"),
                     "no interval: the extra spend cannot be told from zero, so the return per unit of it "
                     "could be any size")
    return _text(numbers.number(r.ratio, "money"), numbers.interval(r.ratio_low, r.ratio_high, "money"))


def _payback_cell(r: answer.SpendReturn, unit: str, steps: int) -> dict[str, str]:
    def when(step: int | None) -> str:
        return "the start" if step == 0 else f"{unit} {step}"

    if r.payback is None:
        value = f"not within the {steps} {unit}s simulated"
    else:
        value = "from the start" if r.payback == 0 else f"by {unit} {r.payback}"
    if r.payback_earliest is None:
        return _text(value)
    if r.payback_latest is None:
        return _text(value, f"95%: not before {when(r.payback_earliest)}, not surely by the end")
    if r.payback_earliest == r.payback_latest:
        return _text(value, "the same at 95% confidence")
    return _text(value, f"95%: between {when(r.payback_earliest)} and {when(r.payback_latest)}")


def _segment_section(data: ReportData) -> dict[str, Any] | None:
    table = answer.segment_table(data)
    if table.empty:
        return None
    rows = []
    for (segment, measure), g in table.groupby(["segment", "measure"], sort=False):
        g = g.set_index("group")
        rows.append((f"{segment}: {measure}", [cell(g.loc[grp, "mean"], g.loc[grp, "half"], g.loc[grp, "kind"])
                                              for grp in data.groups]))
    who = ("the focal suppliers (" + ", ".join(map(str, data.manifest.get("focal_suppliers", []))) + ")"
           if data.kind == "compare" else "each strategy's suppliers")
    t = _plain_table(["Segment and measure, per run", *data.groups], rows, colours=data.colours,
                     note=f"For {who}, by the buyer's segment; net value is revenue less the costs of serving each "
                          f"relationship so far (before acquisition and key-account managers). Customers who left "
                          f"switched, drifted apart or broke off in conflict; dropped ones were let go as "
                          f"unprofitable on purpose. Retention and the share dropped come from the month-by-month "
                          f"series by segment: {KPIS['retention_rate'].describe(data.unit)}. {_interval_note(data)}")
    tables = [t]
    over_time = _segment_retention_table(data, who)
    if over_time:
        tables.append(over_time)
    return _section("segments", "Results by customer segment", tables=tables)


def _segment_retention_table(data: ReportData, who: str) -> dict[str, Any] | None:
    """Retention by segment, period by period, for each group: since when one segment is
    kept better than another (the chart "Retention by customer segment" draws it month by month)."""
    table = answer.segment_retention_table(data)
    if table.empty:
        return None
    periods = answer.retention_periods(data)
    head = ["Segment and " + data.group_word, *(f"{data.unit}s {a}–{b}" for a, b in periods)]
    rows, colours = [], {}
    for (segment, group), g in table.groupby(["segment", "group"], sort=False):
        name = f"{segment}: {group}"
        colours[name] = data.colours.get(group, "")
        g = g.set_index("first")
        rows.append((name, [cell(g.loc[a, "mean"], g.loc[a, "half"], KPIS["retention_rate"].kind)
                            if a in g.index else _text("–") for a, _ in periods]))
    order = {g: i for i, g in enumerate(data.groups)}
    rows.sort(key=lambda r: (r[0].split(": ")[0], order.get(r[0].split(": ", 1)[1], 0)))
    return _plain_table(head, rows, colours=colours,
                        title=f"{KPIS['retention_rate'].title(data.unit)} by segment, over time",
                        note=f"For {who}: customers kept / customers at the start not dropped on purpose, "
                             f"among each segment's customers, pooled over each period. {_interval_note(data)}")


def _rival_section(data: ReportData) -> dict[str, Any] | None:
    table = answer.rival_table(data)
    if table.empty:
        return None
    rows = []
    for (supplier, metric), g in table.groupby(["supplier", "metric"], sort=False):
        g = g.set_index("group")
        k = KPIS[metric]
        rows.append((f"{supplier}: {k.title(data.unit).lower()}",
                     [cell(g.loc[grp, "mean"], g.loc[grp, "half"], k.kind) if grp in g.index else _text("–")
                      for grp in data.groups]))
    t = _plain_table(["Rival and measure", *data.groups], rows, colours=data.colours,
                     note="How each supplier outside the focal ones fares under each alternative. "
                          + _interval_note(data))
    return _section("rivals", "How the rivals fare", tables=[t])


def _market_section(data: ReportData) -> dict[str, Any]:
    scenario = data.scenario
    paragraphs = []
    description = (scenario.get("market") or {}).get("description")
    if description:
        paragraphs.append(str(description))
    tables = []
    segments = scenario.get("segments") or []
    if segments:
        fields = ("share", "demand", "cost_to_serve", "switching_cost", "relational_orientation", "price_sensitivity")
        shown = [f for f in fields if any(f in seg for seg in segments)]
        tables.append(_plain_table(["Segment", *(f.replace("_", " ") for f in shown)],
                                   [(str(seg.get("name")), [_text(_describe(seg.get(f))) for f in shown])
                                    for seg in segments], title="Segments"))
    suppliers = scenario.get("suppliers") or []
    focal = set(map(str, data.manifest.get("focal_suppliers") or []))
    strategies_varied = [str(a.get("name")) for a in data.manifest.get("alternatives") or []
                         if not str(a.get("source", "")).startswith("what-if")] if data.kind == "compare" else []
    if suppliers:
        rows = []
        for sup in suppliers:
            name = str(sup.get("name"))
            count = int(sup.get("count", 1))
            members = [name] if count == 1 else [f"{name} {i + 1}" for i in range(count)]
            varied = bool(focal & set(members))
            role = "focal (varied)" if varied else ("rival" if data.kind == "compare" else "")
            strategy = str(sup.get("strategy", ""))
            if varied and strategies_varied:
                # the scenario shown is the first alternative's: the focal entry plays each in turn
                strategy = "each alternative in turn: " + ", ".join(strategies_varied)
            rows.append((name, [_text(str(count)), _text(strategy), _text(role)]))
        tables.append(_plain_table(["Supplier entry", "count", "strategy", "role"], rows,
                                   title="Suppliers and rivals"))
    differ = answer.strategy_differences(data) if data.kind == "compare" else pd.DataFrame()
    if not differ.empty:
        tables.append(_plain_table(["Strategy field", *differ.columns],
                                   [(field, [_text(str(v)) for v in row]) for field, row in differ.iterrows()],
                                   title="What each alternative changes (focal suppliers' strategy fields that differ)",
                                   colours=data.colours))
    whatifs = [(str(a.get("name")), str(a.get("source", ""))) for a in data.manifest.get("alternatives") or []
               if str(a.get("source", "")).startswith("what-if")]
    if whatifs:
        tables.append(_plain_table(["What-if", "settings"],
                                   [(n, [_text(src[len("what-if: "):])]) for n, src in whatifs],
                                   title="What-ifs of the market", colours=data.colours))
    events = answer.scheduled_events(data)
    if events:
        tables.append(_plain_table([data.unit.capitalize(), "event", "under"],
                                   [(str(step), [_text(label), _text(under)]) for step, label, under in events],
                                   title="Scheduled events (dotted lines on every time chart)"))
    definitions = [
        ("Final (settled) stage", "Ford's final stage: a settled, institutionalised relationship run by routine, "
                                  "not an ending. Ended relationships are counted apart."),
        ("Customers who left / dropped on purpose", "Left: switched to a rival, drifted apart, broke off in "
                                                    "conflict, or lost at an entry or exit. Dropped: let go by the "
                                                    "supplier as unprofitable (a choice, not lost retention)."),
        ("Net present value of profit", KPIS["npv_profit"].describe(data.unit)),
        ("Customer lifetime value", KPIS["customer_lifetime_value"].describe(data.unit)),
    ]
    return _section("market", "The market simulated", paragraphs=paragraphs, tables=tables, definitions=definitions)


def _describe(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:g}"
    return "" if value is None else str(value)


def _endings_section(data: ReportData) -> dict[str, Any]:
    ends = answer.ended_by_reason(data)
    rows = []
    for column, label in (("left", "Customers who left (per run)"),
                          ("dropped", "Customers dropped on purpose (per run)")):
        rows.append((label, [cell(*mean_interval(ends.loc[ends["group"] == g, column].to_numpy()), "count")
                             for g in data.groups]))
    summary = data.summary.set_index("group")
    for name in ("retention_rate", "dropped_rate"):  # the two rates, side by side
        k = KPIS[name]
        rows.append((k.title(data.unit), [cell(summary.loc[g, name], summary.loc[g, f"{name}_ci95"], k.kind)
                                          for g in data.groups]))
    return _plain_table(["Relationships ended", *data.groups], rows, colours=data.colours,
                        title="Who left and who was let go",
                        note="Dropping unprofitable customers is a choice of the supplier, shown apart from "
                             "customers lost: retention counts only the customers who left against it, and "
                             f"{KPIS['dropped_rate'].title(data.unit).lower()} is its own measure.")


def _compare_sections(data: ReportData, objective: str | None = None) -> list[dict[str, Any]]:
    d = data.differences
    headline = d["metric"].isin(HEADLINE)
    tables = _compare_tables(data)
    bounded = "relative_low" in d and bool(np.isfinite(d.loc[headline, "relative_low"].astype(float)).any())
    note = RELATIVE_INTERVAL_NOTE
    sections = [_answer_section(data, objective),
                _section("verdict", "The differences that matter", verdicts=_verdict_items(d[headline]),
                         paragraphs=[note[0].upper() + note[1:] + "."] if bounded else None),
                _section("results", "Results per alternative", tables=[tables[0], _endings_section(data)])]
    sections += [s for s in (_spend_section(data), _segment_section(data), _rival_section(data)) if s]
    sections.append(_market_section(data))
    if (~headline).any():
        sections.append(_section("other-verdicts", "Other measures", verdicts=_verdict_items(d[~headline]),
                                 tables=tables[1:], minor=True))
    return sections


def _run_sections(data: ReportData) -> list[dict[str, Any]]:
    highlights = _section("highlights", "At a glance")
    highlights["paragraphs"] = _run_highlights(data)
    sections = [highlights,
                _section("results", "Results per strategy", tables=[_run_table(data), _endings_section(data)])]
    segments = _segment_section(data)
    if segments:
        sections.append(segments)
    sections.append(_market_section(data))
    return sections


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
    # why this many, where every group has all it was meant to (an unfinished one says so in its notes)
    why = replicates_why(m) if reps == [m.get("replicates")] else ""
    facts.append(("Runs (replicates)", " / ".join(str(r) for r in reps) + why))
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
    facts.append(("Computing time", computing_time(data)))
    return facts


def computing_time(data: ReportData) -> str:
    """The simulations' own time (every replicate's, summed, whichever command ran it), and
    how much of the last command was reused rather than computed."""
    m = data.manifest
    if data.kind == "compare":
        own = m.get("compute_time_s")
        if own is None:  # a folder from before compute_time_s: add up the alternatives' runs
            own = sum(sum(float(v) for v in ((ResultsFolder(data.folder / str(a.get("folder", ""))).read_manifest()
                                              or {}).get("replicate_wall_time_s") or {}).values())
                      for a in m.get("alternatives") or [])
    else:
        own = sum(float(v) for v in (m.get("replicate_wall_time_s") or {}).values())
    # the replicates' own times added up: more than the command's wall time when its workers
    # ran several at once, which is the figure the console prints
    parts = ["the replicates' times added up"]
    wall = m.get("wall_time_s")
    if isinstance(wall, int | float) and wall > 0:
        parts.append(f"{float(wall):,.1f} s of wall time for the last command")
    reused = int(m.get("reused_replicates") or 0)
    total = data.max_replicates() * len(data.groups) if data.kind == "compare" else data.max_replicates()
    if reused:
        parts.append(f"{reused} of {total} replicates reused from an earlier command")
    text = f"{float(own):,.1f} s of simulation ({'; '.join(parts)})"
    return text


def _scenario_title(data: ReportData) -> tuple[str, str]:
    market = data.scenario.get("market") or {}
    if data.kind == "compare":
        name = data.manifest.get("scenario_name") or market.get("name") or data.folder.name
        return str(name), str(market.get("description") or "Strategy comparison on the same market")
    return str(market.get("name") or data.folder.name), str(market.get("description") or "")


def figure_item(name: str, heading: str, caption: str, png: bytes) -> dict[str, str]:
    """A figure of a page: embedded as a data URI, so the page needs no network."""
    return {"name": name, "heading": heading, "caption": caption, "png": base64.b64encode(png).decode("ascii")}


def render_html(data: ReportData, images: dict[str, bytes], objective: str | None = None) -> str:
    """The report page: header and key facts; for a compare the answer first (alternatives
    ranked on ``objective`` and a recommendation), the differences that matter, results,
    return on relationship spend, segments, rivals and the market simulated; for a run the
    highlights, results, segments and market; then every figure with its caption."""
    title, subtitle = _scenario_title(data)
    figures = [figure_item(spec.name, spec.heading, spec.caption.format(groups=data.group_word), images[spec.name])
               for spec in figures_for(data)]
    sections = _compare_sections(data, objective) if data.kind == "compare" else _run_sections(data)
    versions = data.manifest.get("versions") or {}
    return render_document(title=title, subtitle=subtitle, facts=_facts(data), notes=data.notes, sections=sections,
                           figures=figures, kicker=f"relsim {'comparison' if data.kind == 'compare' else 'simulation'} "
                           f"report", page_name="relsim report", version=str(versions.get("relsim", "")),
                           folder=str(data.folder), outputs="Figures are also saved as PNG files in "
                           "figures/ next to this page.")


def render_document(**page: Any) -> str:
    """A page from ``page.html.j2`` (autoescaped) with the style sheet inlined: title,
    subtitle, kicker, page_name, facts [(label, value)], notes, sections (see
    :func:`_section`), figures [{name, heading, caption, png}], version, folder, outputs."""
    return _environment().get_template("page.html.j2").render(css=_css(), stamp=time.strftime("%Y-%m-%d %H:%M"),
                                                              **page)


# --------------------------------------------------------------------------- entry points


def write_report(results_dir: str | Path, objective: str | None = None) -> Path:
    """Draw every figure of a ``run`` or ``compare`` folder, save them as
    ``RESULTS_DIR/figures/NAME.png`` and write ``RESULTS_DIR/report.html`` (self-contained:
    the same PNGs embedded). Returns the page's path."""
    data = load_report_data(results_dir)
    if objective is not None:
        answer.objective_of(data, objective)  # a bad name fails before anything is drawn
    # written through the store, which records them as ours (--overwrite may remove them)
    folder = ResultsFolder(data.folder)
    specs = figures_for(data)
    outputs = [*(f"figures/{spec.name}.png" for spec in specs), "report.html"]
    # a folder another command is writing or clearing, or a user's file in the way, is refused
    # before the figures are drawn (seconds), not after; checked again as the files are written
    with folder.writing_outputs("relsim report"):
        folder.refuse_foreign_outputs(outputs)
    images = {spec.name: _png(spec.draw(data)) for spec in specs}
    page = render_html(data, images, objective).encode("utf-8")
    # drawn first, written under the folder's lock: never into a folder another command is
    # writing or clearing
    with folder.writing_outputs("relsim report"):
        folder.refuse_foreign_outputs(outputs)
        for name, png in images.items():
            folder.write_output(f"figures/{name}.png", png)
        return folder.write_output("report.html", page)
