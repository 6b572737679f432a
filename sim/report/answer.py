"""What a board asks of a comparison, computed from a :class:`~sim.report.data.ReportData`:
the alternatives ranked on the objective with intervals and a plain recommendation, the return
on relationship spend and its payback time, results by customer segment, how each rival fares,
and the market that was simulated (segments, suppliers, strategies side by side, events).

Every outcome comes from the registry (:mod:`sim.observe.kpis`), every interval from
:mod:`sim.stats.intervals`, every number through :mod:`sim.observe.numbers`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.config import scenario_from_dict
from sim.config.schema import ScenarioError, suggest
from sim.engine.state import Stage
from sim.experiment.run import ResultsFolder
from sim.observe import numbers
from sim.observe.kpis import HEADLINE, KPIS, OBJECTIVE, replicate_outcomes, segment_rates
from sim.report.data import ReportData
from sim.stats.intervals import difference_interval, mean_interval, payback_interval, ratio_of_differences_interval

#: Why a relationship ended, read as a board reads it: customers who left us, and those we let go.
LEFT_CAUSES = ("switched_away", "distance_breakup", "escalation", "competitor_entry", "supplier_exit")
DROPPED_CAUSES = ("dropped_unprofitable",)


def objective_of(data: ReportData, objective: str | None = None) -> str:
    """The KPI to rank on: ``objective``, else the one compare recorded, else NPV of profit."""
    name = objective or data.manifest.get("objective") or OBJECTIVE
    if name not in KPIS:
        raise ScenarioError(f"--objective {name!r}: no such outcome{suggest(name, list(KPIS))}; known: "
                            f"{', '.join(KPIS)}")
    return name


def _paired(data: ReportData) -> bool:
    return bool(data.manifest.get("common_random_numbers", True))


def _per_replicate(data: ReportData, name: str, group: str) -> pd.Series:
    o = data.outcomes
    return o[o["group"] == group].set_index("replicate")[name].sort_index()


def pairwise(data: ReportData, name: str, base: str, other: str) -> tuple[float, float, int, int]:
    """(mean of other - base, 95% half-width, replicates, replicates where other is ahead):
    paired over shared seeds with common random numbers, Welch's interval otherwise."""
    b, o = _per_replicate(data, name, base), _per_replicate(data, name, other)
    if _paired(data):
        common = b.index.intersection(o.index)
        b, o = b.loc[common], o.loc[common]
        ahead = int(((o - b) > 0).sum() if KPIS[name].better != "lower" else ((o - b) < 0).sum())
    else:
        ahead = -1
    diff, half, n = difference_interval(b.to_numpy(), o.to_numpy(), _paired(data))
    return diff, half, n, ahead


# --------------------------------------------------------------------------- the answer


@dataclass
class Ranked:
    rank: int
    group: str
    mean: float
    half: float
    gap: float          # best minus this one, in the objective's direction (0 for the best)
    gap_half: float
    status: str         # "best", "clear" (clearly behind the best), "unclear" (could be chance), "same"


def rank_alternatives(data: ReportData, objective: str | None = None) -> list[Ranked]:
    """The alternatives from best to worst on the objective (in its better direction), each
    with its 95% interval and its distance from the best with the interval of that gap."""
    name = objective_of(data, objective)
    k = KPIS[name]
    summary = data.summary.set_index("group")
    sign = -1.0 if k.better == "lower" else 1.0
    order = sorted(data.groups, key=lambda g: -sign * summary.loc[g, name] if np.isfinite(summary.loc[g, name])
                   else np.inf)
    best = order[0]
    out = []
    for i, group in enumerate(order):
        if group == best:
            out.append(Ranked(1, group, summary.loc[group, name], summary.loc[group, f"{name}_ci95"], 0.0, 0.0,
                              "best"))
            continue
        diff, half, _, _ = pairwise(data, name, group, best)
        gap = sign * diff
        status = ("same" if gap == 0 and not (np.isfinite(half) and half > 0)
                  else "clear" if np.isfinite(half) and abs(gap) > half else "unclear")
        out.append(Ranked(i + 1, group, summary.loc[group, name], summary.loc[group, f"{name}_ci95"], gap, half,
                          status))
    return out


def conditions(data: ReportData) -> str:
    """Under which conditions the answer holds: the market simulated, in one sentence."""
    market = data.scenario.get("market") or {}
    parts = []
    if market.get("buyers"):
        parts.append(f"{numbers.number(int(market['buyers']), 'count')} buyers")
    steps = int(data.suppliers["step"].max()) + 1
    parts.append(f"{steps} {data.unit}s")
    segments = [str(s.get("name")) for s in data.scenario.get("segments") or []]
    if segments:
        parts.append("segments " + ", ".join(segments))
    overrides = {k: v for k, v in (data.manifest.get("overrides") or {}).items()
                 if k not in ("market.buyers", "market.steps")}  # said already
    if overrides:
        parts.append("with " + ", ".join(f"{k} = {v}" for k, v in overrides.items()))
    return ", ".join(parts)


def market_what_ifs(data: ReportData) -> set[str]:
    """The alternatives that are what-ifs of the market (``--alternative "NAME: KEY=VALUE"``),
    not strategies the focal supplier can choose."""
    alternatives = data.manifest.get("alternatives") or []
    what_ifs = {str(a.get("name")) for a in alternatives if str(a.get("source", "")).startswith("what-if")}
    if what_ifs:
        # the market as written is then one of the cases compared, not a strategy either
        what_ifs |= {str(a.get("name")) for a in alternatives if a.get("source") == "the scenario as written"}
    return what_ifs


def recommendation(data: ReportData, objective: str | None = None) -> str:
    """The plain answer: which alternative, by how much, how sure, under which conditions."""
    name = objective_of(data, objective)
    k = KPIS[name]
    ranked = rank_alternatives(data, name)
    n = data.max_replicates()
    crn = "the same buyers and the same luck under every alternative" if _paired(data) else "independent seeds"
    where = (f" This holds for the market simulated ({conditions(data)}; {n} runs each, {crn}); it is not a "
             f"forecast for other conditions.")
    best = ranked[0]
    label = k.title(data.unit)
    lead = f"{label[0].lower() + label[1:]} ({k.format(best.mean, best.half)})"
    if len(ranked) < 2 or n < 2:
        return (f"{best.group} has the highest {label.lower()} ({k.format(best.mean, best.half)}), but one run "
                f"cannot say how sure that is: run more replicates." + where)
    runner = ranked[1]
    diff, half, count, ahead = pairwise(data, name, runner.group, best.group)
    gap = numbers.spread(runner.gap, k.kind, numbers.decimals_for(runner.gap, k.kind))
    interval = numbers.difference_range(runner.gap - half, runner.gap + half, k.kind)
    wins = f", ahead in {ahead} of the {count} paired runs" if ahead >= 0 else ""
    what_ifs = market_what_ifs(data)
    choosable = [r for r in ranked if r.group not in what_ifs]
    choice = ""
    if best.group in what_ifs and choosable:  # a case of the market leads: still say which strategy to pick
        top = choosable[0]
        choice = f" Of the strategies you can choose, {top.group} ranks first ({k.format(top.mean, top.half)})."
    if runner.status == "clear":
        rest = [r.group for r in ranked[2:] if r.status != "clear"]
        caveat = (f" It is not clearly ahead of {', '.join(rest)}." if rest else
                  (" It is clearly ahead of every other alternative." if len(ranked) > 2 else ""))
        # a what-if of the market (an entrant or not, cheaper switching) is no one's choice:
        # say what it is worth, not "choose" it
        opening = (f"{best.group} is the best case for you" if best.group in what_ifs
                   else f"Choose {best.group}")
        return (f"{opening}. It ranks first on {lead}, {gap} more than {runner.group} (95% CI of the "
                f"gap: {interval}{wins}): a clear difference, 95% confident it is not chance.{caveat}{choice}"
                + where)
    tie_breaker = _clear_headline_difference(data, runner.group, best.group, exclude=name)
    decide = (f" They differ clearly on {tie_breaker}." if tie_breaker else
              " Run more replicates to separate them, or decide on what the simulation leaves out.")
    return (f"{best.group} and {runner.group} cannot be told apart on {label.lower()} at {count} runs: "
            f"{best.group} is {gap} ahead, but the 95% CI of the gap ({interval}{wins}) "
            f"includes no difference.{decide}{choice}" + where)


def _clear_headline_difference(data: ReportData, a: str, b: str, exclude: str) -> str:
    """The first headline outcome where ``b`` clearly differs from ``a``, as "market share
    (b 12.0 pts higher)"; "" if none."""
    for name in HEADLINE:
        if name == exclude:
            continue
        diff, half, _, _ = pairwise(data, name, a, b)
        if np.isfinite(half) and abs(diff) > half:
            k = KPIS[name]
            size = numbers.spread(diff, k.kind, numbers.decimals_for(diff, k.kind))
            return f"{k.title(data.unit).lower()} ({b} {size} {'higher' if diff > 0 else 'lower'})"
    return ""


# --------------------------------------------------------------------------- return on relationship spend


@dataclass
class SpendReturn:
    more: str             # the alternative that spends more on relationships
    less: str             # the one it is set against
    extra_spend: float
    extra_spend_half: float
    extra_profit: float
    extra_profit_half: float
    ratio: float          # extra profit per unit of extra relationship spend (NaN without extra spend)
    payback: int | None   # first step from which the extra cumulative profit stays >= 0
    paid_back: bool
    ratio_low: float = np.nan     # 95% interval of the ratio (Fieller's); NaN when unbounded
    ratio_high: float = np.nan
    payback_earliest: int | None = None  # 95%: the upper end of the gap's interval stays >= 0
    payback_latest: int | None = None    # 95%: the lower end does (None: not surely by the end)
    # what else the pair's strategies change that earns or costs money without being
    # relationship spend ("markup 0.2 -> 0.3"): the extra profit is then not the spend's alone
    also_changes: list[str] = field(default_factory=list)

    @property
    def ratio_defined(self) -> bool:
        """Whether the ratio has a finite 95% interval: only when the extra spend is clearly
        not 0 (otherwise a return per unit of it could be any size, of either sign)."""
        return bool(np.isfinite(self.ratio_low) and np.isfinite(self.ratio_high))


def spend_returns(data: ReportData) -> list[SpendReturn]:
    """Each alternative against the baseline (the first), set so that ``more`` is the one
    spending more on relationships (key-account managers, retention, adaptations, service):
    how much more it spends, how much more profit it makes, the profit per unit of that extra
    spend with its 95% interval (Fieller's, paired over the runs: see
    :func:`sim.stats.intervals.ratio_of_differences_interval`), and when the extra spend has
    paid for itself (the first step from which the extra cumulative profit stays at or above
    zero; None if it has not by the end), with the steps between which that happens at 95%.
    What-ifs of the market (:func:`market_what_ifs`: an entrant or not, cheaper switching)
    are left out: their relationship spend differs only because the market does, so a return
    on it answers no decision."""
    base, what_ifs = data.groups[0], market_what_ifs(data)
    if base in what_ifs:
        return []
    series = data.series.set_index(["group", "replicate", "step"])["cumulative_profit"]
    differences = strategy_differences(data) if data.kind == "compare" else pd.DataFrame()
    out = []
    for group in [g for g in data.groups[1:] if g not in what_ifs]:
        spend, _, _, _ = pairwise(data, "relationship_spend", base, group)
        more, less = (group, base) if not np.isfinite(spend) or spend >= 0 else (base, group)
        spend, spend_half, _, _ = pairwise(data, "relationship_spend", less, more)
        profit, profit_half, _, _ = pairwise(data, "cumulative_profit", less, more)
        ratio, low, high = _spend_ratio(data, less, more)
        gaps = (series.loc[more] - series.loc[less]).unstack("step").dropna()
        steps = list(gaps.columns)
        payback, earliest, latest = (None if i is None else int(steps[i])
                                     for i in payback_interval(gaps.to_numpy()))
        if not _paired(data):
            earliest = latest = None  # runs without shared seeds give no paired gap per run
        out.append(SpendReturn(more, less, spend, spend_half, profit, profit_half, ratio, payback,
                               payback is not None, low, high, earliest, latest,
                               _other_levers(differences, less, more)))
    return out


#: strategy fields that move profit without being relationship spend: a pair of alternatives
#: that differ in one of them does not show the return on the spend alone
PRICE_AND_ACQUISITION = ("markup", "acquisition_contacts", "introductory_discount", "introductory_steps")


def _other_levers(differences: pd.DataFrame, less: str, more: str) -> list[str]:
    """The price and acquisition fields (:data:`PRICE_AND_ACQUISITION`) in which ``more``'s
    strategy differs from ``less``'s, as "markup 0.2 -> 0.3"."""
    if differences.empty or less not in differences or more not in differences:
        return []
    return [f"{name} {differences.at[name, less]} → {differences.at[name, more]}"
            for name in PRICE_AND_ACQUISITION
            if name in differences.index and differences.at[name, less] != differences.at[name, more]]


def _spend_ratio(data: ReportData, less: str, more: str) -> tuple[float, float, float]:
    """(extra profit / extra relationship spend, 95% low, high) of ``more`` against ``less``."""
    profit_less, profit_more = (_per_replicate(data, "cumulative_profit", g) for g in (less, more))
    spend_less, spend_more = (_per_replicate(data, "relationship_spend", g) for g in (less, more))
    if _paired(data):
        common = profit_less.index.intersection(profit_more.index)
        profit_less, profit_more = profit_less.loc[common], profit_more.loc[common]
        spend_less, spend_more = spend_less.loc[common], spend_more.loc[common]
    ratio, low, high, _ = ratio_of_differences_interval(profit_less, profit_more, spend_less, spend_more,
                                                        _paired(data))
    if not np.isfinite(ratio) or spend_more.mean() - spend_less.mean() <= 0:
        return np.nan, np.nan, np.nan
    return ratio, low, high


# --------------------------------------------------------------------------- segments, endings, rivals


def ended_by_reason(data: ReportData, by_segment: bool = False) -> pd.DataFrame:
    """Relationships of the group's suppliers that ended, per run: customers who left
    (switched, drifted away, conflict, entry, exit) apart from those dropped on purpose.
    Columns group[, segment], replicate, left, dropped (zeros included)."""
    t = data.transitions
    ended = t[t["to_stage"] == Stage.ENDED.label]
    keys = ["group", "replicate"] + (["segment"] if by_segment else [])
    left = ended[ended["cause"].isin(LEFT_CAUSES)].groupby(keys)["count"].sum().rename("left")
    dropped = ended[ended["cause"].isin(DROPPED_CAUSES)].groupby(keys)["count"].sum().rename("dropped")
    segments = sorted(set(data.relationships["segment"].astype(str))) if by_segment else [None]
    index = [(g, r, *([s] if by_segment else [])) for g in data.groups for r in data.replicate_ids[g]
             for s in segments]
    frame = pd.concat([left, dropped], axis=1).reindex(pd.MultiIndex.from_tuples(index, names=keys)).fillna(0)
    return frame.reset_index()


#: Per-segment measures: (column, label, kind).
SEGMENT_MEASURES = (
    ("net_value", "Net value earned from the segment", "money"),
    ("customers", "Customers at the end", "count"),
    ("kept", "Still customers at the end, of all ever won", "share"),
    ("value_per_relationship", "Value per relationship (realised)", "money"),
    ("left", "Customers who left", "count"),
    ("dropped", "Customers dropped on purpose", "count"),
)


def segment_outcomes(data: ReportData) -> pd.DataFrame:
    """Per group, replicate and the buyer's segment, for the focal suppliers (or each strategy
    of a run): net value earned so far (revenue less the costs of serving), customers at the
    end, the share of all customers ever won who are still customers, the value per
    relationship, and how many left or were dropped on purpose."""
    rel = data.relationships.assign(segment=data.relationships["segment"].astype(str))
    g = rel.groupby(["group", "replicate", "segment"])
    frame = pd.DataFrame({"net_value": g["net_value"].sum(), "customers": g["current"].sum(),
                          "ever": g.size()})
    frame["kept"] = frame["customers"] / frame["ever"]
    frame["value_per_relationship"] = frame["net_value"] / frame["ever"]
    ends = ended_by_reason(data, by_segment=True).set_index(["group", "replicate", "segment"])
    frame = frame.join(ends, how="left").fillna({"left": 0, "dropped": 0})
    return frame.reset_index()


def segment_retention(data: ReportData, steps: tuple[int, int] | None = None) -> pd.DataFrame:
    """Per group, replicate and segment, from the per-step segment series, pooled over the
    run (or the steps ``steps`` = (first, last)): retention and the share dropped on purpose
    by the registry's formulas (:func:`sim.observe.kpis.retention`, ``dropped_share``) on the
    segment's counts, customers won and revenue. Empty for results without segment series."""
    columns = ["group", "replicate", "segment", "retention_rate", "dropped_rate", "new_customers", "revenue"]
    if data.segments is None or data.segments.empty:
        return pd.DataFrame(columns=columns)
    return segment_rates(data.segments, ["group", "replicate", "segment"], steps)[columns]


#: At most this many periods, so that the table of retention over time fits a page's width.
MAX_PERIODS = 6


def retention_periods(data: ReportData) -> list[tuple[int, int]]:
    """The periods a segment's retention is followed over, (first, last) steps: whole years
    of a monthly run (one, two, ... so that there are at most :data:`MAX_PERIODS`), otherwise
    the run in at most that many equal parts."""
    steps = int(data.suppliers["step"].max()) + 1
    if data.unit == "month" and steps >= 24:
        size = 12 * -(-steps // (12 * MAX_PERIODS))
    else:
        size = max(1, -(-steps // MAX_PERIODS))
    return [(start, min(start + size, steps) - 1) for start in range(0, steps, size)]


def segment_retention_table(data: ReportData) -> pd.DataFrame:
    """Retention among each segment's customers, period by period (:func:`retention_periods`):
    segment, group, period (first, last), mean and 95% half-width across runs. Answers "do we
    keep our key accounts better than the rest, and since when?"."""
    rows = []
    for period in retention_periods(data):
        per = segment_retention(data, period)
        for (segment, group), g in per.groupby(["segment", "group"], sort=True):
            mean, half = mean_interval(g["retention_rate"].to_numpy())
            rows.append({"segment": segment, "group": group, "first": period[0], "last": period[1],
                         "mean": mean, "half": half})
    return pd.DataFrame(rows, columns=["segment", "group", "first", "last", "mean", "half"])


def _segment_series_measures(data: ReportData) -> list[tuple[str, str, str, pd.DataFrame]]:
    """(column, label, kind, per-replicate frame) of the measures taken from the segment
    series: retention and dropped share over the run and over its last period, revenue."""
    whole = segment_retention(data)
    if whole.empty:
        return []
    retention_kpi, dropped_kpi = KPIS["retention_rate"], KPIS["dropped_rate"]
    first, last = retention_periods(data)[-1]
    recent = segment_retention(data, (first, last))
    return [("retention_rate", retention_kpi.title(data.unit), retention_kpi.kind, whole),
            ("retention_rate", f"{retention_kpi.title(data.unit)}, {data.unit}s {first}–{last}",
             retention_kpi.kind, recent),
            ("dropped_rate", dropped_kpi.title(data.unit), dropped_kpi.kind, whole),
            ("revenue", "Revenue from the segment", "money", whole)]


def segment_table(data: ReportData) -> pd.DataFrame:
    """Long table: segment, measure, group, mean, half (95% across runs)."""
    per = segment_outcomes(data)
    measures = [(column, label, kind, per) for column, label, kind in SEGMENT_MEASURES]
    measures += _segment_series_measures(data)
    rows = []
    for segment in sorted(per["segment"].unique()):
        for column, label, kind, frame in measures:
            for group in data.groups:
                values = frame[(frame["segment"] == segment) & (frame["group"] == group)][column]
                mean, half = mean_interval(values.to_numpy())
                rows.append({"segment": segment, "measure": label, "kind": kind, "group": group,
                             "mean": mean, "half": half})
    return pd.DataFrame(rows)


#: The outcomes of each rival shown per alternative.
RIVAL_KPIS = ("npv_profit", "market_share", "customers", "retention_rate")


def rival_table(data: ReportData) -> pd.DataFrame:
    """Compare: each rival (a supplier outside the focal ones) under each alternative, per
    KPI of :data:`RIVAL_KPIS`: mean and 95% half-width across runs."""
    if data.rivals is None or data.rivals.empty:
        return pd.DataFrame(columns=["supplier", "group", "metric", "mean", "half"])
    rows = []
    for group, frame in data.rivals.groupby("group", sort=False):
        per = replicate_outcomes(frame, None, data.discount_rate, by="supplier")
        for supplier, g in per.groupby("supplier", sort=True, observed=True):
            for name in RIVAL_KPIS:
                mean, half = mean_interval(g[name].to_numpy())
                rows.append({"supplier": str(supplier), "group": group, "metric": name, "mean": mean,
                             "half": half})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- the market


def alternative_scenarios(data: ReportData) -> dict[str, dict]:
    """Each group's resolved scenario as its manifest stored it (compare: one per alternative)."""
    if data.kind != "compare":
        return {g: data.scenario for g in data.groups}
    out = {}
    for alt in data.manifest.get("alternatives") or []:
        folder = data.folder / str(alt.get("folder", f"alternatives/{alt.get('name')}"))
        scenario = (ResultsFolder(folder).read_manifest() or {}).get("scenario")
        out[str(alt.get("name"))] = scenario if isinstance(scenario, dict) else {}
    return out


def strategy_differences(data: ReportData) -> pd.DataFrame:
    """Compare: the focal suppliers' strategy fields (resolved presets and overrides) that
    differ between alternatives, side by side; rows field, then one column per alternative."""
    focal = set(map(str, data.manifest.get("focal_suppliers") or []))
    fields: dict[str, dict[str, str]] = {}
    for group, scenario in alternative_scenarios(data).items():
        if not scenario:
            continue
        try:
            resolved = scenario_from_dict(scenario, f"{group} manifest")
        except ScenarioError:
            continue
        row = next((r for r in resolved.supplier_table() if r["name"] in focal), None)
        if row is None:
            continue
        values = {"strategy": row["strategy_name"]}
        values.update({f.name: _plain(getattr(row["strategy"], f.name))
                       for f in dataclasses.fields(row["strategy"]) if f.name != "description"})
        fields[group] = values
    if len(fields) < 2:
        return pd.DataFrame()
    frame = pd.DataFrame(fields)
    differ = frame.nunique(axis=1) > 1
    return frame[differ]


def _plain(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


EVENT_WORDS = {"supplier_entry": "{supplier} enters", "supplier_exit": "{supplier} leaves",
               "price_change": "{supplier} changes its price", "quality_change": "{supplier} changes its quality",
               "demand_shock": "demand x{factor:g}", "switching_cost_change": "switching costs x{factor:g}"}


def scheduled_events(data: ReportData) -> list[tuple[int, str, str]]:
    """(step, short label, groups it applies to) of every scheduled event within the run."""
    steps = int(data.suppliers["step"].max()) + 1
    seen: dict[tuple[int, str], list[str]] = {}
    for group, scenario in alternative_scenarios(data).items():
        for e in scenario.get("events") or []:
            step = int(e.get("step", 0))
            if step >= steps:
                continue
            words = EVENT_WORDS.get(e.get("kind"), str(e.get("kind")))
            label = words.format(supplier=e.get("supplier") or "a supplier", factor=float(e.get("factor", 1.0)))
            seen.setdefault((step, label), []).append(group)
    groups = [g for g in data.groups]
    return [(step, label, "all" if sorted(g) == sorted(groups) else ", ".join(g))
            for (step, label), g in sorted(seen.items())]


__all__ = ["rank_alternatives", "recommendation", "spend_returns", "segment_table", "segment_retention",
           "segment_retention_table", "retention_periods", "rival_table",
           "strategy_differences", "scheduled_events", "ended_by_reason", "objective_of"]
