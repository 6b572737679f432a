"""Study (b): better retention, nothing else changed, raises profit (small version), and the
sources of value with tenure (growing purchases, lower cost to serve, referrals, the price
premium) carry part of the gain (full size, under -m slow: on the small version the
intervention's profit gain is a few percent with a 95% half-width near 20%, so the sources'
shares are noise)."""

import pytest

from experiments.reichheld_sasser.study import main


def test_better_retention_alone_raises_profit(tmp_path):
    assert main(quick=True, out=tmp_path)["profit_gain_per_5_points"] > 0.05


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="issue 8: at full size the intervention's gain is 5.4% +- 3.5% (10 paired "
                                      "replicates), so the sources' shares are not resolved (all four: 6%)")
def test_the_sources_of_value_with_tenure_carry_part_of_the_gain(tmp_path):
    assert main(quick=False, out=tmp_path, workers=None)["shares"]["all four"] > 0.2
