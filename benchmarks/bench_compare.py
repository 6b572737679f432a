"""Benchmark: `relsim compare` on the default scenario, 20 replicates x 2 alternatives
(transactional, relationship), as a strategist runs it. Target: within 60 s on a 2-core
machine. Not a test: run it on a quiet machine and record the result in RESULTS.md.

    .venv/bin/python benchmarks/bench_compare.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--replicates", type=int, default=20)
    args = parser.parse_args()
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
          f"alternatives (target: 60 s)")


if __name__ == "__main__":
    main()
