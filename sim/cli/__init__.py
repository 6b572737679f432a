"""The ``relsim`` command line: one module per command, each thin: parse, call the
package, print.

The entry point imports the commands (and with them numpy, pandas, Mesa) inside ``main``, so
that a Ctrl-C during that second of importing is a quiet interruption, not a traceback."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    try:
        from sim.cli.main import main as run_command
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    return run_command(argv)


def build_parser():
    from sim.cli.main import build_parser as parser

    return parser()


__all__ = ["build_parser", "main"]
