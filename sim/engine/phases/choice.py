"""Phase 3: choice. Settled buyers re-buy out of habit unless something makes them search;
searching buyers choose among the suppliers they know by logit utility (Weisbuch, Kirman &
Herreiner 2000); capacity rations orders (a supplier may serve loyal customers first,
Kirman & Vriend 2001)."""

from __future__ import annotations

import numpy as np

from sim.config import Scenario
from sim.config.strategies import PROACTIVE
from sim.engine.compiled import jit
from sim.engine.pricing import offer_prices, order_price
from sim.engine.state import MarketState, Stage
from sim.engine.tick import Tick

UNAWARE, EARLY, FINAL = int(Stage.UNAWARE), int(Stage.EARLY), int(Stage.FINAL)


def price_rise(state: MarketState, buyers: np.ndarray, suppliers: np.ndarray,
               flat: np.ndarray | None = None) -> np.ndarray:
    """Relative rise of the price each buyer is charged now over what it last paid the
    supplier (0 where it never paid or the price did not rise). ``flat``, the pairs' flat
    indices, may be handed in by a caller that has them."""
    if flat is None:
        flat = buyers * state.n_suppliers + suppliers
    last = np.take(state.price_paid.ravel(), flat)  # float32, compared as it is (promoted exactly)
    now = order_price(state, buyers, suppliers)
    # a rise only where the price is above a last one: the division is worked out there alone
    # (few buyers), the same values as over every buyer
    rise = np.zeros(len(flat))
    up = np.flatnonzero((last > 0) & (now > last))
    paid = last[up].astype(float)
    rise[up] = (now[up] - paid) / paid
    rise[rise < 1e-6] = 0.0  # the float32 record of the last price is no rise
    return rise


def search_probability(state: MarketState, scenario: Scenario, buyers: np.ndarray,
                       flat: np.ndarray) -> np.ndarray:
    """P(search) = clip(s0*h + s_d*dissatisfaction + s_e*escalation + s_c*contacted, 0, 1)
    * (1 - rho*commitment), for buyers with a current supplier (pairs at ``flat``); with
    ``price_rise_search`` the urge also grows by s_p * b_p * (relative price rise): a buyer
    notices a supplier's opportunism at once, by the size of the rise and how much it minds
    price, not only through the trust it erodes.

    Commitment keeps a buyer from looking around only as far as the buyer weighs the
    relationship at all (relational orientation rho: a purely transactional buyer is not
    held by commitment). h = 1 - final_stage_habit in the final stage (institutionalised
    habit: the buyer no longer looks around on its own), 1 otherwise.

    Worked out for every buyer in one compiled pass (``_search_probability``); the price rise
    is :func:`price_rise`'s."""
    if not scenario.mechanisms.habitual_rebuying:
        return np.ones(len(buyers))
    b = scenario.behaviour
    price_rise_weight = (b.search_from_price_rise
                         if scenario.mechanisms.price_rise_search and b.search_from_price_rise else 0.0)
    rise = price_rise(state, buyers, state.current[buyers], flat) if price_rise_weight else np.zeros(0)
    return _search_probability(
        buyers, flat, state.stage.ravel(), state.escalation.ravel(), state.commitment.ravel(),
        state.search_propensity, state.dissatisfaction, state.contacted, state.price_sensitivity,
        state.relational_orientation, rise, 1.0 - b.final_stage_habit, b.search_from_dissatisfaction,
        b.search_from_escalation, b.search_when_contacted, price_rise_weight)


@jit
def _search_probability(buyers, flat, stage, escalation, commitment, search_propensity,
                        dissatisfaction, contacted, price_sensitivity, relational_orientation, rise,
                        final_habit, from_dissatisfaction, from_escalation, when_contacted,
                        price_rise_weight):
    """:func:`search_probability`'s formula for each buyer, the numbers numpy gave: the urge's
    terms added left to right in float64 (escalation and the contact flag promoted), the
    price rise's term where it counts, commitment promoted from float32."""
    p = np.empty(len(buyers))
    for k in range(len(buyers)):
        i = buyers[k]
        f = flat[k]
        habit = final_habit if stage[f] == FINAL else 1.0
        urge = (search_propensity[i] * habit + from_dissatisfaction * dissatisfaction[i]
                + from_escalation * np.float64(escalation[f]) + when_contacted * np.float64(contacted[i]))
        if price_rise_weight != 0.0:
            urge = urge + price_rise_weight * price_sensitivity[i] * rise[k]
        held = relational_orientation[i] * np.float64(commitment[f])
        p[k] = min(max(urge, 0.0), 1.0) * (1.0 - held)
    return p


def utility(state: MarketState, scenario: Scenario, buyers: np.ndarray,
            switching_costs: bool = True) -> np.ndarray:
    """U_ij for the given buyers (rows) and every supplier (columns):
    -b_p*price + b_q*(E[q] - [i = current]*drift gap) + rho*(w_T*trust + w_J*J)
    - [i != current]*(switching cost + adaptations), the price being what each supplier offers
    the buyer (an introductory price to a prospect). With ``price_premium`` a buyer feels only
    (1 - a*rho*C) of its current supplier's price (a = premium_acceptance, C its commitment):
    committed customers accept a premium. ``switching_costs=False`` leaves the switching term
    out (how the offers compare in themselves).

    The buyer feels how far its current supplier's offer has fallen behind its drifted needs;
    the gap is not learnt into what it expects of the offer, so it is gone from the buyer's
    view once someone closes it. Float32, worked out row by row in one compiled pass
    (``_utility``)."""
    b, mech = scenario.behaviour, scenario.mechanisms
    # what each supplier offers each buyer (pricing's one definition), as a contiguous block
    price = np.ascontiguousarray(offer_prices(state, buyers))
    return _utility(
        buyers, state.current, price, state.price_sensitivity, state.quality_sensitivity,
        state.relational_orientation, state.expectation, state.drift_gap, state.trust,
        state.preference, state.adaptation, state.commitment, state.switching_cost,
        float(state.switching_cost_scale), b.trust_weight, b.preference_weight,
        bool(switching_costs and mech.switching_costs),
        b.premium_acceptance if mech.price_premium else 0.0)


@jit
def _utility(buyers, current, offered, price_sensitivity, quality_sensitivity, relational_orientation,
             expectation, drift_gap, trust, preference, adaptation, commitment, switching_cost,
             switching_cost_scale, trust_weight, preference_weight, with_switching_costs,
             premium_acceptance):
    """:func:`utility`'s terms for each (buyer, supplier), in the precision and order the
    numpy version used: float32 products and sums of the price, expectation, trust and
    preference terms (the buyer's factors rounded to float32 first); the drift gap, the
    switching cost (subtracted from every supplier, then added back at the current one) and
    the premium relief worked out in float64 and rounded to float32, each applied in turn.
    A row's suppliers are worked out in a loop without branches (which the compiler
    vectorises), and the current supplier's entry again with its own terms in their order."""
    n, n_suppliers = offered.shape
    u = np.empty((n, n_suppliers), np.float32)
    tw = trust_weight != 0.0
    pw = preference_weight != 0.0
    for r in range(n):
        i = buyers[r]
        j_now = current[i]
        minus_ps = np.float32(-price_sensitivity[i])
        qs = np.float32(quality_sensitivity[i])
        rho = np.float32(relational_orientation[i])
        rho_trust = rho * np.float32(trust_weight)
        rho_preference = rho * np.float32(preference_weight)
        cost = np.float32(0.0)
        if with_switching_costs and j_now >= 0:
            cost = np.float32(switching_cost[i] * switching_cost_scale + np.float64(adaptation[i, j_now]))
        row = u[r]
        for j in range(n_suppliers):
            row[j] = minus_ps * offered[r, j] + expectation[i, j] * qs
        if tw:
            for j in range(n_suppliers):
                row[j] = row[j] + trust[i, j] * rho_trust
        if pw:
            for j in range(n_suppliers):
                row[j] = row[j] + preference[i, j] * rho_preference
        if with_switching_costs:
            for j in range(n_suppliers):
                row[j] = row[j] - cost
        if j_now >= 0:
            j = j_now
            v = minus_ps * offered[r, j] + expectation[i, j] * qs
            v = v - np.float32(quality_sensitivity[i] * np.float64(drift_gap[i, j]))
            if tw:
                v = v + trust[i, j] * rho_trust
            if pw:
                v = v + preference[i, j] * rho_preference
            if with_switching_costs:
                v = (v - cost) + cost  # staying costs nothing
            if premium_acceptance != 0.0:
                v = v + np.float32(premium_acceptance * relational_orientation[i]
                                   * np.float64(commitment[i, j]) * price_sensitivity[i]
                                   * np.float64(offered[r, j]))
            row[j] = v
    return u


@jit
def _pick(score, gumbel, intensity, buyers, stage, barred, active, max_suppliers):
    """Each searching buyer's choice by Gumbel-max: argmax of intensity*U + Gumbel (float32,
    as numpy's in-place ``score *= intensity; score += gumbel`` gave it; the first of equal
    maxima, as np.argmax) over the suppliers available to it, -1 where none is.

    Available: active suppliers the buyer knows (not unaware) and is not barred from; for a
    multi-sourcing buyer that buys from some but fewer than its ``max_suppliers``, only those
    it does not buy from yet, if there are any. The values are masked with selects and the
    argmax taken after: a branch on availability inside the argmax mispredicted half the
    time (1.5 against 0.14 ms for 12,600 buyers)."""
    n, n_suppliers = score.shape
    picked = np.full(n, -1, np.int64)
    values = np.empty(n_suppliers, np.float32)
    available = np.empty(n_suppliers, np.bool_)
    minus_inf = np.float32(-np.inf)
    for r in range(n):
        i = buyers[r]
        others = 0
        lives = 0
        for j in range(n_suppliers):
            s = stage[i, j]
            available[j] = s != UNAWARE and not barred[i, j] and active[j]
            is_live = s >= EARLY and s <= FINAL
            lives += is_live
            others += available[j] and not is_live
        if max_suppliers[i] > 1 and 0 < lives < max_suppliers[i] and others > 0:
            for j in range(n_suppliers):
                s = stage[i, j]
                available[j] = available[j] and not (s >= EARLY and s <= FINAL)
        for j in range(n_suppliers):  # selects, not branches: vectorised
            v = score[r, j] * intensity + gumbel[r, j]
            values[j] = v if available[j] else minus_inf
        best = minus_inf
        at = -1  # stays -1 where no supplier is available (the values are finite)
        for j in range(n_suppliers):
            if values[j] > best:
                best = values[j]
                at = j
        picked[r] = at
    return picked


def choose(state: MarketState, scenario: Scenario, rng: np.random.Generator, tick: Tick) -> None:
    """Reads everything a buyer weighs; writes the step's orders into ``tick`` (buyers,
    suppliers, volume, served). Does not change relationships: later phases do."""
    current = state.current
    has = current >= 0
    has_idx = np.flatnonzero(has)
    flat = has_idx * state.n_suppliers + current[has_idx]
    searching = ~has
    p = search_probability(state, scenario, has_idx, flat)
    searching[has_idx] = rng.random(state.n_buyers)[has_idx] < p  # per-buyer draws: CRN
    searchers = np.flatnonzero(searching)
    choice = current.astype(np.int64).copy()
    if len(searchers):
        score = utility(state, scenario, searchers)
        # Gumbel-max: argmax(beta*U + Gumbel) samples the logit choice exactly. Gumbel noise
        # -log(-log(r + eps) + eps), worked out in place.
        gumbel = rng.random(score.shape, dtype=np.float32)
        gumbel += np.float32(1e-12)
        np.log(gumbel, out=gumbel)
        np.negative(gumbel, out=gumbel)
        gumbel += np.float32(1e-12)
        np.log(gumbel, out=gumbel)
        np.negative(gumbel, out=gumbel)
        # a multi-sourcing buyer with room in its portfolio looks for an additional source:
        # it chooses among the suppliers it does not buy from yet (where there are any)
        picked = _pick(score, gumbel, np.float32(scenario.behaviour.choice_intensity), searchers,
                       state.stage, state.barred, state.active, state.max_suppliers)
        choice[searchers] = picked
    tick.searched = len(searchers)
    tick.searchers = searchers
    multi = state.max_suppliers > 1
    # a single-sourcing buyer places all its demand with the one supplier it buys from;
    # the relationship it leaves ends once the new order is served (stages)
    single, suppliers, opening, replaces = _single_orders(choice, state.max_suppliers, current,
                                                          state.stage.ravel(), state.wallet.ravel(),
                                                          state.n_suppliers)
    buyers, suppliers, share, opening, main, replaces = _portfolio_orders(
        state, scenario, tick, np.flatnonzero(multi), choice,
        (single, suppliers, np.ones(len(single)), opening, np.ones(len(single), bool), replaces))
    tick.buyers, tick.suppliers, tick.volume = buyers, suppliers, state.demand[buyers] * share
    tick.opening, tick.main, tick.replaces = opening, main, replaces
    tick.price = order_price(state, buyers, suppliers)
    tick.served = ration(state, scenario, rng, buyers, suppliers, tick.volume)


@jit
def _single_orders(choice, max_suppliers, current, stage, wallet, n_suppliers):
    """The single-sourcing buyers' orders: (buyers, in order; the supplier each chose; whether
    the order opens a relationship (the pair is not live); the flat pair it replaces, the
    buyer's current supplier's, or -1). An opening pair's share of wallet becomes 1."""
    n_buyers = len(choice)
    count = 0
    for i in range(n_buyers):
        count += choice[i] >= 0 and max_suppliers[i] <= 1
    buyers = np.empty(count, np.int64)
    suppliers = np.empty(count, np.int64)
    opening = np.empty(count, np.bool_)
    replaces = np.empty(count, np.int64)
    k = 0
    for i in range(n_buyers):
        j = choice[i]
        if j < 0 or max_suppliers[i] > 1:
            continue
        f = i * n_suppliers + j
        opens = not (stage[f] >= EARLY and stage[f] <= FINAL)
        buyers[k] = i
        suppliers[k] = j
        opening[k] = opens
        replaces[k] = i * n_suppliers + current[i] if opens and current[i] >= 0 else -1
        if opens:
            wallet[f] = 1.0
        k += 1
    return buyers, suppliers, opening, replaces


def wallet_split(state: MarketState, scenario: Scenario, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(live pairs, share of wallet) of the given multi-sourcing buyers' rows, the split
    having moved one step toward its target: a logit share over the buyer's live suppliers,

        target_ij proportional to exp(beta_W*U_ij + w_C*rho_i*C_ij + g*rho_i*[j makes i proactive offers])

    with U_ij the utility the buyer chooses by (price as it feels it, expected quality, trust
    and preference as far as it weighs the relationship; no switching cost, since moving
    volume between suppliers it already buys from leaves nobody), C_ij commitment (growing
    purchases, Reichheld & Sasser) and g = ``wallet_share_gain`` (offers of improvements from
    a proactive supplier). W <- W + lambda_W*(target - W), rows renormalised to 1: what one
    supplier gains the buyer's others lose (demand is conserved), a cheaper or better offer
    draws volume (beta_W = ``wallet_intensity``, below the choice intensity: a buyer that
    keeps several sources hedges), and commitment and proactive offers draw it only as far as the buyer
    weighs the relationship (rho): a purely transactional buyer splits by price and quality."""
    b, mech = scenario.behaviour, scenario.mechanisms
    grows = bool(b.wallet_growth_rate)
    u = utility(state, scenario, rows, switching_costs=False) if grows else np.zeros((0, 0), np.float32)
    live, wallet, shifted = _wallet_logits(
        rows, state.stage, state.active, state.wallet, u, grows, np.float32(b.wallet_intensity),
        state.relational_orientation, bool(mech.growing_purchases and b.wallet_commitment_weight),
        np.float32(b.wallet_commitment_weight), state.commitment, bool(b.wallet_share_gain),
        np.float32(b.wallet_share_gain), (state.level >= PROACTIVE) & ~state.key_accounts_only,
        state.level >= PROACTIVE, state.key_account, state.current)
    if grows:
        # exp and the row sums in numpy (its float32 exp is not the C library's, and its row
        # sums are pairwise), the step toward the target in a compiled pass
        pull = np.exp(shifted)
        _toward_target(wallet, pull, pull.sum(axis=1), np.float32(b.wallet_growth_rate))
    total = wallet.sum(axis=1, keepdims=True)
    np.divide(wallet, total, out=wallet, where=total > 0)
    return live, wallet


@jit
def _wallet_logits(rows, stage, active, wallet_pairs, u, grows, intensity, relational_orientation,
                   with_commitment, commitment_weight, commitment, with_offers, offer_gain,
                   offers_everyone, proactive, key_account, current):
    """:func:`wallet_split`'s live pairs, current shares (0 off the live pairs) and, where the
    split grows, the logits less each row's largest (-inf off the live pairs; nothing is
    subtracted in a row with no live pair), all float32 as numpy's in-place steps gave them:
    beta_W*U, plus (w_C*rho)*C, plus (g*rho)*[proactive offers], each rounded in turn."""
    n, n_suppliers = len(rows), stage.shape[1]
    live = np.empty((n, n_suppliers), np.bool_)
    wallet = np.empty((n, n_suppliers), np.float32)
    shifted = np.empty((n, n_suppliers) if grows else (0, 0), np.float32)
    minus_inf = np.float32(-np.inf)
    for r in range(n):
        i = rows[r]
        for j in range(n_suppliers):
            s = stage[i, j]
            live[r, j] = s >= EARLY and s <= FINAL and active[j]
            wallet[r, j] = wallet_pairs[i, j] if live[r, j] else np.float32(0.0)
        if not grows:
            continue
        rho = np.float32(relational_orientation[i])
        pull_commitment = commitment_weight * rho
        pull_offers = offer_gain * rho
        main = current[i] if key_account[i] else -1
        top = minus_inf
        for j in range(n_suppliers):
            v = u[r, j] * intensity
            if with_commitment:
                v = v + pull_commitment * commitment[i, j]
            if with_offers:
                offered = offers_everyone[j] or (j == main and proactive[j])
                v = v + pull_offers * np.float32(offered)
            if not live[r, j]:
                v = minus_inf
            shifted[r, j] = v
            top = max(top, v)
        if not np.isfinite(top):
            top = np.float32(0.0)
        for j in range(n_suppliers):
            shifted[r, j] = shifted[r, j] - top
    return live, wallet, shifted


@jit
def _toward_target(wallet, pull, total, growth_rate):
    """W <- W + growth_rate * (target - W), target = pull / its row's ``total`` (0 in a row
    whose total is 0), in place, float32 as numpy's steps gave it."""
    n, n_suppliers = wallet.shape
    for r in range(n):
        for j in range(n_suppliers):
            target = pull[r, j] / total[r] if total[r] > 0 else np.float32(0.0)
            wallet[r, j] = wallet[r, j] + growth_rate * (target - wallet[r, j])


def consolidate(state: MarketState, scenario: Scenario, tick: Tick, multi: np.ndarray,
                live: np.ndarray, wallet: np.ndarray) -> None:
    """Supplier-base consolidation: a multi-sourcing buyer stops buying from a live supplier
    whose share of its demand has fallen below ``consolidation_share`` while it has another
    (buying a sliver from a source is not worth the relationship; purchasing rationalises its
    supplier base). The share goes to the buyer's other suppliers in proportion; the
    relationships end in the stages phase (switched away), listed in ``tick.consolidated``."""
    floor = scenario.behaviour.consolidation_share
    if not floor:
        return
    r, c = _slivers(live, wallet, np.float32(floor))
    if len(r) == 0:
        return
    wallet[r, c] = 0
    total = wallet.sum(axis=1, keepdims=True)
    np.divide(wallet, total, out=wallet, where=total > 0)
    live[r, c] = False
    tick.consolidated = multi[r] * state.n_suppliers + c


@jit
def _slivers(live, wallet, floor):
    """:func:`consolidate`'s slivers, as (rows, columns) in row-major order: live shares
    below ``floor`` in rows with more than one live supplier, a row's largest live share (the
    first of equal ones, as np.argmax) kept whatever it is."""
    n, n_suppliers = wallet.shape
    count = 0
    rows = np.empty(n * n_suppliers, np.int64)
    cols = np.empty(n * n_suppliers, np.int64)
    for r in range(n):
        lives = 0
        keep = 0
        best = np.float32(-1.0)
        for j in range(n_suppliers):
            lives += live[r, j]
            value = wallet[r, j] if live[r, j] else np.float32(-1.0)
            if j == 0 or value > best:
                best = value
                keep = j
        if lives <= 1:
            continue
        for j in range(n_suppliers):
            if live[r, j] and wallet[r, j] < floor and j != keep:
                rows[count] = r
                cols[count] = j
                count += 1
    return rows[:count], cols[:count]


def _portfolio_orders(state: MarketState, scenario: Scenario, tick: Tick, multi: np.ndarray,
                      choice: np.ndarray, single: tuple) -> tuple[np.ndarray, ...]:
    """The orders of the multi-sourcing buyers (``multi``), appended to the single-sourcing
    ones: one order per supplier in the buyer's portfolio, sized by its share of wallet. A
    supplier the buyer chose and does not buy from yet joins with ``base_wallet_share`` (all
    of it for a buyer with no supplier), taken from the others in proportion; a full
    portfolio (max_suppliers) drops its smallest supplier to make room. The main supplier
    (``current``) is the one with the largest share."""
    if len(multi) == 0:
        return single
    S = state.n_suppliers
    live, wallet = wallet_split(state, scenario, multi)
    consolidate(state, scenario, tick, multi, live, wallet)
    pick = choice[multi]
    rows = np.flatnonzero(pick >= 0)
    rows = rows[~live[rows, pick[rows]]]
    replaces = np.full(len(multi), -1, np.int64)
    if len(rows):
        count = live[rows].sum(axis=1)
        full = count >= state.max_suppliers[multi[rows]]
        if full.any():
            at = rows[full]
            smallest = np.argmin(np.where(live[at], wallet[at], np.inf), axis=1)
            wallet[at, smallest] = 0
            replaces[at] = multi[at] * S + smallest
        entry = np.where(count > full, scenario.behaviour.base_wallet_share, 1.0).astype(np.float32)
        others = wallet[rows].sum(axis=1)
        scale = np.divide(1.0 - entry, others, out=np.zeros_like(others), where=others > 0)
        wallet[rows] *= scale[:, None]
        wallet[rows, pick[rows]] = np.where(others > 0, entry, 1.0)
    state.wallet[multi] = wallet
    # the same pairs as np.nonzero in the same order, found through the flat index (half the
    # time on thousands of short rows); the largest share read at its argmax, found once
    r, c = np.divmod(np.flatnonzero(wallet > 0), S)
    top = np.argmax(wallet, axis=1)
    main = c == top[r]
    state.wallet_share[multi] = wallet[np.arange(len(multi)), top]
    opening = ~live[r, c]
    rep = np.where(opening, replaces[r], -1)
    buyers_s, suppliers_s, share_s, opening_s, main_s, replaces_s = single
    return (np.concatenate([buyers_s, multi[r]]), np.concatenate([suppliers_s, c]),
            np.concatenate([share_s, wallet[r, c].astype(float)]),
            np.concatenate([opening_s, opening]), np.concatenate([main_s, main]),
            np.concatenate([replaces_s, rep]))


def ration(state: MarketState, scenario: Scenario, rng: np.random.Generator, buyers: np.ndarray,
           suppliers: np.ndarray, volume: np.ndarray) -> np.ndarray:
    """Which orders a supplier can serve within its capacity. Orders at a supplier are
    served in priority order (loyalty index for suppliers that serve loyal customers first,
    random otherwise) while the running total fits; the rest go unserved."""
    served = np.ones(len(buyers), bool)
    if not scenario.mechanisms.capacity_limits or np.all(np.isinf(state.capacity)):
        return served
    S = state.n_suppliers
    load = np.bincount(suppliers, weights=volume, minlength=S)
    over = load > state.capacity
    if not over.any():
        return served
    at_over = np.flatnonzero(over[suppliers])
    sup = suppliers[at_over]
    priority = rng.random(len(at_over))
    loyal = state.serves_loyal_first[sup]
    priority[loyal] += 2.0 * state.loyalty[buyers[at_over[loyal]], sup[loyal]] + 1.0 * (
        state.current[buyers[at_over[loyal]]] == sup[loyal])
    order = np.lexsort((-priority, sup))
    v = volume[at_over][order]
    s_sorted = sup[order]
    running = np.cumsum(v)
    group_start = np.r_[0, np.flatnonzero(np.diff(s_sorted)) + 1]
    offsets = np.repeat(np.r_[0.0, running[group_start[1:] - 1]],
                        np.diff(np.r_[group_start, len(order)]))
    fits = (running - offsets) <= state.capacity[s_sorted] + 1e-9
    served[at_over[order[~fits]]] = False
    return served
