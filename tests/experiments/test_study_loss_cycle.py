"""Study h (experiments/loss_cycle) in its quick version (one seed of each full-size market):
the loss cycle completes, and who hears the client decides who loses it — in the default
market the basic transactional suppliers lose key accounts by arbitration and the proactive
relationship suppliers do not; in the key-client-loss market the reactive supplier loses far
more customers by arbitration than the accountable one."""

import pandas as pd
import pytest
from support import load_study


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("loss_cycle")
    return out, load_study("loss_cycle").main(quick=True, out=out)


def test_the_loss_cycle_ends_in_exits_where_nobody_hears_the_client(study):
    _, result = study
    default, loss = result["default B2B market"], result["key client loss"]
    assert default["key_account_exits_per_run"][0] > 0          # key accounts go all the way to exit
    assert default["exits_by_level"]["basic"] > default["exits_by_level"]["proactive"]
    assert loss["exits_by_level"]["reactive"] > 2 * loss["exits_by_level"]["accountable"]
    assert loss["exits_per_run"][0] > default["exits_per_run"][0]   # failing service: more of them


def test_the_table_splits_each_supplier_s_exits_by_the_leaving_buyer_s_segment(study):
    out, result = study
    table = pd.read_csv(out / "table.csv")
    assert (table["exits_key_accounts"] + table["exits_small_business"] == table["escalation_exits"]).all()
    assert set(table["market"]) == set(result)
    # the headline's range is the table's runs, summed over suppliers
    runs = table[table["market"] == "key client loss"].groupby("seed")["escalation_exits"].sum()
    assert result["key client loss"]["exits_per_run"] == (runs.min(), runs.max())
    assert (out / "figure.png").stat().st_size > 0
