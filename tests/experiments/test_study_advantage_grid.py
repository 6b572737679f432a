"""Study (a) in its small version (the grid's corners, 3 paired replicates of 1,000 buyers over
ten years): the relationship advantage is not positive where switching costs and relational
orientation are both 0 in a price-driven market, and grows with both. Read off the paired
profit difference in money: the relative advantage divides by transactional's profit, small
in much of the grid.

The study is a sweep (experiments/advantage_grid/sweep.toml): its runs are in a sweep store
that ``relsim analyze`` reads."""

import pandas as pd
import pytest

from experiments.advantage_grid.study import main
from sim.cli.main import main as relsim
from sim.report.analyze import load_analysis


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("advantage_grid")
    return out, main(quick=True, out=out)


def test_relationship_does_not_pay_where_buyers_are_transactional_and_switch_for_free(study):
    _, h = study
    # the direction (3 replicates cannot bound it; the full study's interval does)
    assert h["difference_at_zero"] < 0 and h["advantage_at_zero"] < 0


def test_the_corner_loses_without_the_cost_of_opening_accounts_too_and_its_row_is_written(study):
    out, h = study
    # the onboarding cost does not decide the corner: without it relationship still loses
    assert h["difference_at_zero_without_onboarding_cost"] < 0 and h["advantage_at_zero_without_onboarding_cost"] < 0
    corner = pd.read_csv(out / "no_onboarding.csv")
    table = pd.read_csv(out / "table.csv")
    assert list(corner.columns) == list(table.columns) and len(corner) == 1
    assert corner.loc[0, ["switching_cost", "relational_orientation"]].tolist() == [0.0, 0.0]
    assert corner.loc[0, "advantage"] == pytest.approx(h["advantage_at_zero_without_onboarding_cost"])


def test_relationship_advantage_grows_with_relational_orientation(study):
    _, h = study
    assert h["difference_at_zero_cost_high_orientation"] > h["difference_at_zero"]
    assert h["difference_at_both_high"] > h["difference_at_high_cost_zero_orientation"]


def test_relationship_advantage_grows_with_switching_cost_where_buyers_are_transactional(study):
    _, h = study
    assert h["difference_at_high_cost_zero_orientation"] > h["difference_at_zero"]


def test_relsim_analyze_reads_the_study_s_sweep_store_and_finds_where_relationship_wins_most(study, capsys):
    out, _ = study
    table = pd.read_csv(out / "table.csv")
    store = out / "results" / "grid"
    # the analysis and the study read the same runs with the same definition of the advantage
    a = load_analysis(store, relative=True)
    merged = a.per_point.merge(table, left_on=["buyers.switching_cost", "buyers.relational_orientation"],
                               right_on=["switching_cost", "relational_orientation"])
    assert len(merged) == 4 and merged["mean"].to_numpy() == pytest.approx(merged["advantage"].to_numpy())
    threshold = float(table["advantage"].median())
    assert relsim(["analyze", str(store), "--relative", "--above", str(threshold)]) == 0
    printed = capsys.readouterr().out
    assert "Relative advantage of relationship over transactional" in printed and "coverage" in printed
    for figure in ("main_effects", "interactions", "heatmaps", "prim"):
        assert (store / "analysis" / "figures" / f"{figure}.png").stat().st_size > 0
    assert (store / "analysis" / "prim_box.csv").exists() and (store / "analysis" / "index.html").exists()
