"""The ``relsim`` command line: one module per command, each thin: parse, call the
package, print."""

try:
    from sim.cli.main import build_parser, main
except KeyboardInterrupt:  # Ctrl-C in the second the command spends importing numpy, pandas, Mesa
    import sys

    print("\ninterrupted", file=sys.stderr)
    raise SystemExit(130) from None

__all__ = ["build_parser", "main"]
