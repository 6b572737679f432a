"""Silent leavers (seed 002): a buyer who switches away is counted as silent only if it never
voiced a complaint in the relationship it leaves."""

from support import small_scenario, total

from sim.mesa.model import RelationshipMarket


def _leavers(complaint_propensity: float) -> tuple[float, float]:
    scenario = small_scenario(
        [{"name": "A", "strategy": "reactive", "quality": 0.5, "quality_noise": 0.2},
         {"name": "B", "strategy": "reactive", "quality": 0.5, "quality_noise": 0.2}],
        buyers=400, steps=40, segment={"complaint_propensity": complaint_propensity},
        mechanisms={"awareness_diffusion": False})
    model = RelationshipMarket(scenario).run()
    return total(model, "silent_leavers"), total(model, "switches")


def test_buyers_who_never_complain_all_leave_silently():
    silent, switches = _leavers(0.0)
    assert switches > 50
    assert silent == switches


def test_buyers_who_voice_every_problem_rarely_leave_silently():
    silent, switches = _leavers(1.0)
    assert switches > 50
    assert silent < 0.5 * switches
