"""Memory benchmark: markets with many suppliers need memory linear in the suppliers, and the
run's memory estimate (sim/experiment/capacity.py) errs on the safe side.

Each market runs headless in a fresh process (so ``ru_maxrss`` is its own) with the default
scenario's behaviour; one supplier entry with ``count`` copies. Reported: the peak resident
memory the run added over the imported interpreter, and the estimate ``check_fits`` compares
with the machine's memory. On main before this change, 10,000 suppliers x 500 buyers needed
7.3 GB for 3 steps (a suppliers x suppliers matrix in close_alternatives).

    .venv/bin/python benchmarks/bench_memory.py            # writes its section of RESULTS.md
    .venv/bin/python benchmarks/bench_memory.py --no-write
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import machine  # noqa: E402  (the same machine record as the engine benchmark)
from results_file import write_section  # noqa: E402  (the one writer of RESULTS.md)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
BEGIN, END = "<!-- bench_memory.py: begin -->", "<!-- bench_memory.py: end -->"
SIZES = [(500, 10_000, 3), (500, 3_000, 3), (100_000, 20, 12), (20_000, 20, 120)]

CHILD = """
import dataclasses, json, resource, sys, time
import numpy as np
from sim.config import load_scenario
from sim.experiment.capacity import market_bytes
from sim.observe.market import ObservedMarket

buyers, suppliers, steps = map(int, sys.argv[1:4])
scenario = load_scenario("scenarios/b2b_key_accounts.toml").with_overrides(
    {"market.buyers": buyers, "market.steps": steps})
scenario = dataclasses.replace(scenario, suppliers=[dataclasses.replace(scenario.suppliers[0], count=suppliers,
                                                                        name="S")])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
started = time.perf_counter()
market = ObservedMarket(scenario, np.random.SeedSequence(1))
market.run()
frames = market.frames()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"buyers": buyers, "suppliers": suppliers, "steps": steps, "base": base, "peak": peak,
                  "estimate": market_bytes(scenario)[0], "seconds": time.perf_counter() - started,
                  "events": len(frames["events"])}))
"""


def measure(buyers: int, suppliers: int, steps: int) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(buyers), str(suppliers), str(steps)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def mib(n: float) -> str:
    return f"{n / 2**20:,.0f}"


def section(rows: list[dict], info: dict) -> str:
    lines = [BEGIN, "## Memory: many suppliers, and the run's memory estimate (`bench_memory.py`)", "",
             "Headless runs of the default scenario's behaviour, one supplier entry with `count` copies, "
             "each in a fresh process. \"added\" is the peak resident memory over the interpreter with "
             "numpy, pandas and Mesa imported; \"estimate\" is what `check_fits` compares with the "
             "machine's memory (it must not be below \"added\"). On main before this change 10,000 "
             "suppliers x 500 buyers needed 7.3 GB for 3 steps.", "",
             f"Machine: {info['cpu']}, {info['cores']} cores, {info['ram_gib']:.0f} GiB, Python "
             f"{info['python']}, commit {info['commit']}, {info['date']}. The machine was shared with "
             f"other engineers' work while this ran: times are indicative only.", "",
             "| buyers | suppliers | steps | added MiB | estimate MiB | events | seconds |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['buyers']:,} | {r['suppliers']:,} | {r['steps']} | {mib(r['peak'] - r['base'])} | "
                     f"{mib(r['estimate'])} | {r['events']:,} | {r['seconds']:.1f} |")
    lines.append(END)
    return "\n".join(lines)


def write(text: str) -> None:
    write_section(text, BEGIN, END, RESULTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md")
    args = parser.parse_args()
    rows = [measure(*size) for size in SIZES]
    text = section(rows, machine())
    print(text)
    if not args.no_write:
        write(text)


if __name__ == "__main__":
    main()
