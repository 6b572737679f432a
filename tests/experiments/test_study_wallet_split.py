"""Study i (experiments/wallet_split) in its quick version (one seed of the full-size default
market, with its key accounts multi-sourcing and single-sourcing): the positioning matrix
tells transactional from relationship suppliers, and multi-sourcing lowers loyalty
concentration and lets buyers rate a second supplier they value as "desired"."""

import pandas as pd
import pytest
from support import load_study


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("wallet_split")
    return out, load_study("wallet_split").main(quick=True, out=out)


def test_key_accounts_split_their_demand_and_loyalty_is_less_concentrated(study):
    _, h = study
    multi, single = h["multi-sourcing"], h["single-sourcing"]
    assert multi["suppliers_per_key_account"][0] > 1 and single["suppliers_per_key_account"] == (1.0, 1.0)
    assert multi["loyalty_concentration"][1] < single["loyalty_concentration"][0]
    assert multi["relationship_desired"][0] > single["relationship_desired"][1]


def test_the_positioning_matrix_tells_transactional_from_relationship_suppliers(study):
    _, h = study
    for market in h.values():
        assert market["relationship_partner"][0] > market["transactional_partner"][1]
        assert market["transactional_managed"][0] > market["relationship_managed"][1]


def test_each_strategy_s_positioning_shares_add_up_to_its_live_relationships(study):
    out, _ = study
    table = pd.read_csv(out / "table.csv")
    for strategy in ("transactional", "relationship"):
        cells = table[[f"{strategy}_{cell}" for cell in ("partner", "managed", "desired", "independent")]]
        assert cells.sum(axis=1).to_numpy() == pytest.approx(1.0)
    assert (out / "figure.png").stat().st_size > 0
