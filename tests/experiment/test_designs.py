"""Designs: the sizes SALib defines, stable point identities and seeds."""

from __future__ import annotations

import pytest
from sweep_support import write_sweep

from sim.config.space import load_sweep
from sim.experiment.designs import design_points, design_size, run_seed

RANGES = ('[sweep]\nscenario = "base.toml"\n[parameters]\n"market.buyers" = { low = 100, high = 400 }\n'
          '"buyers.switching_cost" = { low = 0.0, high = 0.5 }\n'
          '"suppliers[Acme].strategy" = { levels = ["relationship", "transactional"] }\n')


def _spec(tmp_path, design: str):
    return load_sweep(write_sweep(tmp_path, RANGES + "[design]\n" + design))


@pytest.mark.parametrize(("design", "rows"), [
    ('kind = "sobol"\nsamples = 16\n', 16 * (3 + 2)),                       # Saltelli: N (D + 2)
    ('kind = "sobol"\nsamples = 16\nsecond_order = true\n', 16 * (2 * 3 + 2)),  # N (2D + 2)
    ('kind = "morris"\nsamples = 5\nlevels = 4\n', 5 * (3 + 1)),            # N (D + 1)
    ('kind = "latin"\nsamples = 30\n', 30),
])
def test_designs_have_the_sizes_salib_defines(tmp_path, design, rows):
    spec = _spec(tmp_path, design)
    points = design_points(spec)
    assert len(points) == rows == design_size(spec.design.kind, 3, spec.design.samples,
                                               spec.design.second_order)


def test_a_grid_is_every_combination_of_levels(tmp_path):
    spec = load_sweep(write_sweep(tmp_path, '[sweep]\nscenario = "base.toml"\n[parameters]\n'
                                  '"market.buyers" = { low = 100, high = 300, count = 3 }\n'
                                  '"buyers.switching_cost" = { levels = [0.0, 0.2] }\n'))
    points = design_points(spec)
    assert len(points) == 6 == design_size("grid", 2, levels=[3, 2])
    assert set(zip(points["market.buyers"], points["buyers.switching_cost"])) == {
        (b, c) for b in (100, 200, 300) for c in (0.0, 0.2)}


def test_sampled_values_stay_in_range_and_levels_are_chosen_evenly(tmp_path):
    points = design_points(_spec(tmp_path, 'kind = "latin"\nsamples = 400\n'))
    assert points["market.buyers"].between(100, 400).all()
    assert points["market.buyers"].map(type).eq(int).all()  # whole-number bounds: whole numbers
    assert points["buyers.switching_cost"].between(0.0, 0.5).all()
    shares = points["suppliers[Acme].strategy"].value_counts(normalize=True)
    assert shares["relationship"] == pytest.approx(0.5, abs=0.01)  # a Latin hypercube stratifies


def test_a_point_keeps_its_identity_and_seeds_when_the_design_grows(tmp_path):
    small = design_points(_spec(tmp_path, 'kind = "sobol"\nsamples = 8\n'))
    large = design_points(_spec(tmp_path, 'kind = "sobol"\nsamples = 32\n'))
    assert set(small["point"]) <= set(large["point"])
    point = small["point"].iloc[3]
    assert run_seed(7, point, 2) == run_seed(7, point, 2)
    assert run_seed(7, point, 2) != run_seed(7, point, 3) != run_seed(8, point, 3)
    other = small["point"].iloc[4]
    assert run_seed(7, point, 2) != run_seed(7, other, 2)
    assert run_seed(7, point, 2, common_random_numbers=True) == run_seed(7, other, 2, common_random_numbers=True)
