"""The ``relsim`` command line: one module per command, each thin: parse, call the
package, print."""

from sim.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
