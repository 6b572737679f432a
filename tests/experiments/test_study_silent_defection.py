"""Study e (experiments/silent_defection) in its quick version: many leavers never
complained; only follow-up (accountable and above) finds and recovers silent dissatisfied
customers, and it keeps more of them."""

from support import load_study


def test_silent_defection_study_shows_only_follow_up_recovers_the_silent(tmp_path):
    result = load_study("silent_defection").main(quick=True, out=tmp_path)
    for level in ("basic", "reactive", "accountable", "proactive"):
        assert result[level]["silent_share_of_leavers"] > 0.4
    assert result["basic"]["silent_recovered_share"] == result["reactive"]["silent_recovered_share"] == 0
    assert result["accountable"]["silent_recovered_share"] > 0.3
    assert result["proactive"]["silent_recovered_share"] > 0.3
    assert result["reactive"]["recovered_share_of_dissatisfied"] > 0
    assert result["accountable"]["monthly_retention"] > result["reactive"]["monthly_retention"]
    assert (tmp_path / "figure.png").stat().st_size > 0 and (tmp_path / "table.csv").stat().st_size > 0
