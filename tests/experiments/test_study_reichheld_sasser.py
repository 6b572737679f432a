"""Study (b) in its small version: better retention, nothing else changed, raises profit, and
the sources of value with tenure carry part of the gain. The second does not hold on the
merged model (experiments/README.md, study b: the commitment driver "benefits" saturates, so
the sources carry 7% of the gain, not more than 20%); it is marked as a known failure, strict,
so that the day the model carries it the marker has to go."""

import pytest

from experiments.reichheld_sasser.study import main


@pytest.fixture(scope="module")
def headline():
    return main(quick=True)


def test_better_retention_alone_raises_profit(headline):
    assert headline["profit_gain_per_5_points"] > 0.05


@pytest.mark.xfail(strict=True, reason="issue 8: the sources of value with tenure carry too little of the "
                                      "retention gain on the merged model (commitment's benefits driver saturates)")
def test_the_sources_of_value_with_tenure_carry_part_of_the_gain(headline):
    assert headline["shares"]["all four"] > 0.2
