"""Recorder benchmark: what the per-step series by buyer segment cost a run.

The recorder (sim/observe/recorder.py) writes, each step, the market row, the supplier rows
and, since the segments table, one row per supplier and buyer segment (a handful of
bincounts over the buyers). This times the engine benchmark's market (bench_engine.py: the
default scenario, every mechanism on, 20 suppliers) at 100k buyers, headless, in one
process, with the segment series recorded (A) and with that part switched off (B), runs
interleaved A, B, A, B, ... so that the shared machine's drift hits both alike. Reported:
seconds of stepping (engine and recorder), of ``Recorder.record`` in all and of its segment
part, and the segment part's share of a step; medians over the runs.

The section goes into benchmarks/RESULTS.md between its two markers (the rest is kept).

    .venv/bin/python benchmarks/bench_recorder.py                 # 100k x 20 x 120, 3 pairs
    .venv/bin/python benchmarks/bench_recorder.py --buyers 10000 --repeats 2 --no-write
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import RESULTS, SUPPLIERS, machine, scenario_for  # noqa: E402
from results_file import write_section  # noqa: E402  (benchmarks/: the one writer of RESULTS.md)

BEGIN = "<!-- bench_recorder.py: begin -->"
END = "<!-- bench_recorder.py: end -->"


def one_run(buyers: int, steps: int, segments: bool) -> dict:
    """One headless run; the recorder's time and its segment part measured around the calls."""
    from sim.observe.market import ObservedMarket
    from sim.observe.recorder import Recorder

    market = ObservedMarket(scenario_for(buyers, steps), 1)
    recorder = market.recorder
    spent = {"record": 0.0, "segments": 0.0}
    record, record_segments = Recorder.record, Recorder._record_segments

    def timed_record(state, tick):
        start = time.perf_counter()
        record(recorder, state, tick)
        spent["record"] += time.perf_counter() - start

    def timed_segments(*args):
        start = time.perf_counter()
        if segments:
            record_segments(recorder, *args)
        spent["segments"] += time.perf_counter() - start

    recorder.record = timed_record
    recorder._record_segments = timed_segments
    load = os.getloadavg()[0]
    start = time.perf_counter()
    market.run()
    stepping = time.perf_counter() - start
    start = time.perf_counter()
    rows = len(market.segment_frame())
    frame_s = time.perf_counter() - start
    return {"segments": segments, "step_s": stepping, "record_s": spent["record"],
            "segment_s": spent["segments"], "segment_frame_s": frame_s, "segment_rows": rows, "load": load}


def summarise(runs: list[dict]) -> dict:
    def med(key: str, on: bool) -> float:
        return statistics.median(r[key] for r in runs if r["segments"] is on)
    return {"with": {k: med(k, True) for k in ("step_s", "record_s", "segment_s", "segment_frame_s", "load")},
            "without": {k: med(k, False) for k in ("step_s", "record_s", "load")},
            "rows": max(r["segment_rows"] for r in runs), "pairs": sum(r["segments"] for r in runs)}


def section(s: dict, buyers: int, steps: int, info: dict) -> str:
    w, wo = s["with"], s["without"]
    share = w["segment_s"] / w["step_s"]
    return f"""{BEGIN}
## Recorder: the per-step series by buyer segment (`bench_recorder.py`)

The engine benchmark's market (default scenario, every mechanism on, {SUPPLIERS} suppliers),
{buyers:,} buyers x {steps} steps, headless, two buyer segments; {s['pairs']} runs with the
segment series and {s['pairs']} without, interleaved; medians. The machine is shared with
other engineers' work at the time of measuring: compare the two columns, taken side by side,
not these seconds with other sections.

| | with segment series | without |
|---|---|---|
| stepping s (engine + recorder) | {w['step_s']:.2f} | {wo['step_s']:.2f} |
| `Recorder.record` s | {w['record_s']:.3f} | {wo['record_s']:.3f} |
| of which the segment series s | {w['segment_s']:.3f} | – |
| segment frame built at the end s | {w['segment_frame_s']:.4f} ({s['rows']:,} rows) | – |
| load (1-minute average at start) | {w['load']:.1f} | {wo['load']:.1f} |

The segment series take {100 * share:.1f}% of a step's time ({1000 * w['segment_s'] / steps:.2f} ms a step).

Machine: {info['cpu']}, {info['cores']} cores available, RAM {info['ram_gib']:.1f} GiB; Python \
{info['python']}, numpy {info['numpy']}, pandas {info['pandas']}; commit {info['commit']}; {info['date']}.
{END}"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--repeats", type=int, default=3, help="pairs of runs (with, without)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md")
    args = parser.parse_args(argv)
    runs = []
    for _ in range(args.repeats):
        for segments in (True, False):
            runs.append(one_run(args.buyers, args.steps, segments))
            r = runs[-1]
            print(f"{'with   ' if segments else 'without'} step {r['step_s']:.2f} s, record {r['record_s']:.3f} s, "
                  f"segments {r['segment_s']:.3f} s, load {r['load']:.1f}", flush=True)
    text = section(summarise(runs), args.buyers, args.steps, machine())
    print(text)
    if not args.no_write:
        write_section(text, BEGIN, END, RESULTS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
