"""What the command line prints: the run summary by strategy and the comparison table, both
from the outcome registry (sim.observe.kpis) and its one number formatter."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiment.compare import RELATIVE_INTERVAL_NOTE
from sim.observe import numbers
from sim.observe.kpis import HEADLINE, KPIS, STAGES, kpi, segment_rates, step_unit
from sim.stats.intervals import mean_interval

#: The outcomes the run summary prints, in order (all are in summary.csv).
RUN_COLUMNS = ("market_share", "cumulative_profit", "npv_profit", "retention_rate", "dropped_rate", "customers",
               "customer_lifetime_value", "acquisition_cost_per_new_customer", "mean_trust",
               "mean_commitment")
#: Columns of a printed table are set apart by at least this, so a reader (or a script) can
#: split a row on two spaces while the cells keep their own single spaces ("37.3% ± 2.0 pts").
GAP = "  "


def text_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain table: the first column left-aligned, the others right-aligned."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return GAP.join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                        for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return "\n".join([line(header), *(line(r) for r in rows)])


def stage_mix(row: pd.Series) -> str:
    """Current customers by stage, in percent: "25 / 75 / 0 / 0"."""
    return " / ".join("–" if not math.isfinite(row[f"share_{s}"]) else f"{100 * row[f'share_{s}']:.0f}"
                      for s in STAGES)


def summary_table(summary: pd.DataFrame, unit: str = "month") -> tuple[list[str], list[list[str]]]:
    """The run summary (one row per strategy) as header and rows of formatted cells."""
    header = ["strategy", "suppliers", *(KPIS[c].heading(unit) for c in RUN_COLUMNS), "stages % E/D/L/F"]
    rows = []
    for _, r in summary.iterrows():
        rows.append([str(r["strategy"]), numbers.number(r["suppliers"], "count"),
                     *(KPIS[c].format(r[c], r[f"{c}_ci95"]) for c in RUN_COLUMNS), stage_mix(r)])
    return header, rows


def replicates_why(manifest: dict) -> str:
    """" (--replicates)", " (market.replicates)": why a run or comparison has as many
    replicates as it has, as its manifest records it ("" for folders from before)."""
    why = manifest.get("replicates_from")
    return f" ({why})" if why else ""


def print_summary(results, out: Path | None) -> None:
    scenario = results.scenario
    m = results.manifest
    reps = m.get("replicates", 1)
    unit = step_unit(scenario)
    print(f"{scenario.market.name}: {scenario.market.buyers:,} buyers, "
          f"{len(scenario.supplier_table())} suppliers, {scenario.market.steps} steps, "
          f"{reps} replicate(s){replicates_why(m)}, root seed {m.get('root_seed')}, {m.get('wall_time_s')} s")
    summary = results.summary()
    print(text_table(*summary_table(summary, unit)))
    legend = ("share (of the volume served), profit and customers are totals over each strategy's "
              "suppliers, the other columns per customer or relationship; money (profit, NPV, CLV, "
              "acq./new) in the scenario's own units, those of unit_cost and willingness_to_pay; "
              "share and stage mix at the last step; CLV = customer lifetime value; acq./new = "
              "acquisition spend per new customer; E/D/L/F = early/development/long-term/final "
              "(final = settled, institutionalised; not an ending)")
    if reps > 1:
        print(f"(± is the half-width of the 95% confidence interval across replicates; {legend})")
    else:
        print(f"(one replicate: no intervals; use --replicates N; {legend})")
    # the rows are strategies: say whose, so a focal supplier and a rival (or an entrant) that
    # play the same strategy are not taken for one
    members: dict[str, list[str]] = {}
    for row in scenario.supplier_table():
        members.setdefault(str(row["strategy_name"]), []).append(str(row["name"]))
    shown = [str(s) for s in summary["strategy"]]  # the table's order, then any it has no row for
    order = [s for s in shown if s in members] + [s for s in members if s not in shown]
    whose = "; ".join(f"{strategy}: {', '.join(members[strategy])}" for strategy in order)
    print(f"suppliers, by the strategy each starts with: {whose} (per supplier and step: the results' "
          f"suppliers table, sim.load_results(FOLDER).suppliers)")
    for _, row in summary.iterrows():
        if row["npv_profit"] < 0 < row["cumulative_profit"]:
            print(f"note: {row['strategy']}'s net present value is below 0 while its cumulative profit is above: "
                  f"its losses come early (winning its first customers) and its profits later, so discounting "
                  f"(market.discount_rate = {scenario.market.discount_rate:g} a {unit}) weighs the losses more")
    by_segment = segment_table(results.segments, unit)
    if by_segment is not None:
        print()
        print(text_table(*by_segment))
        print(f"(by the buyers' segment, pooled over the run; customers dropped on purpose do not count "
              f"against retention, they are the {KPIS['dropped_rate'].heading(unit)} column)")
    if out is not None:
        print(f"results: {out}/ (manifest.json, market/suppliers/events/relationships/segments .parquet, "
              f"summary.csv)")


def segment_table(segments: pd.DataFrame, unit: str = "month") -> tuple[list[str], list[list[str]]] | None:
    """Retention and the share dropped on purpose per buyer segment and strategy, pooled over
    the run (the registry's formulas on the segment series), mean ± 95% across replicates;
    None without a segment series, or with one segment (the summary above says it all)."""
    if segments is None or segments.empty or segments["segment"].nunique() < 2:
        return None
    rates = segment_rates(segments, ["strategy", "replicate", "segment"])
    retention, dropped = KPIS["retention_rate"], KPIS["dropped_rate"]
    header = ["segment", "strategy", retention.heading(unit), dropped.heading(unit)]
    rows = []
    for (segment, strategy), g in rates.groupby(["segment", "strategy"], sort=True, observed=True):
        rows.append([str(segment), str(strategy),
                     retention.format(*mean_interval(g["retention_rate"].to_numpy())),
                     dropped.format(*mean_interval(g["dropped_rate"].to_numpy()))])
    return header, rows


def comparison_table(summary: pd.DataFrame, names: list[str], unit: str = "month") -> tuple[list[str], list[list[str]]]:
    """Compare's long summary (alternative, metric, mean, half_width) as a metric x
    alternative table of formatted cells, in the registry's order."""
    mean = summary.pivot(index="metric", columns="alternative", values="mean")
    half = summary.pivot(index="metric", columns="alternative", values="half_width")
    rows = [[KPIS[m].title(unit), *(KPIS[m].format(mean.loc[m, n], half.loc[m, n]) for n in names)]
            for m in KPIS if m in mean.index]
    return ["metric", *names], rows


def print_comparison(c, out: Path | None) -> None:
    m = c.manifest
    unit = step_unit(c.alternatives[0].scenario) if c.alternatives else "month"
    how = [m["replicates_from"]] if m.get("replicates_from") else []
    how.append("common random numbers" if m["common_random_numbers"] else "independent seeds")
    sources = {str(a.get("name")): str(a.get("source", "")) for a in m.get("alternatives") or []}
    what_ifs = [name for name, source in sources.items() if source.startswith("what-if")]
    as_written = [name for name, source in sources.items() if source == "the scenario as written"]
    strategies = [name for name in sources if name not in what_ifs and name not in as_written]
    if what_ifs and not strategies:  # what-ifs of the market: they change it, not one supplier
        what = (f"the market as written against {len(what_ifs)} what-if(s) of it ({', '.join(what_ifs)}), "
                f"each a change of the market itself; {', '.join(c.focal)} is the supplier the outcomes are "
                f"read for")
    else:
        what = (f"{len(c.alternatives)} alternatives for {', '.join(c.focal)} (the supplier varied; every other "
                f"supplier is unchanged" + (f"; {', '.join(what_ifs)}: what-if(s) of the market itself" if what_ifs
                                            else "") + ")")
    print(f"{m['scenario_name']}: {what}, {m['replicates']} replicates each ({'; '.join(how)}), "
          f"{m['wall_time_s']} s")
    if m.get("reused_replicates"):
        print(f"(reused {m['reused_replicates']} finished replicate(s) from {out}; {m.get('compute_time_s')} s of "
              f"simulation in all)")
    print(text_table(*comparison_table(c.summary, [a.name for a in c.alternatives], unit)))
    print("(mean ± half-width of the 95% confidence interval across replicates)")
    print()
    headline = c.differences[c.differences["metric"].isin(HEADLINE)]
    for sentence in headline["sentence"]:
        print("- " + sentence)
    if "relative_low" in headline and np.isfinite(headline["relative_low"].astype(float)).any():
        print(f"({RELATIVE_INTERVAL_NOTE})")
    if out is not None:
        print(f"\nresults: {out}/ (metrics.parquet, summary.csv, differences.csv, alternatives/*/)")


__all__ = ["text_table", "summary_table", "segment_table", "comparison_table", "print_summary", "print_comparison",
           "kpi", "replicates_why"]
