"""``relsim validate``: check scenario and sweep files without running them."""

from __future__ import annotations

import argparse
import sys

from sim.cli.common import load
from sim.config.schema import ScenarioError


def add_parser(sub) -> None:
    p = sub.add_parser("validate", help="check scenario and sweep files without running them",
                       description="Check scenario files: every key, type, range and name. A sweep file "
                       "(one with a [sweep] table) is checked as `relsim sweep` checks it before running: "
                       "its base scenario, [set], parameters, design, outcomes and [compare] alternatives, "
                       "and each of its [variants].")
    p.add_argument("scenarios", nargs="+", metavar="FILE", help="scenario or sweep files")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="also check these overrides "
                   "(scenario files; a sweep file's own go in its [set] table)")
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Check every file given and report each one, good or bad; exit 2 if any is bad."""
    failed = 0
    for path in args.scenarios:
        try:
            lines = _check_sweep(path, args.set) if _is_sweep(path) else [_check_scenario(path, args.set)]
        except ScenarioError as exc:
            failed += 1
            for line in exc.messages:
                print(f"error: {line}", file=sys.stderr)
            continue
        print(f"{path}: ok — {lines[0]}")
        for line in lines[1:]:
            print(f"  {line}")
    if failed and len(args.scenarios) > 1:
        print(f"{failed} of {len(args.scenarios)} files have problems", file=sys.stderr)
    return 2 if failed else 0


def _is_sweep(path: str) -> bool:
    """A sweep file is one with a [sweep] table; a file that cannot be read is left to the
    scenario loader, whose message says why."""
    from sim.config.scenario import is_sweep, read_toml

    try:
        return is_sweep(read_toml(path))
    except ScenarioError:
        return False


def _check_scenario(path: str, sets: list[str] | None) -> str:
    scenario = load(path, sets)
    table = scenario.supplier_table()
    return (f"{scenario.market.name!r}: {scenario.market.buyers} buyers in {len(scenario.segments)} segment(s), "
            f"{len(table)} suppliers, {scenario.market.steps} steps, {len(scenario.events)} event(s)")


def _check_sweep(path: str, sets: list[str] | None) -> list[str]:
    """What `relsim sweep` checks before it runs anything, for the file as it stands and for
    each of its variants: one summary line each."""
    from sim.config.scenario import read_toml
    from sim.config.space import load_sweep

    if sets:
        raise ScenarioError(f"{path}: --set checks a scenario file's overrides; this is a sweep file, whose "
                            f"fixed changes go in its [set] table")
    variants = read_toml(path, "sweep").get("variants")
    lines = [_sweep_summary(load_sweep(path))]
    for name in variants if isinstance(variants, dict) else ():
        lines.append(f"variant {name}: {_sweep_summary(load_sweep(path, name))}")
    return lines


def _sweep_summary(spec) -> str:
    from sim.experiment.sweep import check_sweep, runs_text

    points = check_sweep(spec)
    size = runs_text(int(points["point"].nunique()), len(points), spec.design.kind, spec.replicates,
                     spec.alternatives)
    return f"sweep {spec.name!r}: {size}, {spec.design.kind} design over {len(spec.names)} parameter(s)"
