"""Results are a function of the scenario and the seed: the same seed gives identical tables
(in process, in parallel and through the command line), different seeds differ, and a
replicate's results do not depend on how many replicates run beside it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import ROOT

from sim.config import Scenario, load_scenario, scenario_from_dict
from sim.experiment.run import TABLES, RunResults, run, run_replicate

SCENARIO = ROOT / "scenarios" / "b2b_key_accounts.toml"
SMALL = {"market.buyers": 300, "market.steps": 8}

_SCRIPT = Path(sys.executable).with_name("relsim")
RELSIM = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "sim.cli"]


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(SCENARIO).with_overrides(SMALL)


@pytest.fixture(scope="module")
def sequential(scenario):
    """Sequential runs of the small scenario by (seed, replicates), each made once."""
    runs: dict[tuple[int, int], RunResults] = {}

    def get(seed: int, replicates: int) -> RunResults:
        if (seed, replicates) not in runs:
            runs[seed, replicates] = run(scenario, seed=seed, replicates=replicates, workers=1)
        return runs[seed, replicates]
    return get


def assert_same_tables(a: RunResults, b: RunResults, replicates: int | None = None) -> None:
    for table in TABLES:
        left, right = getattr(a, table), getattr(b, table)
        if replicates is not None:
            left = left[left["replicate"] < replicates].reset_index(drop=True)
            right = right[right["replicate"] < replicates].reset_index(drop=True)
        assert len(left) > 0, table
        pd.testing.assert_frame_equal(left, right, obj=table)


def test_same_seed_gives_identical_tables(scenario, sequential):
    again = run(scenario, seed=11, replicates=2, workers=1)
    assert_same_tables(sequential(11, 2), again)


def test_different_seeds_give_different_tables(sequential):
    for table in TABLES:
        assert not getattr(sequential(11, 2), table).equals(getattr(sequential(12, 2), table)), table


def test_replicates_of_one_run_differ_from_each_other(sequential):
    market = sequential(11, 2).market.drop(columns="replicate")
    first, second = (market[sequential(11, 2).market["replicate"] == r].reset_index(drop=True) for r in (0, 1))
    assert not first.equals(second)


def test_replicate_results_do_not_depend_on_the_number_of_replicates(sequential):
    assert_same_tables(sequential(11, 2), sequential(11, 5), replicates=2)


def test_parallel_run_equals_sequential_run(scenario, sequential):
    parallel = run(scenario, seed=11, replicates=5, workers=2)
    assert_same_tables(sequential(11, 5), parallel)


def test_replicate_reruns_alone_from_the_seed_in_its_manifest(scenario, tmp_path):
    results = run(scenario, seed=11, replicates=3, workers=1, out=tmp_path / "results")
    manifest = json.loads((tmp_path / "results" / "manifest.json").read_text())
    entry = manifest["replicate_seeds"][2]
    seed = np.random.SeedSequence(entry["entropy"], spawn_key=tuple(entry["spawn_key"]))
    alone = run_replicate(scenario_from_dict(manifest["scenario"]), entry["replicate"], seed)
    for table in TABLES:
        frame = getattr(results, table)
        pd.testing.assert_frame_equal(frame[frame["replicate"] == 2].reset_index(drop=True), alone[table],
                                      obj=table)


def test_command_line_run_gives_the_tables_of_the_api(tmp_path, sequential):
    out = tmp_path / "results"
    proc = subprocess.run([*RELSIM, "run", str(SCENARIO), "--seed", "11", "--replicates", "2", "--steps", "8",
                           "--set", "market.buyers=300", "--out", str(out), "--workers", "1"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    written = RunResults(None, **{t: pd.read_parquet(out / f"{t}.parquet") for t in TABLES})
    assert_same_tables(sequential(11, 2), written)
