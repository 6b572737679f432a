"""Phase 2: awareness. Acquisition spend and word of mouth make unaware buyers aware of
suppliers (Bass 1969: innovation p from advertising, imitation q from word of mouth)."""

from __future__ import annotations

import numpy as np

from ..eventlog import EventLog
from ..scenario import Scenario
from ..state import PAIR_FLOAT, Cause, MarketState, Stage
from .tick import Tick


def become_aware(state: MarketState, flat: np.ndarray, trust: np.ndarray | float,
                 log: EventLog) -> None:
    """Unaware pairs at ``flat`` enter the pre-relationship stage. Expectations start at
    the supplier's advertised quality; trust at ``trust``."""
    if len(flat) == 0:
        return
    buyers, suppliers = np.divmod(flat, state.n_suppliers)
    log.record(state.step, buyers, suppliers, Stage.UNAWARE, Stage.PRE_RELATIONSHIP,
               Cause.BECAME_AWARE)
    state.stage.ravel()[flat] = Stage.PRE_RELATIONSHIP
    state.expectation.ravel()[flat] = state.quality[suppliers]
    state.trust.ravel()[flat] = trust


def make_everyone_aware(state: MarketState, scenario: Scenario, log: EventLog) -> None:
    """With awareness diffusion switched off every buyer knows every active supplier."""
    unaware = (state.stage == Stage.UNAWARE) & state.active[None, :]
    become_aware(state, np.flatnonzero(unaware.ravel()), scenario.behaviour.initial_trust, log)


def word_of_mouth(state: MarketState, scenario: Scenario) -> np.ndarray:
    """Net word of mouth w (N x S): the referral-weighted share of a buyer's peers who
    recommend each supplier (committed, untroubled customers) minus those who warn against
    it (customers in an escalating conflict with it)."""
    N, S = state.n_buyers, state.n_suppliers
    K = state.peers.shape[1]
    if K == 0 or not scenario.mechanisms.word_of_mouth:
        return np.zeros((N, S), PAIR_FLOAT)
    b = scenario.behaviour
    buyers, flat = state.current_flat()
    voice = np.zeros(N)
    committed = state.commitment.ravel()[flat] >= b.advocacy_commitment
    escalation = state.escalation.ravel()[flat]
    sign = np.where(committed & (escalation == 0) & (state.dissatisfaction[buyers] == 0), 1.0, 0.0)
    sign = np.where(escalation >= 2, -1.0, sign)
    voice[buyers] = sign * state.referral_propensity[buyers]
    peer_voice = voice[state.peers]                      # N x K
    peer_supplier = state.current[state.peers]
    speaking = peer_voice != 0
    rows = np.broadcast_to(np.arange(N)[:, None], (N, K))[speaking]
    w = np.bincount(rows * S + peer_supplier[speaking], weights=peer_voice[speaking] / K,
                    minlength=N * S)
    return w.reshape(N, S).astype(PAIR_FLOAT)


def spread(state: MarketState, scenario: Scenario, rng: np.random.Generator, tick: Tick,
           log: EventLog) -> None:
    """Reads stage, acquisition contacts, current relationships; writes stage (unaware ->
    pre-relationship), trust and expectation of the newly aware pairs, ``contacted`` and the
    acquisition cost per supplier. P(aware this step) = 1 - exp(-(p*a_i + q*max(w_ji, 0)));
    a warning lowers the newly aware buyer's initial trust."""
    state.contacted[:] = False
    if not scenario.mechanisms.awareness_diffusion:
        make_everyone_aware(state, scenario, log)
        return
    b = scenario.behaviour
    S = state.n_suppliers
    unaware = (state.stage == Stage.UNAWARE) & state.active[None, :]
    flat = np.flatnonzero(unaware.ravel())
    if len(flat) == 0:
        return
    contacts = np.where(state.active, state.acquisition_contacts, 0.0)
    # Suppliers pay for contacts with every buyer who does not know them yet.
    unaware_per_supplier = np.bincount(flat % S, minlength=S)
    tick.acquisition_cost += contacts * unaware_per_supplier * b.cost_per_contact
    suppliers = flat % S
    hazard = b.awareness_per_contact * contacts[suppliers]
    w = None
    if scenario.mechanisms.word_of_mouth and state.peers.shape[1]:
        w = word_of_mouth(state, scenario).ravel()[flat]
        hazard = hazard + b.word_of_mouth_strength * np.maximum(w, 0)
    newly = rng.random(len(flat)) < -np.expm1(-hazard)
    chosen = flat[newly]
    trust = b.initial_trust
    if w is not None:
        trust = np.clip(b.initial_trust * (1.0 + np.minimum(w[newly], 0) * 2.0), 0.0, 1.0)
    become_aware(state, chosen, trust, log)
    buyers = chosen // S
    approached = state.current[buyers] != chosen % S
    state.contacted[buyers[approached]] = True
    tick.count("became_aware", len(chosen))
