"""Phase 3: choice. Settled buyers re-buy out of habit unless something makes them search;
searching buyers choose among the suppliers they know by logit utility (Weisbuch, Kirman &
Herreiner 2000); capacity rations orders (a supplier may serve loyal customers first,
Kirman & Vriend 2001)."""

from __future__ import annotations

import numpy as np

from sim.config import Scenario
from sim.engine.state import MarketState, Stage
from sim.engine.tick import Tick


def search_probability(state: MarketState, scenario: Scenario, buyers: np.ndarray,
                       flat: np.ndarray) -> np.ndarray:
    """P(search) = clip(s0*h + s_d*dissatisfaction + s_e*escalation + s_c*contacted, 0, 1)
    * (1 - rho*commitment), for buyers with a current supplier (pairs at ``flat``).

    Commitment keeps a buyer from looking around only as far as the buyer weighs the
    relationship at all (relational orientation rho: a purely transactional buyer is not
    held by commitment). h = 1 - final_stage_habit in the final stage (institutionalised
    habit: the buyer no longer looks around on its own), 1 otherwise."""
    if not scenario.mechanisms.habitual_rebuying:
        return np.ones(len(buyers))
    b = scenario.behaviour
    habit = np.where(state.stage.ravel()[flat] == Stage.FINAL, 1.0 - b.final_stage_habit, 1.0)
    urge = (state.search_propensity[buyers] * habit
            + b.search_from_dissatisfaction * state.dissatisfaction[buyers]
            + b.search_from_escalation * state.escalation.ravel()[flat]
            + b.search_when_contacted * state.contacted[buyers])
    held = state.relational_orientation[buyers] * state.commitment.ravel()[flat]
    return np.clip(urge, 0.0, 1.0) * (1.0 - held)


def utility(state: MarketState, scenario: Scenario, buyers: np.ndarray,
            switching_costs: bool = True) -> np.ndarray:
    """U_ij for the given buyers (rows) and every supplier (columns):
    -b_p*price + b_q*(E[q] - [i = current]*drift gap) + rho*(w_T*trust + w_J*J)
    - [i != current]*(switching cost + adaptations).
    ``switching_costs=False`` leaves the last term out (how the offers compare in themselves)."""
    b = scenario.behaviour
    S = state.n_suppliers
    price = state.price.astype(np.float32)
    # np.take of whole rows: the same values as fancy indexing, gathered faster
    u = -state.price_sensitivity[buyers, None].astype(np.float32) * price[None, :]
    u += state.quality_sensitivity[buyers, None].astype(np.float32) * np.take(state.expectation, buyers, axis=0)
    # the buyer feels how far its current supplier's offer has fallen behind its drifted
    # needs; the gap is not learnt into what it expects of the offer, so it is gone from the
    # buyer's view once someone closes it
    current = state.current[buyers]
    has = np.flatnonzero(current >= 0)
    at = buyers[has] * S + current[has]
    u.ravel()[has * S + current[has]] -= (state.quality_sensitivity[buyers[has]]
                                          * state.drift_gap.ravel()[at]).astype(np.float32)
    rho = state.relational_orientation[buyers, None].astype(np.float32)
    if b.trust_weight:
        u += rho * b.trust_weight * np.take(state.trust, buyers, axis=0)
    if b.preference_weight:
        u += rho * b.preference_weight * np.take(state.preference, buyers, axis=0)
    if switching_costs and scenario.mechanisms.switching_costs:
        cost = np.zeros(len(buyers), np.float32)
        cost[has] = (state.switching_cost[buyers[has]] * state.switching_cost_scale
                     + state.adaptation.ravel()[buyers[has] * S + current[has]])
        u -= cost[:, None]
        u.ravel()[has * S + current[has]] += cost[has]  # staying costs nothing
    return u


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
        available = np.take(state.stage, searchers, axis=0) != Stage.UNAWARE
        available &= ~np.take(state.barred, searchers, axis=0)
        available &= state.active[None, :]
        # Gumbel-max: argmax(beta*U + Gumbel) samples the logit choice exactly. Gumbel noise
        # -log(-log(r + eps) + eps), worked out in place.
        gumbel = rng.random(score.shape, dtype=np.float32)
        gumbel += np.float32(1e-12)
        np.log(gumbel, out=gumbel)
        np.negative(gumbel, out=gumbel)
        gumbel += np.float32(1e-12)
        np.log(gumbel, out=gumbel)
        np.negative(gumbel, out=gumbel)
        score *= np.float32(scenario.behaviour.choice_intensity)
        score += gumbel
        np.copyto(score, -np.inf, where=~available)
        picked = np.argmax(score, axis=1)
        none = ~available.any(axis=1)
        picked[none] = -1
        choice[searchers] = picked
    tick.searched = len(searchers)
    tick.searchers = searchers
    ordering = np.flatnonzero(choice >= 0)
    suppliers = choice[ordering]
    staying = suppliers == current[ordering]
    share = np.where(staying, state.wallet_share[ordering], scenario.behaviour.base_wallet_share)
    volume = state.demand[ordering] * share
    tick.buyers, tick.suppliers, tick.volume = ordering, suppliers, volume
    tick.served = ration(state, scenario, rng, ordering, suppliers, volume)


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
