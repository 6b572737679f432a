"""How long a small command takes from start to finish, for several commits, alternated: what a
user waits for at every `relsim run` and `relsim compare`, most of it imports and process
start-up, not simulation.

Each commit's tree is exported as ``compare_commits.py`` does and its ``sim`` put first on the
path (this checkout's virtual environment provides the libraries). Per round and commit: `relsim
run` of a 400-buyer, 30-step market with 8 replicates on 1 and on 2 workers, and `relsim compare`
of two alternatives with 4 replicates on 2 workers without the report, each into a fresh folder.
Medians of the rounds' wall times, and each commit's ratio to the first.

    .venv/bin/python benchmarks/bench_startup.py 8ee1bab HEAD --rounds 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare_commits import export  # noqa: E402  (the same export of a commit's tree)

MARKET = """[market]
name = "start-up benchmark"
buyers = 400
steps = 30
replicates = 8
seed = 7

[[suppliers]]
name = "Us"
strategy = "relationship"

[[suppliers]]
name = "Them"
strategy = "transactional"
"""

#: the commands timed, by name: relsim's arguments after the scenario's path and --out
COMMANDS = {"run, 1 worker": ["run", "{scenario}", "--out", "{out}", "--workers", "1"],
            "run, 2 workers": ["run", "{scenario}", "--out", "{out}", "--workers", "2"],
            "compare, 2 workers": ["compare", "{scenario}", "--alternatives", "transactional,relationship",
                                   "--replicates", "4", "--out", "{out}", "--workers", "2", "--no-report"]}


def time_command(tree: Path, arguments: list[str], scenario: Path, out: Path) -> float:
    command = [sys.executable, "-m", "sim.cli", *(a.format(scenario=scenario, out=out) for a in arguments)]
    start = time.perf_counter()
    subprocess.run(command, cwd=tree, env=dict(os.environ, PYTHONPATH=str(tree)), check=True,
                   capture_output=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commits", nargs="+")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        scenario = scratch / "market.toml"
        scenario.write_text(MARKET)
        trees = {c: export(c, scratch) for c in args.commits}
        times = {(c, name): [] for c in args.commits for name in COMMANDS}
        for r in range(args.rounds):
            for c in args.commits:
                for name, arguments in COMMANDS.items():
                    out = scratch / f"out-{r}-{c}-{len(times[c, name])}-{name.split(',')[0]}"
                    times[c, name].append(time_command(trees[c], arguments, scenario, out))
    print(f"{args.rounds} rounds, alternated; 1-minute load at the end {os.getloadavg()[0]:.1f}")
    for name in COMMANDS:
        first = statistics.median(times[args.commits[0], name])
        for c in args.commits:
            median = statistics.median(times[c, name])
            print(f"  {name:<20} {c:<10} median {median:5.2f} s (min {min(times[c, name]):5.2f}, max "
                  f"{max(times[c, name]):5.2f})  x{median / first:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
