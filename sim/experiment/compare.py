"""What-if comparisons: the same market under alternative strategies for the focal
supplier(s), with common random numbers, and the paired differences with 95% intervals,
stated in plain sentences."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import time
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import Scenario, load_scenario
from sim.config.schema import ScenarioError, suggest
from sim.config.strategies import PRESETS, Strategy
from sim.experiment.executors import process_pool, stop_now
from sim.experiment.files import atomic_write_parquet, atomic_write_text
from sim.experiment.guard import local_workers
from sim.experiment.progress import ProgressOffset
from sim.experiment.run import (
    RunResults,
    digest_matches,
    load_results,
    package_versions,
    read_results_manifest,
    replicates_and_why,
    results_depend_on,
    run,
    scenario_digest,
)
from sim.experiment.store import ALTERNATIVES, ResultsFolder, what_differs
from sim.observe import numbers
from sim.observe.kpis import DEFAULT_UNIT, KPI, KPIS, OBJECTIVE, long_summary, replicate_outcomes
from sim.stats import intervals
from sim.stats.intervals import difference_interval

#: The outcomes a comparison reports: the registry's, in its order (sim.observe.kpis).
METRICS: dict[str, KPI] = KPIS


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


#: Values that switch a scheduled event off in a what-if: ``events[0].step=never``.
NEVER = ("never", "none", "off")


def what_if_alternative(scenario: Scenario, text: str) -> Alternative:
    """A named what-if of the market: ``"no entrant: events[0].step=never"`` or ``"cheap
    switching: buyers.switching_cost=0.05; market.discount_rate=0.02"``. The overrides (separated
    by semicolons) are applied to the scenario as ``--set`` would; ``events[N].step=never``
    (or ``events[N]=none``) drops that scheduled event."""
    from sim.config import parse_override_value

    name, sep, body = text.partition(":")
    name = name.strip()
    usage = 'give NAME: KEY=VALUE[; KEY=VALUE...], e.g. --alternative "no entrant: events[0].step=never"'
    if not sep or not name:
        raise ScenarioError(f"--alternative {text!r}: {usage}")
    pairs = [p.strip() for p in body.split(";") if p.strip()]
    if not pairs:
        raise ScenarioError(f"--alternative {text!r}: no settings after {name!r}; {usage}")
    values: dict[str, Any] = {}
    dropped: set[int] = set()
    for pair in pairs:
        key, eq, value = (part.strip() for part in pair.partition("="))
        if not eq or not key:
            raise ScenarioError(f"--alternative {name!r}: {pair!r} is not KEY=VALUE; {usage}")
        event = re.fullmatch(r"events\[(\d+)\](?:\.step)?", key)
        if event and value.lower() in NEVER:
            index = int(event.group(1))
            if index >= len(scenario.events):
                raise ScenarioError(f"--alternative {name!r}: {key}: the scenario has "
                                    f"{len(scenario.events)} event(s) (events[0] to "
                                    f"events[{len(scenario.events) - 1}])" if scenario.events else
                                    f"--alternative {name!r}: {key}: the scenario has no [[events]]")
            dropped.add(index)
            continue
        values[key] = parse_override_value(value)
    alt = scenario.with_overrides(values, source=f"--alternative {name!r}") if values else scenario
    if dropped:
        # an entrant whose entry never comes is not in the market at all (without its entry
        # event it would be there from the start), nor are the events that concern it
        gone = {alt.events[i].supplier for i in dropped if alt.events[i].kind == "supplier_entry"}
        alt = dataclasses.replace(
            alt, events=[e for i, e in enumerate(alt.events) if i not in dropped and e.supplier not in gone],
            suppliers=[s for s in alt.suppliers if s.name not in gone])
        if not alt.suppliers:
            raise ScenarioError(f"--alternative {name!r}: leaves no supplier in the market")
    return Alternative(name, alt, "what-if: " + "; ".join(pairs))


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


def resolve_alternatives(scenario: Scenario, spec: str | None, focal: str | None = None,
                         overrides: dict[str, Any] | None = None,
                         what_ifs: list[str] | None = None,
                         focal_all: bool = False, where: str | None = None) -> tuple[list[Alternative], list[str]]:
    """Turn ``--alternatives a,b,...`` and any ``--alternative "NAME: KEY=VALUE; ..."`` into
    scenarios. A name is a strategy (a preset or one of the scenario's [strategies]) given to
    the focal supplier, replacing its whole strategy including inline overrides; of a focal
    entry with ``count > 1`` only the first copy is varied unless ``focal_all`` (see
    :func:`split_focal_copy`); a path ending in .toml is a whole scenario file (with the
    same --set overrides applied); a named what-if changes the market itself
    (:func:`what_if_alternative`). The first is the baseline. ``where`` is how messages name
    the list (a sweep file's ``FILE: compare.alternatives = [...]``); by default the option."""
    items = [s.strip() for s in (spec or "").split(",") if s.strip()]
    given, named = (f"--alternatives {spec!r}", "--alternatives") if where is None else (where, where)
    what_ifs = [w for w in (what_ifs or []) if w.strip()]
    if len(items) + len(what_ifs) + (0 if items else 1 if what_ifs else 0) < 2:
        raise ScenarioError(f"{given}: name at least two alternatives, separated "
                            f"by commas, e.g. transactional,relationship (or add what-ifs with "
                            f'--alternative "no entrant: events[0].step=never")')
    if len(set(items)) != len(items):
        raise ScenarioError(f"{given}: each alternative may appear only once")
    market = scenario  # what-ifs change the market as the file writes it
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
            raise ScenarioError(f"{named}: {item!r}: no such strategy{suggest(item, known)}; "
                                f"known: {', '.join(known)}; or give a scenario file (.toml)")
        alt = dataclasses.replace(scenario, suppliers=[
            dataclasses.replace(s, strategy=item, overrides={}) if i in entries else s
            for i, s in enumerate(scenario.suppliers)])
        alternatives.append(Alternative(item, alt, "preset" if item in PRESETS and item not in
                                        scenario.strategies else "scenario strategy"))
    if not items:  # what-ifs alone: the market as the scenario has it is the baseline
        alternatives.append(Alternative("as is", market, "the scenario as written"))
    alternatives += [what_if_alternative(market, text) for text in what_ifs]
    names = [a.name for a in alternatives]
    if len(set(names)) != len(names):
        raise ScenarioError(f"{given}: two alternatives share the name "
                            f"{[n for n in names if names.count(n) > 1][0]!r}")
    return alternatives, focal_supplier_names(scenario, entries)


def check_objective(objective: str) -> str:
    """The KPI alternatives are ranked on; a ScenarioError names the known ones."""
    if objective not in KPIS:
        raise ScenarioError(f"--objective {objective!r}: no such outcome{suggest(objective, list(KPIS))}; "
                            f"known: {', '.join(KPIS)}")
    return objective


# --------------------------------------------------------------------------- metrics


def replicate_metrics(results: RunResults, focal: list[str]) -> pd.DataFrame:
    """One row per replicate: the focal suppliers' outcomes added together (the registry's
    KPIs, :func:`sim.observe.kpis.replicate_outcomes`)."""
    sup = results.suppliers
    names = set(sup["supplier"].astype(str))
    if not names & set(focal):  # a scenario-file alternative without the focal names: its whole market
        focal = sorted(names)
    out = replicate_outcomes(sup, focal, results.scenario.market.discount_rate,
                             relationships=results.relationships)
    out["replicate"] = out["replicate"].astype(int)
    return out.drop(columns=["suppliers"])


def summarise(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per alternative and KPI: mean and 95% t interval across replicates."""
    return long_summary(metrics, "alternative")


#: What the verdicts' percentages' intervals are, said once beneath them.
RELATIVE_INTERVAL_NOTE = ("a percentage's 95% interval counts the uncertainty of the baseline's own value, "
                          "so it is not symmetric; a baseline too uncertain for one is compared in money")

#: Beyond this many times the baseline's own value a money difference is said in money, not as
#: a percentage of the baseline (see :func:`verdict`).
RELATIVE_LIMIT = 3.0


def verdict(metric: str, base: str, other: str, mean_base: float, diff: float, half: float,
            n: int, unit: str = DEFAULT_UNIT,
            relative_bounds: tuple[float, float] | None = None) -> tuple[str, bool, float, tuple[float, float]]:
    """A plain sentence on the difference, whether it is clear (the 95% interval excludes
    zero), the relative difference (NaN where not meaningful) and its 95% interval
    ``relative_bounds`` as handed in (:func:`sim.stats.intervals.relative_difference_interval`,
    which counts the baseline's own uncertainty; (NaN, NaN) when it is not known).

    The sentence never contradicts the badge: a difference that is exactly nothing in every
    replicate is neither "clear" nor "could be chance" but "the same". A money difference is
    said as a percentage of the baseline only where that percentage has a bounded interval;
    otherwise in money."""
    k = KPIS[metric]
    label = k.title(unit)[0].lower() + k.title(unit)[1:]
    clear = bool(np.isfinite(half) and abs(diff) > half)
    relative = intervals.relative(diff, mean_base) if k.kind == "money" else math.nan
    bounds = tuple(relative_bounds) if relative_bounds is not None and k.kind == "money" else (math.nan, math.nan)
    if not np.isfinite(diff):
        return f"{label}: no data to compare {other} with {base}.", False, relative, bounds
    if diff == 0 and not (np.isfinite(half) and half > 0):
        if mean_base == 0:  # nothing on either side: "the same 0%" reads oddly
            return (f"neither {other} nor {base} has any {label} in any of the {n} replicates.",
                    False, relative, bounds)
        return (f"{other} and {base} have the same {label} in every one of the {n} replicates.",
                False, relative, bounds)
    more = "more" if diff > 0 else ("fewer" if k.kind == "count" else "less")
    verb = "earns" if metric in ("cumulative_profit", "npv_profit") else "has"
    if not np.isfinite(half):  # one replicate: a difference, but no interval around it
        size = (numbers.percent(abs(relative)) if k.kind == "money" and np.isfinite(relative)
                else numbers.spread(abs(diff), k.kind, numbers.decimals_for(diff, k.kind)))
        return (f"{other} {verb} {size} {more} {label} than {base} in the one replicate run; a "
                f"confidence interval needs at least 2 replicates.", False, relative, bounds)
    # a percentage of a base near zero or below it reads as a wonder ("+5,280%") or means
    # nothing: beyond RELATIVE_LIMIT times the base, or on a base of no profit, say the money;
    # and a base too uncertain to bound the percentage is no base for one either
    small_base = k.kind == "money" and (mean_base <= 0 or (np.isfinite(relative) and abs(relative) > RELATIVE_LIMIT))
    bounded = all(np.isfinite(bounds))
    as_percent = k.kind == "money" and np.isfinite(relative) and not small_base and bounded
    if as_percent:
        size = numbers.percent(abs(relative))
    else:
        places = numbers.decimals_for(diff, k.kind)
        size = numbers.spread(diff, k.kind, places)
        if np.isfinite(half):
            size += f" ± {numbers.spread(half, k.kind, places)}"
    sentence = f"{other} {verb} {size} {more} {label} than {base}"
    if as_percent:
        # (the interval counts the uncertainty of the baseline's own value: said once under the
        # verdicts, RELATIVE_INTERVAL_NOTE)
        sentence += (f" (95% interval {numbers.percent(bounds[0], signed=True)} to "
                     f"{numbers.percent(bounds[1], signed=True)})")
    elif small_base:
        multiple = (mean_base + diff) / mean_base if mean_base > 0 else math.nan
        # a loss is no base for a percentage; a large multiple reads better as one (what the
        # alternative earns in all, against the baseline's: not the difference's multiple)
        sentence += (f" (whose {numbers.number(mean_base, k.kind)} is no base for a percentage)" if mean_base <= 0
                     else f" ({other}'s {numbers.number(mean_base + diff, k.kind)} is "
                          f"{numbers.number(multiple, 'count', 0 if multiple >= 10 else 1)} times "
                          f"{base}'s {numbers.number(mean_base, k.kind)})")
    elif k.kind == "money" and np.isfinite(relative) and relative_bounds is not None:
        sentence += (f" ({base}'s own {numbers.number(mean_base, k.kind)} is too uncertain at {n} replicates "
                     f"to say it as a percentage)")
    if clear:
        sentence += f"; the difference is clear at {n} replicates."
    else:
        sentence += (f"; at {n} replicates the two cannot be told apart (the 95% interval "
                     f"includes no difference).")
    return sentence, clear, relative, bounds


def difference_status(diff: float, half: float, clear: bool) -> str:
    """What the badge says, agreeing with the sentence: "clear", "unclear" (could be
    chance), "same" (no difference in any replicate) or "no data"."""
    if not np.isfinite(diff):
        return "no data"
    if diff == 0 and not (np.isfinite(half) and half > 0):
        return "same"
    return "clear" if clear else "unclear"


def _better(metric: str, diff: float, clear: bool) -> str:
    """"better", "worse" or "" (not clear, or a KPI with no better direction)."""
    k = KPIS[metric]
    if not clear or k.better == "neither":
        return ""
    return "better" if (diff > 0) == (k.better == "higher") else "worse"


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
            bounds = intervals.relative_difference_interval(b.to_numpy(), o.to_numpy(), paired)[1:3]
            known = b.to_numpy()[~np.isnan(b.to_numpy())]  # a metric may be undefined in every replicate
            base_mean = float(known.mean()) if len(known) else float("nan")
            sentence, clear, rel, (rel_low, rel_high) = verdict(metric, base_name, name, base_mean,
                                                                diff, half, n, relative_bounds=bounds)
            rows.append({"baseline": base_name, "alternative": name, "metric": metric,
                         "mean_difference": diff, "ci_low": diff - half, "ci_high": diff + half,
                         "relative_difference": rel, "relative_low": rel_low, "relative_high": rel_high,
                         "significant": clear, "status": difference_status(diff, half, clear),
                         "better": _better(metric, diff, clear), "sentence": sentence})
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


def load_comparison(path: str | Path) -> Comparison:
    """Read a folder written by ``relsim compare`` (or by :func:`compare` with ``out``): each
    alternative's results, the per-replicate metrics, and their summaries and differences
    worked out as compare works them out."""
    folder, manifest = read_results_manifest(path)
    if manifest.get("kind") != "compare":
        raise ScenarioError(f"{folder.manifest_path()}: not the manifest of a `relsim compare` folder; "
                            f"sim.load_results reads a `relsim run` folder")
    if manifest.get("status") != "complete" or not (folder.path / "metrics.parquet").exists():
        raise ScenarioError(f"{folder.path}: the comparison is not finished ({manifest.get('status')}); run the "
                            f"same `relsim compare` command again to finish it")
    results = {str(a["name"]): load_results(folder.path / a["folder"]) for a in manifest["alternatives"]}
    alternatives = [Alternative(str(a["name"]), results[str(a["name"])].scenario, str(a.get("source", "")))
                    for a in manifest["alternatives"]]
    metrics = pd.read_parquet(folder.path / "metrics.parquet")
    names = [a.name for a in alternatives]
    return Comparison(alternatives, list(manifest.get("focal_suppliers") or []), metrics, summarise(metrics),
                      differences(metrics, names, paired=bool(manifest.get("common_random_numbers"))),
                      results, manifest)


def folder_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "alternative"


def compare(scenario: Scenario, alternatives: str | list[Alternative] = "transactional,relationship",
            *, replicates: int | None = None, seed: int | None = None, focal: str | None = None,
            overrides: dict[str, Any] | None = None, out: str | Path | None = None,
            workers: int | None = None, overwrite: bool = False, common_random_numbers: bool = True,
            progress=None, executor: Executor | None = None, what_ifs: list[str] | None = None,
            objective: str = OBJECTIVE, focal_all: bool = False) -> Comparison:
    """Run every alternative with the same ``replicates`` seeds (common random numbers:
    the same buyers and the same luck, so differences come from the strategy; by default the
    scenario's ``market.replicates``, or :data:`~sim.experiment.run.COMPARE_REPLICATES` where
    that is 1, see :func:`~sim.experiment.run.replicates_and_why`) and compare
    the focal supplier's results. Only one supplier is varied: the focal entry's first copy,
    or every copy with ``focal_all``. ``executor``: any ``concurrent.futures``-style pool to run
    the replicates on (a Dask ``distributed.Client`` too); by default a local process pool.
    ``what_ifs`` adds named what-ifs of the market (``"no entrant: events[0].step=never"``);
    ``objective`` is the KPI the report ranks on."""
    check_objective(objective)
    if overrides:
        scenario = scenario.with_overrides(overrides)
    if isinstance(alternatives, str) or alternatives is None:
        alts, focal_names = resolve_alternatives(scenario, alternatives, focal, overrides, what_ifs, focal_all)
    else:
        entries = focal_entries(scenario, focal)
        if not focal_all:
            scenario, entries = split_focal_copy(scenario, entries)
        alts, focal_names = alternatives, focal_supplier_names(scenario, entries)
    root = scenario.market.seed if seed is None else seed
    replicates, replicates_from = replicates_and_why(scenario, replicates, comparison=True)
    out_path = Path(out) if out is not None else None
    manifest = {
        "kind": "compare", "scenario_name": scenario.market.name, "scenario_source": scenario.source,
        "alternatives": [{"name": a.name, "source": a.source, "folder": f"alternatives/{folder_name(a.name)}",
                          "scenario_sha256": scenario_digest(a.scenario)} for a in alts],
        "focal_suppliers": focal_names, "replicates": replicates, "replicates_from": replicates_from,
        "root_seed": root,
        "common_random_numbers": common_random_numbers, "overrides": overrides or {},
        "objective": objective, "discount_rate": scenario.market.discount_rate,
        "versions": package_versions(), "status": "running", "wall_time_s": None,
    }
    # a comparison that cannot fit is refused before its folder is made or touched (its first
    # run would refuse it anyway, after leaving a manifest that blocks the next command there)
    from sim.experiment.capacity import check_fits

    for alt in alts:
        check_fits(alt.scenario.with_overrides({"market.replicates": replicates}, "arguments").named(
            alt.scenario.source), min(workers or os.cpu_count() or 1, replicates))
    if out_path is None:
        return _compare(alts, focal_names, manifest, None, replicates, root, workers,
                        common_random_numbers, progress, overwrite, executor)
    folder = ResultsFolder(out_path)
    lock = folder.open_for_writing("relsim compare")
    try:
        _prepare_compare_folder(folder, manifest, overwrite, alts)
        return _compare(alts, focal_names, manifest, folder, replicates, root, workers,
                        common_random_numbers, progress, overwrite, executor)
    finally:
        lock.release()


def _compare(alts: list[Alternative], focal_names: list[str], manifest: dict[str, Any],
             folder: ResultsFolder | None, replicates: int, root: int, workers: int | None,
             common_random_numbers: bool, progress, overwrite: bool,
             executor: Executor | None = None) -> Comparison:
    started = time.perf_counter()
    results: dict[str, RunResults] = {}
    total = replicates * len(alts)
    workers = workers or os.cpu_count() or 1
    if executor is None:
        workers = local_workers(workers, "compare()")
    pool = executor or (process_pool(workers) if workers > 1 else None)
    try:
        for k, alt in enumerate(alts):
            alt_seed = root if common_random_numbers else root + 7919 * (k + 1)
            results[alt.name] = run(
                alt.scenario, seed=alt_seed, replicates=replicates, replicates_from=manifest.get("replicates_from"),
                out=None if folder is None else folder.path / ALTERNATIVES / folder_name(alt.name),
                executor=pool, workers=workers, overwrite=overwrite,
                progress=None if progress is None else ProgressOffset(progress, k * replicates, total))
    except BaseException:
        if folder is not None:
            manifest["status"] = "interrupted"
            manifest["wall_time_s"] = round(time.perf_counter() - started, 3)
            folder.write_manifest(manifest)
        raise
    finally:
        if pool is not None and executor is None:
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
    manifest["reused_replicates"] = sum(r.manifest.get("reused_replicates", 0) for r in results.values())
    # the simulations' own time, however many commands it took to finish them
    manifest["compute_time_s"] = round(sum(
        sum(float(v) for v in (r.manifest.get("replicate_wall_time_s") or {}).values()) for r in results.values()), 3)
    comparison = Comparison(alts, focal_names, metrics, summary, diffs, results, manifest)
    if folder is not None:
        atomic_write_parquet(metrics, folder.path / "metrics.parquet")
        atomic_write_text(folder.path / "summary.csv", summary.to_csv(index=False))
        atomic_write_text(folder.path / "differences.csv", diffs.to_csv(index=False))
        folder.write_manifest(manifest)
    return comparison


def _prepare_compare_folder(folder: ResultsFolder, manifest: dict[str, Any], overwrite: bool,
                            alts: list[Alternative]) -> None:
    """Under the folder's lock: refuse what cannot be reused (saying what differs), remove our
    own files on --overwrite, and write the new manifest (status running)."""
    previous = folder.read_manifest()
    if previous is not None:
        folder.require_kind(previous, "compare")
    if overwrite:
        folder.remove_own_files()
    elif previous is not None:
        differ = []
        old_names = [a.get("name") for a in previous.get("alternatives", [])]
        new_names = [a["name"] for a in manifest["alternatives"]]
        if old_names != new_names:
            differ.append(f"alternatives: {','.join(map(str, old_names))} here, {','.join(new_names)} now")
        else:
            for old, new in zip(previous["alternatives"], manifest["alternatives"]):
                after = next(a.scenario for a in alts if a.name == new["name"])
                # the rule run folders follow (an older relsim's whole-scenario digest included)
                if not digest_matches(old.get("scenario_sha256"), after):
                    before = ResultsFolder(folder.path / old.get("folder", "")).read_manifest() or {}
                    old_scenario = before.get("scenario") if isinstance(before.get("scenario"), dict) else {}
                    lines = what_differs(results_depend_on(old_scenario), results_depend_on(after.to_dict()))
                    differ.append(f"alternative {new['name']}: " + ("; ".join(lines) or "its scenario"))
        for key, label in (("root_seed", "root seed"), ("common_random_numbers", "common random numbers"),
                           ("focal_suppliers", "focal suppliers")):
            if previous.get(key) != manifest[key]:
                differ.append(f"{label}: {json.dumps(previous.get(key))} here, {json.dumps(manifest[key])} now")
        if differ:
            raise ScenarioError(f"{folder.path}: holds results of a different comparison, which cannot be "
                                f"reused or extended ({'; '.join(differ)}); choose another --out, or "
                                f"pass --overwrite to replace them")
        stored = previous.get("replicates") or 0
        if isinstance(stored, int) and stored > manifest["replicates"]:
            raise ScenarioError(f"{folder.path}: holds {stored} replicates per alternative; "
                                f"--replicates {manifest['replicates']} would leave results the "
                                f"comparison does not describe. Ask for --replicates {stored} or more "
                                f"to reuse them (more extends the comparison), pass --overwrite to "
                                f"start again, or choose another --out")
    folder.write_manifest(manifest)


__all__ = ["compare", "load_comparison", "Comparison", "Alternative", "METRICS", "resolve_alternatives",
           "Strategy"]
