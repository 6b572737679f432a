"""A quiet progress bar (tqdm): silent when stderr is not a terminal or the job is short, a
live bar with the time left on a terminal for long ones. Items finished before this session
(reused results) are shown as done but not counted in the rate, so the time left is this
session's own."""

from __future__ import annotations

import sys

from tqdm import tqdm


class Progress:
    """``done/total`` on stderr once a run has lasted ``delay`` seconds, on a terminal only
    (a log file or a pipe gets nothing). ``update(done, total)`` takes absolute counts, as the
    runners report them; the time left comes from this session's pace (tqdm's rate)."""

    def __init__(self, total: int, label: str, delay: float = 2.0, stream=None, refresh: float = 0.5):
        self.stream = stream or sys.stderr
        tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.bar = tqdm(total=total, desc=label, file=self.stream, delay=delay, disable=not tty,
                        leave=False, dynamic_ncols=True, unit="", smoothing=0.3,
                        mininterval=refresh)
        self.done = 0

    def update(self, done: int, total: int | None = None) -> None:
        if total is not None and total != self.bar.total:
            self.bar.total = total
            self.bar.refresh()
        if done > self.done:
            self.bar.update(done - self.done)
            self.done = done

    __call__ = update

    def reused(self, n: int) -> None:
        """``n`` of the items were finished before this session: shown as done, but left out
        of the rate (tqdm measures its rate from ``initial`` on)."""
        self.done += n
        if self.bar.disable:  # not a terminal: nothing is shown, nothing to adjust
            return
        self.bar.initial += n
        self.bar.n += n
        self.bar.last_print_n = self.bar.n
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


class ProgressOffset:
    """A part of a larger job's progress: item ``done`` of this part is item ``offset + done``
    of the whole (a comparison's alternatives, one after another)."""

    def __init__(self, progress, offset: int, total: int):
        self.progress, self.offset, self.total = progress, offset, total

    def __call__(self, done: int, count: int) -> None:
        self.progress(self.offset + done, self.total)

    def reused(self, n: int) -> None:
        getattr(self.progress, "reused", lambda n: None)(n)
