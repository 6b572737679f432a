"""Study (a) in its small version: the relationship advantage grows with relational
orientation and with switching costs and orientation together."""

from experiments.advantage_grid.study import main


def test_relationship_advantage_grows_with_orientation_and_switching_costs():
    h = main(quick=True)
    assert h["advantage_at_both_high"] > h["advantage_at_zero"]
    assert h["advantage_at_zero_cost_high_orientation"] > h["advantage_at_zero"]
    # not clearly positive: the paired 95% interval reaches zero or below
    assert h["advantage_at_zero"] - h["advantage_at_zero_half_width"] <= 0
