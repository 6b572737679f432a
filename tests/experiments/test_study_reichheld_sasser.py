"""Study (b) in its small version: better retention, nothing else changed, raises profit, and
the sources of value with tenure (growing purchases, lower cost to serve, referrals, the price
premium) carry part of the gain: with all four off, less of it is left."""

import pytest

from experiments.reichheld_sasser.study import main


@pytest.fixture(scope="module")
def headline():
    return main(quick=True)


def test_better_retention_alone_raises_profit(headline):
    assert headline["profit_gain_per_5_points"] > 0.05


def test_the_sources_of_value_with_tenure_carry_part_of_the_gain(headline):
    assert headline["shares"]["all four"] > 0.2
