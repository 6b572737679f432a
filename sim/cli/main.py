"""The ``relsim`` entry point: one sub-command per module of this package."""

from __future__ import annotations

import argparse
import os
import sys

from sim.cli import analyze, app, compare, params, report, run, sweep, validate
from sim.config.schema import ScenarioError

COMMANDS = (run, validate, params, compare, report, sweep, analyze, app)


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
        code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handlers below
        return code
    except ScenarioError as exc:
        for line in exc.messages:
            print(f"error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`relsim run ... | head -1`): what it wanted it has; the results
        # are on disk. Say nothing, and keep Python from complaining when it flushes at exit.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # stdout replaced (tests capture it)
            pass
        return 0
    except RecursionError:
        print("error: the input is nested too deeply to read", file=sys.stderr)
        return 2
    except OSError as exc:  # disk full, permissions: finished replicate files stay on disk
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
