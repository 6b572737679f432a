"""Study f (experiments/complacency_entrant) in its quick version: an attentive entrant wins
habitual customers from an inattentive incumbent, none from an attentive one, because of the
need drift the inattentive one left unnoticed; and a basic supplier loses nothing by letting
its customers ripen."""

from support import load_study


def test_complacency_study_shows_the_door_opens_only_for_the_inattentive(tmp_path):
    result = load_study("complacency_entrant").main(quick=True, out=tmp_path)
    assert result["won_from_inattentive"] > 0.05
    assert result["won_from_attentive"] < 0.01
    assert result["gap_inattentive"] > 5 * result["gap_attentive"]   # the reason: unnoticed drift
    assert result["share_adapting_basic"] > result["share_never_adapting_basic"]
    assert result["retention_adapting_basic"] >= result["retention_never_adapting_basic"]
    assert (tmp_path / "figure.png").stat().st_size > 0 and (tmp_path / "table.csv").stat().st_size > 0
