"""The engine benchmark at 100k x 20 run back to back for several commits, alternated.

Each commit's tree is exported (``git archive``) into a temporary folder, and
``benchmarks/bench_engine.py --worker BUYERS --steps STEPS`` of that tree runs in a fresh
process with that tree's ``sim`` first on the path (this checkout's virtual environment
provides the libraries). The commits take turns, round after round, so that a machine whose
load drifts slows them alike; the medians and each commit's ratio to the first are printed,
both for wall-clock time and for the process's CPU time (on a shared machine the CPU figure
is the fairer one: waiting for a core is not counted).

    .venv/bin/python benchmarks/compare_commits.py 2798509 HEAD --rounds 5
    .venv/bin/python benchmarks/compare_commits.py 2798509 c2df396 HEAD --json runs.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def export(commit: str, into: Path) -> Path:
    """The tree of ``commit`` written under ``into``; returns its folder."""
    folder = into / commit.replace("/", "_")
    folder.mkdir()
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def run_once(tree: Path, buyers: int, steps: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run([sys.executable, "benchmarks/bench_engine.py", "--worker", str(buyers),
                           "--steps", str(steps)], cwd=tree, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the benchmark of {tree.name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commits", nargs="+", help="commits to compare; ratios are to the first")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each commit (default 5)")
    parser.add_argument("--buyers", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--json", type=Path, help="also write every run here")
    args = parser.parse_args(argv)
    names = [subprocess.run(["git", "rev-parse", "--short", c], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.strip() for c in args.commits]
    runs: dict[str, list[dict]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="relsim_commits_") as tmp:
        trees = {name: export(name, Path(tmp)) for name in names}
        for k in range(args.rounds):
            for name in names:
                run = run_once(trees[name], args.buyers, args.steps)
                runs[name].append(run)
                print(f"round {k + 1} {name}: {run['buyer_steps_per_s']:>10,.0f} buyer-steps/s, "
                      f"{run['buyer_steps_per_cpu_s']:>10,.0f} per CPU-s, load {run['load_at_start']:.1f}",
                      flush=True)
    first = names[0]
    print()
    print("| commit | buyer-steps/s (median) | ratio | per CPU-s (median) | ratio | load at start |")
    print("|---|---|---|---|---|---|")
    for name in names:
        wall = statistics.median(r["buyer_steps_per_s"] for r in runs[name])
        cpu = statistics.median(r["buyer_steps_per_cpu_s"] for r in runs[name])
        wall0 = statistics.median(r["buyer_steps_per_s"] for r in runs[first])
        cpu0 = statistics.median(r["buyer_steps_per_cpu_s"] for r in runs[first])
        loads = [r["load_at_start"] for r in runs[name]]
        print(f"| {name} | {wall:,.0f} | {wall / wall0:.2f} | {cpu:,.0f} | {cpu / cpu0:.2f} | "
              f"{min(loads):.1f}-{max(loads):.1f} |")
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
