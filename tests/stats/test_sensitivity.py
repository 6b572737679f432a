"""Sensitivity indices against functions whose indices are known, and PRIM on a planted box."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from sim.stats.sensitivity import morris_indices, prim, sobol_indices

ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_indices_of_the_ishigami_function_match_the_analytic_values():
    # Ishigami & Homma (1990), a = 7, b = 0.1: S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244
    x = sobol_sample.sample(ISHIGAMI, 4096, calc_second_order=False, seed=1)
    indices = sobol_indices(ISHIGAMI, ishigami(x), resamples=200).set_index("parameter")
    assert indices["S1"].to_numpy() == pytest.approx([0.314, 0.442, 0.0], abs=0.03)
    assert indices["ST"].to_numpy() == pytest.approx([0.558, 0.442, 0.244], abs=0.03)
    assert (indices["S1_conf"] > 0).all() and (indices["ST_conf"] < 0.1).all()


def test_morris_ranks_parameters_by_their_effect_and_sees_no_interaction_in_a_linear_model():
    problem = {"num_vars": 3, "names": ["weak", "strong", "none"], "bounds": [[0, 1]] * 3}
    x = morris_sample.sample(problem, 40, num_levels=4, seed=2)
    y = 1.0 * x[:, 0] + 5.0 * x[:, 1]
    m = morris_indices(problem, x, y, levels=4).set_index("parameter")
    assert m.loc["strong", "mu_star"] == pytest.approx(5.0)
    assert m.loc["weak", "mu_star"] == pytest.approx(1.0)
    assert m.loc["none", "mu_star"] == pytest.approx(0.0)
    assert m["sigma"].to_numpy() == pytest.approx([0, 0, 0], abs=1e-9)


def test_prim_finds_a_planted_box_with_its_coverage_density_and_mass():
    rng = np.random.default_rng(0)
    x = pd.DataFrame({"switching_cost": rng.uniform(0, 1, 3000), "orientation": rng.uniform(0, 1, 3000),
                      "noise": rng.uniform(0, 1, 3000), "strategy": rng.choice(["a", "b", "c"], 3000)})
    y = ((x.switching_cost > 0.6) & (x.orientation < 0.3) & (x.strategy != "c")).to_numpy()
    box = prim(x, y, threshold=0.9)
    limits = box.limits.set_index("parameter")
    assert limits.loc["switching_cost", "low"] == pytest.approx(0.6, abs=0.05)
    assert limits.loc["orientation", "high"] == pytest.approx(0.3, abs=0.05)
    assert sorted(limits.loc["strategy", "levels"]) == ["a", "b"]
    assert "noise" not in limits.index or limits.loc["noise", "high"] - limits.loc["noise", "low"] > 0.8
    inside = box.contains(x)
    assert box.density == pytest.approx(y[inside].mean()) and box.density >= 0.9
    assert box.coverage == pytest.approx(y[inside].sum() / y.sum()) and box.coverage > 0.8
    assert box.mass == pytest.approx(inside.mean())
    assert box.trajectory["chosen"].sum() == 1
