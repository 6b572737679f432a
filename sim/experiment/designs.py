"""Designs of experiments over a sweep's parameter space: the full-factorial grid and SALib's
Latin hypercube, Sobol (Saltelli) and Morris samples, with the sizes SALib defines.

A design is a table with one row per design point, in design order (Morris and Saltelli
analyses read outputs in that order): ``point_index``, ``point`` (a fingerprint of the
point's values, the same in every design that contains the point), one column per
parameter holding the scenario value, and ``x:KEY`` columns holding the design coordinate
SALib sampled (equal to the value for ranges; a position in [0, 1] for levels).

Seeds belong to (point, replicate): ``SeedSequence(root, spawn_key=(point_key, replicate))``,
so a point gets the same seeds whichever design, size or order it appears in, and a sweep
extended with more points or replicates never recomputes what exists."""

from __future__ import annotations

import hashlib
import itertools
import json
from typing import Any

import numpy as np
import pandas as pd

from sim.config.space import Design, Parameter, SweepSpec


def design_size(kind: str, parameters: int, samples: int | None = None, second_order: bool = False,
                levels: list[int] | None = None) -> int:
    """Points in a design, as SALib defines them: Saltelli N x (D + 2) (N x (2D + 2) with
    second-order indices), Morris N x (D + 1), Latin hypercube N; a grid the product of levels."""
    if kind == "grid":
        return int(np.prod(levels or [1]))
    if kind == "latin":
        return int(samples)
    if kind == "sobol":
        return int(samples) * ((2 * parameters + 2) if second_order else (parameters + 2))
    if kind == "morris":
        return int(samples) * (parameters + 1)
    raise ValueError(f"unknown design {kind!r}")


def design_matrix(parameters: list[Parameter], design: Design) -> np.ndarray:
    """The design's coordinates, one row per point, in SALib's order."""
    problem = {"num_vars": len(parameters), "names": [p.key for p in parameters],
               "bounds": [p.bounds() for p in parameters]}
    if design.kind == "grid":
        grid = itertools.product(*[[p.coordinate_of(v) for v in p.grid_levels()] for p in parameters])
        return np.array(list(grid), dtype=float).reshape(-1, len(parameters))
    if design.kind == "latin":
        from SALib.sample import latin

        return latin.sample(problem, design.samples, seed=design.seed)
    if design.kind == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, design.samples, calc_second_order=design.second_order, seed=design.seed)
    if design.kind == "morris":
        from SALib.sample import morris

        return morris.sample(problem, design.samples, num_levels=design.levels, seed=design.seed)
    raise ValueError(f"unknown design {design.kind!r}")


def point_fingerprint(values: dict[str, Any]) -> str:
    """A point's identity: 16 hex digits of the SHA-256 of its values (keys sorted)."""
    text = json.dumps({k: _plain(v) for k, v in values.items()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def design_points(spec: SweepSpec) -> pd.DataFrame:
    """The design of ``spec`` as a table (see the module docstring)."""
    x = design_matrix(spec.parameters, spec.design)
    rows = []
    for i, coords in enumerate(x):
        values = {p.key: _plain(p.value_at(c)) for p, c in zip(spec.parameters, coords)}
        row: dict[str, Any] = {"point_index": i, "point": point_fingerprint(values), **values}
        row.update({f"x:{p.key}": float(c) for p, c in zip(spec.parameters, coords)})
        rows.append(row)
    return pd.DataFrame(rows)


def point_values(spec: SweepSpec, row: dict[str, Any]) -> dict[str, Any]:
    """A point's parameter values (a factor's: the name of its case)."""
    return {p.key: _plain(row[p.key]) for p in spec.parameters}


def point_overrides(spec: SweepSpec, row: dict[str, Any]) -> dict[str, Any]:
    """The ``--set`` overrides that make a point's scenario from the base scenario: the
    scenario keys varied, the factors' cases, the [derived] keys (:meth:`SweepSpec.overrides_at`)."""
    return {k: _plain(v) for k, v in spec.overrides_at(point_values(spec, row)).items()}


def run_seed(root: int, point: str, replicate: int, common_random_numbers: bool = False) -> int:
    """The engine seed of one run: 63 bits drawn from ``SeedSequence(root, spawn_key=(point,
    replicate))``; with common random numbers every point's replicate r shares one stream
    (``spawn_key=(replicate,)``), so differences between points are not luck."""
    key = (replicate,) if common_random_numbers else (int(point, 16), replicate)
    state = np.random.SeedSequence(root, spawn_key=key).generate_state(1, np.uint64)[0]
    return int(state) & ((1 << 63) - 1)
