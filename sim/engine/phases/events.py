"""Phase 1: scheduled events from the scenario (entry and exit of suppliers, price and
quality changes, demand shocks, changes of switching costs)."""

from __future__ import annotations

import numpy as np

from sim.config import Event, Scenario
from sim.engine.compiled import jit
from sim.engine.eventlog import EventLog
from sim.engine.phases.awareness import become_aware, make_everyone_aware
from sim.engine.state import Cause, MarketState, Stage
from sim.engine.tick import Tick

ENDED = int(Stage.ENDED)  # as the kernel writes it (numba freezes it when it compiles)


@jit
def _end_pairs(stage, adaptation, escalation, drift_gap, commitment, last_problem, barred, wallet,
               current, key_account, max_suppliers, flat, n_suppliers, bar):
    """end_relationships's per-pair part in two passes over ``flat``: the pairs' buyers,
    suppliers and stages before the end (all read first, as numpy's gathers did, so a pair
    listed twice logs its old stage twice), then the clears of stage, adaptation, escalation,
    drift gap, commitment, problem record, wallet (and the bar), the freed buyers' current
    supplier and key account, and the list of the multi-sourcing buyers (with repeats, in
    order). Fuses a divmod, a gather, eight scatters and the masks of the numpy version."""
    n = len(flat)
    buyers = np.empty(n, np.int64)
    suppliers = np.empty(n, np.int64)
    old = np.empty(n, np.int8)
    for i in range(n):
        f = flat[i]
        b = f // n_suppliers
        buyers[i] = b
        suppliers[i] = f - b * n_suppliers
        old[i] = stage[f]
    multi = np.empty(n, np.int64)
    n_multi = 0
    for i in range(n):
        f = flat[i]
        stage[f] = ENDED
        adaptation[f] = 0
        escalation[f] = 0
        drift_gap[f] = 0
        commitment[f] = 0
        last_problem[f] = -10_000
        if bar:
            barred[f] = True
        wallet[f] = 0
        b = buyers[i]
        # selects, not branches: a branch on a value loaded at a scattered buyer waits for
        # the load; the buyer's own values written back where it was not the current one
        c = current[b]
        was_current = c == suppliers[i]
        current[b] = -1 if was_current else c
        key_account[b] = False if was_current else key_account[b]
        multi[n_multi] = b
        n_multi += max_suppliers[b] > 1
    return buyers, suppliers, old, multi[:n_multi]


def end_relationships(state: MarketState, flat: np.ndarray, cause: Cause, log: EventLog,
                      step: int, bar: bool = False) -> None:
    """End the relationships at flat pair indices ``flat``: stage -> ended, sunk adaptations
    and escalation cleared, commitment gone; buyers whose current supplier it was are free."""
    if len(flat) == 0:
        return
    S = state.n_suppliers
    buyers, suppliers, old, multi = _end_pairs(
        state.stage.ravel(), state.adaptation.ravel(), state.escalation.ravel(), state.drift_gap.ravel(),
        state.commitment.ravel(), state.last_problem.ravel(), state.barred.ravel(), state.wallet.ravel(),
        state.current, state.key_account, state.max_suppliers, np.asarray(flat, np.int64), S, bar)
    log.record(step, buyers, suppliers, old, Stage.ENDED, cause)
    # a multi-sourcing buyer splits its demand among the suppliers it still has; the largest
    # of them becomes its main supplier
    if len(multi):
        multi = np.unique(multi)
        stage = np.take(state.stage, multi, axis=0)
        live = (stage >= Stage.EARLY) & (stage <= Stage.FINAL)
        wallet = np.where(live, np.take(state.wallet, multi, axis=0), np.float32(0))
        total = wallet.sum(axis=1, keepdims=True)
        np.divide(wallet, total, out=wallet, where=total > 0)
        state.wallet[multi] = wallet
        orphan = (state.current[multi] < 0) & (total[:, 0] > 0)
        state.current[multi[orphan]] = np.argmax(wallet[orphan], axis=1)
        state.wallet_share[multi] = wallet.max(axis=1)


def suppliers_matching(names: list[str], base_names: list[str], target: str) -> np.ndarray:
    """Indices of suppliers named ``target`` (their own name or their entry's, or '*')."""
    return np.array([i for i, (n, b) in enumerate(zip(names, base_names))
                     if target in ("*", n, b)], dtype=np.int64)


def apply_event(state: MarketState, scenario: Scenario, event: Event, log: EventLog,
                names: list[str], base_names: list[str], segment_names: list[str],
                rng: np.random.Generator | None = None) -> None:
    step = state.step
    targets = suppliers_matching(names, base_names, event.supplier) if event.supplier else None
    if event.kind == "supplier_entry":
        arriving = targets[~state.active[targets]]  # an entry at step 0 finds it already there
        state.active[targets] = True
        state.last_entry_step = step
        # a newcomer is known at once to the share of buyers its launch reaches
        if rng is not None:
            for j in arriving[state.initial_awareness[arriving] > 0]:  # tens of suppliers at most
                unaware = state.stage[:, j] == Stage.UNAWARE
                reached = np.flatnonzero(unaware & (rng.random(state.n_buyers) < state.initial_awareness[j]))
                become_aware(state, reached * state.n_suppliers + j, scenario.behaviour.initial_trust, log)
        if scenario.mechanisms.stage_progression:
            # Seed 004: the final stage is stable only while competition is weak.
            final = np.flatnonzero(state.stage.ravel() == Stage.FINAL)
            log.record(step, *np.divmod(final, state.n_suppliers), Stage.FINAL, Stage.LONG_TERM,
                       Cause.COMPETITOR_ENTRY)
            state.stage.ravel()[final] = Stage.LONG_TERM
            state.stage_start.ravel()[final] = step
        if not scenario.mechanisms.awareness_diffusion:
            make_everyone_aware(state, scenario, log)
    elif event.kind == "supplier_exit":
        state.active[targets] = False
        alive = (state.stage[:, targets] >= Stage.EARLY) & (state.stage[:, targets] <= Stage.FINAL)
        rows, cols = np.nonzero(alive)
        end_relationships(state, rows * state.n_suppliers + targets[cols], Cause.SUPPLIER_EXIT,
                          log, step)
    elif event.kind == "price_change":
        state.markup[targets] = event.markup
    elif event.kind == "quality_change":
        state.quality[targets] = event.quality
    elif event.kind == "demand_shock":
        mask = slice(None) if not event.segment else state.segment == segment_names.index(event.segment)
        state.demand[mask] *= event.factor
    elif event.kind == "switching_cost_change":
        state.switching_cost_scale *= event.factor


def apply_scheduled(state: MarketState, scenario: Scenario, rng: np.random.Generator, tick: Tick,
                    log: EventLog, schedule: dict[int, list[Event]], names: list[str],
                    base_names: list[str]) -> None:
    """Apply every event scheduled for this step, in file order."""
    segment_names = [s.name for s in scenario.segments]
    for event in schedule.get(state.step, ()):
        apply_event(state, scenario, event, log, names, base_names, segment_names, rng)
