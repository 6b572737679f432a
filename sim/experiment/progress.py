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
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, done: int, total: int | None = None) -> None:
        if total is not None:
            self.total = total
        now = time.monotonic()
        elapsed = now - self.start
        if elapsed < self.delay or (now - self.last < (0.5 if self.tty else 5.0) and done < self.total):
            return
        self.last = now
        rate = done / elapsed if elapsed > 0 else 0
        left = (self.total - done) / rate if rate > 0 else float("nan")
        text = (f"{self.label}: {done}/{self.total} ({100 * done / self.total:.0f}%), "
                f"{elapsed:.0f}s elapsed, ~{left:.0f}s left")
        self.stream.write(("\r" + text + " " * 4) if self.tty else text + "\n")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown and self.tty:
            self.stream.write("\n")
            self.stream.flush()
