"""Executors for replicates and sweep runs: a local process pool whose workers cannot outlive
their coordinator and leave Ctrl-C to it, and the ``concurrent.futures`` shape any other pool
(a Dask ``distributed.Client``, an MPI pool) plugs into."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

#: how often a worker checks that its coordinator is still alive
PARENT_CHECK_S = 0.5


def pool_context():
    """Worker processes start from a fork server: forking a parent that already runs
    threads (pyarrow, BLAS) can deadlock, and spawning every worker afresh is slower."""
    start_helpers_deaf_to_ctrl_c()
    return multiprocessing.get_context("forkserver")


@contextmanager
def ctrl_c_deferred(block_in_children: bool = False) -> Iterator[None]:
    """Hold a Ctrl-C (SIGINT) that arrives inside the block and deliver it when the block
    ends, as if it had come a moment later: never lost, never in the middle.

    For steps that must not be cut in two: a worker process started by the fork server but
    not yet recorded by its pool (a KeyboardInterrupt between the two leaves a worker that
    :func:`stop_now` cannot see and kill; it outlives the command and prints a traceback
    when the pool's semaphores are gone). With ``block_in_children``, SIGINT is also blocked
    in this thread, so that a process started in the block begins its life with SIGINT
    blocked (the mask survives fork and exec; a signal handler does not).

    Only the main thread receives signals in Python; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[Any] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(frame))
    try:
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if block_in_children else None
        try:
            yield
        finally:
            if mask is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a pending Ctrl-C lands in `caught`
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:  # what the Ctrl-C would have done had it come now
        if callable(previous):
            previous(signal.SIGINT, caught[0])
        elif previous == signal.SIG_DFL:
            signal.raise_signal(signal.SIGINT)


def start_helpers_deaf_to_ctrl_c() -> None:
    """Start multiprocessing's fork server and resource tracker (once) deaf to Ctrl-C,
    without losing a Ctrl-C meant for this process.

    Ctrl-C goes to the whole process group. A fresh interpreter hit by it while it starts up
    dies with "Fatal Python error" and a traceback on the user's terminal; and the fork
    server hands the SIGINT handling it started with to every worker it forks, so a worker hit
    before its initializer ran raised KeyboardInterrupt too. So the resource tracker starts
    with SIGINT blocked and then ignores it (the standard library does both), and the fork
    server starts with SIGINT blocked (:func:`ctrl_c_deferred`), ignores it and keeps it
    blocked, and so does every worker it forks, from birth. A Ctrl-C in the moment this
    takes (up to a tenth of a second on a loaded machine) reaches this process when the
    helpers are up: ignoring it here instead, as relsim once did, dropped it, and the command
    ran on to its end."""
    from multiprocessing import forkserver, resource_tracker

    with ctrl_c_deferred():
        # first, and on its own: starting it unblocks SIGINT in this thread afterwards
        resource_tracker.ensure_running()
        with ctrl_c_deferred(block_in_children=True):
            forkserver.ensure_running()


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
    coordinator dies and ignore SIGINT. Where the engine's kernels are not compiled yet (a
    new installation), they are compiled here first, once, rather than by every worker."""
    from sim.engine import compiled
    from sim.engine.market import compile_kernels

    if compiled.kernels_compiled() is False:
        compiled.ensure_ready(compile_kernels)
    # after a SIGKILL of the coordinator, multiprocessing's resource tracker tidies up the
    # pool's semaphores and would warn about each on the user's terminal; it inherits this
    os.environ.setdefault("PYTHONWARNINGS", "ignore:resource_tracker:UserWarning")
    return _WorkerPool(max_workers=workers or os.cpu_count() or 1, mp_context=pool_context(),
                       initializer=_init_worker, initargs=(os.getpid(),))


class _WorkerPool(ProcessPoolExecutor):
    """A ``ProcessPoolExecutor`` whose workers are, at any moment, either not started or
    known to the pool, so that :func:`stop_now` kills every one of them."""

    def _spawn_process(self) -> None:
        # Workers start on demand inside submit(). A Ctrl-C after the fork server forked
        # one but before the pool recorded it would leave it running, unseen by stop_now
        with ctrl_c_deferred():
            super()._spawn_process()


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
