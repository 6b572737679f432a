"""A quiet progress line: silent for short runs, a live line on a terminal for long ones."""

from __future__ import annotations

import sys
import time


class Progress:
    """Reports ``done/total`` on stderr once a run has lasted ``delay`` seconds."""

    def __init__(self, total: int, label: str, delay: float = 2.0, stream=None):
        self.total, self.label, self.delay = total, label, delay
        self.stream = stream or sys.stderr
        self.start = time.monotonic()
        self.last = 0.0
        self.shown = False
        self.reused_count = 0  # finished before this session: not part of its rate
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, done: int, total: int | None = None) -> None:
        if total is not None:
            self.total = total
        now = time.monotonic()
        elapsed = now - self.start
        if elapsed < self.delay or (now - self.last < (0.5 if self.tty else 5.0) and done < self.total):
            return
        self.last = now
        rate = (done - self.reused_count) / elapsed if elapsed > 0 else 0
        left = (self.total - done) / rate if rate > 0 else float("nan")
        text = (f"{self.label}: {done}/{self.total} ({100 * done / self.total:.0f}%), "
                f"{elapsed:.0f}s elapsed, ~{left:.0f}s left")
        self.stream.write(("\r" + text + " " * 4) if self.tty else text + "\n")
        self.stream.flush()
        self.shown = True

    __call__ = update

    def reused(self, n: int) -> None:
        """``n`` of the items were finished before this session (reused results); the time
        left is estimated from the rate of this session's own items only."""
        self.reused_count += n

    def close(self) -> None:
        if self.shown and self.tty:
            self.stream.write("\n")
            self.stream.flush()


class ProgressOffset:
    """A part of a larger job's progress: item ``done`` of this part is item ``offset + done``
    of the whole (a comparison's alternatives, one after another)."""

    def __init__(self, progress, offset: int, total: int):
        self.progress, self.offset, self.total = progress, offset, total

    def __call__(self, done: int, count: int) -> None:
        self.progress(self.offset + done, self.total)

    def reused(self, n: int) -> None:
        getattr(self.progress, "reused", lambda n: None)(n)
