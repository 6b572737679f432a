"""Confidence intervals across replicates: the t interval of a mean, and the interval of a
difference between two alternatives, paired when they share seeds (common random numbers) and
Welch's otherwise. Every interval the summaries, compare and the report print comes from here.

The t quantiles come from ``scipy.special.stdtrit``, the function scipy.stats' t distribution
and its t tests call, so the intervals are theirs (tests/stats/test_intervals.py checks them
against ``scipy.stats``) without importing scipy.stats, which took 0.7 s of every command."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import stdtrit

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
    # scipy.stats.t.interval(level, n - 1, loc=mean, scale=...)'s lower end, as it computes it
    low = float(stdtrit(n - 1, (1.0 - level) / 2)) * (spread / math.sqrt(n)) + mean
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
    # Welch-Satterthwaite degrees of freedom and standard error, as scipy's ttest_ind computes
    # them for equal_var=False; the lower end of its confidence_interval(level)
    share_other, share_base = other.var(ddof=1) / len(other), base.var(ddof=1) / len(base)
    df = (share_other + share_base) ** 2 / (share_other ** 2 / (len(other) - 1) + share_base ** 2 / (len(base) - 1))
    low = float(stdtrit(df, (1.0 - level) / 2)) * math.sqrt(share_other + share_base) + diff
    return diff, float(diff - low), n


def difference_interval(base, other, paired: bool, level: float = LEVEL) -> tuple[float, float, int]:
    """(mean difference other - base, half-width, n): paired when the replicates share seeds
    (common random numbers), Welch's otherwise."""
    if paired:
        return paired_difference_interval(base, other, level)
    return welch_difference_interval(base, other, level)


# --------------------------------------------------------------------------- ratios and paybacks


def fieller_interval(a: float, b: float, var_a: float, var_b: float, cov_ab: float, df: float,
                     level: float = LEVEL) -> tuple[float, float]:
    """Fieller's (1954) confidence interval of the ratio a/b of two estimated means with
    variances ``var_a``, ``var_b`` and covariance ``cov_ab`` (of the means, not of single
    values), t quantile with ``df`` degrees of freedom: the set of ratios R for which
    a - R b is not significantly different from 0. It is bounded only when b is itself
    significantly different from 0 (b^2 > t^2 var_b); otherwise no finite interval holds the
    ratio with that confidence, and (NaN, NaN) is returned for the caller to say so."""
    if not all(map(math.isfinite, (a, b, var_a, var_b, cov_ab, df))) or df < 1:
        return math.nan, math.nan
    t2 = float(stdtrit(df, 0.5 + level / 2)) ** 2
    denominator = b * b - t2 * var_b
    if denominator <= 0:
        return math.nan, math.nan
    middle = a * b - t2 * cov_ab
    # >= 0 whenever the denominator is > 0 (the variances form a covariance matrix)
    root = math.sqrt(max(middle * middle - denominator * (a * a - t2 * var_a), 0.0))
    return (middle - root) / denominator, (middle + root) / denominator


def ratio_of_differences_interval(base_numerator, other_numerator, base_denominator, other_denominator,
                                  paired: bool, level: float = LEVEL) -> tuple[float, float, float, int]:
    """(ratio, low, high, n) of mean(other - base) of the numerator over mean(other - base)
    of the denominator: e.g. extra profit per unit of extra relationship spend.

    Fieller's interval, not the delta method: the ratio's sampling distribution is skewed
    when the denominator is small against its uncertainty, and the delta method's symmetric
    interval then looks precise when it is not, while Fieller's widens, then says it is
    unbounded (low, high NaN) once the extra spend cannot be told from 0. It needs no
    resampling, so no seed. Paired over replicates that share seeds (the per-replicate
    differences' variances and covariance); for independent seeds the variances and
    covariances of the two groups add, with the smaller group's degrees of freedom (cautious)."""
    bn, on, bd, od = (np.asarray(x, float) for x in (base_numerator, other_numerator, base_denominator,
                                                     other_denominator))
    if paired:
        ok = np.isfinite(bn) & np.isfinite(on) & np.isfinite(bd) & np.isfinite(od)
        dn, dd = (on - bn)[ok], (od - bd)[ok]
        n = len(dn)
        if n == 0:
            return math.nan, math.nan, math.nan, 0
        a, b = float(dn.mean()), float(dd.mean())
        if n < 2:
            return (a / b if b else math.nan), math.nan, math.nan, n
        cov = np.cov(dn, dd, ddof=1) / n
        var_a, var_b, cov_ab, df = float(cov[0, 0]), float(cov[1, 1]), float(cov[0, 1]), n - 1
    else:
        base_ok, other_ok = np.isfinite(bn) & np.isfinite(bd), np.isfinite(on) & np.isfinite(od)
        bn, bd, on, od = bn[base_ok], bd[base_ok], on[other_ok], od[other_ok]
        n = min(len(bn), len(on))
        if n == 0:
            return math.nan, math.nan, math.nan, 0
        a, b = float(on.mean() - bn.mean()), float(od.mean() - bd.mean())
        if n < 2:
            return (a / b if b else math.nan), math.nan, math.nan, n
        cb, co = np.cov(bn, bd, ddof=1) / len(bn), np.cov(on, od, ddof=1) / len(on)
        var_a, var_b, cov_ab = float(cb[0, 0] + co[0, 0]), float(cb[1, 1] + co[1, 1]), float(cb[0, 1] + co[0, 1])
        df = n - 1
    ratio = a / b if b else math.nan
    if var_b == 0.0 and b != 0.0:
        # the extra spend is the same in every run: only the numerator is uncertain
        low, high = (a - _half(var_a, df, level)) / b, (a + _half(var_a, df, level)) / b
        return ratio, min(low, high), max(low, high), n
    low, high = fieller_interval(a, b, var_a, var_b, cov_ab, df, level)
    return ratio, low, high, n


def relative_difference_interval(base, other, paired: bool, level: float = LEVEL) -> tuple[float, float, float, int]:
    """(relative, low, high, n): the difference of the means, other - base, over the
    baseline's mean (:func:`relative`: NaN, with no interval, where that mean is a loss or 0),
    with Fieller's interval of that ratio. The baseline's mean is itself
    uncertain, and its uncertainty counts: a "+660%" on a baseline that could be half or one
    and a half of what it is has an interval of several hundred points, not the ±47 points
    that dividing the difference's half-width by the baseline's mean would give. Paired over
    replicates that share seeds (the per-replicate differences' covariance with the baseline);
    for independent seeds, the difference of the means covaries with the baseline's mean by
    minus its variance. (low, high) is (NaN, NaN) when the baseline's mean cannot be told from
    0 at this level: then no percentage of it holds with that confidence."""
    b, o = np.asarray(base, float), np.asarray(other, float)
    if paired:
        ok = np.isfinite(b) & np.isfinite(o)
        b, o = b[ok], o[ok]
        n = len(b)
        if n == 0:
            return math.nan, math.nan, math.nan, 0
        a, m = float((o - b).mean()), float(b.mean())
        if n < 2:
            return relative(a, m), math.nan, math.nan, n
        cov = np.cov(o - b, b, ddof=1) / n
        var_a, var_m, cov_am, df = float(cov[0, 0]), float(cov[1, 1]), float(cov[0, 1]), n - 1
    else:
        b, o = _finite(b), _finite(o)
        n = min(len(b), len(o))
        if n == 0:
            return math.nan, math.nan, math.nan, 0
        a, m = float(o.mean() - b.mean()), float(b.mean())
        if n < 2:
            return relative(a, m), math.nan, math.nan, n
        var_b, var_o = float(b.var(ddof=1)) / len(b), float(o.var(ddof=1)) / len(o)
        var_a, var_m, cov_am, df = var_o + var_b, var_b, -var_b, n - 1
    ratio = relative(a, m)
    if not m > 0.0:  # no percentage of a loss, or of nothing (:func:`relative`)
        return ratio, math.nan, math.nan, n
    if var_m == 0.0:  # the baseline is the same in every run: only the difference is uncertain
        low, high = a - _half(var_a, df, level), a + _half(var_a, df, level)
    else:
        low, high = fieller_interval(a, m, var_a, var_m, cov_am, df, level)
        low, high = low * m, high * m  # back to a difference; divided by |m| below
    if not (math.isfinite(low) and math.isfinite(high)):
        return ratio, math.nan, math.nan, n
    low, high = low / abs(m), high / abs(m)
    return ratio, min(low, high), max(low, high), n


def _half(variance: float, df: float, level: float) -> float:
    return float(stdtrit(df, 0.5 + level / 2)) * math.sqrt(max(variance, 0.0))


def stays_nonnegative_from(path) -> int | None:
    """The first index from which ``path`` stays >= 0 to its end (None if its last value is
    below 0 or missing): when an extra spend has paid for itself for good."""
    values = np.asarray(path, float)
    if len(values) == 0 or not np.isfinite(values[-1]) or values[-1] < 0:
        return None
    below = np.flatnonzero(~(values >= 0))
    return int(below[-1] + 1) if len(below) else 0


def payback_interval(gaps, level: float = LEVEL) -> tuple[int | None, int | None, int | None]:
    """(payback, earliest, latest) steps of a cumulative gap (rows: replicates, columns:
    steps; paired differences of cumulative profit): the payback is when the mean gap stays
    >= 0 from then on; the earliest when the upper end of its 95% interval does (before it,
    not paying back is the likelier reading), the latest when the lower end does (from then
    on the gap is clearly >= 0; None when that never happens within the run: not surely paid
    back). Step-wise intervals inverted, as a confidence band's crossing is read."""
    gaps = np.atleast_2d(np.asarray(gaps, float))
    means, halves = zip(*(mean_interval(column, level) for column in gaps.T)) if gaps.size else ((), ())
    means, halves = np.asarray(means, float), np.asarray(halves, float)
    halves = np.where(np.isfinite(halves), halves, np.inf)  # one run: no step is sure
    return (stays_nonnegative_from(means), stays_nonnegative_from(means + halves),
            stays_nonnegative_from(means - halves))

def relative(value, base_mean):
    """A difference (or its half-width) relative to the baseline's mean: ``value / base_mean``,
    NaN where the baseline's mean is 0 or a loss: a loss is no base for a percentage ("+124%"
    of a loss of 727 reads as a gain of 124% of a profit). The one definition of "relative
    advantage": compare's relative difference and a sweep's paired relative advantage."""
    base = np.asarray(base_mean, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(base > 0, np.asarray(value, float) / np.where(base > 0, base, 1.0), np.nan)
    return float(out) if out.ndim == 0 else out
