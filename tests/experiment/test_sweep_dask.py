"""Sweeps on a Dask cluster (started and stopped here, on loopback): the same results as the
local process pool, and nothing lost or duplicated when a worker dies mid-sweep."""

from __future__ import annotations

import os
import signal
import threading

import pandas as pd
import pytest
from sweep_support import GRID, results_of, write_sweep

from sim.experiment.sweep import sweep

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=":0", silence_logs=50)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_the_same_sweep_on_the_process_pool_and_on_dask_is_bit_identical(tmp_path, client):
    spec_path = write_sweep(tmp_path, GRID + '[compare]\nalternatives = ["transactional", "relationship"]\n')
    on_dask = sweep(spec_path, tmp_path / "dask", executor=client).runs
    on_pool = sweep(spec_path, tmp_path / "pool", workers=2).runs
    assert len(on_dask) == 24
    pd.testing.assert_frame_equal(results_of(on_dask), results_of(on_pool), check_exact=True)


def test_dask_tasks_carry_several_runs_and_give_the_pool_s_results_bit_for_bit(tmp_path, client):
    """A Dask task costs tens of milliseconds, so it carries several runs (up to 8; fewer
    where the sweep is too small to keep the window busy); a pool takes them one by one."""
    from concurrent.futures import ThreadPoolExecutor

    from sim.experiment.sweep import MAX_RUNS_PER_TASK, _runs_per_task, _window

    window = _window(client, None)
    assert _runs_per_task(client, 48, window) == min(MAX_RUNS_PER_TASK, 48 // (2 * window)) > 1
    assert _runs_per_task(client, 3, window) == 1
    with ThreadPoolExecutor(2) as pool:
        assert _runs_per_task(pool, 1000, 4) == 1
    spec_path = write_sweep(tmp_path, GRID.replace("replicates = 2", "replicates = 8"))
    on_dask = sweep(spec_path, tmp_path / "dask", executor=client).runs
    on_pool = sweep(spec_path, tmp_path / "pool", workers=2).runs
    assert len(on_dask) == 48
    pd.testing.assert_frame_equal(results_of(on_dask), results_of(on_pool), check_exact=True)


def test_a_dask_worker_killed_mid_sweep_loses_and_duplicates_nothing(tmp_path, client):
    spec_path = write_sweep(tmp_path, GRID.replace("replicates = 2", "replicates = 8"))
    victim = next(iter(client.run(os.getpid).values()))
    finished = threading.Event()
    killed_mid_sweep = []

    def kill_a_worker():
        if not finished.wait(1.0):  # still running after a second: kill one worker outright
            os.kill(victim, signal.SIGKILL)
            killed_mid_sweep.append(not finished.is_set())

    killer = threading.Thread(target=kill_a_worker)
    killer.start()
    runs = sweep(spec_path, tmp_path / "dask", executor=client).runs
    finished.set()
    killer.join()
    assert killed_mid_sweep == [True]
    assert len(runs) == 48 and not runs.duplicated(["point", "replicate"]).any()
    assert (runs["status"] == "ok").all()
    serial = sweep(spec_path, tmp_path / "serial", workers=1).runs
    pd.testing.assert_frame_equal(results_of(runs), results_of(serial), check_exact=True)


# a second local cluster beside the fixture's: with dashboard_address=None both still served
# HTTP on port 8787, and the second warned that the port was in use (any free port now)
@pytest.mark.filterwarnings("error::UserWarning")
def test_a_local_dask_cluster_s_workers_keep_glibc_s_memory_policy(client):
    """Dask's default MALLOC_TRIM_THRESHOLD_=65536 made every run ~30% slower (page faults on
    every large array); the workers relsim starts are spawned without it."""
    from sim.experiment.sweep import dask_local_cluster

    before = os.environ.get("MALLOC_TRIM_THRESHOLD_")  # set here by the module's default cluster
    client, cluster = dask_local_cluster(1)
    try:
        # a lambda, so that the worker reads its own environment (os.environ.get would carry ours)
        trim = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
        threads = client.run(lambda: os.environ.get("OMP_NUM_THREADS"))  # Dask's other settings still apply
    finally:
        client.close()
        cluster.close()
    assert list(trim.values()) == [None] and list(threads.values()) == ["1"]
    assert os.environ.get("MALLOC_TRIM_THRESHOLD_") == before  # nothing leaked into this process
