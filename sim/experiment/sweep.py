"""Running a sweep: every (point, replicate) of a design, on any executor with the
``concurrent.futures`` shape (a local process pool by default, a Dask ``distributed.Client``,
an MPI pool), written to a :class:`SweepStore` in batches as runs finish.

The coordinator holds only a bounded window of runs in flight and a small buffer of
finished rows, so its memory does not grow with the number of runs. A run whose model
raises is recorded with its error and the sweep goes on; a run whose worker is lost (a
killed process, a Dask worker gone) is submitted again."""

from __future__ import annotations

import itertools
import os
import platform
import queue
import socket
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import BrokenExecutor, Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config import Scenario, ScenarioError
from sim.config.schema import show, suggest
from sim.config.space import Keep, SeriesOutcome, SweepSpec, load_sweep
from sim.experiment.compare import (
    Alternative,
    focal_entries,
    focal_supplier_names,
    replicate_metrics,
    resolve_alternatives,
)
from sim.experiment.designs import design_points, point_overrides, point_values, run_seed
from sim.experiment.executors import process_pool, stop_now
from sim.experiment.guard import require_main_guard
from sim.experiment.run import RunResults, package_versions, run_replicate
from sim.experiment.sweep_store import SweepStore, runs_per_point
from sim.experiment.sweep_tables import advantage_by_point, point_means

#: times a run is submitted again after its worker was lost, before it is recorded as lost
RETRIES = 2
#: a batch of finished runs is written when it holds this many runs, or is this old
BATCH_RUNS = 200
BATCH_SECONDS = 2.0


def run_outcomes(results: RunResults, focal: list[str]) -> pd.DataFrame:
    """The summary outcomes of the focal suppliers, one row per replicate: the one place a
    sweep gets its outcomes from (today compare's metrics; the outcome registry's
    ``replicate_outcomes`` when it lands)."""
    return replicate_metrics(results, focal)


# --------------------------------------------------------------------------- one run (worker side)


@dataclass(frozen=True)
class SweepTask:
    """One (point, replicate): every alternative of the comparison, or the point's scenario."""

    scenario: Scenario
    fixed: dict[str, Any]
    point: str
    replicate: int
    seed: int
    #: the columns that say where the run is: its parameters and [derived] values
    values: dict[str, Any]
    alternatives: tuple[str, ...]
    focal: str | None
    keep: Keep
    #: the --set overrides that make the point's scenario (scenario keys, cases, derived)
    overrides: dict[str, Any] = field(default_factory=dict)
    outcomes: tuple[SeriesOutcome, ...] = ()


@dataclass
class TaskResult:
    rows: list[dict[str, Any]]
    tables: dict[str, list[pd.DataFrame]] = field(default_factory=dict)


def _alternative_name(item: str) -> str:
    return Path(item).stem if item.endswith(".toml") else item


_MEMORY_POLICY_SET = False


def keep_arrays_on_the_heap() -> None:
    """In a worker started with ``MALLOC_TRIM_THRESHOLD_`` set (Dask's nannies set 65536 unless
    told otherwise, :data:`DASK_WORKER_CONFIG`), glibc's adaptive mmap threshold is off: every
    array over 128 KiB is mapped and unmapped afresh, 37 times the page faults and +30% CPU on
    a 6,000-buyer run (benchmarks/RESULTS.md). Raise the thresholds to glibc's own adaptive
    ceiling (32 MiB mapped, 64 MiB trimmed), once per process; a no-op anywhere else (no such
    variable, or not glibc). A worker of any cluster, not only the one relsim starts, runs
    sweeps at full speed."""
    global _MEMORY_POLICY_SET
    if _MEMORY_POLICY_SET:
        return
    _MEMORY_POLICY_SET = True
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ or not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (musl): its allocator has no such switch
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's <malloc.h>
    libc.mallopt(m_mmap_threshold, 32 << 20)
    libc.mallopt(m_trim_threshold, 64 << 20)


def run_task(task: SweepTask) -> TaskResult:
    """Run one (point, replicate) and return its rows; a model error becomes a row with
    status "error" instead of an exception, so one bad point never stops a sweep."""
    keep_arrays_on_the_heap()
    key = {"point": task.point, "replicate": task.replicate, "seed": task.seed, **task.values}
    host = socket.gethostname()
    try:
        scenario = task.scenario.with_overrides(task.overrides, "sweep point") if task.overrides else task.scenario
        if task.alternatives:
            alts, focal = resolve_alternatives(scenario, ",".join(task.alternatives), task.focal,
                                               {**task.fixed, **task.overrides})
        else:
            alts = [Alternative("", scenario, "point")]
            focal = focal_supplier_names(scenario, focal_entries(scenario, task.focal))
    except Exception as exc:  # a point the scenario refuses: every alternative fails alike
        names = [_alternative_name(a) for a in task.alternatives] or [""]
        return TaskResult([_error_row(key, name, exc, host, task) for name in names])
    result = TaskResult([], {t: [] for t in _kept_tables(task.keep)})
    for alt in alts:
        started = time.perf_counter()
        try:
            frames = run_replicate(alt.scenario, task.replicate, task.seed)
            frames.pop("_wall_time_s", None)
            outcomes = run_outcomes(RunResults(alt.scenario, **frames), focal)
            row = {**key, **({"alternative": alt.name} if task.alternatives else {}), "status": "ok",
                   "error": None, **outcomes.drop(columns="replicate").iloc[0].to_dict(),
                   **series_outcomes(frames["market"], task.outcomes),
                   "wall_time_s": time.perf_counter() - started, "host": host}
            result.rows.append(row)
            for table in result.tables:
                result.tables[table].append(_kept_frame(frames[table], table, task, alt.name))
        except Exception as exc:
            result.rows.append(_error_row(key, alt.name, exc, host, task))
    return result


def series_outcomes(market: pd.DataFrame, outcomes: tuple[SeriesOutcome, ...]) -> dict[str, float]:
    """The sweep's [outcomes] of one run, read off its market series (in step order)."""
    if not outcomes:
        return {}
    market = market.sort_values("step")
    return {o.name: o.of(market[o.column].to_numpy(float)) for o in outcomes}


def check_outcomes(spec: SweepSpec) -> None:
    """Refuse [outcomes] naming a column the market series does not have, before anything runs."""
    from sim.observe.recorder import MARKET_COLUMNS

    columns = [c for c in MARKET_COLUMNS if c != "step"]
    problems = [f"{spec.source}: outcomes.{o.name}.column = {o.column!r}: not a column of the {o.series} "
                f"series{suggest(o.column, columns)}; columns: {', '.join(columns)}"
                for o in spec.outcomes if o.column not in columns]
    if problems:
        raise ScenarioError(problems)


def check_sweep(spec: SweepSpec) -> pd.DataFrame:
    """Everything a sweep checks before it runs, beyond what reading its file checked: its
    [compare] alternatives against the scenario, its [outcomes] columns, its design. Returns
    the design's points; raises :class:`ScenarioError` naming the file and the key."""
    if spec.alternatives:
        alternatives = list(spec.alternatives)
        resolve_alternatives(spec.scenario, ",".join(alternatives), spec.focal, spec.fixed,
                             where=f"{spec.source}: compare.alternatives = {show(alternatives)}")
    check_outcomes(spec)
    return design_points(spec)


def runs_text(distinct: int, rows: int, kind: str, replicates: int, alternatives: Sequence[str]) -> str:
    """A sweep's size as ``relsim validate`` and the sweep's own output say it, counting what
    is run: "9 point(s) x 2 replicate(s) x 2 alternatives = 36 runs (the 2 alternatives on the
    same seed)", the runs ``relsim analyze`` reads as 18 paired differences."""
    from sim.observe.numbers import number

    text = f"{points_text(distinct, rows, kind)} x {replicates} replicate(s)"
    if alternatives:
        text += f" x {len(alternatives)} alternatives"
    text += f" = {number(distinct * replicates * runs_per_point(alternatives))} runs"
    if alternatives:
        text += f" (the {len(alternatives)} alternatives on the same seed)"
    return text


def points_text(distinct: int, rows: int, kind: str) -> str:
    """How many points a design has, as the sweep's output and ``relsim validate`` say it. A
    Morris trajectory (rarely a Saltelli sample) may come back to a point already in the
    design: that point is run once and its result read at each of its rows, so a design of
    N x (D + 1) rows can run fewer points."""
    from sim.observe.numbers import number

    if rows <= distinct:
        return f"{number(distinct)} point(s)"
    what = "trajectory points" if kind == "morris" else "design rows"
    return f"{number(rows)} {what} ({number(distinct)} distinct)"


def _error_row(key: dict, alternative: str, exc: BaseException, host: str, task: SweepTask) -> dict:
    return {**key, **({"alternative": alternative} if task.alternatives else {}), "status": "error",
            "error": f"{type(exc).__name__}: {exc}", "wall_time_s": float("nan"), "host": host}


def _kept_tables(keep: Keep) -> list[str]:
    return list(keep.series) + (["events"] if keep.events else [])


def _kept_frame(frame: pd.DataFrame, table: str, task: SweepTask, alternative: str) -> pd.DataFrame:
    if table != "events" and task.keep.every > 1:
        last = frame["step"].max()
        frame = frame[(frame["step"] % task.keep.every == 0) | (frame["step"] == last)]
    frame = frame.drop(columns="replicate").copy()
    frame.insert(0, "replicate", task.replicate)
    frame.insert(0, "point", task.point)
    if task.alternatives:
        frame.insert(2, "alternative", alternative)
    for column in frame.columns:  # categories differ from run to run: store plain text
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].astype("string")
    return frame


# --------------------------------------------------------------------------- the sweep (coordinator)


@dataclass
class SweepResults:
    """A sweep's store, read on demand (a large sweep never has to fit in memory)."""

    path: Path
    manifest: dict[str, Any]

    @property
    def store(self) -> SweepStore:
        return SweepStore(self.path)

    @property
    def runs(self) -> pd.DataFrame:
        return self.store.runs()

    @property
    def points(self) -> pd.DataFrame:
        return self.store.points()

    def table(self, name: str) -> pd.DataFrame:
        return self.store.table(name)

    @property
    def failed(self) -> int:
        return int(self.manifest.get("failed_runs", 0))

    def _with_parameters(self, frame: pd.DataFrame) -> pd.DataFrame:
        values = self.points.drop_duplicates("point").set_index("point")[list(self.manifest["parameters"])]
        return frame.join(values, on="point")

    def means(self, outcomes: list[str]) -> pd.DataFrame:
        """Per point (and alternative): the mean of each outcome over its finished runs, with
        the point's parameter values."""
        return self._with_parameters(point_means(self.runs, outcomes))

    def advantage(self, outcome: str = "cumulative_profit", alternative: str | None = None,
                  baseline: str | None = None, relative: bool = False) -> pd.DataFrame:
        """Per point of a comparison sweep: the paired advantage of ``alternative`` (default:
        the last) over ``baseline`` (default: the first) in ``outcome`` — mean, 95% interval
        (low, high; the half-width where it is symmetric) and runs — relative to the baseline's
        mean with ``relative`` (compare's relative difference and interval), with the point's
        parameter values."""
        names = [_alternative_name(a) for a in self.manifest.get("alternatives") or []]
        if not names:
            raise ScenarioError(f"{self.path}: not a comparison sweep (no [compare] alternatives)")
        return self._with_parameters(advantage_by_point(self.runs, outcome, baseline or names[0],
                                                        alternative or names[-1], relative))


def sweep_manifest(spec: SweepSpec, points: pd.DataFrame, replicates_from: str = "sweep.replicates") -> dict[str, Any]:
    return {
        "kind": "sweep", "name": spec.name, "description": spec.description, "source": spec.source,
        "scenario": spec.scenario_path, "fixed": spec.fixed, "identity": spec.identity(),
        "parameters": spec.names, "design": {"kind": spec.design.kind, "samples": spec.design.samples,
                                             "levels": spec.design.levels,
                                             "second_order": spec.design.second_order,
                                             "seed": spec.design.seed},
        "problem": spec.problem(), "points": int(points["point"].nunique()),
        "design_rows": len(points), "replicates": spec.replicates,
        "replicates_from": replicates_from, "root_seed": spec.seed,
        "seeds": "run seed = 63 bits of SeedSequence(root_seed, spawn_key=(int(point, 16), replicate))"
        if not spec.common_random_numbers else "run seed = 63 bits of SeedSequence(root_seed, "
        "spawn_key=(replicate,)) at every point (common random numbers)",
        "alternatives": list(spec.alternatives), "focal": spec.focal, "variant": spec.variant,
        "derived": dict(spec.derived), "series_outcomes": [o.name for o in spec.outcomes],
        "versions": package_versions(), "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]),
        "machine": {"host": platform.node(), "cpus": os.cpu_count()},
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "status": "running", "wall_time_s": None,
    }


def sweep_tasks(spec: SweepSpec, points: pd.DataFrame, done: set[tuple[str, int]]) -> Iterator[SweepTask]:
    """Every run not yet in the store, replicate by replicate (so an interrupted sweep has
    whole replicates of the design rather than whole points)."""
    unique = points.drop_duplicates("point")
    records = unique.to_dict("records")
    for replicate in range(spec.replicates):
        for row in records:
            if (row["point"], replicate) in done:
                continue
            overrides = point_overrides(spec, row)
            values = {**point_values(spec, row), **{k: overrides[k] for k in spec.derived}}
            yield SweepTask(spec.scenario, spec.fixed, row["point"], replicate,
                            run_seed(spec.seed, row["point"], replicate, spec.common_random_numbers),
                            values, spec.alternatives, spec.focal, spec.keep, overrides, spec.outcomes)


def _window(executor: Any, workers: int | None) -> int:
    if hasattr(executor, "nthreads"):  # a Dask client: keep each thread busy
        try:
            return max(4, 2 * sum(executor.nthreads().values()))
        except Exception:
            pass
    return max(4, 2 * (workers or getattr(executor, "_max_workers", None) or os.cpu_count() or 1))


def run_tasks(tasks: tuple[SweepTask, ...]) -> list[TaskResult]:
    """Several runs in one task, one after the other (what a Dask task carries, see
    :func:`_runs_per_task`); each run is independent, with its own seed, so the results are
    those of running them one by one."""
    return [run_task(task) for task in tasks]


def _is_dask(executor: Any) -> bool:
    return type(executor).__module__.startswith("distributed")


#: the most runs one Dask task carries
MAX_RUNS_PER_TASK = 8


def _runs_per_task(executor: Any, remaining: int, window: int) -> int:
    """How many runs one submitted task carries. A process pool takes them one by one (its
    overhead per task is a pickle and a pipe). A Dask task costs tens of milliseconds in the
    scheduler and on the worker, a fifth of a 0.2 s run (the pool's throughput x 0.77
    measured on 1,000 such runs), so Dask gets up to MAX_RUNS_PER_TASK runs a task, fewer
    where the sweep is too small to keep every slot of the window busy to the end."""
    if not _is_dask(executor):
        return 1
    return max(1, min(MAX_RUNS_PER_TASK, remaining // (2 * window)))


def _submitter(executor: Any) -> Callable[[tuple[SweepTask, ...]], Any]:
    if _is_dask(executor):
        # Dask would take two submissions of equal arguments for one task; runs submitted
        # again after their worker was lost must be a new task
        return lambda tasks: executor.submit(run_tasks, tasks, pure=False)
    return lambda tasks: executor.submit(run_tasks, tasks)


def sweep(spec: SweepSpec | str | Path, out: str | Path, *, executor: Executor | Any | None = None,
          workers: int | None = None, progress: bool | Callable[[int, int], None] | None = None,
          overwrite: bool = False, replicates: int | None = None, variant: str | None = None) -> SweepResults:
    """Run the sweep ``spec`` (a :class:`SweepSpec` or a sweep file) into the store ``out``,
    resuming what is there. ``executor``: any object with ``submit(fn, arg)`` returning
    futures (a Dask ``distributed.Client`` included); by default a local process pool of
    ``workers`` processes (all cores), or this process alone with ``workers=1``.
    ``progress``: True for a progress bar on stderr, or a callable ``(done, total)``.
    ``variant``: run the sweep file's ``[variants.NAME]`` (a smaller version, say)."""
    spec_text = None
    if not isinstance(spec, SweepSpec):
        spec_text = Path(spec).read_text(encoding="utf-8") if Path(spec).is_file() else None
        spec = load_sweep(spec, variant)
    if replicates is not None:
        spec = spec.with_changes(replicates=replicates)
    points = check_sweep(spec)
    manifest = sweep_manifest(spec, points, "sweep.replicates" if replicates is None else "--replicates")
    store = SweepStore(out)
    done = store.open(manifest, points, spec_text, overwrite)
    total = int(points["point"].nunique()) * spec.replicates
    wanted = set(points["point"])
    already = sum(1 for p, r in done if p in wanted and r < spec.replicates)
    bar, report = _progress(progress, total, already, spec.name, runs_per_point(spec.alternatives))
    own = None
    started = time.perf_counter()
    state = {"failed": 0, "outcomes": [], "not_outcomes": _NOT_OUTCOMES | set(spec.names) | set(spec.derived)}
    try:
        tasks = sweep_tasks(spec, points, done)
        if executor is None and (workers == 1 or total - already <= 1):
            _run_here(tasks, store, state, report, already)
        else:
            renew = None
            if executor is None:
                require_main_guard("sim.sweep()")
                own = executor = process_pool(workers)

                def renew():  # a worker died (out of memory, killed): the pool is broken for good
                    nonlocal own
                    stop_now(own)
                    own = process_pool(workers)
                    return own
            window = _window(executor, workers)
            _run_on(executor, tasks, store, state, report, window, already, renew,
                    _runs_per_task(executor, total - already, window))
    except BaseException:
        manifest.update(status="interrupted", wall_time_s=round(time.perf_counter() - started, 3))
        store.write_manifest(manifest)
        raise
    finally:
        if own is not None:
            stop_now(own)
        if bar is not None:
            bar.close()
        store.close()
    manifest.update(status="complete", wall_time_s=round(time.perf_counter() - started, 3), reused_runs=already,
                    failed_runs=int((store.runs(columns=["status"])["status"] != "ok").sum()),
                    outcomes=state["outcomes"])
    store.write_manifest(manifest)
    return SweepResults(store.path, manifest)


def _progress(progress, total: int, already: int, name: str, per: int = 1):
    """The bar (or the caller's ``(done, total)``) counts runs, as runs.parquet's rows do: a
    task of a comparison sweep (a point and replicate) is ``per`` runs, one per alternative."""
    total, already = total * per, already * per
    if callable(progress):
        return None, lambda done: progress(done * per, total)
    show = sys.stderr.isatty() if progress is None else bool(progress)
    if not show:
        return None, None
    from tqdm import tqdm

    # in a log file (a batch job), a line every half minute rather than a bar redrawn
    tty = sys.stderr.isatty()
    bar = tqdm(total=total, initial=already, unit="run", desc=name, smoothing=0.05, dynamic_ncols=True,
               mininterval=0.5 if tty else 30.0)
    return bar, lambda done: bar.update(done * per - bar.n)


class _Batch:
    """Finished runs not yet written; written when big or old enough, and always at the end."""

    def __init__(self, store: SweepStore, state: dict):
        self.store, self.state = store, state
        self.rows: list[dict] = []
        self.tables: dict[str, list[pd.DataFrame]] = {}
        self.runs = 0
        self.since = time.monotonic()

    def add(self, result: TaskResult) -> None:
        self.rows.extend(result.rows)
        for table, frames in result.tables.items():
            self.tables.setdefault(table, []).extend(frames)
        self.runs += 1
        if not self.state["outcomes"]:
            ok = [r for r in result.rows if r["status"] == "ok"]
            if ok:
                self.state["outcomes"] = [k for k in ok[0] if k not in self.state["not_outcomes"]]
        self.state["failed"] += sum(r["status"] != "ok" for r in result.rows)
        if self.runs >= BATCH_RUNS or time.monotonic() - self.since >= BATCH_SECONDS:
            self.flush()

    def flush(self) -> None:
        self.store.write_batch(self.rows, self.tables, self.state["outcomes"])
        self.rows, self.tables, self.runs, self.since = [], {}, 0, time.monotonic()


_NOT_OUTCOMES = {"point", "replicate", "seed", "alternative", "status", "error", "wall_time_s", "host"}


def _run_here(tasks: Iterator[SweepTask], store: SweepStore, state: dict, report, finished: int) -> None:
    batch = _Batch(store, state)
    try:
        for task in tasks:
            batch.add(run_task(task))
            finished += 1
            if report is not None:
                report(finished)
    finally:
        batch.flush()


def _run_on(executor: Any, tasks: Iterator[SweepTask], store: SweepStore, state: dict, report,
            window: int, done: int, renew: Callable[[], Any] | None = None, per_task: int = 1) -> None:
    """Keep ``window`` tasks of ``per_task`` runs each in flight; collect them as they finish,
    through done-callbacks (which both concurrent.futures and Dask futures offer). ``renew``
    replaces a broken local pool (one whose worker process died) so its runs can be submitted
    again; a task whose worker was lost is submitted again whole."""
    submit = _submitter(executor)
    finished_queue: queue.Queue = queue.Queue()
    in_flight: dict[Any, tuple[tuple[SweepTask, ...], int]] = {}
    batch = _Batch(store, state)
    exhausted = False

    def launch(task: tuple[SweepTask, ...], attempt: int) -> None:
        nonlocal submit
        try:
            future = submit(task)
        except BrokenExecutor:
            if renew is None:
                raise
            submit = _submitter(renew())
            future = submit(task)
        in_flight[future] = (task, attempt)
        future.add_done_callback(finished_queue.put)

    try:
        while True:
            while not exhausted and len(in_flight) < window:
                task = tuple(itertools.islice(tasks, per_task))
                if len(task) < per_task:
                    exhausted = True
                if task:
                    launch(task, 0)
            if not in_flight:
                break
            try:
                future = finished_queue.get(timeout=0.5)  # short waits keep Ctrl-C responsive
            except queue.Empty:
                if batch.rows and time.monotonic() - batch.since >= BATCH_SECONDS:
                    batch.flush()
                continue
            if future not in in_flight:
                continue
            task, attempt = in_flight.pop(future)
            try:
                results = future.result()
            except Exception as exc:  # the worker was lost, not the model: run_task never raises
                if attempt < RETRIES:
                    launch(task, attempt + 1)
                    continue
                results = [_lost(run, exc) for run in task]
            for result in results:
                batch.add(result)
                done += 1
                if report is not None:
                    report(done)
    finally:
        batch.flush()
        for future in list(in_flight):
            try:
                future.cancel()
            except Exception:
                pass


def _lost(task: SweepTask, exc: BaseException) -> TaskResult:
    """The rows of a run whose worker was lost every time it was submitted."""
    names = [_alternative_name(a) for a in task.alternatives] or [""]
    key = {"point": task.point, "replicate": task.replicate, "seed": task.seed, **task.values}
    lost = TaskResult([_error_row(key, n, exc, "", task) for n in names])
    for row in lost.rows:
        row["status"] = "lost"
    return lost


#: Dask's nannies start workers with MALLOC_TRIM_THRESHOLD_=65536 (distributed.nanny.
#: pre-spawn-environ), which also turns off glibc's adaptive mmap threshold: every array over
#: 128 KiB is then mapped and unmapped afresh, and a run of 6,000 buyers took 37 times the page
#: faults and 30% more CPU than in a plain process (benchmarks/RESULTS.md). A run's memory is
#: short-lived and bounded, so glibc's own policy is the right one for our workers.
DASK_WORKER_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}


def dask_local_cluster(workers: int):
    """A Dask cluster of ``workers`` single-threaded worker processes on loopback, and a
    client to it; the caller closes both (``client.close(); cluster.close()``). Its workers
    keep glibc's own memory policy (:data:`DASK_WORKER_CONFIG`)."""
    require_main_guard("a local Dask cluster")
    import dask
    from distributed import Client, LocalCluster

    # a cluster started with Dask's defaults earlier in this process left the setting in its
    # environment (Dask's nanny writes it there), which our workers would inherit: spawn them
    # without it, and give this process back its environment as it was
    leaked = os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    try:
        with dask.config.set(DASK_WORKER_CONFIG):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=":0", silence_logs=50)
    finally:
        if leaked is not None:
            os.environ["MALLOC_TRIM_THRESHOLD_"] = leaked
    return Client(cluster), cluster


def dask_client(address: str):
    """A client of the Dask scheduler at ``address`` (``tcp://HOST:8786``)."""
    from distributed import Client

    try:
        return Client(address, timeout=20)
    except OSError as exc:
        raise ScenarioError(f"--scheduler {address}: no Dask scheduler answers there ({exc}); start one "
                            f"with `dask scheduler` and workers with `dask worker {address}`") from None
