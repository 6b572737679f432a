"""Helpers for the sweep tests: a tiny market and sweep files written into a test's folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

BASE_SCENARIO = """\
[market]
name = "tiny market"
buyers = 120
steps = 12
seed = 3

[[suppliers]]
name = "Acme"
strategy = "relationship"
focal = true

[[suppliers]]
name = "Rival"
strategy = "transactional"
"""

GRID = """\
[sweep]
name = "tiny grid"
scenario = "base.toml"
replicates = 2
seed = 11

[parameters]
"buyers.switching_cost" = { levels = [0.0, 0.3] }
"buyers.relational_orientation" = { low = 0.2, high = 0.8, count = 3 }
"""


def write_sweep(folder: Path, body: str = GRID, name: str = "sweep.toml") -> Path:
    """Write the tiny base scenario and a sweep file beside it; returns the sweep file."""
    (folder / "base.toml").write_text(BASE_SCENARIO)
    path = folder / name
    path.write_text(body)
    return path


#: columns that say where and how fast a run went, not what it found
TIMING = ["wall_time_s", "host"]


def results_of(runs: pd.DataFrame) -> pd.DataFrame:
    """A store's runs in a fixed order, without timing columns: what must be bit-identical."""
    keys = [c for c in ("point", "replicate", "alternative") if c in runs]
    return runs.drop(columns=[c for c in TIMING if c in runs]).sort_values(keys).reset_index(drop=True)
