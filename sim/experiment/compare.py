"""What-if comparisons: the same market under alternative strategies for the focal
supplier(s), with common random numbers, and the paired differences with 95% intervals,
stated in plain sentences."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import stdtrit

from sim.config import Scenario, load_scenario
from sim.config.schema import ScenarioError, suggest
from sim.config.strategies import PRESETS, Strategy
from sim.experiment.executors import process_pool, stop_now
from sim.experiment.run import RunResults, package_versions, run, scenario_digest
from sim.observe.recorder import acquisition_cost_per_new_customer, lifetime_value
from sim.observe.summary import t_interval

#: metric -> (label, unit kind). "money" differences are stated relative to the baseline,
#: "rate" ones in percentage points, "count" ones in their own units.
METRICS: dict[str, tuple[str, str]] = {
    "cumulative_profit": ("cumulative profit", "money"),
    "npv_profit": ("net present value of profit", "money"),
    "market_share": ("market share", "rate"),
    "retention_rate": ("retention per step", "rate"),
    "churn_rate": ("churn per step", "rate"),
    "mean_tenure": ("mean tenure (orders per customer relationship)", "count"),
    "customer_lifetime_value": ("customer lifetime value", "money"),
    "acquisition_cost_per_customer": ("acquisition cost per new customer", "money"),
    "cost_to_serve_per_customer": ("cost to serve per customer and step", "money"),
    "mean_trust": ("mean trust of customers", "count"),
    "mean_commitment": ("mean commitment of customers", "count"),
    "share_early": ("share of customers in the early stage", "rate"),
    "share_development": ("share of customers in development", "rate"),
    "share_long_term": ("share of customers in long-term relationships", "rate"),
    "share_final": ("share of customers in the final stage", "rate"),
}
#: metrics where less is better (the verdict's wording flips)
LOWER_IS_BETTER = {"churn_rate", "acquisition_cost_per_customer", "cost_to_serve_per_customer"}


@dataclass
class Alternative:
    name: str
    scenario: Scenario
    source: str  # "preset", "scenario strategy" or the file's path


def focal_entries(scenario: Scenario, focal: str | None = None) -> list[int]:
    """Indices of the [[suppliers]] entries whose strategy a comparison varies: ``focal``
    by name, else those marked ``focal = true``, else the first entry."""
    names = [s.name for s in scenario.suppliers]
    if focal is not None:
        if focal not in names:
            raise ScenarioError(f"--focal {focal!r}: no such supplier entry in {scenario.source}"
                                f"{suggest(focal, names)}; entries: {', '.join(names)}")
        return [names.index(focal)]
    marked = [i for i, s in enumerate(scenario.suppliers) if s.focal]
    return marked or [0]


def focal_supplier_names(scenario: Scenario, entries: list[int]) -> list[str]:
    wanted = {scenario.suppliers[i].name for i in entries}
    return [row["name"] for row in scenario.supplier_table() if row["spec"].name in wanted]


def split_focal_copy(scenario: Scenario, entries: list[int]) -> tuple[Scenario, list[int]]:
    """A comparison varies one supplier, "you": a focal entry with ``count > 1`` is split into
    one entry per copy (named as the copies were: "Partners 1", "Partners 2", ...) and only
    the first copy is varied; the other copies stay the rivals they were."""
    suppliers, varied = [], []
    for i, spec in enumerate(scenario.suppliers):
        if i in entries and spec.count > 1:
            varied.append(len(suppliers))
            suppliers += [dataclasses.replace(spec, name=f"{spec.name} {k + 1}", count=1,
                                              focal=k == 0) for k in range(spec.count)]
        else:
            if i in entries:
                varied.append(len(suppliers))
            suppliers.append(spec)
    return dataclasses.replace(scenario, suppliers=suppliers), varied


def resolve_alternatives(scenario: Scenario, spec: str, focal: str | None = None,
                         overrides: dict[str, Any] | None = None,
                         focal_all: bool = False) -> tuple[list[Alternative], list[str]]:
    """Turn ``--alternatives a,b,...`` into scenarios. A name is a strategy (a preset or
    one of the scenario's [strategies]) given to the focal supplier, replacing its whole
    strategy including inline overrides; of a focal entry with ``count > 1`` only the first
    copy is varied unless ``focal_all`` (see :func:`split_focal_copy`). A path ending in
    .toml is a whole scenario file (with the same --set overrides applied)."""
    items = [s.strip() for s in spec.split(",") if s.strip()]
    if len(items) < 2:
        raise ScenarioError(f"--alternatives {spec!r}: name at least two alternatives, separated "
                            f"by commas, e.g. transactional,relationship")
    if len(set(items)) != len(items):
        raise ScenarioError(f"--alternatives {spec!r}: each alternative may appear only once")
    entries = focal_entries(scenario, focal)
    if not focal_all:
        scenario, entries = split_focal_copy(scenario, entries)
    known = sorted(set(PRESETS) | set(scenario.strategies))
    alternatives = []
    for item in items:
        if item.endswith(".toml") or os.sep in item:
            alt = load_scenario(item)
            if overrides:
                alt = alt.with_overrides(overrides)
            alternatives.append(Alternative(Path(item).stem, alt, item))
            continue
        if item not in known:
            raise ScenarioError(f"--alternatives: {item!r}: no such strategy{suggest(item, known)}; "
                                f"known: {', '.join(known)}; or give a scenario file (.toml)")
        alt = dataclasses.replace(scenario, suppliers=[
            dataclasses.replace(s, strategy=item, overrides={}) if i in entries else s
            for i, s in enumerate(scenario.suppliers)])
        alternatives.append(Alternative(item, alt, "preset" if item in PRESETS and item not in
                                        scenario.strategies else "scenario strategy"))
    names = [a.name for a in alternatives]
    if len(set(names)) != len(names):
        raise ScenarioError(f"--alternatives {spec!r}: two alternatives share the name "
                            f"{[n for n in names if names.count(n) > 1][0]!r}")
    return alternatives, focal_supplier_names(scenario, entries)


# --------------------------------------------------------------------------- metrics


def replicate_metrics(results: RunResults, focal: list[str]) -> pd.DataFrame:
    """One row per replicate: the focal suppliers' key figures (see :data:`METRICS`)."""
    sup = results.suppliers
    sup = sup[sup["supplier"].astype(str).isin(focal)]
    if sup.empty:  # a scenario-file alternative without the focal names: take its whole market
        sup = results.suppliers
    discount = results.scenario.market.discount_rate
    rel = results.relationships
    rel = rel[rel["supplier"].astype(str).isin(set(sup["supplier"].astype(str)))]
    last = sup["step"].max()
    rows = []
    for replicate, g in sup.groupby("replicate"):
        per_step = g.groupby("step")[["profit", "revenue", "cost_of_goods", "cost_to_serve",
                                      "retention_spend", "late_payment_cost", "adaptation_spend",
                                      "key_account_cost", "acquisition_spend", "customers",
                                      "customers_at_start", "retained", "new_customers",
                                      "market_share"]].sum()
        steps = per_step.index.to_numpy()
        customer_steps = per_step["customers"].sum()
        at_start = per_step["customers_at_start"].sum()
        retention = per_step["retained"].sum() / at_start if at_start else math.nan
        margin = (per_step["revenue"] - per_step["cost_of_goods"] - per_step["cost_to_serve"]
                  - per_step["retention_spend"] - per_step["late_payment_cost"]
                  - per_step["adaptation_spend"]).sum()
        end = g[g["step"] == last]
        relationships_end = end[["early", "development", "long_term", "final"]].sum(axis=1)
        customers_end = relationships_end.sum()
        stages = end[["early", "development", "long_term", "final"]].sum()
        stage_total = stages.sum()
        r_rel = rel[rel["replicate"] == replicate]
        new = per_step["new_customers"].sum()
        row = {
            "replicate": int(replicate),
            "cumulative_profit": per_step["profit"].sum(),
            "npv_profit": float((per_step["profit"] / (1 + discount) ** (steps + 1)).sum()),
            "market_share": float(end["market_share"].sum()),
            "retention_rate": retention,
            "churn_rate": 1 - retention,
            "mean_tenure": float(r_rel["orders"].mean()) if len(r_rel) else math.nan,
            "customer_lifetime_value": float(lifetime_value(margin, customer_steps, retention, discount))
            if at_start else math.nan,
            "acquisition_cost_per_customer": float(acquisition_cost_per_new_customer(
                per_step["acquisition_spend"].sum(), new)),
            "cost_to_serve_per_customer": ((per_step["cost_to_serve"] + per_step["retention_spend"]
                                            + per_step["key_account_cost"] + per_step["adaptation_spend"]
                                            ).sum() / customer_steps if customer_steps else math.nan),
            # means over current relationships, as the supplier series computes them
            "mean_trust": float((end["mean_trust"].fillna(0) * relationships_end).sum() / customers_end)
            if customers_end else math.nan,
            "mean_commitment": float((end["mean_commitment"].fillna(0) * relationships_end).sum()
                                     / customers_end) if customers_end else math.nan,
        }
        for stage in ("early", "development", "long_term", "final"):
            row[f"share_{stage}"] = float(stages[stage] / stage_total) if stage_total else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def summarise(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per alternative and metric: mean and 95% t interval across replicates."""
    rows = []
    for alternative, g in metrics.groupby("alternative", sort=False):
        for metric in METRICS:
            mean, half = t_interval(g[metric].to_numpy())
            rows.append({"alternative": alternative, "metric": metric, "mean": mean,
                         "ci_low": mean - half, "ci_high": mean + half, "half_width": half,
                         "replicates": int(g[metric].notna().sum())})
    return pd.DataFrame(rows)


def difference_interval(base: np.ndarray, other: np.ndarray, paired: bool,
                        level: float = 0.95) -> tuple[float, float, int]:
    """(mean difference other - base, half-width, n). Paired t interval when the
    replicates share seeds (common random numbers), Welch's interval otherwise."""
    base, other = np.asarray(base, float), np.asarray(other, float)
    if paired:
        diff = other - base
        diff = diff[np.isfinite(diff)]
        mean, half = t_interval(diff, level)
        return mean, half, len(diff)
    base, other = base[np.isfinite(base)], other[np.isfinite(other)]
    if len(base) < 2 or len(other) < 2:
        return float(other.mean() - base.mean()) if len(base) and len(other) else math.nan, math.nan, 0
    va, vb = base.var(ddof=1) / len(base), other.var(ddof=1) / len(other)
    se = math.sqrt(va + vb)
    dof = (va + vb) ** 2 / ((va ** 2 / (len(base) - 1) + vb ** 2 / (len(other) - 1)) or 1e-300)
    return float(other.mean() - base.mean()), float(stdtrit(dof, 0.5 + level / 2) * se), \
        min(len(base), len(other))


def _number(value: float, kind: str) -> str:
    """A number as a reader of a board report expects it: no exponents, two significant
    digits for small values, thousands separated."""
    if kind == "rate":
        return _number(100 * value, "count") + " points"
    if value == 0:
        return "0"
    if abs(value) < 0.001:
        return "< 0.001"
    if abs(value) >= 99.5:  # where two significant digits would turn into an exponent
        return f"{value:,.0f}"
    return f"{value:.2g}"


def verdict(metric: str, base: str, other: str, mean_base: float, diff: float, half: float,
            n: int) -> tuple[str, bool, float, float]:
    """A plain sentence on the difference, whether it is clear (the 95% interval excludes
    zero), and the relative difference and its half-width (NaN where not meaningful)."""
    label, kind = METRICS[metric]
    clear = bool(np.isfinite(half) and abs(diff) > half)
    relative = diff / abs(mean_base) if kind == "money" and mean_base else math.nan
    rel_half = half / abs(mean_base) if kind == "money" and mean_base else math.nan
    if not np.isfinite(diff):
        return f"{label}: no data to compare {other} with {base}.", False, relative, rel_half
    if diff == 0 and not (np.isfinite(half) and half > 0):
        return (f"{other} and {base} have the same {label} in every one of the {n} replicates.",
                False, relative, rel_half)
    more = "more" if diff > 0 else "less"
    if kind == "money" and np.isfinite(relative):
        size = f"{_number(100 * abs(relative), 'count')}% ± {_number(100 * rel_half, 'count')}%"
    else:
        size = f"{_number(abs(diff), kind)} ± {_number(half, kind)}" if np.isfinite(half) else \
            _number(abs(diff), kind)
    verb = {"cumulative_profit": "earns", "npv_profit": "earns"}.get(metric, "has")
    sentence = f"{other} {verb} {size} {more} {label} than {base}"
    if clear:
        sentence += f"; the difference is clear at {n} replicates."
    else:
        sentence += (f"; at {n} replicates the two cannot be told apart (the 95% interval "
                     f"includes no difference).")
    return sentence, clear, relative, rel_half


def differences(metrics: pd.DataFrame, names: list[str], paired: bool) -> pd.DataFrame:
    """Each alternative against the first (the baseline), metric by metric."""
    base_name = names[0]
    base = metrics[metrics["alternative"] == base_name].set_index("replicate").sort_index()
    rows = []
    for name in names[1:]:
        other = metrics[metrics["alternative"] == name].set_index("replicate").sort_index()
        common = base.index.intersection(other.index) if paired else None
        for metric in METRICS:
            b = base.loc[common, metric] if paired else base[metric]
            o = other.loc[common, metric] if paired else other[metric]
            diff, half, n = difference_interval(b.to_numpy(), o.to_numpy(), paired)
            sentence, clear, rel, rel_half = verdict(metric, base_name, name, float(np.nanmean(b)),
                                                     diff, half, n)
            rows.append({"baseline": base_name, "alternative": name, "metric": metric,
                         "mean_difference": diff, "ci_low": diff - half, "ci_high": diff + half,
                         "relative_difference": rel, "relative_half_width": rel_half,
                         "significant": clear, "sentence": sentence})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- running


@dataclass
class Comparison:
    """The outcome of :func:`compare`: per-replicate metrics, summaries, differences and
    each alternative's full results."""

    alternatives: list[Alternative]
    focal: list[str]
    metrics: pd.DataFrame
    summary: pd.DataFrame
    differences: pd.DataFrame
    results: dict[str, RunResults]
    manifest: dict[str, Any]

    def headline(self, metric: str = "cumulative_profit") -> list[str]:
        d = self.differences
        return d[d["metric"] == metric]["sentence"].tolist()


def folder_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "alternative"


def compare(scenario: Scenario, alternatives: str | list[Alternative] = "transactional,relationship",
            *, replicates: int = 20, seed: int | None = None, focal: str | None = None,
            overrides: dict[str, Any] | None = None, out: str | Path | None = None,
            workers: int | None = None, overwrite: bool = False, common_random_numbers: bool = True,
            progress=None, focal_all: bool = False) -> Comparison:
    """Run every alternative with the same ``replicates`` seeds (common random numbers:
    the same buyers and the same luck, so differences come from the strategy) and compare
    the focal supplier's results. Only one supplier is varied: the focal entry's first copy,
    or every copy with ``focal_all``."""
    if overrides:
        scenario = scenario.with_overrides(overrides)
    if isinstance(alternatives, str):
        alts, focal_names = resolve_alternatives(scenario, alternatives, focal, overrides, focal_all)
    else:
        entries = focal_entries(scenario, focal)
        if not focal_all:
            scenario, entries = split_focal_copy(scenario, entries)
        alts, focal_names = alternatives, focal_supplier_names(scenario, entries)
    root = scenario.market.seed if seed is None else seed
    out_path = Path(out) if out is not None else None
    manifest = {
        "kind": "compare", "scenario_name": scenario.market.name, "scenario_source": scenario.source,
        "alternatives": [{"name": a.name, "source": a.source, "folder": f"alternatives/{folder_name(a.name)}",
                          "scenario_sha256": scenario_digest(a.scenario)} for a in alts],
        "focal_suppliers": focal_names, "replicates": replicates, "root_seed": root,
        "common_random_numbers": common_random_numbers, "overrides": overrides or {},
        "versions": package_versions(), "status": "running", "wall_time_s": None,
    }
    if out_path is not None:
        _prepare_compare_folder(out_path, manifest, overwrite)
    started = time.perf_counter()
    results: dict[str, RunResults] = {}
    total = replicates * len(alts)
    workers = workers or os.cpu_count() or 1
    pool = process_pool(workers) if workers > 1 else None
    try:
        for k, alt in enumerate(alts):
            alt_seed = root if common_random_numbers else root + 7919 * (k + 1)

            def report(done: int, count: int, k=k) -> None:
                if progress is not None:
                    progress(k * replicates + done, total)

            results[alt.name] = run(
                alt.scenario, seed=alt_seed, replicates=replicates,
                out=None if out_path is None else out_path / "alternatives" / folder_name(alt.name),
                executor=pool, workers=workers, progress=report, overwrite=overwrite)
    finally:
        if pool is not None:
            stop_now(pool)
    frames = []
    for alt in alts:
        m = replicate_metrics(results[alt.name], focal_names)
        m.insert(0, "alternative", alt.name)
        frames.append(m)
    metrics = pd.concat(frames, ignore_index=True)
    names = [a.name for a in alts]
    summary = summarise(metrics)
    diffs = differences(metrics, names, paired=common_random_numbers)
    manifest["status"] = "complete"
    manifest["wall_time_s"] = round(time.perf_counter() - started, 3)
    comparison = Comparison(alts, focal_names, metrics, summary, diffs, results, manifest)
    if out_path is not None:
        metrics.to_parquet(out_path / "metrics.parquet", index=False)
        summary.to_csv(out_path / "summary.csv", index=False)
        diffs.to_csv(out_path / "differences.csv", index=False)
        (out_path / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
    return comparison


def _prepare_compare_folder(path: Path, manifest: dict[str, Any], overwrite: bool) -> None:
    if path.exists() and not path.is_dir():
        raise ScenarioError(f"{path}: exists and is not a folder; choose another --out")
    old = path / "manifest.json"
    if path.exists() and any(path.iterdir()):
        if overwrite:
            shutil.rmtree(path)
        elif not old.exists():
            raise ScenarioError(f"{path}: folder is not empty and holds no results manifest; choose "
                                f"an empty or new --out (or pass --overwrite)")
        else:
            try:
                previous = json.loads(old.read_text())
            except (json.JSONDecodeError, OSError) as exc:
                raise ScenarioError(f"{old}: unreadable manifest: {exc}") from None
            same = (previous.get("kind") == "compare"
                    and [a["scenario_sha256"] for a in previous.get("alternatives", [])]
                    == [a["scenario_sha256"] for a in manifest["alternatives"]]
                    and previous.get("root_seed") == manifest["root_seed"]
                    and previous.get("replicates") == manifest["replicates"]
                    and previous.get("common_random_numbers") == manifest["common_random_numbers"])
            if not same:
                raise ScenarioError(f"{path}: holds results of a different comparison; choose another "
                                    f"--out, or pass --overwrite to replace them")
    path.mkdir(parents=True, exist_ok=True)
    (path / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))


__all__ = ["compare", "Comparison", "Alternative", "METRICS", "resolve_alternatives", "Strategy"]
