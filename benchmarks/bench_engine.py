"""Engine benchmark: buyer-steps per second and peak memory of the default scenario.

The default scenario (scenarios/b2b_key_accounts.toml) with every mechanism switched on
(supplier learning included) and 20 suppliers (10 PriceLine, 10 Partners), at 1k, 10k,
100k and 1M buyers for 120 steps. Each run is a fresh subprocess, so its peak resident
memory (``ru_maxrss``) is its own. Reported per run:

- setup: building the model (sampling buyers, the pair arrays, initial awareness); the Mesa
  agents are made only when first asked for, so ``agents`` is timed apart: asking for them
  once, after the frames (it adds to neither setup nor the peak memory of stepping);
- stepping: ``model.run()``; buyer-steps/s = buyers x steps / stepping seconds;
- results: building the four result frames (market, supplier, events, relationships);
- peak RSS after stepping and at the end (after the frames).

Small sizes are repeated and the medians quoted. Targets on the reference 2-core machine:
at least 1,000,000 buyer-steps/s at 100k x 20, and the 1M x 20 x 120 run within 4 GiB.

The table goes into its own section of benchmarks/RESULTS.md (between two markers; the rest
of the file, e.g. the history, is left alone).

    .venv/bin/python benchmarks/bench_engine.py            # all sizes, writes RESULTS.md
    .venv/bin/python benchmarks/bench_engine.py --quick    # 1k and 10k only, no file
    .venv/bin/python benchmarks/bench_engine.py --sizes 100k --repeats 5 --no-write
    .venv/bin/python benchmarks/bench_engine.py --json runs.json   # also keep the raw runs
    .venv/bin/python benchmarks/bench_engine.py --from-json runs.json  # rewrite the section
    .venv/bin/python benchmarks/bench_engine.py --setup --sizes 1M --repeats 2  # set-up only
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from results_file import write_section  # benchmarks/: the one writer of RESULTS.md

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "b2b_key_accounts.toml"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
SUPPLIERS = 20
STEPS = 120
#: name -> (buyers, default repeats)
SIZES = {"1k": (1_000, 5), "10k": (10_000, 5), "100k": (100_000, 3), "1M": (1_000_000, 1)}
QUICK = ("1k", "10k")
TARGET_RATE = 1_000_000      # buyer-steps/s at 100k x 20
TARGET_PEAK_GIB = 4.0        # the 1M x 20 x 120 run
#: this benchmark's part of RESULTS.md lies between these markers
BEGIN = "<!-- bench_engine.py: begin -->"
END = "<!-- bench_engine.py: end -->"


# --------------------------------------------------------------------------- one run


def _vm(field: str) -> int:
    """A field of /proc/self/status in bytes (VmRSS now, VmHWM the peak so far)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def scenario_for(buyers: int, steps: int):
    """The benchmark scenario: the default one, 20 suppliers, every mechanism on."""
    import dataclasses

    from sim.config import Mechanisms, load_scenario

    overrides = {"market.buyers": buyers, "market.steps": steps,
                 "suppliers[PriceLine].count": SUPPLIERS // 2,
                 "suppliers[Partners].count": SUPPLIERS - SUPPLIERS // 2}
    overrides.update({f"mechanisms.{f.name}": True for f in dataclasses.fields(Mechanisms)})
    return load_scenario(SCENARIO).with_overrides(overrides, source="benchmark")


def worker(buyers: int, steps: int) -> dict:
    """Build, run and collect one model in this process; returns the measurements. The Mesa
    agents are made on first access (sim/mesa/model.py), so setup builds none; they are asked
    for once at the end, after the frames, and timed on their own (``agents_s``)."""
    from sim.mesa.agents import Buyer
    from sim.mesa.model import RelationshipMarket

    scenario = scenario_for(buyers, steps)
    rss_before = _vm("VmRSS")
    start = time.perf_counter()
    model = RelationshipMarket(scenario)
    setup = time.perf_counter() - start
    rss_setup = _vm("VmRSS")
    load = os.getloadavg()[0]
    start, cpu_start = time.perf_counter(), time.process_time()
    model.run(steps)
    stepping, cpu_stepping = time.perf_counter() - start, time.process_time() - cpu_start
    peak_stepping = _vm("VmHWM")
    start = time.perf_counter()
    frames = [model.market_frame(), model.supplier_frame(), model.events_frame(),
              model.relationships_frame()]
    results = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    agents_s, agents_bytes = time_agents(model, Buyer)
    return {
        "buyers": buyers, "suppliers": model.state.n_suppliers, "steps": steps,
        "setup_s": setup, "agents_s": agents_s, "agents_bytes": agents_bytes, "step_s": stepping,
        "results_s": results, "buyer_steps_per_s": buyers * steps / stepping,
        "cpu_step_s": cpu_stepping, "buyer_steps_per_cpu_s": buyers * steps / cpu_stepping,
        "load_at_start": load,
        "rss_before_setup": rss_before, "rss_after_setup": rss_setup,
        "state_bytes": model.state.nbytes(), "peak_rss_stepping": peak_stepping,
        "peak_rss": peak, "events": len(frames[2]), "relationships": len(frames[3]),
    }


def time_agents(model, buyer_type) -> tuple[float, int]:
    """Seconds and resident bytes of creating the Mesa agents on first access."""
    assert not model.agents_created, "setup built the Mesa agents: they should be made on demand"
    start, rss = time.perf_counter(), _vm("VmRSS")
    count = len(model.agents_by_type[buyer_type])
    assert count == model.state.n_buyers
    return time.perf_counter() - start, _vm("VmRSS") - rss


def setup_worker(buyers: int) -> dict:
    """Set-up alone (no stepping): the headless engine, the Mesa model, then its agents asked for."""
    from sim.mesa.agents import Buyer
    from sim.mesa.model import RelationshipMarket
    from sim.observe.market import ObservedMarket

    scenario = scenario_for(buyers, STEPS)
    out = {"buyers": buyers, "load": os.getloadavg()[0]}
    rss = _vm("VmRSS")
    start = time.perf_counter()
    headless = ObservedMarket(scenario)
    out["headless_setup_s"], out["headless_bytes"] = time.perf_counter() - start, _vm("VmRSS") - rss
    del headless
    rss = _vm("VmRSS")
    start = time.perf_counter()
    model = RelationshipMarket(scenario)
    out["model_setup_s"], out["model_bytes"] = time.perf_counter() - start, _vm("VmRSS") - rss
    out["agents_s"], out["agents_bytes"] = time_agents(model, Buyer)
    return out


def run_in_subprocess(buyers: int, steps: int, timeout: float) -> dict:
    cmd = [sys.executable, __file__, "--worker", str(buyers), "--steps", str(steps)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark run at {buyers} buyers failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- reporting


def machine() -> dict:
    import mesa
    import numpy
    import pandas

    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    ram = 0
    try:
        with open("/proc/meminfo") as fh:
            ram = int(next(line.split()[1] for line in fh if line.startswith("MemTotal"))) * 1024
    except (OSError, StopIteration):
        pass
    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True,
                                text=True, cwd=ROOT).stdout.strip() or "unknown"
    except OSError:
        commit = "unknown"
    return {"cpu": cpu, "cores": len(os.sched_getaffinity(0)), "ram_gib": ram / 2**30,
            "python": platform.python_version(), "numpy": numpy.__version__,
            "pandas": pandas.__version__, "mesa": mesa.__version__,
            "platform": platform.platform(), "commit": commit,
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")}


def summarise(name: str, runs: list[dict]) -> dict:
    def med(key):
        return statistics.median(r[key] for r in runs)

    return {"size": name, "buyers": runs[0]["buyers"], "suppliers": runs[0]["suppliers"],
            "steps": runs[0]["steps"], "repeats": len(runs), "rate": med("buyer_steps_per_s"),
            "rate_min": min(r["buyer_steps_per_s"] for r in runs),
            "rate_max": max(r["buyer_steps_per_s"] for r in runs),
            "cpu_rate": med("buyer_steps_per_cpu_s"), "load": med("load_at_start"),
            "step_s": med("step_s"), "setup_s": med("setup_s"), "agents_s": med("agents_s"),
            "results_s": med("results_s"), "agents_bytes": med("agents_bytes"),
            "peak_stepping": med("peak_rss_stepping"),
            "peak": med("peak_rss"), "base": med("rss_before_setup"), "state": runs[0]["state_bytes"],
            "events": runs[0]["events"]}


def mib(n: float) -> str:
    return f"{n / 2**20:,.0f}"


def table(rows: list[dict]) -> str:
    head = ("| size | buyers x suppliers x steps | runs | buyer-steps/s (median) | min-max | "
            "per CPU-s | load | stepping s | setup s (no agents) | Mesa agents on first access s | Mesa agents MiB | "
            "results s | state MiB | "
            "peak RSS stepping MiB | peak RSS MiB | events |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(
            f"| {r['size']} | {r['buyers']:,} x {r['suppliers']} x {r['steps']} | {r['repeats']} | "
            f"{r['rate']:,.0f} | {r['rate_min']:,.0f}-{r['rate_max']:,.0f} | {r['cpu_rate']:,.0f} | "
            f"{r['load']:.1f} | {r['step_s']:.2f} | "
            f"{r['setup_s']:.2f} | {r['agents_s']:.2f} | {mib(r['agents_bytes'])} | {r['results_s']:.2f} | "
            f"{mib(r['state'])} | {mib(r['peak_stepping'])} | {mib(r['peak'])} | {r['events']:,} |")
    return "\n".join(lines)


def verdicts(rows: list[dict]) -> list[str]:
    out = []
    for r in rows:
        if r["buyers"] == 100_000:
            ok = r["rate"] >= TARGET_RATE
            out.append(f"- 100k x 20: {r['rate']:,.0f} buyer-steps/s against a target of "
                       f"{TARGET_RATE:,}: {'met' if ok else 'NOT met'}.")
        if r["buyers"] == 1_000_000:
            ok = r["peak"] <= TARGET_PEAK_GIB * 2**30
            out.append(f"- 1M x 20 x {r['steps']}: peak RSS {r['peak'] / 2**30:.2f} GiB against "
                       f"a target of {TARGET_PEAK_GIB:g} GiB: {'met' if ok else 'NOT met'}.")
    return out


def write_results(rows: list[dict], info: dict, path: Path) -> None:
    """Write this benchmark's section of RESULTS.md, between its two markers; everything
    else in the file (other benchmarks' results, the history) is kept as it is."""
    section = f"""{BEGIN}
## Engine: buyer-steps per second and peak memory (`bench_engine.py`)

The default scenario (`scenarios/b2b_key_accounts.toml`) with every mechanism on (supplier
learning included) and {SUPPLIERS} suppliers (10 PriceLine, 10 Partners). Each run is a fresh
process; the figures are medians over the runs. Run the script again to refresh this
section (it rewrites only the part between its markers).

- buyer-steps/s = buyers x steps / seconds of `model.run()`; "per CPU-s" divides by the
  process's CPU time instead. "load" is the 1-minute load average when stepping began: the
  machine is shared, and its speed also varies from minute to minute with its host, so
  compare figures taken back to back.
- setup: building the model (buyers, pair arrays, initial awareness). The Mesa agents are
  made on first access, not in setup: "Mesa agents on first access" is asking for them once
  after the frames, and the resident memory it added (not in either peak RSS).
- results: building the four result frames (market, suppliers, events, relationships).
- peak RSS: the process's `ru_maxrss`, after stepping and at the end (frames held); about
  {mib(rows[0]['base'])} MiB of it is the interpreter with numpy, pandas and Mesa imported.

Machine: {info['cpu']}, {info['cores']} cores available, RAM {info['ram_gib']:.1f} GiB; Python \
{info['python']}, numpy {info['numpy']}, pandas {info['pandas']}, Mesa {info['mesa']}; \
{info['platform']}; commit {info['commit']}; {info['date']}.

{table(rows)}

Targets:
{chr(10).join(verdicts(rows)) or '- (no target size in this run)'}
{END}"""
    write_section(section, BEGIN, END, path)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the small sizes (1k, 10k); "
                        "does not write RESULTS.md")
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), help="sizes to run")
    parser.add_argument("--repeats", type=int, help="runs per size (default: 5, 5, 3, 1)")
    parser.add_argument("--steps", type=int, default=STEPS, help=f"steps per run (default {STEPS})")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md")
    parser.add_argument("--json", type=Path, help="also write the raw runs as JSON here")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed per run")
    parser.add_argument("--from-json", type=Path, help="rewrite RESULTS.md from a --json file "
                        "instead of running")
    parser.add_argument("--setup", action="store_true", help="set-up only, at each size: the headless "
                        "engine, the Mesa model (no agents) and its agents on first access; prints, "
                        "writes nothing")
    parser.add_argument("--worker", type=int, metavar="BUYERS", help=argparse.SUPPRESS)
    parser.add_argument("--setup-worker", type=int, metavar="BUYERS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(worker(args.worker, args.steps)))
        return 0
    if args.setup_worker:
        print(json.dumps(setup_worker(args.setup_worker)))
        return 0
    if args.setup:
        for name in args.sizes or list(SIZES):
            buyers = SIZES[name][0]
            for k in range(args.repeats or 1):
                cmd = [sys.executable, __file__, "--setup-worker", str(buyers)]
                done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=args.timeout,
                                      check=True)
                r = json.loads(done.stdout.strip().splitlines()[-1])
                print(f"  {name} run {k + 1}: headless engine {r['headless_setup_s']:.2f} s "
                      f"({mib(r['headless_bytes'])} MiB); Mesa model {r['model_setup_s']:.2f} s "
                      f"({mib(r['model_bytes'])} MiB); its agents on first access {r['agents_s']:.2f} s "
                      f"({mib(r['agents_bytes'])} MiB); load {r['load']:.1f}", flush=True)
        return 0

    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        write_results([summarise(name, runs) for name, runs in saved["runs"].items()],
                      saved["machine"], RESULTS)
        print(f"wrote {RESULTS.relative_to(ROOT)}")
        return 0
    sizes = args.sizes or (list(QUICK) if args.quick else list(SIZES))
    info = machine()
    print(f"{info['cpu']}, {info['cores']} cores, {info['ram_gib']:.1f} GiB; Python "
          f"{info['python']}, numpy {info['numpy']}; {info['date']}")
    rows, raw = [], {}
    for name in sizes:
        buyers, repeats = SIZES[name]
        repeats = args.repeats or repeats
        runs = []
        for k in range(repeats):
            run = run_in_subprocess(buyers, args.steps, args.timeout)
            runs.append(run)
            print(f"  {name} run {k + 1}/{repeats}: {run['buyer_steps_per_s']:,.0f} buyer-steps/s, "
                  f"stepping {run['step_s']:.2f} s, setup {run['setup_s']:.2f} s "
                  f"(agents {run['agents_s']:.2f} s), results {run['results_s']:.2f} s, "
                  f"peak {mib(run['peak_rss'])} MiB", flush=True)
        raw[name] = runs
        rows.append(summarise(name, runs))
    print()
    print(table(rows))
    for line in verdicts(rows):
        print(line)
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "runs": raw}, indent=1))
    if not (args.quick or args.no_write):
        write_results(rows, info, RESULTS)
        print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
