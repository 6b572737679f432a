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
    searchers: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # buyers who looked around
    performance: np.ndarray = field(default_factory=lambda: np.zeros(0))
    problem: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    evidence: np.ndarray = field(default_factory=lambda: np.zeros(0))
    contact: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))   # supplier got in touch
    treated: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))   # gets the strategy's care
    level: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # Kotler level received
    buyer_payoff: np.ndarray = field(default_factory=lambda: np.zeros(0))    # surplus per unit
    # per order: the pair was not a live relationship at the start of the step; the order is
    # with the buyer's main supplier after the step; the buyer is that supplier's key account
    opening: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    main: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    key_account: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    price: np.ndarray = field(default_factory=lambda: np.zeros(0))  # unit price charged
    replaces: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # pair it ends, -1
    # pairs a multi-sourcing buyer stopped buying from this step (share below consolidation_share)
    consolidated: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    new_by_supplier: np.ndarray | None = None  # customers won this step, per supplier
    # flat pair indices of the relationships suppliers ended on purpose this step (unprofitable
    # customers dropped): what the recorder counts apart from the customers who left
    dropped: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    supplier_accounts: dict = field(default_factory=dict)  # per-supplier money flows this step
    counts: dict = field(default_factory=dict)   # named event counters for the metrics
    _served_orders: tuple | None = field(default=None, init=False, repr=False, compare=False)

    def served_orders(self, n_suppliers: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(buyers, suppliers, flat pair index) of the served orders, worked out once and
        shared by the phases after choice. Assigning new ``buyers``, ``suppliers`` or
        ``served`` arrays renews them; the arrays returned are shared, so never write to them."""
        cached = self._served_orders
        if (cached is None or cached[0] is not self.buyers or cached[1] is not self.suppliers
                or cached[2] is not self.served or cached[3] != n_suppliers):
            if self.served.all():
                buyers, suppliers = self.buyers, self.suppliers
            else:
                buyers, suppliers = self.buyers[self.served], self.suppliers[self.served]
            flat = buyers * n_suppliers + suppliers
            cached = (self.buyers, self.suppliers, self.served, n_suppliers, buyers, suppliers, flat)
            self._served_orders = cached
        return cached[4], cached[5], cached[6]

    def count(self, name: str, value: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + int(value)
