"""Benchmark: what one run costs inside each kind of worker a sweep can use — a local process
pool's, a Dask worker started by Dask's defaults, and a Dask worker of the cluster relsim
starts (``sim.experiment.sweep.dask_local_cluster``).

Why: on a quiet machine a local Dask cluster gave 0.82x and 0.67x the process pool's
throughput (benchmarks/RESULTS.md). Dask's nannies start workers with
``MALLOC_TRIM_THRESHOLD_=65536``, which also turns off glibc's adaptive mmap threshold, so
every array over 128 KiB is mapped and unmapped afresh. This measures it where it happens:
the CPU seconds and minor page faults per run, read with ``getrusage`` inside the worker. Page
faults do not depend on the machine's load, so they hold on a busy machine; CPU time leaves out
the time other processes held the core, but not their contention for caches, so it is noisier.

The fix is twofold: relsim's local cluster starts its workers without the setting, and a sweep
run raises glibc's thresholds in any worker that has it.

Not a test. It writes its section of benchmarks/RESULTS.md (between its markers)::

    .venv/bin/python benchmarks/bench_dask_worker.py [--runs 4] [--buyers 6000] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

from results_file import write_section  # benchmarks/: the one writer of RESULTS.md

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
BEGIN, END = "<!-- bench_dask_worker.py: begin -->", "<!-- bench_dask_worker.py: end -->"


def cost_per_run(buyers: int, steps: int, runs: int, unfixed: bool = False) -> dict:
    """Inside a worker: CPU seconds and minor page faults per sweep run (``run_task``, what a
    sweep submits), after one untimed run. ``unfixed``: as before relsim restored glibc's
    memory policy in its workers (``keep_arrays_on_the_heap`` skipped)."""
    from sim.config.space import sweep_from_dict
    from sim.experiment import sweep
    from sim.experiment.designs import design_points

    if unfixed:
        sweep._MEMORY_POLICY_SET = True
    spec = sweep_from_dict({"sweep": {"scenario": str(ROOT / "scenarios" / "b2b_key_accounts.toml")},
                            "set": {"market.buyers": buyers, "market.steps": steps, "suppliers.count": 5},
                            "parameters": {"buyers.switching_cost": {"levels": [0.1]}}}, "<bench>")
    task = next(sweep.sweep_tasks(spec, design_points(spec), set()))
    sweep.run_task(task)
    before, cpu = resource.getrusage(resource.RUSAGE_SELF), time.process_time()
    for _ in range(runs):
        sweep.run_task(task)
    after = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu_s": (time.process_time() - cpu) / runs, "minor_faults": (after.ru_minflt - before.ru_minflt) / runs,
            "malloc_trim": os.environ.get("MALLOC_TRIM_THRESHOLD_")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4, help="timed runs per worker kind (default 4)")
    parser.add_argument("--buyers", type=int, default=6000, help="buyers per market (default 6,000)")
    parser.add_argument("--steps", type=int, default=60, help="steps per run (default 60)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    from bench_engine import machine
    from distributed import Client, LocalCluster

    from sim.experiment.executors import process_pool, stop_now
    from sim.experiment.sweep import dask_local_cluster

    load = os.getloadavg()[0]
    job = (cost_per_run, args.buyers, args.steps, args.runs)
    rows = []
    # relsim's cluster first: a cluster started with Dask's defaults writes its settings into
    # this process's environment (Dask's nanny does), which later workers would inherit
    client, cluster = dask_local_cluster(1)
    try:
        rows.append(("Dask worker, relsim's local cluster (`--dask-local`)", client.submit(*job, pure=False).result()))
    finally:
        client.close()
        cluster.close()
    pool = process_pool(1)
    try:
        rows.insert(0, ("process pool worker", pool.submit(*job).result()))
    finally:
        stop_now(pool)
    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, silence_logs=50)
    client = Client(cluster)
    try:  # a fresh worker for each: the memory policy is set once per process
        rows.append(("Dask worker, Dask's defaults, before the fix", client.submit(*job, True, pure=False).result()))
        client.restart()
        rows.append(("Dask worker, Dask's defaults (as `dask worker` starts one)",
                     client.submit(*job, pure=False).result()))
    finally:
        client.close()
        cluster.close()

    base = rows[0][1]["cpu_s"]
    info = machine()
    lines = [BEGIN, "## Sweeps: what a run costs inside each kind of worker (`bench_dask_worker.py`)", "",
             f"Sweep runs (`run_task`) of {args.buyers:,} buyers x 10 suppliers x {args.steps} steps, "
             f"{args.runs} per worker after one untimed run; CPU seconds and minor page faults read with "
             "getrusage inside the worker (page faults do not depend on the machine's load; CPU time leaves "
             "out the time other processes held the core, but not their contention for caches).", "",
             f"Machine: {info['cpu']}, {info['cores']} cores, RAM {info['ram_gib']:.1f} GiB; Python "
             f"{info['python']}, numpy {info['numpy']}; commit {info['commit']}; {info['date']}; 1-minute load "
             f"{load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end.", "",
             "| worker | MALLOC_TRIM_THRESHOLD_ | CPU s per run | vs the pool's | minor page faults per run |",
             "|---|---|---|---|---|"]
    lines += [f"| {name} | {r['malloc_trim'] or 'unset'} | {r['cpu_s']:.3f} | {r['cpu_s'] / base:.2f} | "
              f"{r['minor_faults']:,.0f} |" for name, r in rows]
    lines += ["", "- page faults are the robust figure: CPU seconds per run move by up to 40% between repeats on a "
              "shared machine (cache and core contention), page faults by a few percent.",
              "- to measure again: `.venv/bin/python benchmarks/bench_dask_worker.py`", END]
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        write_section(section, BEGIN, END, RESULTS)


if __name__ == "__main__":
    main()
