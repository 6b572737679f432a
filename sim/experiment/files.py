"""Safe writing into a results folder: whole-or-absent files and one writer at a time.

- :func:`atomic_write_bytes` / :func:`atomic_write_parquet` write to a uniquely named hidden
  temporary file beside the target (``.NAME.PID.RANDOM.tmp``) and rename it into place, so a
  reader never sees half a file, two writers never collide on a temporary name, and pyarrow's
  dataset discovery (which skips names starting with ``.`` or ``_``) never takes a temporary
  file for data.
- :class:`FolderLock` is an exclusive ``flock`` on ``DIR/.relsim.lock``. The kernel drops it
  when the holder dies, however it dies (SIGKILL included), so it can never be left stuck; a
  second writer gets a clear message naming the holder.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

from sim.config.schema import ScenarioError

LOCK_NAME = ".relsim.lock"
#: the lock of the later writers (report, analysis) that add their files to a results folder,
#: apart from the folder's writer's: a report or an analysis of a sweep still running is
#: allowed, two of them at once or one during an ``--overwrite`` are not
OUTPUTS_LOCK_NAME = ".relsim-outputs.lock"


class FolderBusy(ScenarioError):
    """Another process holds the folder's lock (a user's mistake: one clear message, exit 2)."""


def temporary_name(target: Path) -> Path:
    """A hidden, unique temporary path beside ``target``."""
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def atomic_write_bytes(target: str | Path, content: bytes) -> None:
    target = Path(target)
    tmp = temporary_name(target)
    try:
        with open(tmp, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(target: str | Path, text: str) -> None:
    atomic_write_bytes(target, text.encode("utf-8"))


def atomic_write_json(target: str | Path, value: Any) -> None:
    atomic_write_text(target, json.dumps(value, indent=2, default=str))


def atomic_write_parquet(frame, target: str | Path) -> None:
    """``frame.to_parquet(target)``, whole or not at all."""
    target = Path(target)
    tmp = temporary_name(target)
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def remove_stale_temporaries(folder: Path) -> None:
    """Remove temporary files that a killed writer left behind (only ours: ``.*.tmp``)."""
    for tmp in folder.rglob(".*.tmp"):
        tmp.unlink(missing_ok=True)


class FolderLock:
    """``with FolderLock(path, "relsim run"):`` — exclusive use of a results folder.

    Raises :class:`FolderBusy` at once (no waiting) when another live process holds it."""

    def __init__(self, folder: str | Path, command: str = "relsim", name: str = LOCK_NAME):
        self.folder = Path(folder)
        self.command = command
        self.name = name  # the lock file, in the folder
        self._fd: int | None = None

    def acquire(self) -> FolderLock:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / self.name
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            # a reader's probe (held_by_another) holds the lock for a moment: try a few times
            for attempt in range(5):
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if attempt == 4:
                        raise
                    time.sleep(0.05)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise FolderBusy(f"{self.folder}: another relsim command is writing here ({holder}); "
                             f"wait for it to finish, or choose another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{self.command}, pid {os.getpid()}, since {time.strftime('%H:%M:%S')}".encode(), 0)
        self._fd = fd
        return self

    def held_by_another(self) -> bool:
        """Whether another live process holds the lock (never creates the folder or the file)."""
        if self._fd is not None:
            return False
        try:
            fd = os.open(self.folder / self.name, os.O_RDONLY)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # closing drops the probe's shared lock

    def held(self) -> bool:
        """Whether this lock object holds the lock now."""
        return self._fd is not None

    def holder(self) -> str:
        """What the holder wrote into the lock file ("relsim sweep, pid 4242, since 20:31:02"):
        "" when there is none (never creates the folder or the file)."""
        try:
            return (self.folder / self.name).read_text("utf-8", "replace").strip()
        except OSError:
            return ""

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
