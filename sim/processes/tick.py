"""Per-step scratch: what one phase of a step hands to the next."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Tick:
    """Transient per-step vectors. ``buyers``/``suppliers`` list the orders placed this step
    (one per ordering buyer); the other per-order arrays are aligned with them."""

    step: int
    previous_current: np.ndarray                 # current supplier at the start of the step
    acquisition_cost: np.ndarray                 # per supplier
    buyers: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    suppliers: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    volume: np.ndarray = field(default_factory=lambda: np.zeros(0))
    served: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    searched: int = 0
    performance: np.ndarray = field(default_factory=lambda: np.zeros(0))
    problem: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    evidence: np.ndarray = field(default_factory=lambda: np.zeros(0))
    contact: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))   # supplier got in touch
    treated: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))   # gets the strategy's care
    level: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # Kotler level received
    buyer_payoff: np.ndarray = field(default_factory=lambda: np.zeros(0))    # surplus per unit
    new_by_supplier: np.ndarray | None = None  # customers won this step, per supplier
    supplier_accounts: dict = field(default_factory=dict)  # per-supplier money flows this step
    counts: dict = field(default_factory=dict)   # named event counters for the metrics

    def count(self, name: str, value: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + int(value)
