"""``relsim compare``: the same market under alternative strategies for the focal supplier,
with common random numbers, paired differences and the report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.common import DEFAULT_SCENARIO, load, note_pages_drawn_earlier, positive_int, set_pairs


def add_parser(sub) -> None:
    p = sub.add_parser("compare", help="compare strategies on one market (what-if)",
                       description="Run the same market under each alternative strategy with common "
                       "random numbers and report differences with 95% confidence intervals.")
    p.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO, help="scenario file")
    p.add_argument("--alternatives",
                   help="comma-separated strategy names (presets or the scenario's own) or scenario "
                   "files; the first is the baseline (default: transactional,relationship, or the "
                   "scenario as is when only --alternative what-ifs are given)")
    p.add_argument("--alternative", action="append", metavar='"NAME: KEY=VALUE; ..."', dest="what_ifs",
                   help='a named what-if of the market, compared like a strategy with common random '
                   'numbers, e.g. --alternative "no entrant: events[0].step=never" (repeatable; '
                   'settings separated by semicolons, as --set takes them)')
    p.add_argument("--objective", default="npv_profit",
                   help="the outcome the report ranks alternatives on (default: npv_profit, the net "
                   "present value of profit; see the KPI names in summary.csv)")
    p.add_argument("--replicates", type=positive_int("--replicates"),
                   help="replicates per alternative (default: the scenario's market.replicates, or 20 "
                   "where it is 1, since one replicate gives no confidence interval)")
    p.add_argument("--seed", type=positive_int("--seed"), help="root seed (default: market.seed)")
    p.add_argument("--steps", type=positive_int("--steps"), help="steps (default: market.steps)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="what-if override, e.g. --set buyers.switching_cost=0.1")
    p.add_argument("--out", help="results folder (default: results/compare-SCENARIO_NAME)")
    p.add_argument("--workers", type=positive_int("--workers"), help="processes (default: all cores)")
    p.add_argument("--overwrite", action="store_true", help="replace results already in --out")
    p.add_argument("--focal", help="the [[suppliers]] entry whose strategy varies (default: the entry "
                   "marked focal = true, else the first)")
    p.add_argument("--focal-all", action="store_true",
                   help="vary every copy of a focal entry with count > 1 (default: only its first "
                   "copy, so the others stay rivals)")
    p.add_argument("--independent-seeds", action="store_true",
                   help="give each alternative its own seeds instead of common random numbers "
                   "(wider intervals; for teaching why common random numbers matter)")
    p.add_argument("--no-report", action="store_true", help="skip the HTML report and figures")
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    from sim.experiment.compare import compare
    from sim.experiment.progress import Progress

    # loaded with the options applied, so messages name them as typed; compare() applies them
    # again (to scenario-file alternatives too), which changes nothing here
    scenario = load(args.scenario, args.set, args.steps)
    overrides = set_pairs(args.set)
    if args.steps is not None:
        overrides["market.steps"] = args.steps
    out = Path(args.out) if args.out else Path("results") / f"compare-{Path(args.scenario).stem}"
    from sim.experiment.run import replicates_and_why

    replicates = replicates_and_why(scenario, args.replicates, comparison=True)[0]
    bar = Progress(replicates, "replicates")
    try:
        alternatives = args.alternatives or (None if args.what_ifs else "transactional,relationship")
        comparison = compare(scenario, alternatives, replicates=args.replicates, seed=args.seed,
                             focal=getattr(args, "focal", None), overrides=overrides, out=out,
                             workers=args.workers, overwrite=args.overwrite,
                             common_random_numbers=not getattr(args, "independent_seeds", False),
                             progress=bar, what_ifs=args.what_ifs, objective=args.objective,
                             focal_all=getattr(args, "focal_all", False))
    except KeyboardInterrupt:
        bar.close()
        print(f"\ninterrupted: finished replicates are saved under {out}/alternatives; run the same "
              f"command again to resume", file=sys.stderr)
        return 130
    bar.close()
    reused = comparison.manifest.get("reused_replicates", 0)
    if reused:
        total = comparison.manifest["replicates"] * len(comparison.alternatives)
        print(f"reused {reused} finished replicate{'s' if reused != 1 else ''} from {out}"
              + (f"; ran {total - reused} more" if total > reused else " (nothing left to run)"))
    from sim.report.text import print_comparison

    print_comparison(comparison, out)
    from sim.report import load_report_data
    from sim.report.answer import recommendation

    print(f"\nanswer ({args.objective}): {recommendation(load_report_data(out), args.objective)}")
    if not args.no_report:
        from sim.report import write_report

        page = write_report(out)
        print(f"report: {page}")
    else:
        ran = comparison.manifest["replicates"] * len(comparison.alternatives) - reused
        note_pages_drawn_earlier(out, ran)
    return 0
