"""``relsim params``: every scenario parameter with its default, range, unit and meaning."""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    p = sub.add_parser("params", help="list every scenario parameter with default, range and meaning",
                       description="Print the scenario parameter reference.")
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    from sim.config.reference import parameter_reference

    print(parameter_reference())
    return 0
