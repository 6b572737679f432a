"""``relsim sweep``: run a sweep file's design into a resumable results store."""

from __future__ import annotations

import argparse
import sys

from sim.cli.common import note_pages_drawn_earlier, positive_int


def add_parser(sub) -> None:
    p = sub.add_parser("sweep", help="run a parameter sweep (grid, Latin hypercube, Sobol, Morris)",
                       description="Run every point and replicate of a sweep file's design and write "
                       "one row per run to a Parquet store as runs finish. Run the same command again "
                       "to resume an interrupted sweep, or to extend it after adding replicates or "
                       "points. Local processes by default, or a Dask cluster.")
    p.add_argument("spec", help="sweep file (TOML)")
    p.add_argument("--out", required=True, help="results store (a folder); an interrupted sweep in it "
                   "is resumed")
    p.add_argument("--workers", type=positive_int("--workers"),
                   help="local worker processes (default: all cores)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on the Dask cluster whose scheduler is at ADDRESS (tcp://HOST:8786)")
    where.add_argument("--dask-local", type=positive_int("--dask-local"), metavar="N",
                       help="start a local Dask cluster of N worker processes for this sweep, and stop it")
    p.add_argument("--replicates", type=positive_int("--replicates"),
                   help="replicates per point (default: the sweep file's); more extends the sweep, fewer "
                   "than --out holds is refused")
    p.add_argument("--variant", metavar="NAME", help="run the sweep file's [variants.NAME] (e.g. quick: a "
                   "smaller version) instead of the file as it stands")
    p.add_argument("--overwrite", action="store_true", help="replace a sweep's results already in --out: "
                   "removes only the files relsim wrote there (its analysis included) and refuses a folder "
                   "that holds anything else")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    from sim.config.space import load_sweep
    from sim.experiment.sweep import dask_client, dask_local_cluster, runs_per_point, runs_text, sweep

    load_sweep(args.spec, args.variant)  # a bad file fails here, before any cluster starts
    client = cluster = None
    if args.scheduler:
        client = dask_client(args.scheduler)
    elif args.dask_local:
        client, cluster = dask_local_cluster(args.dask_local)
    try:
        results = sweep(args.spec, args.out, executor=client, workers=args.workers,
                        progress=not args.no_progress, overwrite=args.overwrite,
                        replicates=args.replicates, variant=args.variant)
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished runs are saved in {args.out}; run the same command again to "
              f"resume", file=sys.stderr)
        return 130
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    m = results.manifest
    reused = int(m.get("reused_runs") or 0)
    before = (m.get("history") or [{}])[-1]
    if before.get("status") == "interrupted":  # what the store held: say what became of it
        how = "its writer was killed" if before.get("writer_killed") else "stopped before it finished"
        print(f"resumed the sweep in {results.path}, interrupted earlier ({how}; no process held the folder)")
    # counted in runs, as runs.parquet's rows and the progress bar count them: a comparison's
    # point and replicate is one run per alternative (the manifest counts points x replicates)
    alternatives = m.get("alternatives") or []
    per = runs_per_point(alternatives)
    if reused:
        ran = (m["points"] * m["replicates"] - reused) * per
        print(f"reused {reused * per} finished run(s)" + (f"; ran {ran} more" if ran else " (nothing left to run)"))
    size = runs_text(m["points"], m.get("design_rows") or m["points"], m["design"]["kind"], m["replicates"],
                     alternatives)
    print(f"sweep: {size} in {results.path} ({m['wall_time_s']:.1f} s)")
    if results.failed:
        print(f"warning: {results.failed} run(s) failed; their errors are in the 'error' column of "
              f"{results.path}/runs.parquet", file=sys.stderr)
    note_pages_drawn_earlier(results.path, m["points"] * m["replicates"] - reused)
    print(f"next: relsim analyze {results.path}")
    return 0
