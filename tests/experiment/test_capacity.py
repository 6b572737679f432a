"""Runs too large for this machine are refused before they start, with the estimate and
what the machine has."""

from __future__ import annotations

import pytest
from support import small_scenario

from sim.config import ScenarioError
from sim.experiment.capacity import GIB, available_bytes, check_fits, market_bytes
from sim.experiment.run import run


def test_the_estimate_grows_with_buyers_times_suppliers():
    small = small_scenario([{"name": "Us", "count": 2}], buyers=1000)
    large = small_scenario([{"name": "Us", "count": 20}], buyers=100_000)
    assert market_bytes(large)[0] > 500 * market_bytes(small)[0] / 2


def test_a_market_that_cannot_fit_is_refused_with_the_estimate_and_the_machines_memory():
    huge = small_scenario([{"name": "Us", "count": 20}], buyers=50_000_000, market={"replicates": 4})
    with pytest.raises(ScenarioError) as caught:
        check_fits(huge, workers=2, available=23 * GIB)
    message = caught.value.messages[0]
    assert "this market needs about" in message and "this machine has 23 GiB available" in message
    assert "fewer --workers" in message and "market.record_events = false" in message


def test_run_refuses_before_it_starts(tmp_path, monkeypatch):
    import sim.experiment.capacity as capacity

    monkeypatch.setattr(capacity, "available_bytes", lambda: 1 * 2**20)  # a 1 MiB machine
    scenario = small_scenario([{"name": "Us"}], buyers=5000)
    with pytest.raises(ScenarioError, match="this machine has 0.0 GiB available"):
        run(scenario, out=tmp_path / "never")
    assert not (tmp_path / "never").exists()


def test_compare_refuses_before_it_makes_its_folder_so_the_next_command_there_is_free(tmp_path, monkeypatch):
    import sim.experiment.capacity as capacity
    from sim.experiment.compare import compare

    scenario = small_scenario([{"name": "Us"}, {"name": "Them", "strategy": "transactional"}], buyers=5000)
    with monkeypatch.context() as patch:
        patch.setattr(capacity, "available_bytes", lambda: 1 * 2**20)  # a 1 MiB machine
        with pytest.raises(ScenarioError, match="this machine has 0.0 GiB available"):
            compare(scenario, "transactional,relationship", replicates=2, workers=1, out=tmp_path / "cmp")
    assert not (tmp_path / "cmp").exists()  # no manifest left to refuse the next comparison


def test_this_machine_reports_its_memory():
    assert available_bytes() > 2**20


def test_an_ordinary_market_fits():
    check_fits(small_scenario([{"name": "Us"}], buyers=2000), workers=2)
