"""Study (b): better retention, nothing else changed, raises profit (small version); at full
size (under -m slow) the default B2B market lands in Reichheld & Sasser's +25% to +85% per 5
points of retention counted by customer size, and each source of value with tenure has its
share of the gain with a 95% interval (on the small version the gain is a few percent with a
95% interval about 20 points either side, so the shares are noise)."""

import math

import pandas as pd
import pytest

from experiments.reichheld_sasser.study import main


def test_better_retention_alone_raises_profit(tmp_path):
    out = main(quick=True, out=tmp_path)
    assert out["profit_gain_per_5_points"] > 0.05
    # a key account weighs what it buys: by size, retention is higher than by head count
    assert out["annual_retention_by_size"] > out["annual_retention"]
    # the programme works through its lever: the focal's customers end more committed
    assert out["commitment_with_programme"] > out["commitment"] and out["commitment_gain"] > 0
    table = pd.read_csv(tmp_path / "table.csv")
    assert (table["commitment_with_programme"] - table["commitment"]).to_numpy() == pytest.approx(
        table["commitment_gain"].to_numpy())
    assert (tmp_path / "results" / "sources" / "runs.parquet").exists()
    assert (tmp_path / "results" / "markets" / "runs.parquet").exists()


@pytest.mark.slow
def test_the_default_market_lands_in_the_published_range(tmp_path):
    out = main(quick=False, out=tmp_path, workers=None)
    assert out["profit_gain_low"] > 0  # the gain is not chance (95%, the baseline's uncertainty counted)
    assert out["commitment_gain"] - out["commitment_gain_half_width"] > 0  # its lever moves, not by chance
    assert 0.25 <= out["profit_gain_per_5_points_by_size"] <= 0.85
    for market in ("small business alone", "key accounts alone"):  # each segment alone gains at least as much
        assert out["by_market_by_size"][market] >= 0.25
    for low, high in out["share_intervals"].values():
        assert math.isfinite(low) and math.isfinite(high) and low < high
    # at 60 paired replicates growing purchases carries a share told apart from 0, and so do
    # the four together (what is left with all four off is base profit over longer lives)
    assert out["share_intervals"]["growing purchases"][0] > 0 and out["share_intervals"]["all four"][0] > 0
