"""Benchmark: sweep throughput and coordinator memory (issue 10's targets).

Runs of 500 buyers x 10 suppliers x 60 steps (the default scenario, each supplier entry five
times), a grid over the buyers' switching cost with enough replicates for ``--runs`` runs:

- throughput (runs per second) on a local process pool of 1 worker and of N workers; the
  target is N workers >= 0.9 x N x one worker's, for runs of a second or more;
- a local Dask cluster of N single-threaded workers against the pool of N: within 20%;
- the coordinator's resident memory sampled through the pool sweep: flat in the number of
  runs (reported as MiB at 10%, 50% and 100% of the runs, and the growth per 1,000 runs).

Not a test. Run it on a quiet machine; it writes its section of benchmarks/RESULTS.md
(between its markers)::

    .venv/bin/python benchmarks/bench_sweep.py [--runs 1000] [--workers N] [--no-write]

The scaling target is about runs of a second or more: ``--run-seconds 1`` lengthens the runs
(more steps, the same 500 buyers x 10 suppliers) until one takes at least a second on this
machine, and runs 20 per worker (10 on one worker) unless ``--runs`` says otherwise, so the
whole measurement takes a few minutes::

    .venv/bin/python benchmarks/bench_sweep.py --run-seconds 1 --section "runs of a second"
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
import threading
import time
from pathlib import Path

from results_file import write_section  # benchmarks/: the one writer of RESULTS.md

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
BEGIN, END = "<!-- bench_sweep.py: begin -->", "<!-- bench_sweep.py: end -->"

SWEEP = """\
[sweep]
name = "benchmark"
scenario = "{scenario}"
replicates = {replicates}
seed = 1

[set]
"market.buyers" = {buyers}
"market.steps" = {steps}
"suppliers.count" = 5

[parameters]
"buyers.switching_cost" = {{ levels = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45] }}
"""


class MemorySampler:
    """The coordinator's RSS, sampled with the number of runs finished so far."""

    def __init__(self):
        import psutil

        self.process = psutil.Process()
        self.samples: list[tuple[int, float]] = []
        self.done = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            self.samples.append((self.done, self.process.memory_info().rss / 2**20))

    def progress(self, done: int, total: int) -> None:
        self.done = done

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.samples.append((self.done, self.process.memory_info().rss / 2**20))

    def at(self, share: float, total: int) -> float:
        wanted = share * total
        later = [rss for done, rss in self.samples if done >= wanted]
        return later[0] if later else float("nan")


def _ready() -> int:
    import sim.experiment.sweep  # noqa: F401  (what every run imports)

    return os.getpid()


def warm(executor, workers: int) -> None:
    """Start every worker and import the model in it before the clock starts: start-up is
    paid once per sweep, the throughput target is about the runs."""
    for future in [executor.submit(_ready) for _ in range(4 * workers)]:
        future.result()


COORDINATOR_CPU: dict[str, float] = {}


def timed_sweep(spec: Path, out: Path, executor, sampler=None) -> float:
    """Seconds of the whole sweep; also notes the coordinator's own CPU seconds (what it
    spends on submitting, collecting and writing, which must stay small beside the runs)."""
    from sim.experiment.sweep import sweep

    cpu = time.process_time()
    started = time.perf_counter()
    sweep(spec, out, executor=executor, progress=sampler.progress if sampler else False)
    COORDINATOR_CPU[out.name] = time.process_time() - cpu
    return time.perf_counter() - started


def one_run_seconds(scenario: Path, buyers: int, steps: int) -> float:
    """The shorter of two timed runs in this process (after one untimed, which imports and warms up)."""
    from sim.config import load_scenario
    from sim.experiment.run import run_replicate

    market = load_scenario(scenario).with_overrides({"market.buyers": buyers, "market.steps": steps,
                                                     "suppliers.count": 5})
    times = []
    for replicate in range(3):
        started = time.perf_counter()
        run_replicate(market, replicate, replicate + 1)
        times.append(time.perf_counter() - started)
    return min(times[1:])


def steps_for(scenario: Path, buyers: int, steps: int, seconds: float) -> tuple[int, float]:
    """Steps that make one run take at least ``seconds`` here (a run's time grows linearly in
    its steps), and the time one such run took."""
    took = one_run_seconds(scenario, buyers, steps)
    while took < seconds:
        steps = int(steps * 1.1 * seconds / took) + 1
        took = one_run_seconds(scenario, buyers, steps)
    return steps, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, help="runs per measurement (a multiple of 10; default 1,000)")
    parser.add_argument("--single-runs", type=int, help="runs for the one-worker measurement (default --runs)")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="N (default: all cores)")
    parser.add_argument("--buyers", type=int, default=500, help="buyers per market (default 500)")
    parser.add_argument("--steps", type=int, default=60, help="steps per run (default 60)")
    parser.add_argument("--run-seconds", type=float, metavar="S",
                        help="lengthen the runs (more steps) until one takes at least S seconds here; "
                        "then --runs defaults to 20 per worker and --single-runs to 10")
    parser.add_argument("--section", default="", help="a name for this measurement (its own section in RESULTS.md)")
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    from bench_engine import machine

    from sim.experiment.executors import process_pool, stop_now
    from sim.experiment.sweep import dask_local_cluster

    scenario = ROOT / "scenarios" / "b2b_key_accounts.toml"
    n = args.workers
    rows = []
    load = os.getloadavg()[0]
    run_time = None
    if args.run_seconds:
        args.steps, run_time = steps_for(scenario, args.buyers, args.steps, args.run_seconds)
        print(f"runs of {args.buyers} buyers x {args.steps} steps: {run_time:.2f} s each here", flush=True)
        args.runs = args.runs or 20 * n
        args.single_runs = args.single_runs or 10
    args.runs = args.runs or 1000
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)

        def spec_for(runs: int) -> Path:
            path = tmp / f"sweep-{runs}.toml"
            path.write_text(SWEEP.format(scenario=scenario, replicates=max(1, runs // 10), buyers=args.buyers,
                                         steps=args.steps))
            return path

        single = args.single_runs or args.runs
        pool = process_pool(1)
        warm(pool, 1)
        try:
            one = timed_sweep(spec_for(single), tmp / "one", pool)
        finally:
            stop_now(pool)
        rate_one = single / one
        rows.append(("process pool", 1, single, one, rate_one))
        print(f"1 worker: {single} runs in {one:.1f} s = {rate_one:.2f} runs/s", flush=True)

        pool = process_pool(n)
        warm(pool, n)
        try:
            with MemorySampler() as sampler:
                many = timed_sweep(spec_for(args.runs), tmp / "many", pool, sampler)
        finally:
            stop_now(pool)
        rate_many = args.runs / many
        rows.append(("process pool", n, args.runs, many, rate_many))
        print(f"{n} workers: {args.runs} runs in {many:.1f} s = {rate_many:.2f} runs/s", flush=True)
        memory = [sampler.at(s, args.runs) for s in (0.1, 0.5, 1.0)]

        rate_dask = None
        if not args.no_dask:
            client, cluster = dask_local_cluster(n)
            warm(client, n)
            try:
                dask_s = timed_sweep(spec_for(args.runs), tmp / "dask", client)
            finally:
                client.close()
                cluster.close()
            rate_dask = args.runs / dask_s
            rows.append(("Dask local cluster", n, args.runs, dask_s, rate_dask))
            print(f"Dask {n} workers: {args.runs} runs in {dask_s:.1f} s = {rate_dask:.2f} runs/s", flush=True)

    load_end = os.getloadavg()[0]
    efficiency = rate_many / (n * rate_one)
    growth = (memory[2] - memory[0]) / (0.9 * args.runs) * 1000
    info = machine()
    begin, end = (BEGIN, END) if not args.section else (BEGIN.replace(":", f" {args.section}:"),
                                                        END.replace(":", f" {args.section}:"))
    lines = [
        begin, f"## Sweeps{' (' + args.section + ')' if args.section else ''}: throughput and coordinator "
        f"memory (`bench_sweep.py`)", "",
        f"Runs of {args.buyers} buyers x 10 suppliers x {args.steps} steps (the default scenario, each supplier entry",
        "five times) over a 10-level grid of the buyers' switching cost; whole sweeps timed from",
        "the call to the last batch written (store, seeds and outcomes included), on workers",
        "already started (start-up, paid once per sweep, is left out).", "",
        f"Machine: {info['cpu']}, {info['cores']} cores, RAM {info['ram_gib']:.1f} GiB; Python {info['python']}, "
        f"numpy {info['numpy']}; commit {info['commit']}; {info['date']}; 1-minute load {load:.1f} at the start, "
        f"{load_end:.1f} at the end." + (f" One run took {run_time:.2f} s in a plain process here before the "
                                         f"measurement." if run_time else ""),
        "", "| executor | workers | runs | seconds | runs/s | seconds per run and worker |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {name} | {w} | {runs:,} | {s:.1f} | {rate:.2f} | {w / rate:.2f} |" for name, w, runs, s, rate in rows]
    lines += ["", f"- scaling: {n} workers give {efficiency:.2f} x {n} x one worker's throughput "
              f"(target >= 0.9: {'met' if efficiency >= 0.9 else 'NOT met'})."]
    if rate_dask is not None:
        ratio = rate_dask / rate_many
        lines.append(f"- Dask local cluster: {ratio:.2f} x the process pool's throughput (target >= 0.8: "
                     f"{'met' if ratio >= 0.8 else 'NOT met'}).")
    lines.append(f"- coordinator CPU: {COORDINATOR_CPU['many']:.1f} s for the {args.runs:,} runs on the pool "
                 f"({1000 * COORDINATOR_CPU['many'] / args.runs:.1f} ms per run).")
    lines.append(f"- coordinator RSS at 10% / 50% / 100% of the runs: {memory[0]:.0f} / {memory[1]:.0f} / "
                 f"{memory[2]:.0f} MiB, {growth:+.1f} MiB per 1,000 runs"
                 + (" (extrapolated from few runs: the flat-memory target is measured by the default 1,000 "
                    "runs)." if args.runs < 500 else "."))
    lines.append("- a 1-minute load above the number of cores means other processes competed for them: the "
                 "scaling and Dask figures then measure the machine's load, not the sweep; re-run on a quiet "
                 "machine.")
    again = shlex.join([".venv/bin/python", "benchmarks/bench_sweep.py", *sys.argv[1:]])
    lines.append(f"- to measure again, on a quiet machine: `{again}`")
    lines.append(end)
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        write_section(section, begin, end, RESULTS)


if __name__ == "__main__":
    main()
