"""The event log: every stage transition with its step, pair and cause."""

from __future__ import annotations

import numpy as np

from sim.engine.state import Cause


class EventLog:
    """Append-only columnar log of stage transitions, kept as numpy chunks."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self._chunks: list[tuple[np.ndarray, ...]] = []
        self.counts = np.zeros(len(Cause), np.int64)

    def record(self, step: int, buyers: np.ndarray, suppliers: np.ndarray, old: np.ndarray | int,
               new: int, cause: Cause) -> None:
        n = len(buyers)
        if n == 0:
            return
        self.counts[cause] += n
        if not self.enabled:
            return
        old = np.broadcast_to(np.asarray(old, np.int8), (n,))
        self._chunks.append((np.full(n, step, np.int32), np.asarray(buyers, np.int32),
                             np.asarray(suppliers, np.int16), old.astype(np.int8),
                             np.full(n, new, np.int8), np.full(n, int(cause), np.int8)))

    def __len__(self) -> int:
        return sum(len(c[0]) for c in self._chunks)

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The log as six columns: step, buyer, supplier, from stage, to stage, cause."""
        if not self._chunks:
            return tuple(np.zeros(0, t) for t in (np.int32, np.int32, np.int16, np.int8, np.int8, np.int8))
        return tuple(np.concatenate([c[i] for c in self._chunks]) for i in range(6))
