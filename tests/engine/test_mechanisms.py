"""Each mechanism of the model (design/model.md) shows its effect, and the reductions hold.

Every test compares the model with and without the behaviour it names (or with the
parameter that drives it at two values) on the same seed, so it fails if the behaviour is
missing. Markets are small; margins are several times the run-to-run noise.
"""

from __future__ import annotations

import numpy as np
import pytest
from support import events_with_cause, run, small_scenario, total

from sim.config import Behaviour
from sim.engine.phases import choice
from sim.engine.phases.learning import update_trust
from sim.engine.state import DWYER_ALIASES, Cause, Stage
from sim.mesa.model import RelationshipMarket

# --------------------------------------------------------------------------- trust


def test_trust_falls_faster_than_it_rises():
    """Slovic (1993): the same amount of bad evidence destroys more trust than good evidence
    builds, at the default rates (loss about 3x gain)."""
    b = Behaviour()
    trust = np.array([0.5])
    gained = update_trust(trust, np.array([1.0]), b.trust_gain, b.trust_loss) - trust
    lost = trust - update_trust(trust, np.array([-1.0]), b.trust_gain, b.trust_loss)
    assert gained[0] > 0 and lost[0] > 0
    assert lost[0] == pytest.approx(3 * gained[0])

    def steps_to_cross(start: float, evidence: float, target: float) -> int:
        value, steps = np.array([start]), 0
        while (value[0] < target) if evidence > 0 else (value[0] > target):
            value = update_trust(value, np.array([evidence]), b.trust_gain, b.trust_loss)
            steps += 1
        return steps

    # from 0.3 up to 0.7 takes far longer than from 0.7 back down to 0.3
    assert steps_to_cross(0.3, 1.0, 0.7) >= 2 * steps_to_cross(0.7, -1.0, 0.3)


def test_trust_rises_and_falls_at_the_same_rate_when_gain_equals_loss():
    """The asymmetry comes from the rates, not from the functional form: with equal rates
    one step of +e from T and one step of -e from 1-T move trust by the same amount."""
    for trust in (0.2, 0.5, 0.8):
        up = update_trust(np.array([trust]), np.array([0.6]), 0.1, 0.1)[0] - trust
        down = (1 - trust) - update_trust(np.array([1 - trust]), np.array([-0.6]), 0.1, 0.1)[0]
        assert up == pytest.approx(down)


def _quality_swing(asymmetric: bool) -> np.ndarray:
    """Mean trust of a single supplier's customers: delivered quality 0.1 above their fixed
    expectation for 6 steps, then 0.1 below it for 6 steps (evidence +0.5 then -0.5)."""
    scenario = small_scenario(
        [{"name": "A", "strategy": "basic", "quality": 0.7, "quality_noise": 0.0}],
        buyers=200, steps=12,
        behaviour={"initial_trust": 0.5, "tolerance_zone": 0.0, "shared_values_gain": 0.0,
                   "communication_gain": 0.0},
        mechanisms={"awareness_diffusion": False, "expectation_adaptation": False,
                    "distance_breakup": False, "asymmetric_trust": asymmetric,
                    "complacency": False},  # needs drift in young relationships too
        events=[{"step": 0, "kind": "quality_change", "supplier": "A", "quality": 0.8},
                {"step": 6, "kind": "quality_change", "supplier": "A", "quality": 0.6}])
    return run(scenario).market_frame()["mean_trust"].to_numpy()


def test_trust_falls_faster_than_it_rises_in_a_model_run():
    trust = _quality_swing(asymmetric=True)
    rise = trust[5] - 0.5          # six steps of good deliveries from the initial 0.5
    fall = trust[5] - trust[11]    # six steps of equally bad ones
    assert rise > 0.05
    assert fall > 2.5 * rise
    symmetric = _quality_swing(asymmetric=False)
    assert symmetric[5] == pytest.approx(trust[5])          # same history up to the drop
    assert symmetric[5] - symmetric[11] < 1.5 * rise
    assert fall > 2 * (symmetric[5] - symmetric[11])


# --------------------------------------------------------------------------- service recovery


def _recovery(level: str, complaint_propensity: float):
    scenario = small_scenario(
        [{"name": "A", "strategy": level, "quality_noise": 0.25}], buyers=300, steps=30,
        segment={"complaint_propensity": complaint_propensity},
        mechanisms={"awareness_diffusion": False})
    return run(scenario).market_frame()


def test_basic_supplier_recovers_nothing():
    frame = _recovery("basic", 1.0)
    assert frame["complaints"].sum() > 100
    assert frame["recovered"].sum() == 0


def test_reactive_supplier_recovers_voiced_complaints_only():
    voiced = _recovery("reactive", 1.0)
    silent = _recovery("reactive", 0.0)
    assert voiced["recovered"].sum() > 0.3 * voiced["complaints"].sum() > 30
    # when nobody complains a reactive supplier hears of nothing and recovers nothing
    assert silent["silent_dissatisfied"].sum() > 100
    assert silent["recovered"].sum() == 0


@pytest.mark.parametrize("level", ["accountable", "proactive"])
def test_accountable_supplier_finds_silent_defectors(level):
    silent = _recovery(level, 0.0)
    assert silent["complaints"].sum() == 0
    assert silent["recovered_silent"].sum() > 0.2 * silent["silent_dissatisfied"].sum() > 20
    assert silent["recovered"].sum() == silent["recovered_silent"].sum()


# --------------------------------------------------------------------------- distance


def _distance_breakups(distance: float, mechanism: bool = True) -> RelationshipMarket:
    scenario = small_scenario(
        [{"name": "A", "strategy": "basic", "cultural_position": 0.0}], buyers=300, steps=30,
        segment={"cultural_position": distance},
        mechanisms={"awareness_diffusion": False, "distance_breakup": mechanism})
    return run(scenario)


def test_distance_breaks_young_relationships():
    counts = {}
    for distance in (0.0, 0.25, 0.5, 1.0):
        model = _distance_breakups(distance)
        breakups = events_with_cause(model, Cause.DISTANCE_BREAKUP)
        counts[distance] = len(breakups)
        # only young (early-stage) relationships break
        assert (breakups["from_stage"] == Stage.EARLY.label).all()
        assert total(model, "distance_breakups") == len(breakups)
    assert counts[0.0] == 0
    assert counts[0.25] > 15
    assert counts[0.5] > 1.5 * counts[0.25]
    assert counts[1.0] > 1.5 * counts[0.5]
    # relationships that grew past the early stage survive even at the largest distance
    assert _distance_breakups(1.0).market_frame()["development"].iloc[-1] > 50


def test_no_distance_breakups_when_the_mechanism_is_off():
    model = _distance_breakups(1.0, mechanism=False)
    assert len(events_with_cause(model, Cause.DISTANCE_BREAKUP)) == 0
    assert total(model, "distance_breakups") == 0


# --------------------------------------------------------------------------- complacency and entry

ENTRY, AFTER_ENTRY = 50, 30


def _incumbent_and_entrant(level: str, complacency: float = 1.0, entry: bool = True,
                           mechanisms: dict | None = None, behaviour: dict | None = None):
    """An incumbent alone for 50 steps: nearly every buyer reaches a long-term or final
    relationship with it while its needs drift (0.01 a step). Then an entrant with heavy
    prospecting arrives (unless ``entry`` is False)."""
    suppliers = [{"name": "Incumbent", "strategy": level, "complacency": complacency,
                  "adaptation_investment": 0.02, "initial_awareness": 1.0}]
    events = []
    if entry:
        suppliers.append({"name": "Entrant", "strategy": "basic", "initial_awareness": 0.0,
                          "acquisition_contacts": 10.0})
        events = [{"step": ENTRY, "kind": "supplier_entry", "supplier": "Entrant"}]
    return small_scenario(suppliers, buyers=400, steps=ENTRY + AFTER_ENTRY,
                          # final_tenure counts steps in the long-term stage
                          behaviour={"final_tenure": 8, "long_term_commitment": 0.5,
                                     **(behaviour or {})},
                          segment={"need_drift": 0.01}, events=events,
                          mechanisms=mechanisms)


def _habitual_customers_after_entry(scenario) -> tuple[int, float, float]:
    """(incumbent's long-term and final customers at the entry step, share of them still
    with it 30 steps later, share of them won by the entrant)."""
    model = RelationshipMarket(scenario).run(ENTRY)
    state = model.state
    buyers, flat = state.current_flat()
    habitual = buyers[(state.current[buyers] == 0)
                      & np.isin(state.stage.ravel()[flat], (Stage.LONG_TERM, Stage.FINAL))]
    model.run(AFTER_ENTRY)
    current = model.state.current[habitual]
    return len(habitual), float(np.mean(current == 0)), float(np.mean(current == 1))


@pytest.mark.parametrize("level", ["basic", "reactive"])
def test_complacency_and_competitor_entry_erode_long_term_relationships(level):
    habitual, kept, won_by_entrant = _habitual_customers_after_entry(_incumbent_and_entrant(level))
    assert habitual > 300
    assert won_by_entrant > 0.05
    assert kept < 0.95
    # the same complacent incumbent keeps them when no competitor enters
    _, kept_alone, _ = _habitual_customers_after_entry(_incumbent_and_entrant(level, entry=False))
    assert kept_alone > 0.97
    assert kept_alone - kept > 0.04


def test_proactive_supplier_keeps_long_term_customers_after_entry():
    habitual, kept, won_by_entrant = _habitual_customers_after_entry(
        _incumbent_and_entrant("proactive", complacency=1.0))
    assert habitual > 300
    assert won_by_entrant < 0.01
    assert kept > 0.98


def test_competitor_entry_erodes_nothing_without_complacency():
    """Complacency is what opens the door: the same basic incumbent with no complacency,
    or with the mechanism switched off, loses nobody to the entrant."""
    for scenario in (_incumbent_and_entrant("basic", complacency=0.0),
                     _incumbent_and_entrant("basic", mechanisms={"complacency": False})):
        _, kept, won_by_entrant = _habitual_customers_after_entry(scenario)
        assert won_by_entrant < 0.01
        assert kept > 0.98


def test_competitor_entry_demotes_final_relationships():
    # strong competition once the entrant is in (one close alternative is enough), so the
    # demoted relationships cannot return to the final stage
    strong = {"final_max_close_alternatives": 1}
    model = RelationshipMarket(_incumbent_and_entrant("basic", complacency=0.0, behaviour=strong))
    model.run(ENTRY)
    final_before = int((model.state.stage == Stage.FINAL).sum())
    model.run(5)
    demoted = events_with_cause(model, Cause.COMPETITOR_ENTRY)
    assert final_before > 250  # most of the 400 buyers
    assert len(demoted) == final_before
    assert (demoted["step"] == ENTRY).all()
    assert (demoted["from_stage"] == Stage.FINAL.label).all()
    assert (demoted["to_stage"] == Stage.LONG_TERM.label).all()
    series = model.market_frame().set_index("step")
    assert series.loc[ENTRY - 1, "final"] == final_before
    assert series.loc[ENTRY, "final"] == 0
    assert series.loc[ENTRY, "long_term"] >= final_before
    # without an entrant nobody is demoted
    alone = run(_incumbent_and_entrant("basic", complacency=0.0, entry=False, behaviour=strong))
    assert len(events_with_cause(alone, Cause.COMPETITOR_ENTRY)) == 0
    assert alone.market_frame()["final"].iloc[-1] > 300


# --------------------------------------------------------------------------- dropping customers

TWO_COST_SEGMENTS = [
    {"name": "cheap to serve", "share": 0.5, "demand": 1.0, "cost_to_serve": 0.5},
    {"name": "costly to serve", "share": 0.5, "demand": 1.0, "cost_to_serve": 5.0},
]


def _dropping(drops: bool, mechanism: bool = True) -> RelationshipMarket:
    scenario = small_scenario(
        [{"name": "A", "strategy": "relationship", "drops_unprofitable": drops}],
        buyers=300, steps=30, segments=TWO_COST_SEGMENTS,
        mechanisms={"awareness_diffusion": False, "customer_dropping": mechanism})
    return run(scenario)


def test_unprofitable_customers_are_dropped():
    model = _dropping(drops=True)
    dropped = events_with_cause(model, Cause.DROPPED_UNPROFITABLE)
    segment = model.state.segment[dropped["buyer"].to_numpy()]
    costly = int(np.sum(model.state.segment == 1))
    # the costly-to-serve customers lose the supplier money and are dropped; the others stay
    assert len(dropped) > 0.9 * costly
    assert (segment == 1).all()
    assert total(model, "dropped") == len(dropped)
    # a dropped customer cannot come back
    assert model.state.barred[dropped["buyer"].to_numpy(), 0].all()
    kept = _dropping(drops=False)
    late_profit = model.market_frame()["profit"].iloc[-6:].sum()
    assert late_profit > kept.market_frame()["profit"].iloc[-6:].sum() + 20


def test_no_customer_is_dropped_when_dropping_is_off():
    for model in (_dropping(drops=False), _dropping(drops=True, mechanism=False)):
        assert len(events_with_cause(model, Cause.DROPPED_UNPROFITABLE)) == 0
        assert total(model, "dropped") == 0


# --------------------------------------------------------------------------- capacity


def _capacity(capacity: float, mechanism: bool = True, loyal_first: bool = False, seed: int = 1):
    return small_scenario(
        [{"name": "A", "strategy": "basic", "capacity": capacity, "serves_loyal_first": loyal_first},
         {"name": "B", "strategy": "basic"}],
        buyers=300, steps=30, seed=seed, segment={"demand": 1.0},
        mechanisms={"awareness_diffusion": False, "capacity_limits": mechanism,
                    "complacency": False})  # no drift-driven churn: loyalty alone ranks orders


def test_capacity_rations_orders():
    supplier_a = run(_capacity(60.0)).supplier_frame().query("supplier == 'A'")
    assert supplier_a["unserved_volume"].sum() > 50
    assert supplier_a["volume"].max() <= 60.0 + 1e-9
    unlimited = run(_capacity(float("inf"))).supplier_frame().query("supplier == 'A'")
    assert unlimited["volume"].max() > 80       # without the limit A would sell more than 60
    assert unlimited["unserved_volume"].sum() == 0
    switched_off = run(_capacity(60.0, mechanism=False)).market_frame()
    assert switched_off["unserved_volume"].sum() == 0


def test_serving_loyal_first_protects_loyal_customers():
    """With half the orders over capacity, a supplier that serves loyal customers first
    serves nearly all of its current customers and turns newcomers away; one that does not
    rations everyone alike."""
    served_share = {}
    for loyal_first in (False, True):
        scenario = _capacity(float("inf"), loyal_first=loyal_first)
        state = run(scenario, steps=20).state
        buyers = np.arange(state.n_buyers)
        everyone_to_a = np.zeros(state.n_buyers, np.int64)
        volume = state.demand.copy()
        state.capacity[0] = 0.5 * volume.sum()
        served = choice.ration(state, scenario, np.random.default_rng(5), buyers, everyone_to_a, volume)
        customers = state.current == 0
        assert 0.3 < customers.mean() < 0.7
        served_share[loyal_first] = (served[customers].mean(), served[~customers].mean())
    loyal, newcomers = served_share[True]
    assert loyal > 0.9 and newcomers < 0.1
    random_loyal, random_newcomers = served_share[False]
    assert abs(random_loyal - random_newcomers) < 0.2
    assert loyal > random_loyal + 0.3


def test_serving_loyal_first_keeps_customers_trusting_when_capacity_binds():
    """In a run: rationed orders count as bad experiences, so a capacity-bound supplier that
    serves its loyal customers first keeps their trust; rationing at random erodes it."""
    for seed in (1, 2):
        trust = {}
        for loyal_first in (False, True):
            frame = run(_capacity(60.0, loyal_first=loyal_first, seed=seed)).supplier_frame()
            trust[loyal_first] = frame.query("supplier == 'A'")["mean_trust"].iloc[-5:].mean()
        assert trust[True] > trust[False] + 0.15


# --------------------------------------------------------------------------- adaptations


def test_adaptations_add_to_the_cost_of_leaving_in_utility():
    scenario = small_scenario([{"name": "S", "strategy": "basic", "count": 3}], buyers=100,
                              steps=5, mechanisms={"awareness_diffusion": False})
    state = run(scenario).state
    buyers = np.flatnonzero(state.current >= 0)
    current = state.current[buyers]
    before = choice.utility(state, scenario, buyers)
    state.adaptation[buyers, current] = 0.3
    after = choice.utility(state, scenario, buyers)
    penalty = before - after
    is_current = np.zeros_like(penalty, bool)
    is_current[np.arange(len(buyers)), current] = True
    assert penalty[is_current] == pytest.approx(0.0, abs=1e-6)
    assert penalty[~is_current] == pytest.approx(0.3, abs=1e-6)
    # the penalty is a switching cost: with switching costs off adaptations do not enter
    off = scenario.with_overrides({"mechanisms.switching_costs": False})
    with_stock = choice.utility(state, off, buyers)
    state.adaptation[buyers, current] = 0.0
    assert with_stock == pytest.approx(choice.utility(state, off, buyers))


def test_adaptations_raise_switching_costs():
    """Two equal suppliers, buyers who look around often; adaptations bring no performance
    benefit here (adaptation_benefit 0) and complacency is off, so fewer switches away can
    only come from the cost of leaving sunk investments (and the commitment it builds)."""
    def late_switches(investment: float, seed: int) -> float:
        scenario = small_scenario(
            [{"name": "A", "strategy": "basic", "adaptation_investment": investment},
             {"name": "B", "strategy": "basic", "adaptation_investment": investment}],
            buyers=400, steps=60, seed=seed, segment={"search_propensity": 0.3},
            behaviour={"adaptation_benefit": 0.0},
            mechanisms={"awareness_diffusion": False, "complacency": False,
                        "price_premium": False})  # the premium commitment earns is another hold
        model = run(scenario)
        assert (model.state.adaptation > 0).any() == (investment > 0)
        return model.market_frame()["switches"].iloc[30:].sum()

    for seed in (1, 2):
        without, with_adaptations = late_switches(0.0, seed), late_switches(0.05, seed)
        assert without > 25
        assert with_adaptations < 0.5 * without


# --------------------------------------------------------------------------- reductions


def test_equal_suppliers_keep_equal_shares_without_switching_costs_or_relational_orientation():
    """Equal in expectation: a single run drifts (awareness and habit are random), so the
    shares are averaged over 12 replicates; their standard error is about 0.006."""
    shares = []
    for seed in range(12):
        scenario = small_scenario(
            [{"name": "S", "strategy": "basic", "count": 3}], buyers=500, steps=25, seed=seed,
            segment={"relational_orientation": 0.0, "switching_cost": 0.0, "demand": 1.0})
        frame = run(scenario).supplier_frame()
        shares.append(frame[frame["step"] >= 5].groupby("supplier", observed=True)["market_share"].mean())
    assert np.mean(shares, axis=0) == pytest.approx(np.full(3, 1 / 3), abs=0.02)


def _incumbent_advantage(relational_orientation: float) -> float:
    """Share an equal entrant wins from an incumbent that has served the whole market for
    10 steps, averaged over the 20 steps after its entry (everyone knows both; every buyer
    chooses afresh each step)."""
    scenario = small_scenario(
        [{"name": "A", "strategy": "basic"}, {"name": "B", "strategy": "basic"}],
        buyers=500, steps=30,
        segment={"relational_orientation": relational_orientation, "switching_cost": 0.0,
                 "demand": 1.0},
        mechanisms={"awareness_diffusion": False, "habitual_rebuying": False},
        events=[{"step": 10, "kind": "supplier_entry", "supplier": "B"}])
    frame = run(scenario).supplier_frame()
    return frame.query("supplier == 'B' and step >= 10")["market_share"].mean()


def test_loyalty_earns_no_premium_without_relational_orientation():
    assert _incumbent_advantage(0.0) == pytest.approx(0.5, abs=0.04)
    # with relational orientation the incumbent's trust and preference keep its buyers
    assert _incumbent_advantage(1.0) < 0.2


def test_no_buyer_learns_of_an_unknown_supplier_without_acquisition_or_word_of_mouth():
    def awareness(word_of_mouth: bool, contacts_b: float) -> tuple[np.ndarray, np.ndarray, RelationshipMarket]:
        scenario = small_scenario(
            [{"name": "A", "strategy": "relationship", "initial_awareness": 0.5,
              "acquisition_contacts": 0.0},
             {"name": "B", "strategy": "relationship", "initial_awareness": 0.0,
              "acquisition_contacts": contacts_b}],
            buyers=300, steps=40, mechanisms={"word_of_mouth": word_of_mouth})
        model = RelationshipMarket(scenario)
        start = (model.state.stage != Stage.UNAWARE).sum(axis=0)
        model.run()
        return start, (model.state.stage != Stage.UNAWARE).sum(axis=0), model

    start, end, model = awareness(word_of_mouth=False, contacts_b=0.0)
    assert start[1] == 0 and end[1] == 0
    assert end[0] == start[0] > 100             # nor does anyone new learn of A
    assert total(model, "became_aware") == 0
    assert (model.state.orders[:, 1] == 0).all()
    assert not (model.events_frame()["supplier"] == "B").any()
    # each channel alone does make buyers aware: word of mouth spreads A (B has nobody to
    # speak for it) and prospecting spreads B
    start, end, _ = awareness(word_of_mouth=True, contacts_b=0.0)
    assert end[0] > start[0] + 20 and end[1] == 0
    _, end, _ = awareness(word_of_mouth=False, contacts_b=1.0)
    assert end[1] > 100


# --------------------------------------------------------------------------- stage names


def test_dwyer_phases_are_aliases_of_ford_stages():
    assert Stage.parse("awareness") is Stage.PRE_RELATIONSHIP
    assert Stage.parse("exploration") is Stage.EARLY
    assert Stage.parse("Expansion") is Stage.DEVELOPMENT
    assert Stage.parse("commitment") is Stage.LONG_TERM
    assert Stage.parse("dissolution") is Stage.ENDED
    for stage in Stage:
        assert Stage.parse(stage.label) is stage     # Ford's names: 'long-term', 'pre-relationship'
    assert Stage.parse("long term") is Stage.LONG_TERM
    for phase, stage in DWYER_ALIASES.items():
        assert stage.dwyer == phase
    with pytest.raises(ValueError, match="unknown stage"):
        Stage.parse("honeymoon")


# --------------------------------------------------------------------------- final stage, entry, habit

def test_final_relationships_stay_demoted_while_the_entrant_is_new():
    # default competition settings: the entrant is one close alternative, fewer than two
    scenario = _incumbent_and_entrant("basic", complacency=0.0)
    tenure = scenario.behaviour.final_tenure
    model = RelationshipMarket(scenario).run()
    series = model.market_frame().set_index("step")
    assert series.loc[ENTRY - 1, "final"] > 250
    assert (series.loc[ENTRY:ENTRY + tenure - 1, "final"] == 0).all()
    promoted = events_with_cause(model, Cause.HABITUATION)
    assert not promoted["step"].between(ENTRY, ENTRY + tenure - 1).any()
    # once the newcomer is no longer new, habit settles again
    assert series.loc[ENTRY + tenure:, "final"].max() > 0


def _settled_customers(**segment):
    """A tiny market after two steps, with every customer calm (no dissatisfaction,
    escalation or approach), so only stage, commitment and orientation move the search urge."""
    scenario = small_scenario([{"name": "A", "strategy": "basic"}], buyers=50, steps=2,
                              segment={"search_propensity": 0.4, **segment})
    state = RelationshipMarket(scenario).run().state
    buyers, flat = state.current_flat()
    state.dissatisfaction[:] = 0
    state.escalation.ravel()[flat] = 0
    state.contacted[:] = False
    return scenario, state, buyers, flat


def test_final_stage_buyers_look_around_less_on_their_own():
    scenario, state, buyers, flat = _settled_customers(relational_orientation=0.0)
    state.stage.ravel()[flat] = Stage.LONG_TERM
    long_term = choice.search_probability(state, scenario, buyers, flat)
    state.stage.ravel()[flat] = Stage.FINAL
    final = choice.search_probability(state, scenario, buyers, flat)
    np.testing.assert_allclose(long_term, 0.4)
    np.testing.assert_allclose(final, 0.4 * (1 - scenario.behaviour.final_stage_habit))


def test_commitment_holds_only_buyers_who_weigh_the_relationship():
    scenario, state, buyers, flat = _settled_customers()
    state.stage.ravel()[flat] = Stage.DEVELOPMENT
    state.commitment.ravel()[flat] = 0.8
    state.relational_orientation[:] = 0.0
    transactional = choice.search_probability(state, scenario, buyers, flat)
    state.relational_orientation[:] = 1.0
    relational = choice.search_probability(state, scenario, buyers, flat)
    np.testing.assert_allclose(transactional, 0.4)
    np.testing.assert_allclose(relational, 0.4 * (1 - 0.8))


def test_an_entrant_is_known_at_once_to_the_share_its_launch_reaches():
    suppliers = [{"name": "Incumbent", "strategy": "basic", "initial_awareness": 1.0},
                 {"name": "Entrant", "strategy": "basic", "initial_awareness": 0.5,
                  "acquisition_contacts": 0.0}]
    scenario = small_scenario(suppliers, buyers=2000, steps=12,
                              mechanisms={"word_of_mouth": False},
                              events=[{"step": 5, "kind": "supplier_entry", "supplier": "Entrant"}])
    model = run(scenario)
    aware = events_with_cause(model, Cause.BECAME_AWARE)
    entrant = aware[aware["supplier"] == "Entrant"]
    assert set(entrant["step"]) == {5}
    assert 0.45 < len(entrant) / 2000 < 0.55


def test_escalation_eases_after_a_calm_spell():
    # problems come only in the first steps (quality falls below the threshold), then the
    # supplier delivers well: the ladder climbs, then comes down one level per calm spell
    suppliers = [{"name": "A", "strategy": "basic", "quality": 0.2, "quality_noise": 0.0,
                  "initial_awareness": 1.0}]
    calm = 6
    scenario = small_scenario(suppliers, buyers=100, steps=40,
                              behaviour={"calm_steps_to_ease": calm, "escalation_exit_level": 50},
                              mechanisms={"distance_breakup": False},
                              events=[{"step": 4, "kind": "quality_change", "supplier": "A", "quality": 0.9}])
    model = RelationshipMarket(scenario)
    model.run(4)
    buyers, flat = model.state.current_flat()
    peak = model.state.escalation.ravel()[flat].astype(int)
    assert peak.min() >= 2
    model.run(2 * calm)
    after = model.state.escalation.ravel()[flat].astype(int)
    np.testing.assert_array_equal(after, np.maximum(peak - 2, 0))


def test_distance_breaks_young_relationships_even_without_stage_progression():
    suppliers = [{"name": "Far", "strategy": "basic", "cultural_position": 1.0, "initial_awareness": 1.0}]
    scenario = small_scenario(suppliers, buyers=300, steps=20,
                              segment={"cultural_position": 0.0},
                              mechanisms={"stage_progression": False})
    assert len(events_with_cause(run(scenario), Cause.DISTANCE_BREAKUP)) > 0


def test_an_entry_at_the_start_does_not_announce_a_supplier_twice():
    suppliers = [{"name": "A", "strategy": "basic", "initial_awareness": 0.3, "acquisition_contacts": 0.0}]
    scenario = small_scenario(suppliers, buyers=3000, steps=2, mechanisms={"word_of_mouth": False},
                              events=[{"step": 0, "kind": "supplier_entry", "supplier": "A"}])
    aware = events_with_cause(run(scenario), Cause.BECAME_AWARE)
    assert 0.27 < len(aware) / 3000 < 0.33


def test_an_ended_relationship_forgets_its_problems():
    from sim.engine.eventlog import EventLog
    from sim.engine.phases.events import end_relationships

    model = RelationshipMarket(small_scenario([{"name": "A", "strategy": "basic"}], buyers=20, steps=3)).run()
    state = model.state
    buyers, flat = state.current_flat()
    state.last_problem.ravel()[flat] = 2
    end_relationships(state, flat, Cause.SWITCHED_AWAY, EventLog(), state.step)
    assert (state.last_problem.ravel()[flat] < -1000).all()
    assert (state.current[buyers] == -1).all()
