"""The ``relsim`` command line."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .schema import ScenarioError

DEFAULT_SCENARIO = "scenarios/b2b_key_accounts.toml"


def _positive_int(name: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} = {text!r}: must be a whole number") from None
        if value < (0 if name == "--seed" else 1):
            raise argparse.ArgumentTypeError(
                f"{name} = {value}: must be {'>= 0' if name == '--seed' else '>= 1'}")
        return value
    return parse


def _set_pairs(items: list[str] | None) -> dict:
    from .scenario import parse_override_value

    overrides = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"--set {item!r}: expected KEY=VALUE, e.g. --set buyers.switching_cost=0.1")
        overrides[key.strip()] = parse_override_value(value.strip())
    return overrides


def _load(path: str, sets: list[str] | None = None, steps: int | None = None):
    from .scenario import load_scenario

    scenario = load_scenario(path)
    overrides = _set_pairs(sets)
    if steps is not None:
        overrides["market.steps"] = steps
    return scenario.with_overrides(overrides) if overrides else scenario


def cmd_run(args: argparse.Namespace) -> int:
    from .progress import Progress
    from .report_text import print_summary
    from .runner import run

    scenario = _load(args.scenario, args.set, args.steps)
    out = Path(args.out) if args.out else Path("results") / Path(args.scenario).stem
    reps = args.replicates or scenario.market.replicates
    bar = Progress(reps, f"{scenario.market.name}") if reps > 1 else None
    step_bar = Progress(scenario.market.steps, f"{scenario.market.name}: step") if reps == 1 else None
    progress = (bar or step_bar).update
    try:
        results = run(scenario, seed=args.seed, replicates=args.replicates, out=out,
                      workers=args.workers, overwrite=args.overwrite, progress=progress)
    except KeyboardInterrupt:
        (bar or step_bar).close()
        from .runner import ResultsFolder
        done = sorted(ResultsFolder(out).completed())
        print(f"\ninterrupted: {len(done)} finished replicate(s) are saved in {out}; run the same "
              f"command again to resume from there", file=sys.stderr)
        return 130
    (bar or step_bar).close()
    print_summary(results, out)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    for path in args.scenarios:
        scenario = _load(path, args.set)
        table = scenario.supplier_table()
        print(f"{path}: ok — {scenario.market.name!r}: {scenario.market.buyers} buyers in "
              f"{len(scenario.segments)} segment(s), {len(table)} suppliers, "
              f"{scenario.market.steps} steps, {len(scenario.events)} event(s)")
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    from .docs_params import parameter_reference

    print(parameter_reference())
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from .compare import cli_compare

    return cli_compare(args)


def cmd_report(args: argparse.Namespace) -> int:
    from .report import cli_report

    return cli_report(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="relsim", description="Relationship-market simulator: suppliers and buyers moving "
        "through relationship stages with trust, commitment and switching.",
        epilog="Start with: relsim run scenarios/b2b_key_accounts.toml")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("run", help="run a scenario and write a results folder",
                       description="Run a scenario (with replicates) and write manifest, series, "
                       "event log and relationship table as Parquet, then print a summary by strategy.")
    p.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO,
                   help=f"scenario file (default: {DEFAULT_SCENARIO})")
    p.add_argument("--seed", type=_positive_int("--seed"), help="root seed (default: market.seed)")
    p.add_argument("--steps", type=_positive_int("--steps"), help="steps (default: market.steps)")
    p.add_argument("--replicates", type=_positive_int("--replicates"),
                   help="replicates (default: market.replicates)")
    p.add_argument("--out", help="results folder (default: results/SCENARIO_NAME); an interrupted "
                   "run in it is resumed")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a scenario field, e.g. --set buyers.switching_cost=0.1")
    p.add_argument("--workers", type=_positive_int("--workers"),
                   help="processes for replicates (default: all cores)")
    p.add_argument("--overwrite", action="store_true", help="replace results already in --out")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("validate", help="check scenario files without running them",
                       description="Check scenario files: every key, type, range and name.")
    p.add_argument("scenarios", nargs="+", help="scenario files")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="also check these overrides")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("params", help="list every scenario parameter with default, range and meaning",
                       description="Print the scenario parameter reference.")
    p.set_defaults(func=cmd_params)

    p = sub.add_parser("compare", help="compare strategies on one market (what-if)",
                       description="Run the same market under each alternative strategy with common "
                       "random numbers and report differences with 95% confidence intervals.")
    p.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO, help="scenario file")
    p.add_argument("--alternatives", default="transactional,relationship",
                   help="comma-separated strategy names (presets or the scenario's own) or scenario "
                   "files (default: transactional,relationship)")
    p.add_argument("--replicates", type=_positive_int("--replicates"), default=20,
                   help="replicates per alternative (default 20)")
    p.add_argument("--seed", type=_positive_int("--seed"), help="root seed (default: market.seed)")
    p.add_argument("--steps", type=_positive_int("--steps"), help="steps (default: market.steps)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="what-if override, e.g. --set buyers.switching_cost=0.1")
    p.add_argument("--out", help="results folder (default: results/compare-SCENARIO_NAME)")
    p.add_argument("--workers", type=_positive_int("--workers"), help="processes (default: all cores)")
    p.add_argument("--overwrite", action="store_true", help="replace results already in --out")
    p.add_argument("--focal", help="the [[suppliers]] entry whose strategy varies (default: the entry "
                   "marked focal = true, else the first)")
    p.add_argument("--independent-seeds", action="store_true",
                   help="give each alternative its own seeds instead of common random numbers "
                   "(wider intervals; for teaching why common random numbers matter)")
    p.add_argument("--no-report", action="store_true", help="skip the HTML report and figures")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("report", help="draw the HTML report and figures of a results folder",
                       description="Draw a self-contained HTML report and PNG figures for the output "
                       "of relsim run or relsim compare.")
    p.add_argument("results", help="results folder")
    p.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except ScenarioError as exc:
        for line in exc.messages:
            print(f"error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # disk full, permissions: finished replicate files stay on disk
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
