"""Sensitivity indices against functions whose indices are known, and PRIM on a planted box."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from sim.stats.sensitivity import morris_indices, morris_noise_floor, prim, replicate_noise, sobol_indices

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


def noisy_point_means(f, x: np.ndarray, noise_sd: float, replicates: int, seed: int):
    """Each design row run ``replicates`` times with noise: (points, values, point means)."""
    rng = np.random.default_rng(seed)
    values = f(x)[:, None] + rng.normal(0.0, noise_sd, (len(x), replicates))
    points = np.repeat(np.arange(len(x)), replicates)
    return points, values.ravel(), values.mean(axis=1)


def test_replicate_noise_is_measured_and_pulls_the_total_indices_up_and_the_first_order_ones_down():
    # Ishigami with b = 0: x3 has no effect (S1 = ST = 0), variance a^2/8 + 1/2 = 6.625
    def f(x):
        return ishigami(x, b=0.0)
    replicates, noise_sd = 4, np.sqrt(4 * 6.625 * 0.3 / 0.7)  # noise: 30% of the means' variance
    x = sobol_sample.sample(ISHIGAMI, 4096, calc_second_order=False, seed=3)
    points, values, means = noisy_point_means(f, x, noise_sd, replicates, seed=4)
    noise = replicate_noise(points, values, means)
    assert noise.share == pytest.approx(0.3, abs=0.02) and noise.replicates == replicates
    indices = sobol_indices(ISHIGAMI, means, resamples=100).set_index("parameter")
    # a total index reads about s + (1 - s) x its value without noise: the parameter without
    # any effect gets about the noise's share s, x1 (ST 0.5 / 6.625 without noise, b = 0 leaves
    # no interaction) and x2 (6.125 / 6.625) more ...
    s = noise.share
    assert indices.loc["x3", "ST"] == pytest.approx(s, abs=0.05)
    assert indices.loc["x1", "ST"] == pytest.approx(s + (1 - s) * 0.5 / 6.625, abs=0.05)
    assert indices.loc["x2", "ST"] == pytest.approx(s + (1 - s) * 6.125 / 6.625, abs=0.05)
    # ... and the first-order indices lose that share (x2's is (a^2/8) / 6.625 = 0.925 without noise)
    assert indices.loc["x2", "S1"] == pytest.approx(6.125 / 6.625 * (1 - noise.share), abs=0.04)
    # the noise variance falls as 1/replicates: 30% at 4 replicates is 10% at about 15.4
    assert noise.replicates_for_share(0.1) == pytest.approx(4 * 0.3 / 0.7 * 0.9 / 0.1, rel=0.1)


def test_replicate_noise_needs_two_replicates_at_some_point_and_is_zero_without_noise():
    x = sobol_sample.sample(ISHIGAMI, 64, calc_second_order=False, seed=5)
    y = ishigami(x)
    assert replicate_noise(np.arange(len(x)), y, y) is None
    points, values, means = noisy_point_means(ishigami, x, 0.0, 3, seed=6)
    noise = replicate_noise(points, values, means)
    assert noise.share == pytest.approx(0.0, abs=1e-12) and noise.replicates_for_share(0.1) == 0.0


def test_replicate_noise_alone_gives_a_parameter_without_effect_the_morris_noise_floor():
    problem = {"num_vars": 2, "names": ["strong", "none"], "bounds": [[0, 1]] * 2}
    x = morris_sample.sample(problem, 2000, num_levels=4, seed=7)
    points, values, means = noisy_point_means(lambda x: 5.0 * x[:, 0], x, 1.0, 2, seed=8)
    noise = replicate_noise(points, values, means)
    m = morris_indices(problem, x, means, levels=4).set_index("parameter")
    mu_star, sigma = morris_noise_floor(noise, 4)
    assert m.loc["none", "mu_star"] == pytest.approx(mu_star, rel=0.08)
    assert m.loc["none", "sigma"] == pytest.approx(sigma, rel=0.08)
    assert m.loc["strong", "mu_star"] > 3 * mu_star
