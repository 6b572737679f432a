"""``relsim validate``: check scenario files without running them."""

from __future__ import annotations

import argparse
import sys

from sim.cli.common import load
from sim.config.schema import ScenarioError


def add_parser(sub) -> None:
    p = sub.add_parser("validate", help="check scenario files without running them",
                       description="Check scenario files: every key, type, range and name.")
    p.add_argument("scenarios", nargs="+", help="scenario files")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="also check these overrides")
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Check every file given and report each one, good or bad; exit 2 if any is bad."""
    failed = 0
    for path in args.scenarios:
        try:
            scenario = load(path, args.set)
        except ScenarioError as exc:
            failed += 1
            for line in exc.messages:
                print(f"error: {line}", file=sys.stderr)
            continue
        table = scenario.supplier_table()
        print(f"{path}: ok — {scenario.market.name!r}: {scenario.market.buyers} buyers in "
              f"{len(scenario.segments)} segment(s), {len(table)} suppliers, "
              f"{scenario.market.steps} steps, {len(scenario.events)} event(s)")
    if failed and len(args.scenarios) > 1:
        print(f"{failed} of {len(args.scenarios)} scenario files have problems", file=sys.stderr)
    return 2 if failed else 0
