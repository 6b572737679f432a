"""Guard for performance work that changes the random draws or the float arithmetic: the
model must stay the same model in distribution, even where fixed seeds give other numbers.

Three library markets (the default one, scenarios/b2b_key_accounts.toml; the consumer
market; the key client loss, where escalation exits happen) run for SEEDS seeds each at a
modest size, and the across-seed means of each supplier's outcomes are compared between two
versions of the code: end market share, cumulative profit, retention per step, the stage mix
of its customers at the end (share in each of Ford's stages) and the market's escalation
exits over the run. The outcomes are the registry's own (``sim.observe.kpis``). Paired
differences per seed mean nothing once the draws differ, so each outcome's two means are
compared by Welch's difference: it has moved when the difference exceeds 3 of its standard
errors. The verdict is "STATISTICALLY SAME" or the list of outcomes that moved.

Around 150 outcomes are compared; with none of them really moved, a |difference| beyond 3
standard errors still turns up by chance about once in 200 outcomes (t with ~38 degrees of
freedom), so a single borderline flag is worth a rerun with other seeds (``--first-seed``)
before it is believed.

    # the working tree against a commit (each version runs in its own process)
    .venv/bin/python benchmarks/same_statistics.py compare 869dbe1 .
    # or against outcomes saved from a version before a change
    .venv/bin/python benchmarks/same_statistics.py save /tmp/relsim_stats_ref
    .venv/bin/python benchmarks/same_statistics.py check /tmp/relsim_stats_ref
"""

from __future__ import annotations

import argparse
import math
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
#: (case name, scenario file, buyers): modest sizes, every case's own suppliers and events
CASES = (("b2b_key_accounts", "b2b_key_accounts.toml", 2000),
         ("consumer_market", "consumer_market.toml", 2000),
         ("key_client_loss", "key_client_loss.toml", 2000))
SEEDS = 20
#: per-supplier outcomes, as the KPI registry names them
OUTCOMES = ("market_share", "cumulative_profit", "retention_rate", "share_early", "share_development",
            "share_long_term", "share_final")
THRESHOLD = 3.0  # standard errors


def collect(root: Path, seeds: int, first_seed: int) -> pd.DataFrame:
    """One row per case, seed and supplier (outcomes as columns), plus one row per case and
    seed with supplier "(market)" holding the escalation exits; run with the ``sim`` that is
    first on the path and the scenarios under ``root``."""
    from sim.config import load_scenario
    from sim.observe.kpis import replicate_outcomes
    from sim.observe.market import ObservedMarket

    rows = []
    for case, file, buyers in CASES:
        scenario = load_scenario(root / "scenarios" / file).with_overrides({"market.buyers": buyers},
                                                                           source="same_statistics")
        for seed in range(first_seed, first_seed + seeds):
            market = ObservedMarket(scenario, seed)
            market.run()
            outcomes = replicate_outcomes(market.supplier_frame(), by="supplier")
            for _, row in outcomes.iterrows():
                rows.append({"case": case, "seed": seed, "supplier": str(row["supplier"]),
                             **{name: float(row[name]) for name in OUTCOMES}})
            exits = float(market.market_frame()["escalation_exits"].sum())
            rows.append({"case": case, "seed": seed, "supplier": "(market)", "escalation_exits": exits})
    return pd.DataFrame(rows)


def compare(base: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """One row per case, supplier and outcome: the two means, their difference, its standard
    error (Welch) and the difference in standard errors."""
    rows = []
    for (case, supplier), a in base.groupby(["case", "supplier"], sort=False):
        b = other[(other["case"] == case) & (other["supplier"] == supplier)]
        for name in (*OUTCOMES, "escalation_exits"):
            if name not in a.columns:
                continue
            x = a[name].to_numpy(float)
            y = b[name].to_numpy(float) if name in b.columns else np.zeros(0)
            x, y = x[np.isfinite(x)], y[np.isfinite(y)]
            if len(x) == 0 and len(y) == 0:
                continue
            if len(x) < 2 or len(y) < 2:
                rows.append({"case": case, "supplier": supplier, "outcome": name,
                             "base": x.mean() if len(x) else math.nan,
                             "other": y.mean() if len(y) else math.nan, "difference": math.nan,
                             "se": math.nan, "z": math.inf})  # present on one side only: moved
                continue
            diff = float(y.mean() - x.mean())
            se = math.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
            z = 0.0 if diff == 0 else (diff / se if se > 0 else math.inf)
            rows.append({"case": case, "supplier": supplier, "outcome": name, "base": float(x.mean()),
                         "other": float(y.mean()), "difference": diff, "se": se, "z": z})
    return pd.DataFrame(rows)


def verdict(table: pd.DataFrame) -> str:
    """"STATISTICALLY SAME", or the outcomes beyond :data:`THRESHOLD` standard errors."""
    moved = table[table["z"].abs() > THRESHOLD]
    head = f"{len(table)} outcomes compared (Welch, across seeds); "
    if moved.empty:
        largest = table.loc[table["z"].abs().idxmax()] if len(table) else None
        extra = "" if largest is None else (f"; the largest difference is {largest['z']:+.2f} standard errors "
                                            f"({largest['case']}, {largest['supplier']}, {largest['outcome']})")
        return head + f"none beyond {THRESHOLD:g} standard errors{extra}.\nSTATISTICALLY SAME"
    lines = [head + f"{len(moved)} beyond {THRESHOLD:g} standard errors:"]
    for _, r in moved.iterrows():
        lines.append(f"  MOVED {r['case']}, {r['supplier']}, {r['outcome']}: {r['base']:.6g} -> {r['other']:.6g} "
                     f"({r['z']:+.2f} standard errors)")
    return "\n".join(lines)


def _collect_in(tree: Path, seeds: int, first_seed: int, out: Path) -> None:
    """Collect with ``tree``'s own ``sim`` and scenarios, in a fresh process."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "collect", str(out), "--root", str(tree),
                    "--seeds", str(seeds), "--first-seed", str(first_seed)], cwd=tree, env=env, check=True)


def _tree(version: str, into: Path) -> Path:
    """``.`` is this checkout (its working tree, changes included); anything else a commit,
    exported with ``git archive``."""
    if version == ".":
        return ROOT
    folder = into / version.replace("/", "_")
    folder.mkdir()
    archive = subprocess.run(["git", "archive", version], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("compare", "save", "check", "collect"))
    parser.add_argument("paths", nargs="*", help="compare: two versions (commits, or . for the working "
                        "tree); save/check: the reference folder; collect: the output file")
    parser.add_argument("--seeds", type=int, default=SEEDS)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    parser.add_argument("--table", type=Path, help="also write every outcome's comparison here (CSV)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.action == "collect":
        collect(args.root, args.seeds, args.first_seed).to_pickle(args.paths[0])
        return 0
    with tempfile.TemporaryDirectory(prefix="relsim_stats_") as tmp:
        if args.action == "compare":
            if len(args.paths) != 2:
                parser.error("compare takes two versions")
            frames = []
            for k, version in enumerate(args.paths):
                out = Path(tmp) / f"{k}.pkl"
                _collect_in(_tree(version, Path(tmp)), args.seeds, args.first_seed, out)
                frames.append(pd.read_pickle(out))
            base, other = frames
            names = args.paths
        else:
            if len(args.paths) != 1:
                parser.error(f"{args.action} takes the reference folder")
            folder = Path(args.paths[0])
            out = Path(tmp) / "now.pkl"
            _collect_in(ROOT, args.seeds, args.first_seed, out)
            if args.action == "save":
                folder.mkdir(parents=True, exist_ok=True)
                with open(folder / "outcomes.pkl", "wb") as fh:
                    pickle.dump(pd.read_pickle(out), fh)
                print(f"saved {args.seeds} seeds of {len(CASES)} cases to {folder}")
                return 0
            base, other = pd.read_pickle(folder / "outcomes.pkl"), pd.read_pickle(out)
            names = [str(folder), "working tree"]
    table = compare(base, other)
    if args.table:
        table.to_csv(args.table, index=False)
    sizes = ", ".join(f"{case} at {buyers} buyers" for case, _, buyers in CASES)
    print(f"{names[0]} against {names[1]}: {args.seeds} seeds (from {args.first_seed}) of {sizes}; "
          f"{time.perf_counter() - started:.0f} s")
    print(verdict(table))
    return 0 if (table["z"].abs() <= THRESHOLD).all() else 1


if __name__ == "__main__":
    sys.exit(main())
