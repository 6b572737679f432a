"""Study i: share of wallet is a split — with multi-sourcing, how buyers position their
suppliers and how concentrated their loyalty is carry information.

The default B2B market, whose key accounts divide their demand among up to three suppliers,
against the same market with every key account single-sourcing (``max_suppliers`` 1), on the
same seeds. At the end of each run: live suppliers per buyer (all buyers, key accounts), the
loyalty concentration (Kirman & Vriend), and the share of the live relationships with
transactional and with relationship suppliers in each cell of the buyer's positioning matrix
(partner, managed, desired, independent: docs/ODD.md, section 9, the relationship table).

Run: .venv/bin/python experiments/wallet_split/study.py [--quick]"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.common import save_figure, save_table
from sim.config import load_scenario
from sim.observe.market import ObservedMarket

HERE = Path(__file__).resolve().parent
SCENARIO = HERE.parent.parent / "scenarios" / "b2b_key_accounts.toml"
#: the two markets compared: as the scenario has it, and every key account with one supplier
SOURCING = {"multi-sourcing": {}, "single-sourcing": {"segments[0].max_suppliers": 1}}
POSITIONINGS = ("partner", "managed", "desired", "independent")
STRATEGIES = ("transactional", "relationship")
LIVE = ("early", "development", "long-term", "final")
#: how run_all writes the headline (sim.observe.numbers kinds; suppliers per buyer, near 1,
#: with 4 significant digits)
HEADLINE_KINDS = {"loyalty_concentration": "score", "*_partner": "share",
                  "*_managed": "share", "*_desired": "share", "*_independent": "share"}


def end_of_run(sourcing: str, seed: int) -> dict:
    """One run: the market's live suppliers per buyer and loyalty concentration at the last
    step, key accounts' live suppliers, and the positioning shares of the live relationships
    (any stage from early to final) by the supplier's strategy (columns
    ``STRATEGY_POSITIONING``)."""
    market = ObservedMarket(load_scenario(SCENARIO).with_overrides(SOURCING[sourcing]), seed)
    market.run()
    last = market.market_frame().iloc[-1]
    relationships = market.frames()["relationships"]
    # every live relationship, not only the buyer's main supplier's: a multi-sourcing buyer
    # positions each of its suppliers
    live = relationships[relationships["stage"].astype(str).isin(LIVE)]
    suppliers = market.supplier_frame().drop_duplicates("supplier").set_index("supplier")["strategy"]
    strategy = live["supplier"].astype(str).map(suppliers)
    key = live[live["segment"].astype(str) == "key accounts"]
    row = {"sourcing": sourcing, "seed": seed, "suppliers_per_buyer": float(last["suppliers_per_buyer"]),
           "suppliers_per_key_account": float(key.groupby("buyer").size().mean()),
           "loyalty_concentration": float(last["loyalty_concentration"])}
    for name in STRATEGIES:
        positioning = live.loc[strategy == name, "positioning"].astype(str)
        for cell in POSITIONINGS:
            row[f"{name}_{cell}"] = float((positioning == cell).mean()) if len(positioning) else float("nan")
    return row


def spread(rows: pd.DataFrame, column: str) -> tuple[float, float]:
    return float(rows[column].min()), float(rows[column].max())


def main(quick: bool = False, out: Path | None = None) -> dict:
    """Writes figure.png and table.csv (one row per run) to ``out`` (default: this folder, or
    quick/ beside it); returns the headline: per market, the range over its runs of each
    number of the table."""
    # the small version writes beside the full one, never over the published figure
    out = Path(out) if out is not None else HERE / "quick" if quick else HERE
    out.mkdir(parents=True, exist_ok=True)
    # full-size markets either way (a run takes about a second); the quick version has one seed
    seeds = range(1) if quick else range(3)
    table = pd.DataFrame([end_of_run(sourcing, seed) for sourcing in SOURCING for seed in seeds])
    save_table(table.to_dict("records"), out / "table.csv")

    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3.8))
    axes = fig.subplots(1, len(SOURCING), sharey=True)
    colours = ("#4477aa", "#66ccee", "#ddcc77", "#bbbbbb")
    for ax, sourcing in zip(axes, SOURCING):
        mean = table[table["sourcing"] == sourcing].mean(numeric_only=True)
        bottom = np.zeros(len(STRATEGIES))
        for cell, colour in zip(POSITIONINGS, colours):
            shares = np.array([mean[f"{name}_{cell}"] for name in STRATEGIES])
            ax.bar(STRATEGIES, shares, bottom=bottom, color=colour, label=cell)
            bottom += shares
        ax.set_title(f"{sourcing}: {mean['suppliers_per_buyer']:.2f} suppliers a buyer,\n"
                     f"loyalty concentration {mean['loyalty_concentration']:.2f}", fontsize=9)
        ax.set_xlabel("the supplier's strategy")
    axes[0].set_ylabel(f"share of its live relationships (mean of {len(seeds)} runs)")
    # below the panels, where it hides no bar
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=len(POSITIONINGS), fontsize=7,
               frameon=False)
    fig.suptitle("How buyers position their suppliers at the end of the default market's run", fontsize=10)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    save_figure(fig, out / "figure.png")

    columns = [c for c in table.columns if c not in ("sourcing", "seed")]
    return {sourcing: {c: spread(table[table["sourcing"] == sourcing], c) for c in columns} for sourcing in SOURCING}


if __name__ == "__main__":
    print(main(quick="--quick" in sys.argv))
