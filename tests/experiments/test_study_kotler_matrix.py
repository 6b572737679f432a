"""Study (c) in its small version: basic pays with many small low-margin customers, a higher
level with few large high-margin ones, and margin changes the answer."""

from experiments.kotler_matrix.study import main
from sim.config.strategies import LEVELS


def test_the_most_profitable_level_depends_on_customers_and_margin():
    best = main(quick=True)
    assert best["many small customers, low margin"] == "basic"
    assert LEVELS.index(best["few large customers, high margin"]) >= LEVELS.index("accountable")
    assert best["few large customers, low margin"] != best["few large customers, high margin"]


def test_every_rung_of_the_ladder_gets_the_cell_s_markup_and_market():
    from support import ROOT

    from sim.config.space import load_sweep
    from sim.experiment.compare import resolve_alternatives
    from sim.experiment.designs import design_points, point_overrides

    spec = load_sweep(ROOT / "experiments" / "kotler_matrix" / "sweep.toml")
    for row in design_points(spec).to_dict("records"):
        scenario = spec.scenario.with_overrides(point_overrides(spec, row))
        few = row["customers"] == "few large customers"
        assert scenario.market.buyers == (100 if few else 3000)
        assert scenario.segments[0].demand.median == (30.0 if few else 1.0)
        markup = 0.6 if row["margin"] == "high margin" else 0.08
        alternatives, _ = resolve_alternatives(scenario, ",".join(LEVELS))
        for alternative in alternatives:
            assert {e["strategy"].markup for e in alternative.scenario.supplier_table()} == {markup}
