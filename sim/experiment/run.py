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
from sim.observe.summary import summarise_by_strategy

TABLES = ("market", "suppliers", "events", "relationships")


def replicate_seeds(root: int, replicates: int) -> list[np.random.SeedSequence]:
    """Independent streams for the replicates: ``SeedSequence(root).spawn(n)``. Replicate r's
    stream is ``SeedSequence(root, spawn_key=(r,))`` whatever n is, so a run can be extended
    or resumed without changing earlier replicates."""
    return [np.random.SeedSequence(root, spawn_key=(r,)) for r in range(replicates)]


def run_replicate(scenario: Scenario, replicate: int, seed: np.random.SeedSequence,
                  progress: Callable[[int, int], None] | None = None) -> dict[str, pd.DataFrame]:
    """Run one replicate; returns its four tables, each with a ``replicate`` column."""
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
    """What a run produced: the scenario, the seeds and the four tables (all replicates)."""

    scenario: Scenario
    market: pd.DataFrame
    suppliers: pd.DataFrame
    events: pd.DataFrame
    relationships: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """The outcomes (sim.observe.kpis) by strategy: mean and 95% half-width."""
        return summarise_by_strategy(self.suppliers, self.scenario.market.discount_rate, self.relationships)


def scenario_digest(scenario: Scenario) -> str:
    """Fingerprint of what a replicate's results depend on: the scenario and root seed, but
    not the number of replicates, so a finished run can be extended with more."""
    resolved = scenario.to_dict()
    resolved["market"].pop("replicates", None)
    text = json.dumps(resolved, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def package_versions() -> dict[str, str]:
    import mesa

    from sim import __version__

    return {"relsim": __version__, "mesa": mesa.__version__, "numpy": np.__version__,
            "pandas": pd.__version__, "python": platform.python_version()}


class ResultsFolder:
    """A results folder: ``manifest.json`` plus one Parquet dataset per table, written one
    replicate file at a time (``market.parquet/rep-00003.parquet``), so that
    ``pandas.read_parquet(folder / "market.parquet")`` reads every finished replicate."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    def read_manifest(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.manifest_path().read_text())
        except FileNotFoundError:
            return None
        except (json.JSONDecodeError, OSError) as exc:
            raise ScenarioError(f"{self.manifest_path()}: unreadable manifest: {exc}") from None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        tmp = self.manifest_path().with_suffix(".json.tmp")
        tmp.write_text(json.dumps(manifest, indent=2, default=str))
        os.replace(tmp, self.manifest_path())

    def replicate_file(self, table: str, replicate: int) -> Path:
        return self.path / f"{table}.parquet" / f"rep-{replicate:05d}.parquet"

    def completed(self) -> set[int]:
        done = None
        for table in TABLES:
            folder = self.path / f"{table}.parquet"
            reps = {int(p.stem[4:]) for p in folder.glob("rep-*.parquet")} if folder.exists() else set()
            done = reps if done is None else done & reps
        return done or set()

    def write_replicate(self, replicate: int, frames: dict[str, pd.DataFrame]) -> None:
        for table in TABLES:
            target = self.replicate_file(table, replicate)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            frames[table].to_parquet(tmp, index=False)
            os.replace(tmp, target)  # a replicate file is either whole or absent

    def read_table(self, table: str) -> pd.DataFrame:
        folder = self.path / f"{table}.parquet"
        files = sorted(folder.glob("rep-*.parquet"))
        if not files:
            raise ScenarioError(f"{folder}: no results here (expected {table}.parquet/rep-*.parquet)")
        return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def load_results(path: str | Path) -> RunResults:
    """Read a results folder written by ``relsim run`` (or by :func:`run`)."""
    from sim.config import scenario_from_dict

    folder = ResultsFolder(path)
    if not folder.path.is_dir():
        raise ScenarioError(f"{folder.path}: no such results folder")
    manifest = folder.read_manifest()
    if manifest is None:
        raise ScenarioError(f"{folder.path}: not a results folder (no manifest.json)")
    if "scenario" not in manifest:
        raise ScenarioError(f"{folder.manifest_path()}: not the manifest of a `relsim run` results "
                            f"folder (it has no scenario; a `relsim compare` folder?)")
    scenario = scenario_from_dict(manifest["scenario"], f"{folder.path}/manifest.json")
    return RunResults(scenario, *(folder.read_table(t) for t in TABLES), manifest=manifest)


def run(scenario: Scenario, *, seed: int | None = None, replicates: int | None = None,
        out: str | Path | None = None, workers: int | None = None, overwrite: bool = False,
        progress: Callable[[int, int], None] | None = None,
        executor: Executor | None = None) -> RunResults:
    """Run ``scenario`` (``market.replicates`` replicates from root seed ``market.seed``
    unless given) and return its tables; with ``out``, also write the results folder,
    resuming a previous interrupted run of the same scenario in that folder."""
    if seed is not None or replicates is not None:
        overrides = {}
        if seed is not None:
            overrides["market.seed"] = seed
        if replicates is not None:
            overrides["market.replicates"] = replicates
        scenario = scenario.with_overrides(overrides, "arguments")
    root, count = scenario.market.seed, scenario.market.replicates
    seeds = replicate_seeds(root, count)
    digest = scenario_digest(scenario)
    folder = ResultsFolder(out) if out is not None else None
    results: dict[int, dict] = {}
    done: set[int] = set()
    replicate_times: dict[str, float] = {}
    if folder is not None:
        done = _prepare_folder(folder, digest, overwrite)
        for r in sorted(done):
            if r < count:
                results[r] = {t: pd.read_parquet(folder.replicate_file(t, r)) for t in TABLES}
        # a resumed run keeps the timings of the replicates it reads back
        earlier = (folder.read_manifest() or {}).get("replicate_wall_time_s") or {}
        replicate_times = {k: v for k, v in earlier.items() if k.isdigit() and int(k) in results}
    manifest = {
        "status": "running", "scenario_source": scenario.source, "scenario_sha256": digest,
        "root_seed": root, "replicates": count,
        "replicate_seeds": [{"replicate": r, "entropy": root, "spawn_key": [r]} for r in range(count)],
        "steps": scenario.market.steps, "versions": package_versions(),
        "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "wall_time_s": None,
        "replicate_wall_time_s": replicate_times, "completed_replicates": sorted(done),
        "scenario": scenario.to_dict(),
    }
    started = time.perf_counter()
    if folder is not None:
        folder.write_manifest(manifest)
    todo = [r for r in range(count) if r not in results]
    finished = len(results)

    def collect(replicate: int, frames: dict) -> None:
        nonlocal finished
        manifest["replicate_wall_time_s"][str(replicate)] = round(frames.pop("_wall_time_s"), 3)
        results[replicate] = frames
        finished += 1
        if folder is not None:
            folder.write_replicate(replicate, frames)
            manifest["completed_replicates"] = sorted(results)
            folder.write_manifest(manifest)
        if progress is not None:
            progress(finished, count)

    try:
        workers = min(workers or os.cpu_count() or 1, len(todo)) if todo else 1
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
                from concurrent.futures import as_completed
                for future in as_completed(futures):
                    collect(*future.result())
            finally:
                if own:
                    stop_now(pool)
    except BaseException:
        manifest["status"] = "interrupted"
        manifest["wall_time_s"] = round(time.perf_counter() - started, 3)
        if folder is not None:
            folder.write_manifest(manifest)
        raise
    manifest["status"] = "complete"
    manifest["wall_time_s"] = round(time.perf_counter() - started, 3)
    ordered = [results[r] for r in range(count)]
    tables = {t: pd.concat([f[t] for f in ordered], ignore_index=True) for t in TABLES}
    _restore_categories(tables)
    out_results = RunResults(scenario, **tables, manifest=manifest)
    if folder is not None:
        folder.write_manifest(manifest)
        out_results.summary().to_csv(folder.path / "summary.csv", index=False)
    return out_results


def _restore_categories(tables: dict[str, pd.DataFrame]) -> None:
    """pd.concat turns categoricals with identical categories back into categoricals, but
    replicate files read back from disk may differ; make text columns categorical again."""
    for df in tables.values():
        for col in df.columns:
            if df[col].dtype == object:
                df[col] = df[col].astype("category")


def _prepare_folder(folder: ResultsFolder, digest: str, overwrite: bool) -> set[int]:
    if folder.path.exists() and not folder.path.is_dir():
        raise ScenarioError(f"{folder.path}: exists and is not a folder; choose another --out")
    try:
        folder.path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScenarioError(f"{folder.path}: cannot create the results folder ({exc.strerror}); "
                            f"choose another --out") from None
    manifest = folder.read_manifest()
    if manifest is None:
        if any(folder.path.iterdir()) and not overwrite:
            raise ScenarioError(f"{folder.path}: folder is not empty and holds no results "
                                f"manifest; choose an empty or new --out (or pass --overwrite)")
        return set()
    if overwrite:
        import shutil
        for table in TABLES:
            shutil.rmtree(folder.path / f"{table}.parquet", ignore_errors=True)
        return set()
    if manifest.get("scenario_sha256") != digest:
        raise ScenarioError(f"{folder.path}: holds results of a different scenario or seed; "
                            f"choose another --out, or pass --overwrite to replace them")
    return folder.completed()
