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
    def from_toml(cls, loader: Loader, data: Any, path: str) -> Distribution:
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            value = loader.convert(float, data, path, None)
            return cls.const(value if isinstance(value, float) else 0.0)
        if not isinstance(data, dict):
            loader.error(path, data, "must be a number or a table like "
                         "{dist = \"lognormal\", median = 1.0, sigma = 0.8}")
            return cls()
        kind = data.get("dist")
        if kind not in DISTRIBUTIONS:
            loader.error(f"{path}.dist", kind, "must be one of " + ", ".join(map(repr, DISTRIBUTIONS))
                         + (suggest(kind, list(DISTRIBUTIONS)) if isinstance(kind, str) else ""))
            return cls()
        needed = _DIST_KEYS[kind]
        out = cls(dist=kind)
        for key, value in data.items():
            if key == "dist":
                continue
            if key not in needed:
                loader.errors.append(f"{loader.source}: {path}.{key} = {show(value)}: unknown key for a {kind} "
                                     f"distribution{suggest(key, list(needed))}; allowed: dist, "
                                     + ", ".join(needed))
                continue
            converted = loader.convert(float, value, f"{path}.{key}", None)
            if isinstance(converted, float):
                setattr(out, key, converted)
        for key in needed:
            if key not in data:
                loader.errors.append(f"{loader.source}: {path}: a {kind} distribution needs "
                                     f"'{key}' (keys: {', '.join(needed)})")
        bad = ((kind == "uniform" and out.high < out.low) or (kind == "normal" and out.sd < 0)
               or (kind == "lognormal" and (out.median <= 0 or out.sigma < 0))
               or (kind == "beta" and not (0 < out.mean < 1 and out.concentration > 0))
               or (kind == "pareto" and (out.minimum <= 0 or out.shape <= 0)))
        if bad:
            loader.error(path, data, {
                "uniform": "needs high >= low", "normal": "needs sd >= 0",
                "lognormal": "needs median > 0 and sigma >= 0",
                "beta": "needs 0 < mean < 1 and concentration > 0",
                "pareto": "needs minimum > 0 and shape > 0"}[kind])
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


