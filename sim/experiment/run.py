"""Running a scenario: replicates with seeds spawned from one root, in parallel across the
cores, each written to the results folder as soon as it finishes so an interrupted run
loses nothing and can be resumed."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import Scenario, ScenarioError
from sim.experiment.executors import process_pool, stop_now
from sim.experiment.guard import completed, local_workers
from sim.experiment.store import CORE_TABLES, TABLES, ResultsFolder, fewer_replicates, what_differs
from sim.observe.summary import summarise_by_strategy

__all__ = ["TABLES", "CORE_TABLES", "COMPARE_REPLICATES", "ResultsFolder", "RunResults", "load_results",
           "replicate_seeds", "read_results_manifest", "replicates_and_why", "results_depend_on",
           "digest_matches", "run", "run_replicate", "scenario_digest"]

#: replicates per alternative of a comparison whose scenario leaves ``market.replicates`` at 1:
#: a comparison is its confidence intervals, and one replicate gives none
COMPARE_REPLICATES = 20


def replicates_and_why(scenario: Scenario, asked: int | None = None, comparison: bool = False) -> tuple[int, str]:
    """How many replicates a run (or each alternative of a comparison) gets, and why, in the
    words the output and the manifest use. The command line's ``--replicates`` decides; else
    the scenario's ``market.replicates`` (its author's choice); a comparison of a scenario
    that leaves it at 1 runs :data:`COMPARE_REPLICATES` instead, and says so."""
    if asked is not None:
        return asked, "--replicates"
    count = scenario.market.replicates
    if comparison and count < 2:
        return COMPARE_REPLICATES, (f"compare's default: market.replicates = {count} gives no confidence "
                                    f"interval")
    return count, "market.replicates"


def replicate_seeds(root: int, replicates: int) -> list[np.random.SeedSequence]:
    """Independent streams for the replicates: ``SeedSequence(root).spawn(n)``. Replicate r's
    stream is ``SeedSequence(root, spawn_key=(r,))`` whatever n is, so a run can be extended
    or resumed without changing earlier replicates."""
    return [np.random.SeedSequence(root, spawn_key=(r,)) for r in range(replicates)]


def run_replicate(scenario: Scenario, replicate: int, seed: np.random.SeedSequence,
                  progress: Callable[[int, int], None] | None = None) -> dict[str, pd.DataFrame]:
    """Run one replicate; returns its tables, each with a ``replicate`` column."""
    from sim.observe.market import ObservedMarket

    started = time.perf_counter()
    market = ObservedMarket(scenario, seed)  # headless: no Mesa model, no agents
    market.run(progress=progress)
    frames = market.frames()
    for df in frames.values():
        df.insert(0, "replicate", np.int32(replicate))
    frames["_wall_time_s"] = time.perf_counter() - started  # type: ignore[assignment]
    return frames


def _run_replicate_job(args: tuple) -> tuple[int, dict]:
    scenario, replicate, seed = args
    return replicate, run_replicate(scenario, replicate, seed)


@dataclass
class RunResults:
    """What a run produced: the scenario, the seeds and the tables (all replicates).
    ``segments`` is the supplier series split by the buyers' segments (empty for results
    written before relsim recorded it)."""

    scenario: Scenario
    market: pd.DataFrame
    suppliers: pd.DataFrame
    events: pd.DataFrame
    relationships: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)
    segments: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> pd.DataFrame:
        """The outcomes (sim.observe.kpis) by strategy: mean and 95% half-width."""
        return summarise_by_strategy(self.suppliers, self.scenario.market.discount_rate, self.relationships)


def results_depend_on(resolved: dict[str, Any]) -> dict[str, Any]:
    """What a replicate's results depend on, of a resolved scenario (:meth:`Scenario.to_dict`,
    as a manifest keeps it): all of it but the number of replicates (a finished run can be
    extended with more), the [strategies] no supplier uses and each strategy's description.
    No phase can give a supplier a strategy it does not start with (imitation copies a rival
    supplier's arrays; an entrant is one of the [[suppliers]], with its own strategy), so
    defining one more strategy changes no result; nor do a description's words."""
    out = {**resolved}
    if isinstance(out.get("market"), dict):
        out["market"] = {k: v for k, v in out["market"].items() if k != "replicates"}
    suppliers = out.get("suppliers") if isinstance(out.get("suppliers"), list) else []
    used = {s.get("strategy") for s in suppliers if isinstance(s, dict)}
    if isinstance(out.get("strategies"), dict):
        out["strategies"] = {name: ({k: v for k, v in body.items() if k != "description"}
                                    if isinstance(body, dict) else body)
                             for name, body in out["strategies"].items() if name in used}
    return out


def scenario_digest(scenario: Scenario) -> str:
    """Fingerprint of what a replicate's results depend on (:func:`results_depend_on`): the
    scenario and root seed, but not the number of replicates, so a finished run can be
    extended with more."""
    return _digest(results_depend_on(scenario.to_dict()))


def _digest(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def digest_matches(stored: str | None, scenario: Scenario) -> bool:
    """Whether a folder's recorded fingerprint ``stored`` is ``scenario``'s: today's
    (:func:`scenario_digest`), or the whole scenario's that relsim recorded before the
    fingerprint left out unused strategies and descriptions (those replicates are as good to
    reuse). Run folders and each alternative of a comparison are matched by this one rule."""
    whole = scenario.to_dict()
    whole["market"].pop("replicates", None)
    return stored in (scenario_digest(scenario), _digest(whole))


def package_versions() -> dict[str, str]:
    """The versions a manifest records. Mesa's is read from its installed metadata: a headless
    run never imports Mesa, and importing it only to read its version took over a second of
    every command (its logging module walks the call stack's source at import)."""
    from importlib.metadata import version

    from sim import __version__

    return {"relsim": __version__, "mesa": version("mesa"), "numpy": np.__version__,
            "pandas": pd.__version__, "python": platform.python_version()}


def read_results_manifest(path: str | Path) -> tuple[ResultsFolder, dict[str, Any]]:
    """The results folder at ``path`` and its manifest, for a reader (:func:`load_results`,
    :func:`~sim.experiment.compare.load_comparison`); a clear error when there is none."""
    folder = ResultsFolder(path)
    if not folder.path.is_dir():
        raise ScenarioError(f"{folder.path}: no such results folder")
    manifest = folder.read_manifest()
    if manifest is None:
        raise ScenarioError(f"{folder.path}: not a results folder (no manifest.json)")
    return folder, manifest


def load_results(path: str | Path) -> RunResults:
    """Read a results folder written by ``relsim run`` (or by :func:`run`)."""
    from sim.config import scenario_from_dict

    folder, manifest = read_results_manifest(path)
    if "scenario" not in manifest:
        raise ScenarioError(f"{folder.manifest_path()}: not the manifest of a `relsim run` results "
                            f"folder (it has no scenario; "
                            + ("it is a `relsim compare` folder: read it with sim.load_comparison(PATH)"
                               if manifest.get("kind") == "compare" else "a `relsim compare` folder?") + ")")
    scenario = scenario_from_dict(manifest["scenario"], f"{folder.path}/manifest.json")
    return RunResults(scenario, manifest=manifest, **{t: folder.read_table(t) for t in TABLES})


def run(scenario: Scenario, *, seed: int | None = None, replicates: int | None = None,
        out: str | Path | None = None, workers: int | None = None, overwrite: bool = False,
        progress: Callable[[int, int], None] | None = None,
        executor: Executor | None = None, replicates_from: str | None = None) -> RunResults:
    """Run ``scenario`` (``market.replicates`` replicates from root seed ``market.seed``
    unless given) and return its tables. With ``out``, also write the results folder (see
    :mod:`sim.experiment.store`): finished replicates of the same scenario there are reused, so
    an interrupted run resumes and more replicates extend a finished one; a different scenario,
    or fewer replicates than the folder holds, is refused with what differs.
    ``replicates_from`` says why this many (the manifest keeps it, the summary prints it); by
    default :func:`replicates_and_why`'s reason."""
    why = replicates_from or replicates_and_why(scenario, replicates)[1]
    if seed is not None or replicates is not None:
        overrides = {}
        if seed is not None:
            overrides["market.seed"] = seed
        if replicates is not None:
            overrides["market.replicates"] = replicates
        # how many replicates and from which seed is how it is run, not what the scenario is:
        # an error in them names them, but later messages name the scenario as it came
        scenario = scenario.with_overrides(overrides, "arguments").named(scenario.source)
    count = scenario.market.replicates
    from sim.experiment.capacity import check_fits

    check_fits(scenario, min(workers or os.cpu_count() or 1, count))
    if out is None:
        return _run(scenario, None, set(), {}, workers, progress, executor, why)
    folder = ResultsFolder(out)
    lock = folder.open_for_writing("relsim run")
    try:
        reused, times = _prepare_folder(folder, scenario, overwrite)
        return _run(scenario, folder, reused, times, workers, progress, executor, why)
    finally:
        lock.release()


def _prepare_folder(folder: ResultsFolder, scenario: Scenario, overwrite: bool) -> tuple[set[int], dict]:
    """The finished replicates of this scenario already in ``folder`` (and their timings), after
    refusing what cannot be reused. Runs under the folder's lock."""
    previous = folder.read_manifest()
    if previous is not None:
        folder.require_kind(previous, "run")
    if overwrite:
        folder.remove_own_files()
        return set(), {}
    stored = folder.completed()
    if previous is None:
        if stored:
            raise ScenarioError(f"{folder.path}: holds replicate files but no manifest.json saying what "
                                f"they are; pass --overwrite to replace them, or choose another --out")
        return set(), {}
    if "scenario" not in previous:
        raise ScenarioError(f"{folder.path}: its manifest.json does not say which scenario ran; choose "
                            f"another --out, or pass --overwrite to replace its results")
    if not digest_matches(previous.get("scenario_sha256"), scenario):
        old = previous.get("scenario") if isinstance(previous.get("scenario"), dict) else {}
        new = scenario.to_dict()
        what = (what_differs(results_depend_on(old), results_depend_on(new))
                or ["the program version that wrote it"])
        raise ScenarioError(f"{folder.path}: holds results of a different scenario, which cannot be "
                            f"reused or extended ({'; '.join(what)}); choose another --out, or pass "
                            f"--overwrite to replace them")
    count = scenario.market.replicates
    if stored and max(stored) >= count:
        raise fewer_replicates(folder.path, f"{len(stored)} finished replicates of this scenario",
                               max(stored) + 1, count, f"--replicates {count}", "run")
    earlier = previous.get("replicate_wall_time_s") or {}
    times = {k: v for k, v in earlier.items() if isinstance(k, str) and k.isdigit() and int(k) in stored}
    return stored, times


def _run(scenario: Scenario, folder: ResultsFolder | None, reused: set[int], times: dict,
         workers: int | None, progress, executor: Executor | None, replicates_from: str) -> RunResults:
    root, count = scenario.market.seed, scenario.market.replicates
    seeds = replicate_seeds(root, count)
    results: dict[int, dict] = {}
    if folder is not None:
        for r in sorted(reused):
            results[r] = folder.read_replicate(r)
    manifest = {
        "status": "running", "scenario_source": scenario.source, "scenario_sha256": scenario_digest(scenario),
        "root_seed": root, "replicates": count, "replicates_from": replicates_from,
        "replicate_seeds": [{"replicate": r, "entropy": root, "spawn_key": [r]} for r in range(count)],
        "steps": scenario.market.steps, "versions": package_versions(),
        "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "wall_time_s": None,
        "reused_replicates": len(results), "replicate_wall_time_s": dict(times),
        "completed_replicates": sorted(results), "scenario": scenario.to_dict(),
    }
    started = time.perf_counter()
    if folder is not None:
        folder.write_manifest(manifest)
    todo = [r for r in range(count) if r not in results]
    finished = len(results)
    if progress is not None and finished:
        # the time left is estimated from the replicates this session computes (in steps when
        # a single replicate is left to run: it reports its steps)
        unit = scenario.market.steps if executor is None and len(todo) == 1 else 1
        getattr(progress, "reused", lambda n: None)(finished * unit)
        progress(finished * unit, count * unit)

    def collect(replicate: int, frames: dict) -> None:
        nonlocal finished
        manifest["replicate_wall_time_s"][str(replicate)] = round(frames.pop("_wall_time_s"), 3)
        results[replicate] = frames
        finished += 1
        if folder is not None:
            folder.write_replicate(replicate, frames)  # the tables, then the manifest
            manifest["completed_replicates"] = sorted(results)
            folder.write_manifest(manifest)
        if progress is not None:
            progress(finished, count)

    try:
        workers = min(workers or os.cpu_count() or 1, len(todo)) if todo else 1
        if executor is None:
            workers = local_workers(workers, "sim.run()")
        if executor is None and (workers <= 1 or len(todo) <= 1):
            for r in todo:
                step_progress = None
                if progress is not None and len(todo) == 1:
                    def step_progress(k, n, r=r):  # a single long replicate reports its steps
                        progress(finished * n + k, count * n)
                collect(r, run_replicate(scenario, r, seeds[r], step_progress))
        else:
            own = executor is None
            pool = executor or process_pool(workers)
            try:
                futures = [pool.submit(_run_replicate_job, (scenario, r, seeds[r])) for r in todo]
                for future in completed(futures):
                    collect(*future.result())
            finally:
                if own:
                    stop_now(pool)
    except BaseException as exc:
        manifest["status"] = "interrupted"
        if isinstance(exc, ScenarioError):
            manifest["stopped_by"] = exc.messages
        manifest["wall_time_s"] = round(time.perf_counter() - started, 3)
        if folder is not None:
            # Ctrl-C may land between two tables of a replicate: keep only whole ones
            folder.discard(folder.partial())
            manifest["completed_replicates"] = sorted(folder.completed())
            folder.write_manifest(manifest)
        raise
    ordered = [results[r] for r in range(count)]
    # a reused replicate written before a later table existed has none of it
    tables = {t: pd.concat([f[t] for f in ordered if t in CORE_TABLES or not f[t].empty] or [pd.DataFrame()],
                           ignore_index=True) for t in TABLES}
    _restore_categories(tables)
    manifest["status"] = "complete"
    manifest["wall_time_s"] = round(time.perf_counter() - started, 3)
    out_results = RunResults(scenario, **tables, manifest=manifest)
    if folder is not None:
        from sim.experiment.files import atomic_write_text

        atomic_write_text(folder.path / "summary.csv", out_results.summary().to_csv(index=False))
        folder.write_manifest(manifest)
    return out_results


def _restore_categories(tables: dict[str, pd.DataFrame]) -> None:
    """pd.concat turns categoricals with identical categories back into categoricals, but
    replicate files read back from disk may differ; make text columns categorical again."""
    for df in tables.values():
        for col in df.columns:
            if df[col].dtype == object:
                df[col] = df[col].astype("category")
