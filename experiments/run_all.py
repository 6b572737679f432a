"""Run every study under experiments/ (each experiments/NAME/study.py's ``main``) and print
its headline numbers, one a line, written by the product's number formatter (a study's
``HEADLINE_KINDS`` says which are shares, rates, money...). ``--quick`` runs the small
versions the tests use (seconds each). The same lines go to ``NAME/headline.txt`` (the small
versions': ``NAME/quick/headline.txt``), so that every number the docs quote from a headline is
in a committed file that a regeneration keeps current.

The studies that are sweeps (a ``NAME/sweep.toml``) run it afresh into ``NAME/results/`` by
default, so that their figures come from the model as it is now; ``--resume`` keeps the runs
an interrupted regeneration finished, and ``--workers N`` runs them on N processes."""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: the file beside a study's figure and table that holds its headline, as printed
HEADLINE = "headline.txt"


def studies() -> list[str]:
    return sorted(p.parent.name for p in HERE.glob("*/study.py"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small versions (seconds each)")
    parser.add_argument("--resume", action="store_true", help="sweep studies: keep the finished runs in "
                        "their stores and run the rest (default: run afresh)")
    parser.add_argument("--workers", type=int, default=1, help="sweep studies: worker processes (default 1: "
                        "in this process)")
    parser.add_argument("names", nargs="*", help="studies to run (default: all)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE.parent))
    from experiments.common import headline_lines

    names = args.names or studies()
    unknown = sorted(set(names) - set(studies()))
    if unknown:
        print(f"no such study: {', '.join(unknown)}; studies: {', '.join(studies())}", file=sys.stderr)
        return 2
    for name in names:
        started = time.perf_counter()
        module = importlib.import_module(f"experiments.{name}.study")
        study = module.main
        accepts = inspect.signature(study).parameters
        options = {k: v for k, v in (("resume", args.resume), ("workers", args.workers)) if k in accepts}
        headline = study(quick=args.quick, **options)
        lines = "\n".join(headline_lines(headline, getattr(module, "HEADLINE_KINDS", None)))
        # beside the figure and table the study wrote (its small version's under quick/)
        (HERE / name / "quick" if args.quick else HERE / name).joinpath(HEADLINE).write_text(lines + "\n")
        print(f"{name} ({time.perf_counter() - started:.0f} s):")
        print(lines, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
