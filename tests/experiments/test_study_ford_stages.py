"""Study d (experiments/ford_stages) in its quick version: every stage holds a material share
at some time, only a small share of relationships reaches final, and transactional
customers stay in the early stage for the reason the model gives (no relationship
investment: without that rule they develop)."""

from support import load_study


def test_ford_stages_study_shows_ripening_stages_and_rare_final_relationships(tmp_path):
    result = load_study("ford_stages").main(quick=True, out=tmp_path)
    assert all(share > 0.05 for share in result["peak_share"].values()), result
    assert 0 < result["share_reaching_final"] < 0.2
    assert result["transactional_beyond_early"] < 0.05
    assert result["transactional_beyond_early_without_investment_rule"] > 0.5
    for name in ("figure.png", "table.csv"):
        assert (tmp_path / name).stat().st_size > 0
