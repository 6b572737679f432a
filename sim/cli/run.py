"""``relsim run``: run a scenario's replicates into a results folder and print the summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.common import DEFAULT_SCENARIO, load, note_pages_drawn_earlier, positive_int


def add_parser(sub) -> None:
    p = sub.add_parser("run", help="run a scenario and write a results folder",
                       description="Run a scenario (with replicates) and write manifest, series, "
                       "event log and relationship table as Parquet, then print a summary by strategy.")
    p.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO,
                   help=f"scenario file (default: {DEFAULT_SCENARIO})")
    p.add_argument("--seed", type=positive_int("--seed"), help="root seed (default: market.seed)")
    p.add_argument("--steps", type=positive_int("--steps"), help="steps (default: market.steps)")
    p.add_argument("--replicates", type=positive_int("--replicates"),
                   help="replicates (default: market.replicates)")
    p.add_argument("--out", help="results folder (default: results/SCENARIO_NAME); an interrupted "
                   "run in it is resumed")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a scenario field, e.g. --set buyers.switching_cost=0.1")
    p.add_argument("--workers", type=positive_int("--workers"),
                   help="processes for replicates (default: all cores)")
    p.add_argument("--overwrite", action="store_true", help="replace results already in --out")
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    from sim.experiment.progress import Progress
    from sim.experiment.run import ResultsFolder, run
    from sim.report.text import print_summary

    scenario = load(args.scenario, args.set, args.steps)
    out = Path(args.out) if args.out else Path("results") / Path(args.scenario).stem
    reps = args.replicates or scenario.market.replicates
    bar = Progress(reps, f"{scenario.market.name}") if reps > 1 else None
    step_bar = Progress(scenario.market.steps, f"{scenario.market.name}: step") if reps == 1 else None
    progress = bar or step_bar
    try:
        results = run(scenario, seed=args.seed, replicates=args.replicates, out=out,
                      workers=args.workers, overwrite=args.overwrite, progress=progress)
    except KeyboardInterrupt:
        (bar or step_bar).close()
        done = sorted(ResultsFolder(out).completed())
        print(f"\ninterrupted: {len(done)} finished replicate(s) are saved in {out}; run the same "
              f"command again to resume from there", file=sys.stderr)
        return 130
    (bar or step_bar).close()
    reused = results.manifest.get("reused_replicates", 0)
    if reused:
        print(f"reused {reused} finished replicate{'s' if reused != 1 else ''} from {out}"
              + (f"; ran {reps - reused} more" if reps > reused else " (nothing left to run)"))
    print_summary(results, out)
    note_pages_drawn_earlier(out, reps - reused)
    return 0
