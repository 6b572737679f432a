"""Study (b): better retention, nothing else changed, raises profit (small version), and the
sources of value with tenure carry part of the gain (full size, under -m slow).

The second cannot be judged on the small version: there the intervention's profit gain is a
few percent with a 95% half-width near 20% (3 replicates), so the sources' shares are noise
(from -0.6 to 2.0 across root seeds). At full size it does not hold on the merged model
(experiments/README.md, study b: the commitment driver "benefits" saturates, so the sources
carry 7% of the gain, not more than 20%); it is marked as a known failure, strict, so that the
day the model carries it the marker has to go."""

import pytest

from experiments.reichheld_sasser.study import main


def test_better_retention_alone_raises_profit(tmp_path):
    assert main(quick=True, out=tmp_path)["profit_gain_per_5_points"] > 0.05


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="issue 8: the sources of value with tenure carry too little of the "
                                      "retention gain on the merged model (commitment's benefits driver saturates)")
def test_the_sources_of_value_with_tenure_carry_part_of_the_gain(tmp_path):
    assert main(quick=False, out=tmp_path, workers=None)["shares"]["all four"] > 0.2
