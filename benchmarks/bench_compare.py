"""Benchmark: `relsim compare` on the default scenario, 20 replicates x 2 alternatives
(transactional, relationship), as a strategist runs it: the whole command, runs, tables and
HTML report included. Target: within 60 s on a 2-core machine. Not a test: run it on a quiet
machine; it writes its section of benchmarks/RESULTS.md (between its markers).

    .venv/bin/python benchmarks/bench_compare.py [--repeats 3] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results_file import write_section  # benchmarks/: the one writer of RESULTS.md

ROOT = Path(__file__).resolve().parent.parent


RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
BEGIN, END = "<!-- bench_compare.py: begin -->", "<!-- bench_compare.py: end -->"
TARGET_S = 60.0


def machine() -> str:
    from bench_engine import machine as engine_machine

    info = engine_machine()
    return (f"{info['cpu']}, {info['cores']} cores, RAM {info['ram_gib']:.1f} GiB; Python {info['python']}, "
            f"numpy {info['numpy']}, Mesa {info['mesa']}; commit {info['commit']}; {info['date']}")


def write_results(times: list[float], replicates: int, load: float) -> None:
    median = statistics.median(times)
    section = f"""{BEGIN}
## Compare: 20 replicates x 2 alternatives of the default scenario (`bench_compare.py`)

`relsim compare scenarios/b2b_key_accounts.toml --replicates {replicates}` (transactional
against relationship, 2 worker processes), timed as a whole command: start-up, all runs,
the tables and the HTML report with its figures. {len(times)} repeats, back to back; 1-minute
load average {load:.1f} at the start.

Machine: {machine()}.

| repeat | seconds |
|---|---|
""" + "".join(f"| {k + 1} | {t:.1f} |\n" for k, t in enumerate(times)) + f"""
Median {median:.1f} s against a target of {TARGET_S:g} s: {'met' if median <= TARGET_S else 'NOT met'}
({median / TARGET_S:.2f} of the budget).
{END}"""
    write_section(section, BEGIN, END, RESULTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--replicates", type=int, default=20)
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    times = []
    for k in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "sim.cli", "compare", "scenarios/b2b_key_accounts.toml",
                            "--replicates", str(args.replicates), "--out", f"{tmp}/cmp"],
                           check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - started)
        print(f"repeat {k + 1}: {times[-1]:.1f} s (whole command: runs, tables, report)")
    print(f"machine: {machine()}")
    print(f"median of {len(times)}: {statistics.median(times):.1f} s for {args.replicates} replicates x 2 "
          f"alternatives (target: {TARGET_S:g} s)")
    if not args.no_write:
        write_results(times, args.replicates, load)
        print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
