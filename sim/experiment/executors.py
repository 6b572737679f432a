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
    start_helpers_deaf_to_ctrl_c()
    return multiprocessing.get_context("forkserver")


def start_helpers_deaf_to_ctrl_c() -> None:
    """Start multiprocessing's fork server and resource tracker (once) with SIGINT ignored.

    Ctrl-C goes to the whole process group. A fresh interpreter hit by it while it starts up
    dies with "Fatal Python error" and a traceback on the user's terminal; and the fork
    server hands the SIGINT handling it started with to every worker it forks, so a worker hit
    before its initializer ran raised KeyboardInterrupt too. Started with SIGINT ignored (an
    ignored signal survives exec, and Python keeps it ignored), both ignore it for good, and
    so do the workers from birth. Ctrl-C in the moment this takes (a tenth of a second, once)
    is not seen by the coordinator either; signals can only be set from the main thread."""
    from multiprocessing import forkserver, resource_tracker

    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        resource_tracker.ensure_running()
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


def _watch_coordinator(coordinator: int) -> None:
    # A worker started by the fork server holds the read end of a pipe whose write end only
    # the coordinator holds: it turns readable (EOF) the moment the coordinator dies, however
    # it dies, even while its exit status waits to be collected (a zombie still "exists" for
    # os.kill, so polling the pid alone is not enough).
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    sentinel = getattr(parent, "sentinel", None)
    if sentinel is not None:
        try:
            wait([sentinel])
        except OSError:
            pass
        os._exit(1)  # the coordinator is gone: nobody wants our result
    while True:  # no sentinel (another start method): poll the coordinator's pid
        time.sleep(PARENT_CHECK_S)
        try:
            os.kill(coordinator, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # pid reused by another user's process: ours is gone
            os._exit(1)


def _init_worker(coordinator: int) -> None:
    # Ctrl-C reaches the whole process group; the coordinator alone decides what to do with it
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_coordinator, args=(coordinator,), daemon=True).start()


def process_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """A local pool of ``workers`` processes (default: all cores) that exit when their
    coordinator dies and ignore SIGINT."""
    # after a SIGKILL of the coordinator, multiprocessing's resource tracker tidies up the
    # pool's semaphores and would warn about each on the user's terminal; it inherits this
    os.environ.setdefault("PYTHONWARNINGS", "ignore:resource_tracker:UserWarning")
    return ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1, mp_context=pool_context(),
                               initializer=_init_worker, initargs=(os.getpid(),))


def stop_now(pool: Executor) -> None:
    """Stop a pool this program started, without waiting for running jobs (Ctrl-C, errors)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        try:
            process.kill()
        except Exception:  # already gone
            pass
    for process in processes:
        try:
            process.join(1.0)
        except Exception:
            pass
    if manager is not None:
        _release_manager(pool, manager)


def _release_manager(pool: Executor, manager: threading.Thread, limit_s: float = 3.0) -> None:
    """Let the pool's manager thread end. A worker killed halfway through sending its result
    leaves part of a message in the result pipe, and the manager thread would wait forever
    for the rest (and the interpreter for that thread at exit: Ctrl-C that never returns).
    Completing the message with zeros makes it fail to unpickle: the thread then sees a
    broken pool and ends, as it does at once when no message was cut short."""
    manager.join(0.2)
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    if not manager.is_alive() or writer is None:
        return
    try:
        fd = os.dup(writer.fileno())
    except (OSError, ValueError):
        return
    try:
        os.set_blocking(fd, False)
        deadline = time.monotonic() + limit_s
        while manager.is_alive() and time.monotonic() < deadline:
            try:
                os.write(fd, bytes(1 << 16))
            except BlockingIOError:
                pass
            except OSError:
                break
            manager.join(0.05)
    finally:
        os.close(fd)
