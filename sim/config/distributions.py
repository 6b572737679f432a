"""Distributions of buyer attributes within a segment: a constant or one of the named
families, read from TOML, validated and sampled from the model's generator."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.config.schema import Loader, Spec, show, suggest

DISTRIBUTIONS = ("constant", "uniform", "normal", "lognormal", "beta", "pareto")
_DIST_KEYS = {
    "constant": ("value",),
    "uniform": ("low", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("median", "sigma"),
    "beta": ("mean", "concentration"),
    "pareto": ("minimum", "shape"),
}

#: the parameters that place a family on the attribute's scale: they must lie in its range
_LOCATION = {"uniform": ("low", "high"), "normal": ("mean",), "lognormal": ("median",),
             "pareto": ("minimum",), "beta": ("mean",)}
#: the ranges of the other parameters: beyond them samples overflow or the family is degenerate
_SHAPES = {
    "sd": Spec("standard deviation", low=0.0),
    "sigma": Spec("log standard deviation", low=0.0, high=5.0),  # e^(5*6): 13 orders of magnitude
    "concentration": Spec("concentration", low=1e-3, high=1e6),
    # below 1 the mean is infinite and a handful of buyers draw astronomically large values
    "shape": Spec("tail index (above 1: a finite mean)", low=1.01, high=1e6),
}


@dataclass
class Distribution:
    """A buyer attribute's distribution within a segment. In TOML either a plain number
    (every buyer gets it) or a table such as ``{dist = "lognormal", median = 1, sigma = 0.8}``."""

    dist: str = "constant"
    value: float = 0.0
    low: float = 0.0
    high: float = 1.0
    mean: float = 0.0
    sd: float = 0.0
    median: float = 1.0
    sigma: float = 0.0
    concentration: float = 10.0
    minimum: float = 1.0
    shape: float = 2.0

    @classmethod
    def const(cls, value: float) -> Distribution:
        return cls(dist="constant", value=float(value))

    @classmethod
    def from_toml(cls, loader: Loader, data: Any, path: str, spec: Spec | None = None) -> Distribution:
        """Read a plain number or a distribution table, checking each parameter against the
        attribute's documented range (``spec``): a constant and the location of a family
        (uniform's bounds, normal's mean, lognormal's median, Pareto's minimum) must lie in it,
        so that nothing is clipped silently; only the tails of a family are clipped to it."""
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            value = loader.convert(float, data, path, spec)
            return cls.const(value if isinstance(value, float) else 0.0)
        if not isinstance(data, dict):
            loader.error(path, data, f"must be {spec.allowed() if spec else 'a number'} or a table like "
                         "{dist = \"lognormal\", median = 1.0, sigma = 0.8}")
            return cls()
        kind = data.get("dist")
        if "dist" not in data:
            # the parameters given usually say which family was meant
            meant = [k for k, keys in _DIST_KEYS.items() if data and set(data) <= set(keys)] or list(DISTRIBUTIONS)
            families = [f'"{k}" (keys: {", ".join(_DIST_KEYS[k])})' for k in meant]
            loader.error(path, data, "a distribution table names its family: add dist = "
                         + (families[0] if len(families) == 1 else "one of " + ", ".join(families)))
            return cls()
        if kind not in DISTRIBUTIONS:
            loader.error(f"{path}.dist", kind, "must be one of " + ", ".join(map(repr, DISTRIBUTIONS))
                         + (suggest(kind, list(DISTRIBUTIONS)) if isinstance(kind, str) else ""))
            return cls()
        needed = _DIST_KEYS[kind]
        out = cls(dist=kind)
        refused = len(loader.errors)  # a parameter refused below is not reported again as a whole
        located = _LOCATION.get(kind, ())
        for key, value in data.items():
            if key == "dist":
                continue
            if key not in needed:
                loader.errors.append(f"{loader.source}: {path}.{key} = {show(value)}: unknown key for a {kind} "
                                     f"distribution{suggest(key, list(needed))}; allowed: dist, "
                                     + ", ".join(needed))
                continue
            # the location parameters take the attribute's range; the others their own
            converted = loader.convert(float, value, f"{path}.{key}", spec if key in located else _SHAPES.get(key))
            if isinstance(converted, float):
                setattr(out, key, converted)
        missing = [key for key in needed if key not in data]
        for key in missing:
            loader.errors.append(f"{loader.source}: {path}: a {kind} distribution needs "
                                 f"'{key}' (keys: {', '.join(needed)})")
        bad = ((kind == "uniform" and out.high < out.low)
               or (kind == "beta" and not (0 < out.mean < 1 and out.concentration > 0))
               or (kind == "pareto" and out.minimum <= 0))
        if bad and not missing and len(loader.errors) == refused:
            loader.error(path, data, {
                "uniform": "needs high >= low", "beta": "needs 0 < mean < 1 and concentration > 0",
                "pareto": "needs minimum > 0"}[kind])
        if kind == "beta" and spec is not None and ((spec.low or 0) > 0 or (spec.high is not None and spec.high < 1)):
            loader.error(path, data, f"a beta distribution lies between 0 and 1, outside this "
                         f"attribute's range ({spec.allowed()})")
        return out

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.dist == "constant":
            return np.full(n, self.value)
        if self.dist == "uniform":
            return rng.uniform(self.low, self.high, n)
        if self.dist == "normal":
            return rng.normal(self.mean, self.sd, n)
        if self.dist == "lognormal":
            return self.median * np.exp(self.sigma * rng.standard_normal(n))
        if self.dist == "beta":
            a = self.mean * self.concentration
            return rng.beta(a, self.concentration - a, n)
        return self.minimum * (1.0 + rng.pareto(self.shape, n))

    def to_toml(self) -> Any:
        if self.dist == "constant":
            return self.value
        return {"dist": self.dist, **{k: getattr(self, k) for k in _DIST_KEYS[self.dist]}}


def dist_param(default: Distribution | float, doc: str, unit: str = "", low: float | None = None,
               high: float | None = None) -> Any:
    """A buyer attribute drawn per buyer from a distribution; samples are clipped to [low, high]."""
    value = default if isinstance(default, Distribution) else Distribution.const(default)
    spec = Spec(doc=doc, unit=unit, low=low, high=high)
    return field(default_factory=lambda: copy.deepcopy(value), metadata={"spec": spec})


