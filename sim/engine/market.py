"""The market engine: the state built from a scenario, and one step as the fixed sequence of
phases over it (docs/ODD.md, "Process overview and scheduling"). No Mesa, no files: the Mesa
model, a headless run and a sweep worker all step this same object."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from sim.config import Scenario, ScenarioError, Segment
from sim.config.strategies import LEVELS
from sim.engine import compiled
from sim.engine.eventlog import EventLog
from sim.engine.phases import awareness, choice, delivery, economics, events, imitation, learning, service, stages
from sim.engine.state import MarketState
from sim.engine.tick import Tick

#: The phases of a step, in order; each draws from its own per-step stream.
PHASES = ("events", "awareness", "choice", "delivery", "service", "learning", "stages", "economics",
          "imitation")


def market_generator(seed: int | np.random.SeedSequence | None) -> np.random.Generator:
    """The generator a market with ``seed`` draws from. Mesa's ``Model(rng=generator)`` takes one
    integer from the generator for its own ``random.Random``; a headless engine takes the same
    one, so the Mesa model and a headless run of one seed give identical results."""
    rng = np.random.default_rng(seed)
    rng.integers(np.iinfo(np.int32).max)
    return rng


class MarketEngine:
    """A market of suppliers and buyers moving through relationship stages, as arrays.

    ``rng`` is the market's generator (see :func:`market_generator`); everything random is
    drawn from it, so the same scenario and generator state give identical results."""

    def __init__(self, scenario: Scenario, rng: np.random.Generator):
        compiled.ensure_ready(compile_kernels)  # numba's runtime started here, not in the first step
        self.scenario = scenario
        self.rng = rng
        table = scenario.supplier_table()
        self.supplier_names = [row["name"] for row in table]
        self.supplier_entry_names = [row["spec"].name for row in table]
        self.segment_names = [s.name for s in scenario.segments]
        self.strategy_names = list(dict.fromkeys(row["strategy_name"] for row in table))
        self.schedule_by_step = defaultdict(list)
        for event in scenario.events:
            self.schedule_by_step[event.step].append(event)
        self.log = EventLog(scenario.market.record_events)
        self.strategy_changes: list[tuple[int, int, int, int]] = []
        self.state = self._build_state(table)
        # One stream per phase, re-derived every step from seeds drawn once from the market's
        # generator: the same draw lands on the same buyer in every alternative of a
        # comparison (common random numbers), and results stay a function of the seed.
        self._phase_seeds = self.rng.integers(0, 2**63 - 1, size=len(PHASES))

    # ------------------------------------------------------------------ construction
    def _sample_buyers(self, state: MarketState) -> None:
        scenario, rng, N = self.scenario, self.rng, state.n_buyers
        shares = np.array([s.share for s in scenario.segments])
        counts = np.floor(shares * N).astype(int)
        counts[np.argmax(shares)] += N - counts.sum()
        state.segment = np.repeat(np.arange(len(counts)), counts).astype(np.int16)
        for attr in ("demand", "willingness_to_pay", "price_sensitivity", "quality_sensitivity",
                     "relational_orientation", "switching_cost", "search_propensity",
                     "complaint_propensity", "referral_propensity", "need_drift",
                     "payment_reliability", "cost_to_serve", "cultural_position"):
            values = np.empty(N)
            spec = Segment.__dataclass_fields__[attr].metadata["spec"]
            for k, segment in enumerate(scenario.segments):
                mask = state.segment == k
                values[mask] = getattr(segment, attr).sample(rng, int(mask.sum()))
            low = -np.inf if spec.low is None else spec.low
            high = np.inf if spec.high is None else spec.high
            setattr(state, attr, np.clip(values, low, high))

    def _build_state(self, table: list[dict]) -> MarketState:
        scenario, rng = self.scenario, self.rng
        N, S = scenario.market.buyers, len(table)
        state = MarketState(N, S, switching_cost_scale=scenario.market.switching_cost_scale)
        self._sample_buyers(state)
        K = scenario.market.peers_per_buyer
        # drawn as int32 (the draws depend on it), kept as intp: indexing needs no conversion
        state.peers = rng.integers(0, N, size=(N, K), dtype=np.int64 if N > 2**31 else np.int32
                                   ).astype(np.intp)
        state.current = np.full(N, -1, np.int64)
        state.wallet_share = np.ones(N)  # the main supplier's share of the buyer's demand
        for name in ("dissatisfaction", "last_price_paid", "recent_value"):
            setattr(state, name, np.zeros(N))
        state.contacted = np.zeros(N, bool)
        state.key_account = np.zeros(N, bool)
        state.max_suppliers = np.array([s.max_suppliers for s in scenario.segments],
                                       np.int16)[state.segment]

        specs = [row["spec"] for row in table]
        strategies = [row["strategy"] for row in table]
        entering = {e.supplier for e in scenario.events if e.kind == "supplier_entry" and e.step > 0}
        state.active = np.array([not ({row["name"], row["spec"].name} & entering) for row in table])
        state.unit_cost = np.array([s.unit_cost for s in specs])
        state.quality = np.array([s.quality for s in specs])
        state.quality_noise = np.array([s.quality_noise for s in specs])
        state.capacity = np.array([s.capacity for s in specs])
        state.supplier_position = np.array([s.cultural_position for s in specs])
        state.strategy_id = np.array([self.strategy_names.index(r["strategy_name"]) for r in table])
        state.markup = np.array([s.markup for s in strategies])
        state.acquisition_contacts = np.array([s.acquisition_contacts for s in strategies])
        state.level = np.array([LEVELS.index(s.level) for s in strategies])
        state.key_accounts_only = np.array([s.treatment == "key_accounts" for s in strategies])
        state.key_account_managers = np.array([s.key_account_managers for s in strategies])
        state.accounts_per_manager = np.array([s.accounts_per_manager for s in strategies])
        for name in ("retention_spend", "retention_benefit", "adaptation_investment", "complacency"):
            setattr(state, name, np.array([getattr(s, name) for s in strategies], float))
        state.drops_unprofitable = np.array([s.drops_unprofitable for s in strategies])
        state.serves_loyal_first = np.array([s.serves_loyal_first for s in strategies])
        state.introductory_discount = np.array([s.introductory_discount for s in strategies], float)
        state.introductory_steps = np.array([s.introductory_steps for s in strategies], np.int64)
        state.cumulative_profit = np.zeros(S)
        state.review_profit = np.zeros(S)
        state.allocate_pairs()

        # Initial awareness: each supplier present at the start is known to a share of buyers.
        state.initial_awareness = np.array([s.initial_awareness for s in specs])
        initial = state.initial_awareness * state.active
        for j in np.flatnonzero(initial > 0):  # per supplier column: tens of columns
            aware = np.flatnonzero(rng.random(N) < initial[j])
            awareness.become_aware(state, aware * S + j, scenario.behaviour.initial_trust, self.log)
        if not scenario.mechanisms.awareness_diffusion:
            awareness.make_everyone_aware(state, scenario, self.log)
        return state

    # ------------------------------------------------------------------ dynamics
    def phase_rng(self, phase: str) -> np.random.Generator:
        """The generator of ``phase`` for the current step."""
        return np.random.default_rng([int(self._phase_seeds[PHASES.index(phase)]), self.state.step])

    def step(self) -> Tick:
        """One period: events, awareness, choice, delivery, service, learning, stages,
        economics, imitation. Returns the step's :class:`Tick` (what happened this step), which
        observers such as the recorder read."""
        state, scenario, log = self.state, self.scenario, self.log
        rng = self.phase_rng
        tick = Tick(step=state.step, previous_current=state.current.copy(),
                    acquisition_cost=np.zeros(state.n_suppliers))
        events.apply_scheduled(state, scenario, rng("events"), tick, log, self.schedule_by_step,
                               self.supplier_names, self.supplier_entry_names)
        # buyers of a supplier that has left have no current supplier any more
        tick.previous_current = state.current.copy()
        awareness.spread(state, scenario, rng("awareness"), tick, log)
        choice.choose(state, scenario, rng("choice"), tick)
        delivery.deliver(state, scenario, rng("delivery"), tick)
        service.serve(state, scenario, rng("service"), tick)
        learning.learn(state, scenario, rng("learning"), tick)
        stages.transition(state, scenario, rng("stages"), tick, log)
        economics.account(state, scenario, rng("economics"), tick)
        for supplier, old, new in imitation.imitate(state, scenario, rng("imitation"), tick):
            self.strategy_changes.append((state.step, supplier, old, new))
        check_finite(state, scenario.source)
        state.step += 1
        return tick


def compile_kernels() -> None:
    """A few steps of a 300-buyer market whose every mechanism is on, with single- and
    multi-sourcing segments, key accounts, introductory prices and limited capacity: the
    kernels each phase calls, compiled for the types every market passes (what
    :func:`sim.engine.compiled.ensure_ready` runs where none are compiled yet; the recorder's
    two compile at its first step)."""
    from sim.config import scenario_from_dict

    scenario = scenario_from_dict({
        "market": {"buyers": 300, "steps": 4, "seed": 1},
        "segments": [{"name": "small firms", "share": 0.8},
                     {"name": "key accounts", "share": 0.2, "max_suppliers": 3}],
        "suppliers": [{"name": "Price", "strategy": "transactional", "capacity": 60.0},
                      {"name": "Bargain", "strategy": "bargains_then_ripoffs"},
                      {"name": "Partner", "strategy": "relationship"},
                      {"name": "Keyed", "strategy": "key_account_management"}],
        "mechanisms": {"supplier_learning": True},
    }, "<relsim's compile step>")
    engine = MarketEngine(scenario, market_generator(1))
    for _ in range(scenario.market.steps):
        engine.step()


#: what :func:`check_finite` checks each step: the quantities every result is computed from
WATCHED = (("suppliers' prices", "price"), ("suppliers' cumulative profit", "cumulative_profit"),
           ("buyers' recent value to their supplier", "recent_value"),
           ("buyers' last price paid", "last_price_paid"), ("trust", "trust"),
           ("commitment", "commitment"), ("preference memory", "preference"),
           ("expected quality", "expectation"), ("customers' net value", "net_value"))


class NonFiniteState(ScenarioError):
    """The market's state overflowed to inf or NaN: the scenario's values are too extreme."""


def check_finite(state: MarketState, source: str) -> None:
    """Stop with a message naming the quantity and step when the state holds inf or NaN.

    Each array is summed first, in its own precision (``np.einsum``: one read, no N x S mask
    and no float64 copy; a third of the time of ``np.isfinite(values).all()`` on the shared
    machine): an inf or NaN anywhere makes the sum inf or NaN, so a finite sum clears the
    array. Only where the sum is not finite (a real inf or NaN, or large finite values whose
    sum overflows) are the values checked element by element (``np.isfinite``, which cannot
    overflow). Earlier measurements: a float64 sum of a float32 array (converted in chunks)
    and a min and a max (two passes) were slower than ``np.isfinite``, and a dot product of
    each array with itself slower still (5-8 ms for a float64 buyer array of 100k values, a
    BLAS call)."""
    for label, name in WATCHED:
        values = getattr(state, name)
        if np.isfinite(np.einsum("i->", values.ravel())) or np.isfinite(values).all():
            continue
        bad = "NaN" if np.isnan(values).any() else "infinite"
        raise NonFiniteState(
            f"{source}: step {state.step}: {label} became {bad}; the scenario's values are too "
            f"extreme for the model's arithmetic (check the largest money and demand values: "
            f"unit_cost, willingness_to_pay, demand, the costs in [behaviour])")
