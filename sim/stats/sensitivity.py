"""Global sensitivity analysis and scenario discovery on a sweep's outcomes.

- :func:`sobol_indices`: first-order and total Sobol indices with bootstrap confidence
  intervals (SALib's Saltelli/Jansen estimators), from outputs in Saltelli design order.
- :func:`morris_indices`: Morris elementary effects, mu* and sigma (SALib), from outputs in
  trajectory order.
- :func:`replicate_noise`: how much of the variance of the point means both are computed from
  is the spread between replicates at the same point. A stochastic model's point means carry
  that noise, and the estimators read it as an effect. With a share s of noise, a total Sobol
  index reads about s + (1 - s) x its value without the noise (Jansen's estimator averages
  squared differences of two points' outputs, each with its own noise), a first-order one
  about (1 - s) x its value (the noise is in the variance it is a share of), and a parameter
  without any effect gets the Morris mu* and sigma of :func:`morris_noise_floor`.
- :func:`prim`: the Patient Rule Induction Method (Friedman & Fisher 1999) as EMA Workbench
  runs it: peel the box that most raises the share of cases of interest per case removed
  (its "lenient1" objective), down to a minimum mass; choose on the peeling trajectory the
  box with the most coverage at the wanted density; then paste back what raises density.
  A box is reported with what a reader can check: its limits, coverage (share of all cases
  of interest inside it), density (share of the cases inside it that are of interest) and
  mass (share of all points inside it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


def sobol_indices(problem: dict[str, Any], outputs: np.ndarray, second_order: bool = False,
                  conf_level: float = 0.95, resamples: int = 1000, seed: int = 0) -> pd.DataFrame:
    """S1 and ST per parameter with the half-widths of their ``conf_level`` intervals."""
    from SALib.analyze import sobol

    result = sobol.analyze(problem, np.asarray(outputs, float), calc_second_order=second_order,
                           num_resamples=resamples, conf_level=conf_level, seed=seed)
    return pd.DataFrame({"parameter": problem["names"], "S1": result["S1"], "S1_conf": result["S1_conf"],
                         "ST": result["ST"], "ST_conf": result["ST_conf"]})


def morris_indices(problem: dict[str, Any], design: np.ndarray, outputs: np.ndarray, levels: int = 4,
                   conf_level: float = 0.95, resamples: int = 1000, seed: int = 0) -> pd.DataFrame:
    """mu (signed mean effect), mu* (mean absolute effect: importance), sigma (spread:
    interactions or non-linearity) and the half-width of mu*'s interval, per parameter."""
    from SALib.analyze import morris

    result = morris.analyze(problem, np.asarray(design, float), np.asarray(outputs, float),
                            num_levels=levels, conf_level=conf_level, num_resamples=resamples, seed=seed)
    return pd.DataFrame({"parameter": problem["names"], "mu": result["mu"], "mu_star": result["mu_star"],
                         "sigma": result["sigma"], "mu_star_conf": result["mu_star_conf"]})


@dataclass(frozen=True)
class ReplicateNoise:
    """The replicate noise in a sweep's point means (see :func:`replicate_noise`)."""

    share: float               # of the variance of the point means: noise / (noise + the points' own)
    noise_variance: float      # the mean squared standard error of a point's mean
    replicates: float          # replicates a point, on average over the points measured

    def replicates_for_share(self, target: float) -> float | None:
        """Replicates a point that would bring the share down to ``target`` (the noise
        variance falls as 1/replicates, the points' own variance stays); None when the point
        means vary no more than the noise alone would make them."""
        own = self.noise_variance * (1.0 / self.share - 1.0) if self.share > 0 else math.inf
        if not own > 0:
            return None
        return self.replicates * self.noise_variance * (1.0 - target) / (target * own)


def replicate_noise(points: np.ndarray, values: np.ndarray, outputs: np.ndarray) -> ReplicateNoise | None:
    """The share of the variance of ``outputs`` (the point means the indices are computed
    from, one per design row) that is replicate noise: the mean over points of each point's
    variance between its replicates (``values`` of the runs at ``points``) over its number of
    replicates, against the variance of the outputs. None when no point has two replicates."""
    runs = pd.DataFrame({"point": np.asarray(points), "value": np.asarray(values, float)}).dropna()
    by_point = runs.groupby("point")["value"].agg(["var", "count"])
    by_point = by_point[by_point["count"] >= 2]
    outputs = np.asarray(outputs, float)
    outputs = outputs[np.isfinite(outputs)]
    if by_point.empty or len(outputs) < 2:
        return None
    noise = float((by_point["var"] / by_point["count"]).mean())
    total = float(np.var(outputs, ddof=1))
    share = min(1.0, noise / total) if total > 0 else (0.0 if noise == 0 else 1.0)
    return ReplicateNoise(share, noise, float(by_point["count"].mean()))


def morris_noise_floor(noise: ReplicateNoise, levels: int) -> tuple[float, float]:
    """(mu*, sigma) a parameter without any effect gets from replicate noise alone: its
    elementary effects are the differences of two point means, each with the noise variance,
    over SALib's step delta = levels / (2 (levels - 1)) of the unit range, so their standard
    deviation (sigma) is sqrt(2 noise) / delta and their mean absolute value (mu*) sqrt(2/pi)
    of that."""
    sigma = math.sqrt(2.0 * noise.noise_variance) / (levels / (2.0 * (levels - 1)))
    return math.sqrt(2.0 / math.pi) * sigma, sigma


# --------------------------------------------------------------------------- PRIM


@dataclass
class PrimBox:
    """A box of the parameter space: ``limits`` (one row per restricted parameter: low and
    high for numbers, the kept levels for the others) and its statistics."""

    limits: pd.DataFrame
    coverage: float
    density: float
    mass: float
    cases: int
    cases_of_interest: int
    trajectory: pd.DataFrame = field(default_factory=pd.DataFrame)

    def contains(self, x: pd.DataFrame) -> np.ndarray:
        inside = np.ones(len(x), bool)
        for _, row in self.limits.iterrows():
            values = x[row["parameter"]]
            if row["levels"] is not None:
                inside &= values.isin(row["levels"]).to_numpy()
            else:
                inside &= ((values >= row["low"]) & (values <= row["high"])).to_numpy()
        return inside


class _Box:
    """Mutable limits during peeling and pasting: (low, high) per numeric column, a set of
    kept values per other column."""

    def __init__(self, x: pd.DataFrame, numeric: list[str]):
        self.numeric = numeric
        self.limits: dict[str, Any] = {}
        for col in x.columns:
            self.limits[col] = (x[col].min(), x[col].max()) if col in numeric else set(x[col].unique())

    def copy(self) -> _Box:
        new = object.__new__(_Box)
        new.numeric = self.numeric
        new.limits = {k: (tuple(v) if isinstance(v, tuple) else set(v)) for k, v in self.limits.items()}
        return new

    def inside(self, x: pd.DataFrame, skip: str | None = None) -> np.ndarray:
        mask = np.ones(len(x), bool)
        for col, lim in self.limits.items():
            if col == skip:
                continue
            values = x[col].to_numpy()
            mask &= (values >= lim[0]) & (values <= lim[1]) if col in self.numeric else np.isin(values, list(lim))
        return mask


def _objective(y_old: np.ndarray, y_new: np.ndarray) -> float:
    """EMA Workbench's lenient1: gain in density per case removed."""
    removed = len(y_old) - len(y_new)
    if removed <= 0 or len(y_new) == 0:
        return -math.inf
    return (y_new.mean() - y_old.mean()) / removed


def prim(x: pd.DataFrame, y: np.ndarray, threshold: float = 0.8, peel_alpha: float = 0.05,
         paste_alpha: float = 0.05, mass_min: float = 0.05) -> PrimBox:
    """The PRIM box where ``y`` (True = a case of interest) is concentrated (see the module
    docstring). ``x``: one row per case, one column per parameter; numbers are peeled from
    either end, other columns a level at a time."""
    x = x.reset_index(drop=True)
    y = np.asarray(y, bool)
    if len(x) != len(y) or len(x) == 0:
        raise ValueError("prim needs one outcome per case and at least one case")
    numeric = [c for c in x.columns if pd.api.types.is_numeric_dtype(x[c]) and not pd.api.types.is_bool_dtype(x[c])]
    full = _Box(x, numeric)
    box = full.copy()
    trajectory: list[tuple[_Box, np.ndarray]] = [(box.copy(), box.inside(x))]
    n = len(x)
    while True:
        mask = box.inside(x)
        best, best_score = None, -math.inf
        for col in x.columns:
            for candidate in _peels(box, col, x[col].to_numpy()[mask], peel_alpha):
                new_mask = candidate.inside(x)
                score = _objective(y[mask], y[new_mask])
                if score > best_score and new_mask.sum() / n >= mass_min:
                    best, best_score = candidate, score
        if best is None:
            break
        box = best
        trajectory.append((box.copy(), box.inside(x)))
    rows = [_stats(m, y, n) for _, m in trajectory]
    chosen = [i for i, r in enumerate(rows) if r["density"] >= threshold]
    index = max(chosen, key=lambda i: (rows[i]["coverage"], -i)) if chosen else \
        max(range(len(rows)), key=lambda i: (rows[i]["density"], rows[i]["coverage"]))
    box = _paste(trajectory[index][0], x, y, paste_alpha)
    mask = box.inside(x)
    stats = _stats(mask, y, n)
    trajectory_frame = pd.DataFrame([{**r, "restricted": len(_limits(b, full, x))} for r, (b, _) in
                                     zip(rows, trajectory)])
    trajectory_frame["chosen"] = trajectory_frame.index == index
    return PrimBox(limits=_limits(box, full, x), coverage=stats["coverage"], density=stats["density"],
                   mass=stats["mass"], cases=int(mask.sum()), cases_of_interest=int(y[mask].sum()),
                   trajectory=trajectory_frame)


def _peels(box: _Box, col: str, values: np.ndarray, alpha: float) -> list[_Box]:
    if len(values) == 0:
        return []
    out = []
    if col in box.numeric:
        low_q = np.quantile(values, alpha, method="lower")
        high_q = np.quantile(values, 1 - alpha, method="higher")
        above = values[values > low_q]
        if len(above):
            b = box.copy()
            b.limits[col] = (above.min(), box.limits[col][1])
            out.append(b)
        below = values[values < high_q]
        if len(below):
            b = box.copy()
            b.limits[col] = (box.limits[col][0], below.max())
            out.append(b)
    else:
        kept = box.limits[col]
        if len(kept) > 1:
            for level in kept:
                b = box.copy()
                b.limits[col] = kept - {level}
                out.append(b)
    return out


def _paste(box: _Box, x: pd.DataFrame, y: np.ndarray, alpha: float) -> _Box:
    """Widen the box where that raises its density, a few cases at a time."""
    while True:
        mask = box.inside(x)
        density = y[mask].mean() if mask.any() else 0.0
        step = max(1, math.ceil(alpha * mask.sum()))
        best, best_density = None, density
        for col in x.columns:
            others = box.inside(x, skip=col)
            values = x[col].to_numpy()
            if col in box.numeric:
                low, high = box.limits[col]
                for side in ("low", "high"):
                    outside = others & ((values < low) if side == "low" else (values > high))
                    if not outside.any():
                        continue
                    candidates = np.sort(values[outside])
                    edge = candidates[-step:][0] if side == "low" else candidates[:step][-1]
                    b = box.copy()
                    b.limits[col] = (edge, high) if side == "low" else (low, edge)
                    m = b.inside(x)
                    if y[m].mean() > best_density:
                        best, best_density = b, y[m].mean()
            else:
                for level in set(x.loc[others, col].unique()) - box.limits[col]:
                    b = box.copy()
                    b.limits[col] = box.limits[col] | {level}
                    m = b.inside(x)
                    if y[m].mean() > best_density:
                        best, best_density = b, y[m].mean()
        if best is None:
            return box
        box = best


def _stats(mask: np.ndarray, y: np.ndarray, n: int) -> dict[str, float]:
    total = y.sum()
    return {"coverage": float(y[mask].sum() / total) if total else math.nan,
            "density": float(y[mask].mean()) if mask.any() else math.nan,
            "mass": float(mask.sum() / n)}


def _limits(box: _Box, full: _Box, x: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for col in x.columns:
        lim, whole = box.limits[col], full.limits[col]
        if col in box.numeric:
            if lim != whole:
                rows.append({"parameter": col, "low": float(lim[0]), "high": float(lim[1]), "levels": None})
        elif lim != whole:
            rows.append({"parameter": col, "low": math.nan, "high": math.nan,
                         "levels": sorted(lim, key=str)})
    return pd.DataFrame(rows, columns=["parameter", "low", "high", "levels"])
