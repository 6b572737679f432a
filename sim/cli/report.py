"""``relsim report``: the HTML report and figures of a ``run`` or ``compare`` folder."""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    p = sub.add_parser("report", help="draw the HTML report and figures of a results folder",
                       description="Draw a self-contained HTML report and PNG figures for the output "
                       "of relsim run or relsim compare.")
    p.add_argument("results", help="results folder")
    p.add_argument("--objective", help="the outcome a comparison's alternatives are ranked on (default: the one "
                   "relsim compare was given, else npv_profit); any KPI name of summary.csv, e.g. market_share")
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    from sim.report import FIGURES, write_report

    page = write_report(args.results, objective=args.objective)
    names = [f"{spec.name}.png" for spec in FIGURES
             if (page.parent / "figures" / f"{spec.name}.png").exists()]
    print(f"report: {page}")
    print(f"figures: {page.parent / 'figures'}/ ({', '.join(names)})")
    return 0
