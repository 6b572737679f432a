"""Confidence intervals across replicates, from scipy.stats: the t interval of a mean, and the
interval of a difference between two alternatives, paired when they share seeds (common random
numbers) and Welch's otherwise. Every interval the summaries, compare and the report print
comes from here."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

#: The confidence level of every interval relsim prints.
LEVEL = 0.95


def _finite(values) -> np.ndarray:
    values = np.asarray(values, float)
    return values[np.isfinite(values)]


def mean_interval(values, level: float = LEVEL) -> tuple[float, float]:
    """(mean, half-width of the two-sided t confidence interval) of the finite values; the
    half-width is NaN with fewer than two values and 0 when they are all equal."""
    values = _finite(values)
    n = len(values)
    if n == 0:
        return math.nan, math.nan
    mean = float(values.mean())
    if n < 2:
        return mean, math.nan
    spread = float(values.std(ddof=1))
    if spread == 0.0:
        return mean, 0.0
    low, _ = stats.t.interval(level, n - 1, loc=mean, scale=spread / math.sqrt(n))
    return mean, float(mean - low)


def paired_difference_interval(base, other, level: float = LEVEL) -> tuple[float, float, int]:
    """(mean of other - base, half-width, n) over replicates that share seeds: the t interval
    of the per-replicate differences, as scipy.stats.ttest_rel tests it."""
    diff = _finite(np.asarray(other, float) - np.asarray(base, float))
    mean, half = mean_interval(diff, level)
    return mean, half, len(diff)


def welch_difference_interval(base, other, level: float = LEVEL) -> tuple[float, float, int]:
    """(mean other - mean base, half-width, n) for independent replicates: Welch's interval
    (unequal variances), the one scipy.stats.ttest_ind(equal_var=False) reports."""
    base, other = _finite(base), _finite(other)
    if len(base) == 0 or len(other) == 0:
        return math.nan, math.nan, 0
    diff = float(other.mean() - base.mean())
    n = min(len(base), len(other))
    if len(base) < 2 or len(other) < 2:
        return diff, math.nan, n
    if base.std(ddof=1) == 0 and other.std(ddof=1) == 0:
        return diff, 0.0, n
    result = stats.ttest_ind(other, base, equal_var=False)
    low, _ = result.confidence_interval(level)
    return diff, float(diff - low), n


def difference_interval(base, other, paired: bool, level: float = LEVEL) -> tuple[float, float, int]:
    """(mean difference other - base, half-width, n): paired when the replicates share seeds
    (common random numbers), Welch's otherwise."""
    if paired:
        return paired_difference_interval(base, other, level)
    return welch_difference_interval(base, other, level)


def relative(value, base_mean):
    """A difference (or its half-width) relative to the baseline's mean: ``value /
    |base_mean|``, NaN where the baseline's mean is 0. The one definition of "relative
    advantage": compare's relative difference and a sweep's paired relative advantage."""
    base = np.abs(np.asarray(base_mean, float))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(base > 0, np.asarray(value, float) / np.where(base > 0, base, 1.0), np.nan)
    return float(out) if out.ndim == 0 else out
