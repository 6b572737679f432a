"""``relsim validate``: check scenario files without running them."""

from __future__ import annotations

import argparse

from sim.cli.common import load


def add_parser(sub) -> None:
    p = sub.add_parser("validate", help="check scenario files without running them",
                       description="Check scenario files: every key, type, range and name.")
    p.add_argument("scenarios", nargs="+", help="scenario files")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="also check these overrides")
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    for path in args.scenarios:
        scenario = load(path, args.set)
        table = scenario.supplier_table()
        print(f"{path}: ok — {scenario.market.name!r}: {scenario.market.buyers} buyers in "
              f"{len(scenario.segments)} segment(s), {len(table)} suppliers, "
              f"{scenario.market.steps} steps, {len(scenario.events)} event(s)")
    return 0
