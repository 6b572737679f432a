"""Phase 2: awareness. Acquisition spend and word of mouth make unaware buyers aware of
suppliers (Bass 1969: innovation p from advertising, imitation q from word of mouth)."""

from __future__ import annotations

import numpy as np

from sim.config import Scenario
from sim.engine.compiled import jit
from sim.engine.eventlog import EventLog
from sim.engine.state import PAIR_FLOAT, Cause, MarketState, Stage
from sim.engine.tick import Tick


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


def word_of_mouth_terms(state: MarketState, scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Every peer's voice as (flat pair index listener x supplier, weight): a committed,
    untroubled customer recommends its supplier (+referral propensity / K), one in an
    escalating conflict warns against it (-referral propensity / K). The terms come in
    (listener, peer) order, the order in which :func:`word_of_mouth` adds them up."""
    b = scenario.behaviour
    return _word_of_mouth_terms(state.current, state.commitment.ravel(), state.escalation.ravel(),
                                state.dissatisfaction, state.referral_propensity, state.peers,
                                np.float32(b.advocacy_commitment), int(b.warning_escalation),
                                state.n_suppliers)


@jit
def _word_of_mouth_terms(current, commitment, escalation, dissatisfaction, referral_propensity,
                         peers, advocacy_commitment, warning_escalation, n_suppliers):
    """:func:`word_of_mouth_terms` in two compiled passes: each buyer's voice (+/- its
    referral propensity, 0 if silent; commitment compared in float32, as numpy compared the
    float32 array with the threshold), then its peers' voices in (listener, peer) order,
    weighted by 1/K."""
    n_buyers, n_peers = peers.shape
    voice = np.zeros(n_buyers)
    for i in range(n_buyers):
        j = current[i]
        if j < 0:
            continue
        f = i * n_suppliers + j
        sign = 0.0
        if commitment[f] >= advocacy_commitment and escalation[f] == 0 and dissatisfaction[i] == 0:
            sign = 1.0
        if escalation[f] >= warning_escalation:
            sign = -1.0
        voice[i] = sign * referral_propensity[i]
    count = 0
    for i in range(n_buyers):
        for k in range(n_peers):
            count += voice[peers[i, k]] != 0
    pairs = np.empty(count, np.int64)
    weights = np.empty(count)
    count = 0
    for i in range(n_buyers):
        for k in range(n_peers):
            speaker = peers[i, k]
            if voice[speaker] != 0:
                pairs[count] = i * n_suppliers + current[speaker]
                weights[count] = voice[speaker] / n_peers
                count += 1
    return pairs, weights


def sum_by_pair(pairs: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct pair indices, ascending; the sum of the weights of each). Each sum adds its
    terms in the order given, one at a time, as ``np.bincount`` does, so the sums equal a
    dense bincount's without an N x S array."""
    order = np.argsort(pairs, kind="stable")
    pairs, weights = pairs[order], weights[order]
    first = np.ones(len(pairs), bool)
    first[1:] = pairs[1:] != pairs[:-1]
    return pairs[first], np.bincount(np.cumsum(first) - 1, weights=weights)


def word_of_mouth(state: MarketState, scenario: Scenario) -> np.ndarray:
    """Net word of mouth w (N x S): the referral-weighted share of a buyer's peers who
    recommend each supplier (committed, untroubled customers) minus those who warn against
    it (customers in an escalating conflict with it). The step itself only needs w at the
    pairs still unaware, which :func:`spread` gets from :func:`word_of_mouth_terms` without
    this N x S array."""
    N, S = state.n_buyers, state.n_suppliers
    if state.peers.shape[1] == 0 or not scenario.mechanisms.word_of_mouth:
        return np.zeros((N, S), PAIR_FLOAT)
    pairs, weights = word_of_mouth_terms(state, scenario)
    return np.bincount(pairs, weights=weights, minlength=N * S).reshape(N, S).astype(PAIR_FLOAT)


def prospects_per_supplier(state: MarketState, live_by_row: tuple | None = None,
                           barred: np.ndarray | None = None) -> np.ndarray:
    """For each active supplier, the buyers it does not sell to (unaware of it, aware, or
    lost, but not barred): the prospects its acquisition effort is spent on. ``live_by_row``
    (``state.live_by_row()``) and ``barred`` (the flat indices of the barred pairs) may be
    handed in when the caller has them already."""
    live = (state.live_by_row() if live_by_row is None else live_by_row)[0]
    if barred is None:
        barred = np.flatnonzero(state.barred.ravel())
    barred = np.bincount(barred % state.n_suppliers,
                         minlength=state.n_suppliers)  # barred pairs are ended, never live
    return np.where(state.active, state.n_buyers - live - barred, 0)


def spread(state: MarketState, scenario: Scenario, rng: np.random.Generator, tick: Tick,
           log: EventLog) -> None:
    """Reads stage, acquisition contacts, current relationships; writes stage (unaware ->
    pre-relationship), trust and expectation of the newly aware pairs, ``contacted`` and the
    acquisition cost per supplier.

    Acquisition effort is spent on every prospect, whether or not it converts: a supplier
    pays ``acquisition_contacts`` x ``cost_per_contact`` a step for every buyer it does not
    sell to, an unaware one or a rival's customer alike. An unaware buyer becomes aware with
    P = 1 - exp(-(p*a_i + q*max(w_ji, 0))); a warning lowers its initial trust. A buyer who
    knows a supplier but does not buy from it is approached (``contacted``, which prompts a
    search) with P = 1 - exp(-(p*sum_j a_j + q*sum_j max(w_ij, 0))) over those suppliers,
    the word-of-mouth part (referrals: committed customers bring others at no prospecting
    cost) only with ``mechanisms.referrals``."""
    state.contacted[:] = False
    if not scenario.mechanisms.awareness_diffusion:
        make_everyone_aware(state, scenario, log)
        return
    b = scenario.behaviour
    S = state.n_suppliers
    contacts = np.where(state.active, state.acquisition_contacts, 0.0)
    # the live relationships and the barred pairs, each worked out once for both the
    # prospecting bill and the approaches below (nothing changes them in between)
    live_by_row = state.live_by_row()
    barred = np.flatnonzero(state.barred.ravel())
    tick.acquisition_cost += contacts * prospects_per_supplier(state, live_by_row, barred) * b.cost_per_contact
    with_word_of_mouth = scenario.mechanisms.word_of_mouth and state.peers.shape[1] > 0
    terms = word_of_mouth_terms(state, scenario) if with_word_of_mouth else None
    # the unaware pairs (up to N x S of them) and each buyer's contacts from the suppliers it
    # is unaware of, in one compiled pass over the stages
    flat, unaware_contacts = _unaware_pairs(state.stage, state.active, contacts, int(Stage.UNAWARE))
    approach_rivals_customers(state, scenario, rng, contacts, terms, unaware_contacts,
                              live_by_row, barred)
    if len(flat) == 0:
        return
    # Without word of mouth the hazard is the supplier's alone: one value per supplier.
    contact_hazard = b.awareness_per_contact * contacts
    draws = rng.random(len(flat))
    at, chance_at = np.zeros(0, np.int64), np.zeros(0)
    if with_word_of_mouth:
        # w only at the unaware pairs some peer spoke about (heard: positions in flat)
        pairs, weights = terms
        at_unaware = (np.take(state.stage.ravel(), pairs) == Stage.UNAWARE) & state.active[pairs % S]
        pairs, sums = sum_by_pair(pairs[at_unaware], weights[at_unaware])
        heard, w_heard = np.searchsorted(flat, pairs), sums.astype(PAIR_FLOAT)
        praised = w_heard > 0
        at = heard[praised]
        hazard = contact_hazard[flat[at] % S] + b.word_of_mouth_strength * np.maximum(w_heard[praised], 0)
        chance_at = -np.expm1(-hazard)
    # positions in flat of the pairs whose draw falls below their chance of a first contact
    became = _first_contacts(flat, draws, -np.expm1(-contact_hazard), S, at, chance_at)
    chosen = flat[became]
    trust = b.initial_trust
    if with_word_of_mouth:
        # a warning lowers the initial trust; w = 0 where no peer spoke
        w = np.zeros(len(chosen), PAIR_FLOAT)
        k = np.searchsorted(heard, became)
        found = k < len(heard)
        found[found] = heard[k[found]] == became[found]
        w[found] = w_heard[k[found]]
        trust = np.clip(b.initial_trust * (1.0 + np.minimum(w, 0) * b.warning_trust_effect), 0.0, 1.0)
    become_aware(state, chosen, trust, log)
    buyers = chosen // S
    approached = state.current[buyers] != chosen - buyers * S
    state.contacted[buyers[approached]] = True
    tick.count("became_aware", len(chosen))


def approach_rivals_customers(state: MarketState, scenario: Scenario, rng: np.random.Generator,
                              contacts: np.ndarray, terms: tuple[np.ndarray, np.ndarray] | None,
                              unaware_contacts: np.ndarray, live_by_row: tuple | None = None,
                              barred: np.ndarray | None = None) -> None:
    """Buyers who know a supplier they do not buy from are approached by its prospecting
    and, with referrals, by its committed customers' recommendations (sets ``contacted``).
    The contacts a buyer receives from suppliers it knows but does not buy from are every
    active supplier's minus those of the suppliers it is unaware of (``unaware_contacts``,
    per buyer, from :func:`_unaware_pairs`), buys from or is barred from, worked out without
    another N x S pass. ``live_by_row`` and ``barred`` are as for :func:`prospects_per_supplier`."""
    b = scenario.behaviour
    N, S = state.n_buyers, state.n_suppliers
    hazard = np.zeros(N)
    if b.awareness_per_contact and np.any(contacts > 0):
        received = np.full(N, contacts.sum())
        received -= unaware_contacts
        single = (state.max_suppliers <= 1) & (state.current >= 0)
        # one pass over the buyers instead of two boolean selections and a scatter:
        # subtracting 0.0 leaves the others' totals exactly as they are
        received -= np.where(single, contacts[state.current], 0.0)
        _, _, multi, live = state.live_by_row() if live_by_row is None else live_by_row
        if len(multi):
            received[multi] -= live @ contacts
        if barred is None:
            barred = np.flatnonzero(state.barred.ravel())
        received -= np.bincount(barred // S, weights=contacts[barred % S], minlength=N)
        hazard += b.awareness_per_contact * np.maximum(received, 0.0)
    if terms is not None and scenario.mechanisms.referrals and b.word_of_mouth_strength:
        pairs, weights = terms
        stage = np.take(state.stage.ravel(), pairs)
        known = (((stage == Stage.PRE_RELATIONSHIP) | (stage == Stage.ENDED))
                 & ~np.take(state.barred.ravel(), pairs))
        if not state.active.all():  # the supplier of each pair only when some have left
            known &= state.active[pairs % S]
        pairs, sums = sum_by_pair(pairs[known], weights[known])
        praised = sums > 0
        hazard += b.word_of_mouth_strength * np.bincount(
            pairs[praised] // S, weights=sums[praised], minlength=N)
    state.contacted |= rng.random(N) < -np.expm1(-hazard)


@jit
def _unaware_pairs(stage, active, contacts, unaware):
    """(flat indices of the pairs in stage ``unaware`` with an active supplier, ascending;
    per buyer, the sum of ``contacts`` over those pairs' suppliers), in one pass over the
    N x S stages.

    The sums add each buyer's terms one at a time in ascending supplier order from 0.0, as
    ``np.bincount(buyers, weights=contacts[suppliers])`` over the flat list did, so they are
    the same numbers: the other pairs add ``contacts[j] * 0 = +0.0``, which changes nothing
    (contacts are finite and at least 0, as the scenario's ranges require). Written without
    branches: every index is stored at the next free place, which only a hit keeps (with a
    branch or a select per pair the loop took three to four times as long). At 100k x 20,
    2.7 ms a step against numpy's 3.8-5.5 ms (flatnonzero, the divisions and the bincount)
    with 0.6-1.0 million unaware pairs, 17 ms with 1.4 million on the first step."""
    n_buyers, n_suppliers = stage.shape
    stages = stage.ravel()
    flat = np.empty(n_buyers * n_suppliers, np.int64)
    per_buyer = np.empty(n_buyers)
    n = 0
    for i in range(n_buyers):
        total = 0.0
        base = i * n_suppliers
        for j in range(n_suppliers):
            hit = (stages[base + j] == unaware) & active[j]
            flat[n] = base + j
            n += hit
            total += contacts[j] * hit
        per_buyer[i] = total
    # a view: the pages of the buffer past n were never touched, so they hold no memory
    return flat[:n], per_buyer


@jit
def _first_contacts(flat, draws, chance_by_supplier, n_suppliers, at, chance_at):
    """Positions in ``flat`` (ascending) of the unaware pairs whose draw falls below their
    chance of a first contact: the supplier's ``chance_by_supplier``, except at the positions
    ``at``, whose chances are ``chance_at`` (word of mouth adds to them). The supplier of
    ``flat[k]`` is found by walking the buyers' rows along the ascending list (no division)."""
    newly = np.empty(len(flat), np.bool_)
    row_start = 0
    row_end = 0
    for k in range(len(flat)):
        while flat[k] >= row_end:
            row_start = row_end
            row_end += n_suppliers
        newly[k] = draws[k] < chance_by_supplier[flat[k] - row_start]
    for m in range(len(at)):
        newly[at[m]] = draws[at[m]] < chance_at[m]
    count = 0
    for k in range(len(flat)):
        count += newly[k]
    positions = np.empty(count, np.int64)
    count = 0
    for k in range(len(flat)):
        if newly[k]:
            positions[count] = k
            count += 1
    return positions
