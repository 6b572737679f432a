"""scripts/run-tests on a fresh machine: while another apt holds the package lock it waits,
saying what it waits for, up to a limit, instead of failing with apt's "Could not get lock"."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest
from support import ROOT

APT_WAIT = ROOT / "scripts" / "apt-wait"
pytestmark = pytest.mark.skipif(shutil.which("fuser") is None, reason="needs fuser (psmisc)")


def hold(path) -> subprocess.Popen:
    """A process that keeps ``path`` open, as apt keeps its lock file open."""
    path.touch()
    return subprocess.Popen(["bash", "-c", f"exec 3<>'{path}'; sleep 30"])


def apt_wait(lock, limit: int) -> subprocess.Popen:
    env = dict(os.environ, APT_LOCK_FILES=str(lock), APT_LOCK_WAIT_S=str(limit), APT_LOCK_POLL_S="1")
    return subprocess.Popen([str(APT_WAIT)], env=env, stderr=subprocess.PIPE, text=True)


def test_it_waits_for_the_lock_holder_and_says_so(tmp_path):
    lock = tmp_path / "lock-frontend"
    holder = hold(lock)
    time.sleep(0.3)
    waiting = apt_wait(lock, limit=30)
    time.sleep(2.5)
    assert waiting.poll() is None  # still waiting
    holder.kill()
    holder.wait()
    assert waiting.wait(timeout=10) == 0
    message = waiting.stderr.read()
    assert f"waiting for another apt (process {holder.pid}) to release the package lock" in message


def test_it_gives_up_after_its_limit_with_what_to_do(tmp_path):
    lock = tmp_path / "lock"
    holder = hold(lock)
    time.sleep(0.3)
    try:
        waiting = apt_wait(lock, limit=2)
        assert waiting.wait(timeout=15) == 1
        message = waiting.stderr.read()
        assert "apt is still busy after 2s" in message and "APT_LOCK_WAIT_S" in message
    finally:
        holder.kill()
        holder.wait()


def test_a_free_lock_does_not_wait(tmp_path):
    lock = tmp_path / "lock"
    lock.touch()
    started = time.monotonic()
    assert apt_wait(lock, limit=30).wait(timeout=10) == 0
    assert time.monotonic() - started < 3
