"""The fork server and resource tracker that worker processes come from ignore Ctrl-C from the
start: a SIGINT that reaches them while they start up kills no interpreter with a traceback,
and every worker the fork server forks ignores SIGINT before its initializer runs."""

from __future__ import annotations

import signal
from pathlib import Path

from sim.experiment.executors import process_pool, stop_now


def ignores_sigint(pid: int) -> bool:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    raise AssertionError("no SigIgn line")


def test_a_process_from_the_fork_server_ignores_sigint_before_any_initializer_runs():
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import forkserver, resource_tracker

    from sim.experiment.executors import pool_context

    # a bare pool of the same context: no initializer of ours sets anything in the worker
    with ProcessPoolExecutor(1, mp_context=pool_context()) as bare:
        assert bare.submit(signal.getsignal, signal.SIGINT).result() == signal.SIG_IGN
    assert ignores_sigint(forkserver._forkserver._forkserver_pid)
    assert ignores_sigint(resource_tracker._resource_tracker._pid)
    pool = process_pool(1)
    try:
        assert pool.submit(int, "7").result() == 7
    finally:
        stop_now(pool)
    # this process's own Ctrl-C is untouched
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
