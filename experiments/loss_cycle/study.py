"""Study h: the key-client loss cycle (seed 003) — who leaves by arbitration, and whose.

A client's repeated unresolved problems escalate through open dissatisfaction and an
ultimatum to arbitration and exit (cause ``escalation`` in the event log); a supplier that
hears the client in time settles the dispute. Two markets, each followed over the same seeds:
the default B2B market (two basic transactional suppliers against two relationship
suppliers), and ``key_client_loss`` (Reliant, reactive, and Careful, accountable with two
key-account managers, whose service fails from month 24 to 60, against a proactive Rival).
Measured per run and supplier: the escalation exits, split by the leaving buyer's segment.

Run: .venv/bin/python experiments/loss_cycle/study.py [--quick]"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.common import save_figure, save_table
from sim.config import LEVELS, load_scenario
from sim.engine.state import Cause
from sim.observe.market import ObservedMarket

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE.parent.parent / "scenarios"
#: the markets, by the name the table and headline give them
MARKETS = {"default B2B market": SCENARIOS / "b2b_key_accounts.toml",
           "key client loss": SCENARIOS / "key_client_loss.toml"}
#: how run_all writes the headline (sim.observe.numbers kinds): exits are counts a run
HEADLINE_KINDS = {"*exits*": "count"}


def exits_by_supplier(market: str, seed: int) -> list[dict]:
    """One run of ``market`` on ``seed``: per supplier, its strategy, Kotler level and
    escalation exits, with one column per buyer segment (``exits_SEGMENT``)."""
    observed = ObservedMarket(load_scenario(MARKETS[market]), seed)
    observed.run()
    events = observed.events_frame()
    exits = events[events["cause"] == Cause.ESCALATION.label]
    segments = [s.name for s in observed.engine.scenario.segments]
    segment_of_exit = np.asarray(segments, dtype=object)[observed.state.segment[exits["buyer"].to_numpy()]]
    suppliers = observed.supplier_frame().drop_duplicates("supplier").set_index("supplier")["strategy"]
    rows = []
    for i, name in enumerate(observed.engine.supplier_names):
        mine = (exits["supplier"] == name).to_numpy()
        row = {"market": market, "seed": seed, "supplier": name, "strategy": suppliers[name],
               "level": LEVELS[int(observed.state.level[i])], "escalation_exits": int(mine.sum())}
        for segment in segments:
            row[f"exits_{segment.replace(' ', '_')}"] = int((mine & (segment_of_exit == segment)).sum())
        rows.append(row)
    return rows


def per_run_range(table: pd.DataFrame, column: str) -> tuple[int, int]:
    """The fewest and most of ``column`` a run (summed over the run's suppliers)."""
    sums = table.groupby("seed")[column].sum()
    return int(sums.min()), int(sums.max())


def mean_per_run(table: pd.DataFrame, by: str) -> dict[str, float]:
    """The mean escalation exits a run per supplier, or per Kotler level."""
    runs = table["seed"].nunique()
    return {str(k): float(v) / runs for k, v in table.groupby(by, sort=False)["escalation_exits"].sum().items()}


def main(quick: bool = False, out: Path | None = None) -> dict:
    """Writes figure.png and table.csv to ``out`` (default: this folder, or quick/ beside it);
    returns the headline: per market, the fewest and most escalation exits a run, in all and of
    key accounts, and the mean a run by supplier and by Kotler level."""
    # the small version writes beside the full one, never over the published figure
    out = Path(out) if out is not None else HERE / "quick" if quick else HERE
    out.mkdir(parents=True, exist_ok=True)
    # full-size markets either way (a run takes about a second); the quick version has one seed
    seeds = range(1) if quick else range(3)
    table = pd.DataFrame([row for market in MARKETS for seed in seeds for row in exits_by_supplier(market, seed)])
    save_table(table.to_dict("records"), out / "table.csv")
    segment_columns = [c for c in table.columns if c.startswith("exits_")]

    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3.8))
    axes = fig.subplots(1, len(MARKETS), sharey=True)
    for ax, market in zip(axes, MARKETS):
        rows = table[table["market"] == market]
        mean = rows.groupby("supplier", sort=False)[[*segment_columns, "escalation_exits"]].mean()
        spread = rows.groupby("supplier", sort=False)["escalation_exits"].agg(["min", "max"])
        x = np.arange(len(mean))
        bottom = np.zeros(len(mean))
        for column, colour in zip(segment_columns, ("#4477aa", "#bbbbbb", "#ddcc77")):
            ax.bar(x, mean[column], bottom=bottom, color=colour, label=column[len("exits_"):].replace("_", " "))
            bottom += mean[column].to_numpy()
        ax.errorbar(x, mean["escalation_exits"], yerr=[mean["escalation_exits"] - spread["min"],
                                                       spread["max"] - mean["escalation_exits"]],
                    fmt="none", ecolor="black", capsize=3, label="range over runs")
        levels = rows.drop_duplicates("supplier").set_index("supplier")["level"]
        ax.set_xticks(x, [f"{name}\n({levels[name]})" for name in mean.index], fontsize=7)
        ax.set_title(market, fontsize=9)
    axes[0].set_ylabel(f"escalation exits a run (mean of {len(seeds)})")
    axes[0].legend(fontsize=7)
    fig.suptitle("The key-client loss cycle: customers who leave by arbitration (escalation exits)", fontsize=10)
    fig.tight_layout()
    save_figure(fig, out / "figure.png")

    headline = {}
    for market in MARKETS:
        rows = table[table["market"] == market]
        headline[market] = {"exits_per_run": per_run_range(rows, "escalation_exits"),
                            "key_account_exits_per_run": per_run_range(rows, "exits_key_accounts"),
                            "exits_by_supplier": mean_per_run(rows, "supplier"),
                            "exits_by_level": mean_per_run(rows, "level")}
    return headline

if __name__ == "__main__":
    print(main(quick="--quick" in sys.argv))
