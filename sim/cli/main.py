"""The ``relsim`` entry point: one sub-command per module of this package."""

from __future__ import annotations

import argparse
import os
import sys

from sim.cli import analyze, compare, params, report, run, sweep, validate
from sim.config.schema import ScenarioError

COMMANDS = (run, validate, params, compare, report, sweep, analyze)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="relsim", description="Relationship-market simulator: suppliers and buyers moving "
        "through relationship stages with trust, commitment and switching.",
        epilog="Start with: relsim run scenarios/b2b_key_accounts.toml")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    for command in COMMANDS:
        command.add_parser(sub)
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


