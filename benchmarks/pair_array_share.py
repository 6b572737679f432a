"""How much of a step's time is spent on lines that read or write the buyer x supplier pair
arrays: the most that any change of their memory layout (compact storage of the live
relationships, say) could save.

Every function of the engine's phase modules is line-profiled (line_profiler, not a dependency
of relsim: ``.venv/bin/pip install line_profiler``) over the benchmark's scenario
(``bench_engine.py``'s, via ``profile_phases.py``). A line counts as a pair-array line when it
names ``state.<pair array>``; its whole time counts, arithmetic and the functions it calls
included, so the shares are upper bounds. "Relationship-only" lines are those that touch only
the arrays that hold a value just for a live relationship (cleared when it ends: commitment,
adaptation, escalation, drift gap, last problem), the ones a compact per-relationship store
would hold.

    .venv/bin/python benchmarks/pair_array_share.py --buyers 100000 --suppliers 20 --steps 120
"""

from __future__ import annotations

import argparse
import inspect
import linecache
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from profile_phases import scenario  # noqa: E402  (the benchmark's own scenario)

#: the N x S arrays of sim/engine/state.py (MarketState.allocate_pairs)
PAIR_ARRAYS = ("stage", "barred", "complained", "trust", "commitment", "preference", "loyalty",
               "adaptation", "escalation", "start_step", "stage_start", "orders", "expectation",
               "net_value", "last_problem", "drift_gap", "wallet", "price_paid")
#: cleared by end_relationships (sim/engine/phases/events.py): a value only while it is live
RELATIONSHIP_ONLY = ("commitment", "adaptation", "escalation", "drift_gap", "last_problem")
PHASE_CALL = re.compile(r"(awareness|choice|delivery|service|learning|stages|economics|imitation|events)\.\w+\(")


def main(argv: list[str] | None = None) -> int:
    from line_profiler import LineProfiler

    from sim.engine import market, pricing
    from sim.engine.phases import awareness, choice, delivery, economics, events, learning, service, stages
    from sim.observe.market import ObservedMarket

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=100_000)
    parser.add_argument("--suppliers", type=int, default=20)
    parser.add_argument("--steps", type=int, default=120)
    args = parser.parse_args(argv)
    profiler = LineProfiler()
    profiler.add_function(market.MarketEngine.step)
    for module in (awareness, choice, delivery, economics, events, learning, service, stages, pricing):
        for function in vars(module).values():
            if inspect.isfunction(function) and function.__module__ == module.__name__:
                profiler.add_function(function)
    observed = ObservedMarket(scenario(args.buyers, args.suppliers, args.steps))
    profiler.runcall(observed.run, args.steps)
    stats = profiler.get_stats()
    phases = pair = relationship_only = 0.0
    for (filename, _, _), lines in stats.timings.items():
        for number, _, time in lines:
            source = linecache.getline(filename, number)
            seconds = time * stats.unit
            if filename.endswith("market.py") and PHASE_CALL.search(source):
                phases += seconds
                continue
            named = [name for name in PAIR_ARRAYS if re.search(rf"state\.{name}\b", source)]
            if named:
                pair += seconds
                relationship_only += seconds if set(named) <= set(RELATIONSHIP_ONLY) else 0.0
    per_step = 1e3 / args.steps
    print(f"{args.buyers:,} buyers x {args.suppliers} suppliers x {args.steps} steps; "
          f"1-minute load {os.getloadavg()[0]:.1f}; times under the line profiler")
    print(f"  the phases:                 {phases * per_step:6.1f} ms a step")
    print(f"  lines on any pair array:    {pair * per_step:6.1f} ms a step ({pair / phases:.1%})")
    print(f"  of which relationship-only: {relationship_only * per_step:6.1f} ms a step "
          f"({relationship_only / phases:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
