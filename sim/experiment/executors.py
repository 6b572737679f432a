"""Executors for replicates and sweep runs: a local process pool whose workers cannot outlive
their coordinator and leave Ctrl-C to it, and the ``concurrent.futures`` shape any other pool
(a Dask ``distributed.Client``, an MPI pool) plugs into."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor

#: how often a worker checks that its coordinator is still alive
PARENT_CHECK_S = 0.5


def pool_context():
    """Worker processes start from a fork server: forking a parent that already runs
    threads (pyarrow, BLAS) can deadlock, and spawning every worker afresh is slower."""
    return multiprocessing.get_context("forkserver")


def _watch_coordinator(coordinator: int) -> None:
    while True:
        time.sleep(PARENT_CHECK_S)
        try:
            os.kill(coordinator, 0)
        except ProcessLookupError:
            os._exit(1)  # the coordinator is gone (even by SIGKILL): nobody wants our result
        except PermissionError:  # pid reused by another user's process: ours is gone
            os._exit(1)


def _init_worker(coordinator: int) -> None:
    # Ctrl-C reaches the whole process group; the coordinator alone decides what to do with it
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_coordinator, args=(coordinator,), daemon=True).start()


def process_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """A local pool of ``workers`` processes (default: all cores) that exit when their
    coordinator dies and ignore SIGINT."""
    return ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1, mp_context=pool_context(),
                               initializer=_init_worker, initargs=(os.getpid(),))


def stop_now(pool: Executor) -> None:
    """Stop a pool this program started, without waiting for running jobs (Ctrl-C, errors)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        try:
            process.kill()
        except Exception:  # already gone
            pass
