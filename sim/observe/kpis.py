"""THE registry of outcomes: every key figure relsim reports, declared once.

Each :class:`KPI` has a name (the column everywhere: ``summary.csv``, compare's
``metrics.parquet``, the report), a label, its unit (money units, or the scenario's step unit,
"month" by default), its kind (how it is printed, see :mod:`sim.observe.numbers`), which
direction is better, a one-line definition and the computation from a replicate's supplier
series. The run summary, ``compare``, the report's tables and figures, the command line and the
tests all read it, so the same name is the same number everywhere (docs/ODD.md, "Observation").

:func:`replicate_outcomes` turns supplier series (one row per supplier and step) into one row
per replicate (and group) with a column per KPI; :func:`summarise_outcomes` takes the mean and
95% interval across replicates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.engine.state import ACTIVE_STAGES
from sim.observe import numbers
from sim.stats.intervals import mean_interval

#: The step unit when a scenario does not name one (the scenarios are monthly).
DEFAULT_UNIT = "month"

#: The relationship stages of a current customer, as columns of the supplier series
#: (Ford's stages; "final" is a settled, institutionalised relationship, not an ending).
STAGES = tuple(s.label.replace("-", "_") for s in ACTIVE_STAGES)
STAGE_NAMES = {"early": "early", "development": "development", "long_term": "long-term",
               "final": "final (settled)"}

#: Revenue and the costs that vary with the customer: the customer margin behind lifetime value.
MARGIN_ACCOUNTS = ("revenue", "cost_of_goods", "cost_to_serve", "retention_spend", "adaptation_spend",
                   "late_payment_cost")
#: What a supplier spends on relationships beyond the sale itself: key-account managers,
#: retention offers, relationship-specific adaptations and the cost of its service level.
RELATIONSHIP_SPEND = ("key_account_cost", "retention_spend", "adaptation_spend", "cost_to_serve")

#: Flows summed over the run, per replicate and group.
FLOWS = ("profit", "revenue", "cost_of_goods", "cost_to_serve", "retention_spend", "adaptation_spend",
         "late_payment_cost", "key_account_cost", "acquisition_spend", "customers", "customers_at_start",
         "retained", "left_customers", "dropped_customers", "new_customers", "demand_at_start",
         "demand_retained", "demand_dropped")
#: The supplier-series columns :func:`replicate_outcomes` reads.
SERIES_COLUMNS = ("replicate", "step", "supplier", "active", "market_share", "mean_trust",
                  "mean_commitment", *FLOWS, *STAGES)


# --------------------------------------------------------------------------- formulas


def _rate(numerator, denominator):
    """numerator / denominator, NaN where the denominator is 0; a Series stays a Series."""
    num, den = np.asarray(numerator, float), np.asarray(denominator, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    if isinstance(numerator, pd.Series):
        return pd.Series(out, index=numerator.index)
    return out if out.ndim else float(out)


def retention(retained, customers_at_start, dropped=0):
    """THE retention formula: customers kept / customers at the start whom the supplier did
    not drop on purpose. Only customers who left (switched to a rival, drifted apart, broke
    off in conflict, lost to an entry or an exit) count against it; a customer the supplier
    let go as unprofitable is its own decision, counted by :func:`dropped_share`. Since
    customers_at_start = retained + left + dropped, churn = 1 - retention = left / (at start
    - dropped). NaN when no customer was at risk. Every per-step series (market, supplier,
    segment) and every summary applies it to its own counts."""
    at_risk = np.asarray(customers_at_start, float) - np.asarray(dropped, float)
    return _rate(retained, at_risk)


def dropped_share(dropped, customers_at_start):
    """Customers the supplier dropped on purpose / customers at the start (NaN without any)."""
    return _rate(dropped, customers_at_start)



def acquisition_cost_per_new_customer(spend, new_customers):
    """Acquisition spend divided by customers won (NaN when none were won)."""
    spend, new = np.asarray(spend, float), np.asarray(new_customers, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(new > 0, spend / np.where(new > 0, new, 1), np.nan)


def lifetime_value(margin, customers, retention, discount_rate: float):
    """Customer lifetime value m*r/(1 + d - r) (Gupta & Lehmann 2003): margin per customer
    and step m, retention per step r, discount rate per step d. NaN without customers, and NaN
    (no finite value) where nothing shrinks a customer's future: no customer lost (r = 1) and
    no discounting (d = 0), where the formula would divide by zero."""
    margin, customers, r = (np.asarray(x, float) for x in (margin, customers, retention))
    with np.errstate(invalid="ignore", divide="ignore"):
        per_customer = np.where(customers > 0, margin / np.where(customers > 0, customers, 1), np.nan)
        shrink = 1.0 + discount_rate - r
        return np.where(shrink > 0, per_customer * r / np.where(shrink > 0, shrink, 1.0), np.nan)


def customer_margin(frame: pd.DataFrame) -> pd.Series:
    """Revenue less the costs that vary with the customer (:data:`MARGIN_ACCOUNTS`)."""
    return frame[MARGIN_ACCOUNTS[0]] - frame[list(MARGIN_ACCOUNTS[1:])].sum(axis=1)


def _stage_share(stage: str) -> Callable[[pd.DataFrame, float], pd.Series]:
    return lambda t, d: _ratio(t[stage], t["end_relationships"])


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return numerator / denominator.where(denominator > 0)


def _retention(t: pd.DataFrame) -> pd.Series:
    return retention(t["retained"], t["customers_at_start"], t["dropped_customers"])


def _size_weighted_retention(t: pd.DataFrame) -> pd.Series:
    # the retention formula on the customers' demand instead of their number
    return retention(t["demand_retained"], t["demand_at_start"], t["demand_dropped"])


# --------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class KPI:
    """One outcome. ``label`` may hold ``{unit}`` (the scenario's step unit); ``compute``
    takes the per-replicate totals :func:`replicate_outcomes` builds and returns the column."""

    name: str
    label: str
    kind: str           # money | rate | share | count | score (how it is printed)
    better: str         # "higher", "lower" or "neither" (descriptive: stage mix)
    definition: str     # the formula, in one line
    compute: Callable[[pd.DataFrame, float], pd.Series]
    headline: bool = False  # one of the differences that matter to a board
    unit: str = ""      # "money units", "0 to 1", "" (a share or rate is its own unit)
    short: str = ""     # the column heading of a narrow text table ("retention/{unit}")

    def title(self, unit: str = DEFAULT_UNIT) -> str:
        """The label with the scenario's step unit: "Retention per month"."""
        return self.label.format(unit=unit)

    def unit_text(self, unit: str = DEFAULT_UNIT) -> str:
        return self.unit.format(unit=unit)

    def describe(self, unit: str = DEFAULT_UNIT) -> str:
        """The one-line definition with the scenario's step unit."""
        return self.definition.format(unit=unit)

    def heading(self, unit: str = DEFAULT_UNIT) -> str:
        """The short column heading of a text table (the label when none is declared)."""
        return (self.short or self.label).format(unit=unit)

    def format(self, value, half=None) -> str:
        """The value (with its 95% half-width) as every table prints it."""
        return numbers.with_interval(value, half, self.kind)

    def format_difference(self, value) -> str:
        return numbers.difference(value, self.kind)

    @property
    def lower_is_better(self) -> bool:
        return self.better == "lower"


def _kpis(*items: KPI) -> dict[str, KPI]:
    return {k.name: k for k in items}


KPIS: dict[str, KPI] = _kpis(
    KPI("npv_profit", "Net present value of profit", "money", "higher",
        "sum over {unit}s t of profit_t / (1 + d)^(t+1), d = market.discount_rate per {unit}",
        lambda t, d: t["npv_profit"], headline=True, unit="money units", short="NPV profit"),
    KPI("cumulative_profit", "Cumulative profit", "money", "higher",
        "sum of profit over the run (revenue less every cost, acquisition included)",
        lambda t, d: t["profit"], headline=True, unit="money units", short="cum. profit"),
    KPI("market_share", "Market share at the end", "share", "higher",
        "share of the market's volume bought from the supplier(s) in the last step",
        lambda t, d: t["end_market_share"], headline=True, short="share"),
    KPI("retention_rate", "Retention per {unit}", "rate", "higher",
        "customers kept from one {unit} to the next / customers at its start not dropped on purpose, "
        "pooled over the run (only customers who left count against it)",
        lambda t, d: _retention(t), headline=True, short="retention/{unit}"),
    KPI("churn_rate", "Churn per {unit}", "rate", "lower",
        "1 - retention per {unit}: customers who left (switched, drifted apart, broke off) / customers "
        "at its start not dropped on purpose",
        lambda t, d: 1 - _retention(t), short="churn/{unit}"),
    KPI("size_weighted_retention", "Retention by customer size per {unit}", "rate", "higher",
        "the retention formula with each customer weighed by its demand (units a {unit}): demand of the "
        "customers kept / demand of the customers at its start not dropped on purpose, pooled over the "
        "run, so a key account counts for what it buys and not as one small firm",
        lambda t, d: _size_weighted_retention(t), short="retention by size/{unit}"),
    KPI("dropped_rate", "Dropped on purpose per {unit}", "rate", "neither",
        "customers the supplier ended on purpose as unprofitable / customers at the start of the {unit}, "
        "pooled over the run (apart from retention)",
        lambda t, d: dropped_share(t["dropped_customers"], t["customers_at_start"]), short="dropped/{unit}"),
    KPI("customers", "Customers at the end", "count", "higher",
        "buyers whose current supplier is the supplier(s) in the last step",
        lambda t, d: t["end_relationships"], headline=True, short="customers"),
    KPI("customer_lifetime_value", "Customer lifetime value", "money", "higher",
        "m*r/(1 + d - r): margin per customer and {unit} m, retention per {unit} r (Gupta & Lehmann 2003)",
        lambda t, d: pd.Series(lifetime_value(customer_margin(t), t["customers"], _retention(t), d),
                               index=t.index), headline=True, unit="money units", short="CLV"),
    KPI("mean_tenure", "Orders per relationship", "count", "higher",
        "mean number of orders of every relationship that ever traded",
        lambda t, d: t["mean_orders"], short="orders/rel."),
    KPI("acquisition_cost_per_new_customer", "Acquisition cost per new customer", "money", "lower",
        "acquisition spend / customers won",
        lambda t, d: pd.Series(acquisition_cost_per_new_customer(t["acquisition_spend"], t["new_customers"]),
                               index=t.index), unit="money units", short="acq./new"),
    KPI("cost_to_serve_per_customer", "Relationship cost per customer and {unit}", "money", "lower",
        "(cost to serve + retention + key-account managers + adaptations) / customer-steps",
        lambda t, d: _ratio(t[list(RELATIONSHIP_SPEND)].sum(axis=1), t["customers"]), unit="money units",
        short="rel. cost/cust./{unit}"),
    KPI("relationship_spend", "Relationship spend", "money", "neither",
        "key-account managers + retention + adaptations + cost to serve, summed over the run",
        lambda t, d: t[list(RELATIONSHIP_SPEND)].sum(axis=1), unit="money units", short="rel. spend"),
    KPI("mean_trust", "Customers' trust", "score", "higher",
        "mean trust of current customers in the last step (0 = none, 1 = full)",
        lambda t, d: _ratio(t["trust_x"], t["end_relationships"]), unit="0 to 1", short="trust"),
    KPI("mean_commitment", "Customers' commitment", "score", "higher",
        "mean commitment of current customers in the last step (0 = none, 1 = full)",
        lambda t, d: _ratio(t["commitment_x"], t["end_relationships"]), unit="0 to 1", short="commitment"),
    *(KPI(f"share_{stage}", f"Customers in the {STAGE_NAMES[stage]} stage", "share", "neither",
          f"current customers in the {STAGE_NAMES[stage]} stage / current customers, last step",
          _stage_share(stage))
      for stage in STAGES),
)

#: The differences that matter to a board (money, share, retention, customers), in order.
HEADLINE = tuple(name for name, k in KPIS.items() if k.headline)
#: The default objective alternatives are ranked on.
OBJECTIVE = "npv_profit"


def kpi(name: str) -> KPI:
    """The KPI called ``name``; a KeyError names the known ones."""
    try:
        return KPIS[name]
    except KeyError:
        raise KeyError(f"no outcome {name!r}; known: {', '.join(KPIS)}") from None


def step_unit(scenario=None) -> str:
    """The step unit of a scenario (or of its dict, as a manifest stores it): "month" unless
    it names another."""
    if isinstance(scenario, dict):
        unit = (scenario.get("market") or {}).get("step_unit")
    else:
        unit = getattr(getattr(scenario, "market", None), "step_unit", None)
    return str(unit or DEFAULT_UNIT)


# --------------------------------------------------------------------------- computing


def _groups(frame: pd.DataFrame, keys: list[str]):
    return frame.groupby(keys, observed=True, sort=True)


def replicate_outcomes(suppliers: pd.DataFrame, focal: list[str] | None = None,
                       discount_rate: float = 0.01, *, by: str | None = None,
                       relationships: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per replicate (and ``by`` group, e.g. "strategy"), a column per KPI.

    ``suppliers`` is the supplier series of one or more replicates (a ``replicate`` column;
    one replicate without it). ``focal`` keeps those suppliers only and adds them together;
    ``by`` groups rows by a column of the series (a supplier's strategy at each step), so a
    supplier that changes strategy counts in each for the steps it held it. A group without
    any supplier at the end counts as zero share and zero customers, not as missing.
    ``relationships`` (the final relationship table) gives orders per relationship; each
    relationship belongs to its supplier's group at the end."""
    s = suppliers
    if "replicate" not in s.columns:
        s = s.assign(replicate=0)
    if focal is not None:
        s = s[s["supplier"].astype(str).isin(set(map(str, focal)))]
    keys = ["replicate"] + ([by] if by else [])
    s = with_exits(s)
    s = s.assign(npv_profit=s["profit"] / (1.0 + discount_rate) ** (s["step"] + 1))
    totals = _groups(s, keys)[[*FLOWS, "npv_profit"]].sum()
    end = s[s["step"] == s["step"].max()]
    relationships_end = end[list(STAGES)].sum(axis=1)
    end = end.assign(end_relationships=relationships_end,
                     trust_x=end["mean_trust"].fillna(0) * relationships_end,
                     commitment_x=end["mean_commitment"].fillna(0) * relationships_end,
                     end_suppliers=end["active"].astype(int),
                     end_market_share=end["market_share"])
    final = _groups(end, keys)[["end_suppliers", "end_market_share", "end_relationships", "trust_x",
                                "commitment_x", *STAGES]].sum()
    final = final.reindex(totals.index, fill_value=0)
    t = totals.join(final)
    t["mean_orders"] = _mean_orders(relationships, end, keys, t.index, focal)
    out = pd.DataFrame({name: k.compute(t, discount_rate) for name, k in KPIS.items()}, index=t.index)
    out.insert(0, "suppliers", t["end_suppliers"])
    return out.reset_index()


def with_exits(series: pd.DataFrame) -> pd.DataFrame:
    """The series with ``left_customers`` and ``dropped_customers``. Results written before
    relsim counted drops apart lack them: there every customer lost counts as left (what
    those results meant by retention), so they still read, with their old meaning. Results
    written before retention by customer size lack the customers' demand: that rate is NaN
    (unknown) there."""
    if "demand_at_start" not in series.columns:
        # written before retention by customer size: unknown there, not zero
        series = series.assign(demand_at_start=np.nan, demand_retained=np.nan, demand_dropped=np.nan)
    if "dropped_customers" in series.columns:
        return series
    return series.assign(left_customers=series["customers_at_start"] - series["retained"], dropped_customers=0)


#: The counts of the segment series that :func:`segment_rates` adds up.
SEGMENT_FLOWS = ("retained", "customers_at_start", "dropped_customers", "left_customers", "new_customers",
                 "revenue")


def segment_rates(segments: pd.DataFrame, keys: list[str], steps: tuple[int, int] | None = None) -> pd.DataFrame:
    """The segment series (one row per step, supplier and buyer segment) pooled per ``keys``
    (e.g. strategy, replicate, segment) over the run or the steps (first, last): the sums of
    :data:`SEGMENT_FLOWS`, retention (:func:`retention`) and the share dropped on purpose
    (:func:`dropped_share`) on those sums, the same formulas as the whole book's KPIs."""
    if steps is not None:
        segments = segments[(segments["step"] >= steps[0]) & (segments["step"] <= steps[1])]
    t = segments.groupby(keys, sort=True, observed=True)[list(SEGMENT_FLOWS)].sum()
    t["retention_rate"] = retention(t["retained"], t["customers_at_start"], t["dropped_customers"])
    t["dropped_rate"] = dropped_share(t["dropped_customers"], t["customers_at_start"])
    return t.reset_index()


def _mean_orders(relationships: pd.DataFrame | None, end: pd.DataFrame, keys: list[str], index,
                 focal: list[str] | None) -> pd.Series:
    if relationships is None or relationships.empty:
        return pd.Series(np.nan, index=index)
    rel = relationships
    if "replicate" not in rel.columns:
        rel = rel.assign(replicate=0)
    names = rel["supplier"].astype(str)
    if focal is not None:
        rel = rel[names.isin(set(map(str, focal)))]
        names = rel["supplier"].astype(str)
    if len(keys) > 1 and keys[1] not in rel.columns:
        # a relationship belongs to its supplier's group at the end of its replicate
        group_of = dict(zip(zip(end["replicate"], end["supplier"].astype(str)), end[keys[1]].astype(str)))
        rel = rel.assign(**{keys[1]: [group_of.get(k) for k in zip(rel["replicate"], names)]})
        rel = rel[rel[keys[1]].notna()]
    means = rel.groupby(keys, observed=True)["orders"].mean()
    if len(keys) > 1:  # the group labels of the series may be categorical
        means.index = means.index.set_levels([means.index.levels[0], means.index.levels[1].astype(str)])
        lookup = index.set_levels([index.levels[0], index.levels[1].astype(str)])
        return pd.Series(means.reindex(lookup).to_numpy(), index=index)
    return means.reindex(index)


def summarise_outcomes(per_replicate: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Per group (or overall): ``replicates``, and for each KPI its mean across replicates
    and 95% half-width (``NAME`` and ``NAME_ci95``; NaN with one replicate)."""
    groups = per_replicate.groupby(by, observed=True, sort=False) if by else [(None, per_replicate)]
    rows = []
    for group, g in groups:
        row: dict = {by: group} if by else {}
        row["replicates"] = len(g)
        if "suppliers" in g:
            row["suppliers"] = float(g["suppliers"].mean())
        for name in KPIS:
            row[name], row[f"{name}_ci95"] = mean_interval(g[name].to_numpy())
        rows.append(row)
    return pd.DataFrame(rows)


def long_summary(per_replicate: pd.DataFrame, by: str) -> pd.DataFrame:
    """The same summary in long form, one row per (group, KPI): mean, ci_low, ci_high,
    half_width and replicates (compare's summary.csv)."""
    rows = []
    for group, g in per_replicate.groupby(by, sort=False, observed=True):
        for name in KPIS:
            mean, half = mean_interval(g[name].to_numpy())
            rows.append({by: group, "metric": name, "mean": mean, "ci_low": mean - half,
                         "ci_high": mean + half, "half_width": half,
                         "replicates": int(g[name].notna().sum())})
    return pd.DataFrame(rows)


__all__ = ["KPI", "KPIS", "HEADLINE", "OBJECTIVE", "STAGES", "STAGE_NAMES", "MARGIN_ACCOUNTS",
           "RELATIONSHIP_SPEND", "kpi", "step_unit", "replicate_outcomes", "summarise_outcomes",
           "long_summary", "lifetime_value", "retention", "dropped_share", "with_exits", "segment_rates",
           "acquisition_cost_per_new_customer", "customer_margin"]
