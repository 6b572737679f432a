"""A sweep's runs reduced to what studies and ``relsim analyze`` read: the paired advantage
of one alternative over the baseline run by run (absolute, or relative to the baseline's
mean at the point), and means and 95% intervals per point.

One definition of each: the relative advantage is :func:`sim.stats.intervals.relative`
(compare's relative difference), the intervals are :func:`sim.stats.intervals.mean_interval`.
A run-by-run relative advantage divides each paired difference by the baseline's mean at its
point, so its mean and interval at a point are exactly compare's relative difference and
half-width there."""

from __future__ import annotations

import pandas as pd

from sim.config.schema import ScenarioError
from sim.stats.intervals import mean_interval, relative, relative_difference_interval


def ok_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs that finished (failed and lost runs are left out)."""
    return runs[runs["status"] == "ok"] if "status" in runs else runs


def paired_wide(runs: pd.DataFrame, outcome: str, baseline: str, alternative: str) -> pd.DataFrame:
    """Per (point, replicate) where both ran on the same seed: ``baseline``'s and
    ``alternative``'s ``outcome`` side by side (columns named after them; index point,
    replicate)."""
    runs = ok_runs(runs)
    names = set(runs["alternative"].astype(str)) if "alternative" in runs else set()
    for name in (baseline, alternative):
        if name not in names:
            raise ScenarioError(f"alternative {name!r}: not in this sweep; alternatives: "
                                f"{', '.join(sorted(names)) or 'none (not a comparison sweep)'}")
    wide = runs.pivot_table(index=["point", "replicate"], columns="alternative", values=outcome,
                            aggfunc="first", observed=True).dropna(subset=[baseline, alternative])
    return wide[[baseline, alternative]]


def paired_advantage(runs: pd.DataFrame, outcome: str, baseline: str, alternative: str,
                     relative_to_baseline: bool = False) -> pd.DataFrame:
    """Per (point, replicate) where both ran: ``alternative``'s outcome minus ``baseline``'s
    on the same seed, or that difference over the baseline's mean at the point. Columns:
    point, replicate, value."""
    wide = paired_wide(runs, outcome, baseline, alternative)
    value = wide[alternative] - wide[baseline]
    if relative_to_baseline:
        base_mean = wide[baseline].groupby(level="point").transform("mean")
        value = pd.Series(relative(value.to_numpy(), base_mean.to_numpy()), index=value.index)
    return value.rename("value").reset_index()


def point_summary(per_run: pd.DataFrame) -> pd.DataFrame:
    """Per point (in first-seen order): the mean of ``value`` over its runs, the 95% half-width
    and the number of runs. Columns: point, mean, half_width, runs."""
    rows = []
    for point, g in per_run.groupby("point", sort=False):
        mean, half = mean_interval(g["value"].to_numpy())
        rows.append({"point": point, "mean": mean, "half_width": half, "runs": len(g)})
    return pd.DataFrame(rows, columns=["point", "mean", "half_width", "runs"])


def advantage_by_point(runs: pd.DataFrame, outcome: str, baseline: str, alternative: str,
                       relative_to_baseline: bool = False) -> pd.DataFrame:
    """Per point: the mean paired advantage (:func:`paired_advantage`) and its 95% interval
    (low, high), with the half-width where the interval is symmetric, and the number of runs.
    Relative to the baseline, the interval is compare's (Fieller's, counting the uncertainty
    of the baseline's own mean: :func:`~sim.stats.intervals.relative_difference_interval`),
    not symmetric, so its half-width is NaN; at a point where the baseline's mean is a loss or
    nothing, mean, low and high are NaN (no base for a percentage, as compare says).
    Columns: point, mean, half_width, low, high, runs."""
    summary = point_summary(paired_advantage(runs, outcome, baseline, alternative, relative_to_baseline))
    summary["low"] = summary["mean"] - summary["half_width"]
    summary["high"] = summary["mean"] + summary["half_width"]
    if relative_to_baseline:
        wide = paired_wide(runs, outcome, baseline, alternative)
        bounds = {point: relative_difference_interval(g[baseline].to_numpy(), g[alternative].to_numpy(),
                                                      paired=True)[1:3]
                  for point, g in wide.groupby(level="point", sort=False)}
        summary["low"] = [bounds[point][0] for point in summary["point"]]
        summary["high"] = [bounds[point][1] for point in summary["point"]]
        summary["half_width"] = float("nan")
    return summary[["point", "mean", "half_width", "low", "high", "runs"]]


def point_means(runs: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """Per point (and alternative, in a comparison): the mean of each outcome over the runs
    that finished, with the number of runs."""
    runs = ok_runs(runs)
    keys = ["point", "alternative"] if "alternative" in runs else ["point"]
    grouped = runs.groupby(keys, sort=False, observed=True)
    return grouped[outcomes].mean().join(grouped.size().rename("runs")).reset_index()
