"""The model's state: arrays per buyer, per supplier and per buyer x supplier pair, and the
stage and cause enumerations.

Everything the processes read and write lives here, so a step is a fixed sequence of
whole-array operations and the Mesa agents are thin views onto these arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from sim.engine.compiled import jit

PAIR_FLOAT = np.float32  # pair arrays dominate memory: 1M buyers x 20 suppliers = 20M pairs


class Stage(IntEnum):
    """Ford's (1990) relationship stages, plus 'unaware' before any contact and 'ended'.

    Dwyer, Schurr & Oh's (1987) phases are accepted as aliases (see :data:`DWYER_ALIASES`)."""

    UNAWARE = 0
    PRE_RELATIONSHIP = 1
    EARLY = 2
    DEVELOPMENT = 3
    LONG_TERM = 4
    FINAL = 5
    ENDED = 6

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")

    @property
    def dwyer(self) -> str:
        return _DWYER_OF[self]

    @classmethod
    def parse(cls, name: str) -> Stage:
        """A stage from Ford's name ('long-term'), Dwyer's ('commitment') or the enum's."""
        key = name.strip().lower().replace("-", "_").replace(" ", "_")
        if key in DWYER_ALIASES:
            return DWYER_ALIASES[key]
        try:
            return cls[key.upper()]
        except KeyError:
            raise ValueError(f"unknown stage {name!r}; Ford's: "
                             + ", ".join(s.label for s in cls) + "; Dwyer's: "
                             + ", ".join(DWYER_ALIASES)) from None


#: Dwyer, Schurr & Oh (1987) phase -> Ford stage.
DWYER_ALIASES = {
    "awareness": Stage.PRE_RELATIONSHIP,
    "exploration": Stage.EARLY,
    "expansion": Stage.DEVELOPMENT,
    "commitment": Stage.LONG_TERM,
    "dissolution": Stage.ENDED,
}
_DWYER_OF = {Stage.UNAWARE: "unaware", Stage.PRE_RELATIONSHIP: "awareness",
             Stage.EARLY: "exploration", Stage.DEVELOPMENT: "expansion",
             Stage.LONG_TERM: "commitment", Stage.FINAL: "commitment",
             Stage.ENDED: "dissolution"}

#: Stages in which a relationship is alive (orders flow).
ACTIVE_STAGES = (Stage.EARLY, Stage.DEVELOPMENT, Stage.LONG_TERM, Stage.FINAL)


class Cause(IntEnum):
    """Why a stage transition happened (kept in the event log)."""

    BECAME_AWARE = 0
    FIRST_ORDER = 1
    WON_BACK = 2
    TRUST_REACHED = 3
    COMMITMENT_REACHED = 4
    HABITUATION = 5
    COMPETITOR_ENTRY = 6
    DISTANCE_BREAKUP = 7
    SWITCHED_AWAY = 8
    ESCALATION = 9
    DROPPED_UNPROFITABLE = 10
    SUPPLIER_EXIT = 11

    @property
    def label(self) -> str:
        return self.name.lower()


class Positioning(IntEnum):
    """How a buyer positions a supplier (importance/risk x value; seed text 003)."""

    NONE = 0
    INDEPENDENT = 1  # low importance, low value: called only in emergencies
    DESIRED = 2      # low importance, high value: can win more business
    MANAGED = 3      # high importance, low value: scrutinised and 'managed'
    PARTNER = 4      # high importance, high value: open doors

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass
class MarketState:
    """All arrays of one market. Shapes: N buyers, S suppliers, pairs N x S."""

    n_buyers: int
    n_suppliers: int
    step: int = 0
    switching_cost_scale: float = 1.0
    last_entry_step: int = -1_000_000  # when a supplier last entered the market

    # buyers (N)
    segment: np.ndarray = field(default=None)
    demand: np.ndarray = field(default=None)
    willingness_to_pay: np.ndarray = field(default=None)
    price_sensitivity: np.ndarray = field(default=None)
    quality_sensitivity: np.ndarray = field(default=None)
    relational_orientation: np.ndarray = field(default=None)
    switching_cost: np.ndarray = field(default=None)
    search_propensity: np.ndarray = field(default=None)
    complaint_propensity: np.ndarray = field(default=None)
    referral_propensity: np.ndarray = field(default=None)
    need_drift: np.ndarray = field(default=None)
    payment_reliability: np.ndarray = field(default=None)
    cost_to_serve: np.ndarray = field(default=None)
    cultural_position: np.ndarray = field(default=None)
    peers: np.ndarray = field(default=None)            # N x K peer indices
    current: np.ndarray = field(default=None)          # current supplier, -1 none
    wallet_share: np.ndarray = field(default=None)     # share of demand placed with current (main)
    dissatisfaction: np.ndarray = field(default=None)  # last shortfall beyond tolerance
    last_price_paid: np.ndarray = field(default=None)
    recent_value: np.ndarray = field(default=None)     # EWMA net value to current supplier
    contacted: np.ndarray = field(default=None)        # a rival approached this step
    key_account: np.ndarray = field(default=None)      # key account of its current supplier
    max_suppliers: np.ndarray = field(default=None)    # suppliers it splits its demand among

    # suppliers (S)
    active: np.ndarray = field(default=None)
    unit_cost: np.ndarray = field(default=None)
    markup: np.ndarray = field(default=None)
    quality: np.ndarray = field(default=None)
    quality_noise: np.ndarray = field(default=None)
    capacity: np.ndarray = field(default=None)
    supplier_position: np.ndarray = field(default=None)
    initial_awareness: np.ndarray = field(default=None)  # share of buyers who know it on arrival
    strategy_id: np.ndarray = field(default=None)
    acquisition_contacts: np.ndarray = field(default=None)
    level: np.ndarray = field(default=None)
    key_accounts_only: np.ndarray = field(default=None)
    key_account_managers: np.ndarray = field(default=None)
    accounts_per_manager: np.ndarray = field(default=None)
    retention_spend: np.ndarray = field(default=None)
    retention_benefit: np.ndarray = field(default=None)
    adaptation_investment: np.ndarray = field(default=None)
    drops_unprofitable: np.ndarray = field(default=None)
    complacency: np.ndarray = field(default=None)
    serves_loyal_first: np.ndarray = field(default=None)
    cumulative_profit: np.ndarray = field(default=None)
    review_profit: np.ndarray = field(default=None)    # profit since the last review
    introductory_discount: np.ndarray = field(default=None)  # price cut for prospects, new customers
    introductory_steps: np.ndarray = field(default=None)     # tenure the introductory price lasts

    # pairs (N x S). The phases read a pair array at flat pair indices with
    # np.take(array.ravel(), flat): the same elements as array.ravel()[flat], a fifth to a
    # quarter faster (fancy indexing goes through numpy's general indexing machinery)
    stage: np.ndarray = field(default=None)
    barred: np.ndarray = field(default=None)       # supplier dropped or client left by arbitration
    complained: np.ndarray = field(default=None)   # the buyer has voiced a complaint in this relationship
    trust: np.ndarray = field(default=None)
    commitment: np.ndarray = field(default=None)
    preference: np.ndarray = field(default=None)   # WKH J
    loyalty: np.ndarray = field(default=None)      # Kirman & Vriend L
    adaptation: np.ndarray = field(default=None)   # relationship-specific investment stock
    escalation: np.ndarray = field(default=None)
    start_step: np.ndarray = field(default=None)   # step the current relationship began
    stage_start: np.ndarray = field(default=None)  # step the relationship entered its stage
    orders: np.ndarray = field(default=None)
    expectation: np.ndarray = field(default=None)
    net_value: np.ndarray = field(default=None)    # customer net value to the supplier, to date
    last_problem: np.ndarray = field(default=None)
    drift_gap: np.ndarray = field(default=None)    # unnoticed gap between needs and offer
    wallet: np.ndarray = field(default=None)       # share of the buyer's demand; rows sum to 1
    price_paid: np.ndarray = field(default=None)   # unit price of the pair's last order

    @property
    def price(self) -> np.ndarray:
        return self.unit_cost * (1.0 + self.markup)

    def allocate_pairs(self) -> None:
        shape = (self.n_buyers, self.n_suppliers)
        self.stage = np.zeros(shape, np.int8)
        self.barred = np.zeros(shape, bool)
        self.complained = np.zeros(shape, bool)
        for name in ("trust", "commitment", "preference", "loyalty", "adaptation",
                     "expectation", "net_value", "drift_gap", "wallet", "price_paid"):
            setattr(self, name, np.zeros(shape, PAIR_FLOAT))
        self.escalation = np.zeros(shape, np.int8)
        self.start_step = np.zeros(shape, np.int16)
        self.stage_start = np.zeros(shape, np.int16)
        self.orders = np.zeros(shape, np.int16)
        self.last_problem = np.full(shape, -10_000, np.int16)

    def current_flat(self) -> tuple[np.ndarray, np.ndarray]:
        """(buyers with a current supplier, flat pair index of that relationship)."""
        buyers = np.flatnonzero(self.current >= 0)
        return buyers, buyers * self.n_suppliers + self.current[buyers]

    def live(self) -> np.ndarray:
        """N x S: pairs in a live relationship (early to final)."""
        return (self.stage >= Stage.EARLY) & (self.stage <= Stage.FINAL)

    def live_by_row(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(live relationships per supplier, per buyer, the multi-sourcing buyers, their rows of
        live pairs) without a pass over all N x S pairs: a single-sourcing buyer's only live
        relationship is the one with ``current``, so only multi-sourcing rows are scanned."""
        return _live_by_row(self.stage, self.current, self.max_suppliers, int(Stage.EARLY), int(Stage.FINAL))

    def nbytes(self) -> int:
        return sum(v.nbytes for v in vars(self).values() if isinstance(v, np.ndarray))


@jit
def _live_by_row(stage, current, max_suppliers, early, final):
    """:meth:`MarketState.live_by_row` in one compiled pass over the buyers: a
    single-sourcing buyer counts its current supplier, a multi-sourcing one its row of stages."""
    n_buyers, n_suppliers = stage.shape
    per_supplier = np.zeros(n_suppliers, np.int64)
    per_buyer = np.zeros(n_buyers, np.int64)
    n_multi = 0
    for i in range(n_buyers):
        n_multi += max_suppliers[i] > 1
    multi = np.empty(n_multi, np.int64)
    live = np.empty((n_multi, n_suppliers), np.bool_)
    k = 0
    for i in range(n_buyers):
        if max_suppliers[i] <= 1:
            j = current[i]
            if j >= 0:
                per_buyer[i] = 1
                per_supplier[j] += 1
        else:
            multi[k] = i
            count = 0
            for j in range(n_suppliers):
                is_live = stage[i, j] >= early and stage[i, j] <= final
                live[k, j] = is_live
                count += is_live
                per_supplier[j] += is_live
            per_buyer[i] = count
            k += 1
    return per_supplier, per_buyer, multi, live
