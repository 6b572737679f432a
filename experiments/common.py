"""What the studies share: running a study's sweep file (``NAME/sweep.toml``) through the one
sweep runner and store (``sim.sweep``: resumable, seeds per point and replicate, the focal
supplier's alternatives paired on common random numbers), the economics read off its
outcomes, and the writers of a study's table and figure. Studies import it as
``experiments.common``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sim.experiment.sweep import SweepResults, sweep


def study_sweep(spec: Path, store: Path, variant: str | None = None, resume: bool = False,
                workers: int | None = 1) -> SweepResults:
    """Run a study's sweep file (or its ``[variants.VARIANT]``) into the sweep store ``store``.

    A fresh run by default: the store's earlier runs are replaced (only the files the sweep
    wrote), because a study's figures must come from the model as it is now, and a store
    resumes runs made by whatever code made them. ``resume=True`` keeps the finished runs
    and runs the rest (an interrupted regeneration). ``workers``: 1 runs here, in this
    process; None uses a process pool on all cores."""
    store.parent.mkdir(parents=True, exist_ok=True)
    return sweep(spec, store, workers=workers, variant=variant, overwrite=not resume, progress=False)


def keep_versus_win(result: Any, steps_per_year: int = 12) -> float:
    """How many times more it costs to win a customer than to keep one for a year: acquisition
    spend per new customer over the cost of keeping a customer a year (cost to serve,
    retention spend, key-account managers and adaptations per customer-step, x 12)."""
    return float(result["acquisition_per_new_customer"] / (steps_per_year * result["cost_to_serve_per_customer_step"]))


def annual(retention_per_step: float, steps_per_year: int = 12) -> float:
    return float(np.power(retention_per_step, steps_per_year))


def save_figure(fig, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=110, bbox_inches="tight")


def save_table(rows: list[dict[str, Any]], path: Path) -> None:
    """A study's table: one CSV row per dict, the columns in the first row's order."""
    import pandas as pd

    pd.DataFrame(rows).to_csv(path, index=False)
