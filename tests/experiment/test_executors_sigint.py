"""Ctrl-C and the worker processes: the fork server and resource tracker that workers come
from are deaf to it from the start (a SIGINT that reaches them while they start up kills no
interpreter with a traceback, and every worker the fork server forks is deaf to it before its
initializer runs); a Ctrl-C that lands while they start, or while a worker starts, is neither
lost nor leaves a worker the pool cannot stop."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT

from sim.experiment.executors import process_pool, stop_now


def ignores_sigint(pid: int) -> bool:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    raise AssertionError("no SigIgn line")


def test_a_process_from_the_fork_server_is_deaf_to_sigint_before_any_initializer_runs():
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import forkserver, resource_tracker

    from sim.experiment.executors import pool_context

    # a bare pool of the same context: no initializer of ours sets anything in the worker
    with ProcessPoolExecutor(1, mp_context=pool_context()) as bare:
        try:  # a Ctrl-C reaching the worker while it runs a task
            assert bare.submit(signal.raise_signal, signal.SIGINT).result() is None
        except KeyboardInterrupt:
            pytest.fail("a worker of the fork server took a SIGINT")
    assert ignores_sigint(forkserver._forkserver._forkserver_pid)
    assert ignores_sigint(resource_tracker._resource_tracker._pid)
    pool = process_pool(1)
    try:
        assert pool.submit(int, "7").result() == 7
    finally:
        stop_now(pool)
    # this process's own Ctrl-C is untouched
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def in_fresh_interpreter(script: str) -> list[str]:
    """Run ``script`` in a new Python (no fork server yet); its printed lines."""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return done.stdout.split()


def test_a_ctrl_c_while_the_helpers_start_reaches_the_command_once_they_are_up():
    # the Ctrl-C lands inside the start of the helpers; before, it was ignored there and lost,
    # and the command ran on to its end
    printed = in_fresh_interpreter("""
import os, signal
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import resource_tracker
from sim.experiment import executors
start = resource_tracker.ensure_running
def ctrl_c_then_start():
    os.kill(os.getpid(), signal.SIGINT)
    start()
resource_tracker.ensure_running = ctrl_c_then_start
try:
    executors.start_helpers_deaf_to_ctrl_c()
    print("lost")
except KeyboardInterrupt:
    print("delivered")
resource_tracker.ensure_running = start
with ProcessPoolExecutor(1, mp_context=executors.pool_context()) as bare:  # the helpers are deaf all the same
    print(bare.submit(signal.raise_signal, signal.SIGINT).result() is None)
""")
    assert printed == ["delivered", "True"]


def test_a_ctrl_c_while_a_worker_starts_leaves_no_worker_the_pool_cannot_stop():
    # the Ctrl-C lands after the fork server forked a worker, before the pool recorded it:
    # before, that worker was left running (stop_now never saw it) and printed a traceback
    # when the pool's semaphores went away with the command
    printed = in_fresh_interpreter("""
import os, signal
from multiprocessing import forkserver, popen_forkserver
from sim.experiment.executors import process_pool, stop_now
launch = popen_forkserver.Popen._launch
def launch_then_ctrl_c(self, process_obj):
    launch(self, process_obj)
    os.kill(os.getpid(), signal.SIGINT)
popen_forkserver.Popen._launch = launch_then_ctrl_c
pool = process_pool(2)
try:
    pool.submit(int, "1")
    print("lost")
except KeyboardInterrupt:
    print("delivered")
finally:
    stop_now(pool)
server = forkserver._forkserver._forkserver_pid
alive = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        continue
    state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
    if int(ppid) == server and state != "Z":
        alive.append(pid)
print(len(alive))
""")
    assert printed == ["delivered", "0"]
