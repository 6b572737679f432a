"""The self-contained HTML page of a results folder: tables, verdicts and the figures embedded
as data URIs, so it opens from disk with no network."""

from __future__ import annotations

import base64
import html
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiment.run import ResultsFolder
from sim.report.assets import CSS

#: Stage columns of the supplier series, in life-cycle order, with the names a reader knows.
from sim.report.data import METRICS, MONEY, ReportData, load_report_data
from sim.report.figures import _png, figures_for

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
    # written through the store, which records them as ours (--overwrite may remove them)
    folder = ResultsFolder(data.folder)
    images = {}
    for spec in figures_for(data):
        images[spec.name] = _png(spec.draw(data))
        folder.write_output(f"figures/{spec.name}.png", images[spec.name])
    return folder.write_output("report.html", render_html(data, images).encode("utf-8"))
