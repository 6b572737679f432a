"""Study g (experiments/wkh_transition) in its quick version: for n = 2, 3 and 5 sellers the
buyers spread their visits well below beta_c and are loyal well above it, and the transition
lies near beta_c = n * gamma / pi."""

from support import load_study


def test_wkh_study_shows_the_loyalty_transition_near_the_critical_intensity(tmp_path):
    result = load_study("wkh_transition").main(quick=True, out=tmp_path)
    for n in (2, 3, 5):
        assert result["loyalty_well_below"][n] < 1 / n + 0.15
        assert result["loyalty_well_above"][n] > 0.9
        assert 0.5 < result["transition_beta_over_beta_c"][n] < 2.0
    assert (tmp_path / "figure.png").stat().st_size > 0 and (tmp_path / "table.csv").stat().st_size > 0
