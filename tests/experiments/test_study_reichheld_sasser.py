"""Study (b) in its small version: better retention, nothing else changed, raises profit by
more than the retention points themselves, and the sources of value with tenure carry part
of the gain."""

from experiments.reichheld_sasser.study import main


def test_retention_raises_profit_and_the_sources_of_value_carry_part_of_it():
    h = main(quick=True)
    assert h["profit_gain_per_5_points"] > 0.05
    assert h["shares"]["all four"] > 0.2
