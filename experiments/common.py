"""What the studies share: running a study's sweep file (``NAME/sweep.toml``) through the one
sweep runner and store (``sim.sweep``: resumable, seeds per point and replicate, the focal
supplier's alternatives paired on common random numbers), the economics read off its
outcomes, and the writers of a study's table and figure. Studies import it as
``experiments.common``."""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import numpy as np

from sim.experiment.sweep import SweepResults, sweep
from sim.observe.numbers import number, plain, range_of, with_interval

#: the suffix of a headline key that holds the 95% half-width of the key before it
HALF_WIDTH = "_half_width"
#: a KEY_low and KEY_high beside KEY: its 95% interval where it is not symmetric (Fieller's)
LOW, HIGH = "_low", "_high"
#: what a headline says of a 95% interval with an end missing (Fieller's, where the
#: denominator's interval reaches zero): the reader is told what is missing, not shown "–"
NO_BOUNDED_INTERVAL = "no bounded 95% interval"


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


def _kind(path: tuple[str, ...], kinds: Mapping[str, str]) -> str | None:
    """The kind (sim.observe.numbers) of the headline value at ``path``: the first pattern of
    ``kinds`` (fnmatch, e.g. ``"*share*"``) that names the value's key or, failing that, one
    of the keys it sits under, innermost first."""
    for key in reversed(path):
        for pattern, kind in kinds.items():
            if fnmatchcase(key, pattern):
                return kind
    return None


def _shown(value: Any, kind: str | None) -> str:
    if isinstance(value, bool) or isinstance(value, str) or value is None:
        return "–" if value is None else str(value)
    if isinstance(value, (tuple, list)) and len(value) == 2:
        low, high = value
        if not all(isinstance(v, (int, float, np.integer, np.floating)) and np.isfinite(float(v)) for v in value):
            return NO_BOUNDED_INTERVAL  # the pairs with an end missing are 95% intervals (Fieller's)
        return range_of(low, high, kind)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return number(value, kind) if kind else plain(float(value))
    return str(value)


def headline_lines(headline: Mapping[str, Any], kinds: Mapping[str, str] | None = None,
                   indent: str = "  ", _path: tuple[str, ...] = ()) -> list[str]:
    """A study's headline as a reader reads it, one ``key: value`` line per number, written by
    the product's one number formatter: shares and rates as percentages, money with thousands
    separated, an unknown (NaN) as the formatter writes it, a ``KEY_half_width`` beside its
    ``KEY`` as "value ± half-width", a ``KEY_low`` and ``KEY_high`` as "value (low to high)",
    a (low, high) pair as "low to high" (the one value where both ends agree; "no bounded 95%
    interval" where an end is missing).
    ``kinds`` maps key patterns to the formatter's kinds (a
    study's ``HEADLINE_KINDS``); a number of no declared kind is written with 4 significant
    digits (``plain``). The headline itself, what the study returns, is left as it is."""
    kinds = kinds or {}
    lines = []
    for key, value in headline.items():
        key = str(key)
        path = (*_path, key)
        if any(key.endswith(end) and key[: -len(end)] in headline for end in (HALF_WIDTH, LOW, HIGH)):
            continue  # written with its value
        if isinstance(value, Mapping):
            lines.append(f"{indent * len(_path)}{key}:")
            lines += headline_lines(value, kinds, indent, path)
            continue
        kind = _kind(path, kinds)
        half = headline.get(key + HALF_WIDTH)
        if key + LOW in headline and key + HIGH in headline:
            low, high = headline[key + LOW], headline[key + HIGH]
            bounded = np.isfinite(float(low)) and np.isfinite(float(high))
            bounds = f"{_shown(low, kind)} to {_shown(high, kind)}" if bounded else NO_BOUNDED_INTERVAL
            shown = f"{_shown(value, kind)} ({bounds})"
        elif half is None:
            shown = _shown(value, kind)
        elif kind:
            shown = with_interval(value, half, kind)
        else:
            shown = _shown(value, None) + (f" ± {plain(float(half))}" if np.isfinite(float(half)) else "")
        lines.append(f"{indent * len(_path)}{key}: {shown}")
    return lines
