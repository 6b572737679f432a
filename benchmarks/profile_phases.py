"""Where a step's time goes: CPU seconds per phase of the engine (and the recorder) for the
engine benchmark's scenario, or a cProfile of the whole run.

The scenario is ``bench_engine.py``'s (the default market, every mechanism on), with the
number of suppliers chosen here. Each phase function the engine calls is wrapped with a
``time.process_time()`` timer (CPU time of this process: on a shared machine it is the work
itself, not the wait for a core), so the shares add up to the stepping time.

    .venv/bin/python benchmarks/profile_phases.py                       # 100k x 20 x 20 steps
    .venv/bin/python benchmarks/profile_phases.py --buyers 100000 --suppliers 4 --steps 20
    .venv/bin/python benchmarks/profile_phases.py --cprofile 30         # top 30 functions
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import scenario_for  # noqa: E402  (the benchmark's own scenario)

#: the phase functions the engine's step calls, by module (sim/engine/market.py)
PHASE_FUNCTIONS = (("events", "apply_scheduled"), ("awareness", "spread"), ("choice", "choose"),
                   ("delivery", "deliver"), ("service", "serve"), ("learning", "learn"),
                   ("stages", "transition"), ("economics", "account"), ("imitation", "imitate"))


def scenario(buyers: int, suppliers: int, steps: int):
    """The benchmark's scenario with ``suppliers`` suppliers, half PriceLine, half Partners."""
    return scenario_for(buyers, steps).with_overrides(
        {"suppliers[PriceLine].count": suppliers // 2,
         "suppliers[Partners].count": suppliers - suppliers // 2}, source="profile")


def time_phases(buyers: int, suppliers: int, steps: int) -> dict[str, float]:
    """CPU seconds per phase over ``steps`` steps (plus the recorder and the whole step)."""
    from sim.engine import market
    from sim.observe.market import ObservedMarket

    totals: dict[str, float] = {}

    def timed(name, function):
        def wrapper(*args, **kwargs):
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                totals[name] = totals.get(name, 0.0) + time.process_time() - start
        return wrapper

    originals = [(getattr(market, module), attr, getattr(getattr(market, module), attr))
                 for module, attr in PHASE_FUNCTIONS]
    for (module, attr), (owner, _, function) in zip(PHASE_FUNCTIONS, originals):
        setattr(owner, attr, timed(module, function))
    try:
        observed = ObservedMarket(scenario(buyers, suppliers, steps))
        record = observed.recorder.record
        observed.recorder.record = timed("recorder", record)
        start = time.process_time()
        observed.run(steps)
        totals["step (all)"] = time.process_time() - start
    finally:
        for owner, attr, function in originals:
            setattr(owner, attr, function)
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=100_000)
    parser.add_argument("--suppliers", type=int, default=20)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print the CPU seconds per phase as one "
                        "JSON line instead (what phase_ab.py reads)")
    parser.add_argument("--cprofile", type=int, metavar="TOP", help="profile the run with cProfile "
                        "and print the TOP functions by their own time instead")
    args = parser.parse_args(argv)
    if not args.json:
        print(f"{args.buyers:,} buyers x {args.suppliers} suppliers x {args.steps} steps; "
              f"1-minute load {os.getloadavg()[0]:.1f}")
    if args.cprofile:
        from sim.observe.market import ObservedMarket

        observed = ObservedMarket(scenario(args.buyers, args.suppliers, args.steps))
        profile = cProfile.Profile(time.process_time)
        profile.runcall(observed.run, args.steps)
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.cprofile)
        return 0
    totals = time_phases(args.buyers, args.suppliers, args.steps)
    if args.json:
        print(json.dumps(totals))
        return 0
    whole = totals.pop("step (all)")
    for name, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<10} {seconds:7.2f} CPU-s  {100 * seconds / whole:5.1f}%")
    print(f"  {'step (all)':<10} {whole:7.2f} CPU-s; "
          f"{args.buyers * args.steps / whole:,.0f} buyer-steps per CPU-s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
