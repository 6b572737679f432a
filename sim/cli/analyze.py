"""``relsim analyze``: tables, figures, sensitivity indices and scenario discovery of a sweep."""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    p = sub.add_parser("analyze", help="analyse a sweep: effects, Sobol, Morris, PRIM boxes",
                       description="Read a sweep store and write DIR/analysis/: a self-contained HTML "
                       "page, figures (PNG) and tables (CSV): effects by parameter, interactions, "
                       "heatmaps, Sobol or Morris indices, and the PRIM box of where the outcome holds.")
    p.add_argument("results", help="sweep store written by relsim sweep")
    p.add_argument("--outcome", help="summary outcome of the focal supplier, or one of the sweep's "
                   "[outcomes] (default: the sweep's first [outcomes] entry, else cumulative_profit)")
    p.add_argument("--alternative", help="with a comparison: the alternative whose advantage over the "
                   "baseline (the first) is analysed (default: the last)")
    p.add_argument("--relative", action="store_true", help="with a comparison: the advantage relative to "
                   "the baseline's mean at each point (+25%%: a quarter more), as compare reports it")
    p.add_argument("--above", type=float, metavar="VALUE",
                   help="scenario discovery looks for points whose mean outcome is at least VALUE "
                   "(default: the top quarter of points); in a comparison, whose mean advantage is at least "
                   "VALUE (default: above 0, where the alternative wins; with --relative 0.5 means +50%%)")
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    from sim.observe.numbers import number, percent, plain, with_interval
    from sim.report.analyze import unsettled_text, write_analysis

    page, a = write_analysis(args.results, args.outcome, args.alternative, args.above, args.relative)
    print(f"{a.label} over {a.runs_analysed()} at {len(a.per_point)} points")
    for note in a.notes:
        print(f"note: {note}")
    if a.sobol is not None:
        for _, r in a.sobol.iterrows():
            print(f"  Sobol {r['parameter']}: S1 {with_interval(r['S1'], r['S1_conf'], 'score')}, "
                  f"ST {with_interval(r['ST'], r['ST_conf'], 'score')}")
    if a.morris is not None:
        for _, r in a.morris.sort_values("mu_star", ascending=False).iterrows():
            print(f"  Morris {r['parameter']}: mu* {number(r['mu_star'], a.kind)}, "
                  f"sigma {number(r['sigma'], a.kind)}")
    if a.noise_text:
        print(f"  {a.noise_text}")
    if a.box is not None:
        b = a.box
        print(f"  where {a.target}: coverage {percent(b.coverage, 0)}, density {percent(b.density, 0)}, "
              f"mass {percent(b.mass, 0)}")
        print(f"    {unsettled_text(a)}")
        for _, r in b.limits.iterrows():
            where = (f"one of {', '.join(map(plain, r['levels']))}" if r["levels"] is not None
                     else f"{plain(r['low'])} to {plain(r['high'])}")
            print(f"    {r['parameter']}: {where}")
    print(f"analysis: {page}")
    return 0
