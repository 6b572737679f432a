"""Study g (experiments/wkh_transition) in its quick version: for n = 2, 3 and 5 sellers the
buyers spread their visits well below beta_c and are loyal well above it, and the transition
lies near beta_c = n * gamma / pi."""

import pytest
from support import load_study


def test_wkh_study_shows_the_loyalty_transition_near_the_critical_intensity(tmp_path):
    result = load_study("wkh_transition").main(quick=True, out=tmp_path)
    for n in (2, 3, 5):
        assert result["loyalty_well_below"][n] < 1 / n + 0.15
        assert result["loyalty_well_above"][n] > 0.9
        assert 0.5 < result["transition_beta_over_beta_c"][n] < 2.0
    assert (tmp_path / "figure.png").stat().st_size > 0 and (tmp_path / "table.csv").stat().st_size > 0


def test_the_sweep_s_choice_intensity_is_beta_over_beta_c_times_the_scenario_s_critical_intensity():
    from support import ROOT

    from sim.config.space import load_sweep
    from sim.experiment.designs import design_points, point_overrides

    study = load_study("wkh_transition")
    for variant in (None, "quick"):
        spec = load_sweep(ROOT / "experiments" / "wkh_transition" / "sweep.toml", variant)
        for row in design_points(spec).to_dict("records"):
            n, multiple = row["suppliers.count"], row["beta_over_beta_c"]
            assert point_overrides(spec, row)["behaviour.choice_intensity"] == pytest.approx(
                multiple * study.critical_intensity(n))
