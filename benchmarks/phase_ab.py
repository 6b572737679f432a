"""CPU seconds per phase of the engine for two or more versions of the code, run back to back.

Each version is a commit (its tree exported with ``git archive``) or ``.`` (this working
tree, uncommitted changes included). ``profile_phases.py --json`` runs in a fresh process
with that version's ``sim`` first on the path, the versions taking turns round after round
so that a drifting machine slows them alike; the medians per phase and each version's ratio
to the first are printed. The scenario is this checkout's ``profile_phases.py`` one (the
engine benchmark's), so every version must be able to read it.

    .venv/bin/python benchmarks/phase_ab.py HEAD . --rounds 3
    .venv/bin/python benchmarks/phase_ab.py a8995b5 HEAD . --steps 60
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
sys.path.insert(0, str(ROOT / "benchmarks"))

from compare_commits import export  # noqa: E402  (the same export of a commit's tree)


def tree_of(version: str, into: Path) -> Path:
    """``.`` is this working tree; anything else a commit, exported as compare_commits.py does."""
    return ROOT if version == "." else export(version, into)


def run_once(tree: Path, buyers: int, suppliers: int, steps: int) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "profile_phases.py"), "--json",
                           "--buyers", str(buyers), "--suppliers", str(suppliers), "--steps", str(steps)],
                          cwd=tree, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"profile_phases.py of {tree} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("versions", nargs="+", help="commits, or . for the working tree; ratios are to the first")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--buyers", type=int, default=100_000)
    parser.add_argument("--suppliers", type=int, default=20)
    parser.add_argument("--steps", type=int, default=120)
    args = parser.parse_args(argv)
    runs: dict[str, list[dict]] = {v: [] for v in args.versions}
    with tempfile.TemporaryDirectory(prefix="relsim_phase_ab_") as tmp:
        trees = {v: tree_of(v, Path(tmp)) for v in args.versions}
        for k in range(args.rounds):
            for v in args.versions:
                runs[v].append(run_once(trees[v], args.buyers, args.suppliers, args.steps))
                print(f"round {k + 1} {v}: {runs[v][-1]['step (all)']:.2f} CPU-s, "
                      f"load {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
    phases = sorted(runs[args.versions[0]][0], key=lambda p: (p == "step (all)", -runs[args.versions[0]][0][p]))
    median = {v: {p: statistics.median(r[p] for r in runs[v]) for p in phases} for v in args.versions}
    first = args.versions[0]
    print(f"{args.buyers:,} buyers x {args.suppliers} suppliers x {args.steps} steps, "
          f"medians of {args.rounds} (CPU-s)")
    print("| phase | " + " | ".join(args.versions) + " |")
    print("|---|" + "---|" * len(args.versions))
    for p in phases:
        base = median[first][p]
        cells = [f"{base:.2f}"] + [f"{median[v][p]:.2f} ({median[v][p] / base:.2f}x)" if base else f"{median[v][p]:.2f}"
                                   for v in args.versions[1:]]
        print(f"| {p} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
