"""``relsim compare``: the same market under alternative strategies for the focal supplier,
with common random numbers, paired differences and the report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.common import DEFAULT_SCENARIO, positive_int, set_pairs


def add_parser(sub) -> None:
    p = sub.add_parser("compare", help="compare strategies on one market (what-if)",
                       description="Run the same market under each alternative strategy with common "
                       "random numbers and report differences with 95% confidence intervals.")
    p.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO, help="scenario file")
    p.add_argument("--alternatives", default="transactional,relationship",
                   help="comma-separated strategy names (presets or the scenario's own) or scenario "
                   "files (default: transactional,relationship)")
    p.add_argument("--replicates", type=positive_int("--replicates"), default=20,
                   help="replicates per alternative (default 20)")
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


def print_comparison(c, out: Path | None) -> None:
    import numpy as np
    import pandas as pd

    from sim.experiment.compare import METRICS, _number

    m = c.manifest
    print(f"{m['scenario_name']}: {len(c.alternatives)} alternatives for "
          f"{', '.join(c.focal)} (the supplier varied; every other supplier is unchanged), "
          f"{m['replicates']} replicates each "
          f"({'common random numbers' if m['common_random_numbers'] else 'independent seeds'}), "
          f"{m['wall_time_s']} s")
    table = c.summary.pivot(index="metric", columns="alternative", values="mean")
    half = c.summary.pivot(index="metric", columns="alternative", values="half_width")
    names = [a.name for a in c.alternatives]
    lines = []
    for metric in METRICS:
        label, kind = METRICS[metric]
        cells = []
        for name in names:
            mean, h = table.loc[metric, name], half.loc[metric, name]
            if kind == "rate":
                cells.append(f"{100 * mean:.1f}%" + (f" ± {_number(h, kind)[:-7]}" if np.isfinite(h) else ""))
            else:
                fmt = "{:,.0f}" if abs(mean) >= 100 else "{:.3g}"
                cells.append(fmt.format(mean) + (f" ± {_number(h, kind)}" if np.isfinite(h) else ""))
        lines.append([label] + cells)
    print(pd.DataFrame(lines, columns=["metric"] + names).to_string(index=False))
    print("(mean ± half-width of the 95% confidence interval across replicates)")
    print()
    for sentence in c.differences[c.differences["metric"].isin(
            ["cumulative_profit", "npv_profit", "market_share", "retention_rate"])]["sentence"]:
        print("- " + sentence)
    if out is not None:
        print(f"\nresults: {out}/ (metrics.parquet, summary.csv, differences.csv, alternatives/*/)")


def command(args: argparse.Namespace) -> int:
    from sim.config import load_scenario
    from sim.experiment.compare import compare
    from sim.experiment.progress import Progress

    scenario = load_scenario(args.scenario)
    overrides = set_pairs(args.set)
    if args.steps is not None:
        overrides["market.steps"] = args.steps
    out = Path(args.out) if args.out else Path("results") / f"compare-{Path(args.scenario).stem}"
    bar = Progress(args.replicates, "replicates")
    try:
        comparison = compare(scenario, args.alternatives, replicates=args.replicates, seed=args.seed,
                             focal=getattr(args, "focal", None), overrides=overrides, out=out,
                             workers=args.workers, overwrite=args.overwrite,
                             common_random_numbers=not getattr(args, "independent_seeds", False),
                             progress=bar.update, focal_all=getattr(args, "focal_all", False))
    except KeyboardInterrupt:
        bar.close()
        print(f"\ninterrupted: finished replicates are saved under {out}/alternatives; run the same "
              f"command again to resume", file=sys.stderr)
        return 130
    bar.close()
    print_comparison(comparison, out)
    if not args.no_report:
        from sim.report import write_report

        page = write_report(out)
        print(f"report: {page}")
    return 0
