"""Sweep files: what they declare, and one clear message per problem in a bad one."""

from __future__ import annotations

import pytest
from sweep_support import GRID, write_sweep

from sim.cli.main import main
from sim.config import ScenarioError
from sim.config.space import load_sweep


def test_sweep_file_declares_base_scenario_space_design_and_replicates(tmp_path):
    spec = load_sweep(write_sweep(tmp_path, GRID + '\n[set]\n"market.steps" = 8\n'))
    assert spec.scenario.market.steps == 8  # [set] applied to the base scenario
    assert spec.names == ["buyers.switching_cost", "buyers.relational_orientation"]
    assert spec.parameters[0].grid_levels() == [0.0, 0.3]
    assert spec.parameters[1].grid_levels() == pytest.approx([0.2, 0.5, 0.8])
    assert (spec.design.kind, spec.replicates, spec.seed) == ("grid", 2, 11)
    assert spec.problem()["bounds"] == [[0.0, 1.0], [0.2, 0.8]]


def test_whole_number_bounds_give_whole_number_values(tmp_path):
    spec = load_sweep(write_sweep(tmp_path, GRID.replace(
        '"buyers.relational_orientation" = { low = 0.2, high = 0.8, count = 3 }',
        '"market.buyers" = { low = 100, high = 200, count = 3 }')))
    assert spec.parameters[1].grid_levels() == [100, 150, 200]
    assert spec.parameters[1].value_at(123.6) == 124


BAD = [
    ('[sweep]\nscenario = "base.toml"\nreplicatse = 2\n[parameters]\n"market.steps" = { levels = [5] }\n',
     "sweep.replicatse = 2: unknown key (did you mean 'replicates'?)"),
    ('[sweep]\nscenario = "base.toml"\n[parameters]\n"market.buyers" = { levels = [100, -4] }\n',
     'parameters."market.buyers" = -4: the scenario refuses it: market.buyers = -4: must be a whole number from 1'),
    ('[sweep]\nscenario = "base.toml"\n[parameters]\n"buyers.switching_kost" = { levels = [0.1] }\n',
     "buyers.switching_kost = 0.1: unknown key (did you mean 'switching_cost'?)"),
    ('[sweep]\nscenario = "base.toml"\n[parameters]\n"market.buyers" = { low = 500, high = 100 }\n'
     '[design]\nkind = "latin"\nsamples = 4\n', "low must be less than high"),
    ('[sweep]\nscenario = "base.toml"\n[parameters]\n"market.buyers" = { low = 100, high = 500 }\n'
     '"market.steps" = { low = 5, high = 9 }\n[design]\nkind = "sobol"\n', "design.samples: missing"),
    ('[sweep]\nscenario = "base.toml"\n[parameters]\n"market.buyers" = { low = 100, high = 500 }\n'
     '"market.steps" = { low = 5, high = 9 }\n[design]\nkind = "sobol"\nsamples = 12\n',
     "design.samples = 12: Sobol (Saltelli) sampling needs a power of two (e.g. 8 or 16)"),
    ('[sweep]\nscenario = "base.toml"\n[parameters]\n"market.buyers" = { low = 100, high = 500 }\n',
     'parameters."market.buyers": a grid needs its levels'),
    ('[sweep]\nscenario = "base.toml"\n[parameters]\n"market.steps" = { levels = [5] }\n[design]\nkind = "factorial"\n',
     "design.kind = 'factorial': must be one of 'grid', 'latin', 'sobol', 'morris'"),
    ('[sweep]\nscenario = "base.toml"\n[parameters]\n"market.steps" = { levels = [5] }\n[keep]\nseries = ["events"]\n',
     "keep.series = ['events']: must be a list naming any of 'market', 'suppliers'"),
    ('[sweep]\nreplicates = 2\n[parameters]\n"market.steps" = { levels = [5] }\n', "sweep.scenario: missing"),
    ('[sweep]\nscenario = "nowhere.toml"\n[parameters]\n"market.steps" = { levels = [5] }\n',
     "nowhere.toml: no such scenario file"),
    ('[sweep]\nscenario = "base.toml"\n', "parameters: missing"),
    ('[sweep]\nscenario = "base.toml"\nfocal = "Acne"\n[parameters]\n"market.steps" = { levels = [5] }\n',
     "sweep.focal = 'Acne': no such supplier entry"),
    ('[sweep]\nscenario = "base.toml"\n[parameters]\n"market.steps" = { levels = [5, "ten"] }\n',
     "must be all numbers, all text or all true/false"),
    ('[sweep]\nscenario = "base.toml"\n[parameters]\n"market.steps" = { levels = [5] }\n[compare]\n'
     'alternatives = ["relationship"]\n', "compare.alternatives = ['relationship']: must name at least two"),
]


@pytest.mark.parametrize(("body", "expected"), BAD, ids=[e for _, e in BAD])
def test_bad_sweep_file_names_file_key_value_and_what_is_allowed(tmp_path, body, expected):
    path = write_sweep(tmp_path, body)
    with pytest.raises(ScenarioError) as caught:
        load_sweep(path)
    text = "\n".join(caught.value.messages)
    assert expected in text
    assert all(str(path) in m for m in caught.value.messages)


def test_every_problem_of_a_sweep_file_is_reported_at_once(tmp_path):
    path = write_sweep(tmp_path, '[sweep]\nscenario = "base.toml"\nreplicates = 0\n[parameters]\n'
                       '"market.steps" = { levels = [0] }\n[design]\nkind = "grid"\nseed = -3\n')
    with pytest.raises(ScenarioError) as caught:
        load_sweep(path)
    text = "\n".join(caught.value.messages)
    assert "sweep.replicates = 0" in text and "design.seed = -3" in text and "market.steps = 0" in text


def test_relsim_sweep_with_a_bad_file_exits_2_with_the_message_and_no_traceback(tmp_path, capsys):
    path = write_sweep(tmp_path, '[sweep]\nscenario = "base.toml"\n[parameters]\n'
                       '"market.buyers" = { levels = [-5] }\n')
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "market.buyers = -5" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()  # nothing started, nothing written


@pytest.mark.parametrize("name", ["relationship_advantage.toml", "relationship_levers_morris.toml"])
def test_the_example_sweep_files_are_valid(name):
    from support import ROOT

    spec = load_sweep(ROOT / "sweeps" / name)
    assert spec.parameters and spec.replicates >= 1


# --------------------------------------------------------------------------- factors, derived keys, outcomes, variants

CASES = '''[sweep]
scenario = "base.toml"
[parameters]
"buyers.switching_cost" = { levels = [0.0, 0.3] }
[parameters.switched_off.cases]
nothing = {}
"no referrals" = { "mechanisms.referrals" = false }
"no premium or referrals" = { "mechanisms.referrals" = false, "mechanisms.price_premium" = false }
'''


def test_a_factor_with_cases_sets_each_case_s_overrides_at_its_points(tmp_path):
    from sim.experiment.designs import design_points, point_overrides

    spec = load_sweep(write_sweep(tmp_path, CASES))
    factor = spec.parameters[1]
    assert factor.factor and factor.levels == ("nothing", "no referrals", "no premium or referrals")
    points = design_points(spec)
    assert len(points) == 6 and set(points["switched_off"]) == set(factor.levels)
    row = points[(points["switched_off"] == "no premium or referrals")
                 & (points["buyers.switching_cost"] == 0.3)].iloc[0].to_dict()
    # the factor's own name is no scenario key: only its case's overrides are applied
    assert point_overrides(spec, row) == {"buyers.switching_cost": 0.3, "mechanisms.referrals": False,
                                          "mechanisms.price_premium": False}
    nothing = points[points["switched_off"] == "nothing"].iloc[0].to_dict()
    assert point_overrides(spec, nothing) == {"buyers.switching_cost": nothing["buyers.switching_cost"]}


DERIVED = '''[sweep]
scenario = "base.toml"
[parameters]
"suppliers.count" = { levels = [1, 2] }
beta_over_beta_c = { levels = [0.5, 2.0] }
[derived]
"behaviour.choice_intensity" = "{beta_over_beta_c} * {suppliers.count} * 0.2"
'''


def test_a_derived_key_is_computed_from_the_point_s_parameters(tmp_path):
    from sim.experiment.designs import design_points, point_overrides

    spec = load_sweep(write_sweep(tmp_path, DERIVED))
    values = {(r["suppliers.count"], r["beta_over_beta_c"]): point_overrides(spec, r)
              for r in design_points(spec).to_dict("records")}
    assert values[(2, 2.0)] == {"suppliers.count": 2, "behaviour.choice_intensity": pytest.approx(0.8)}
    assert values[(1, 0.5)]["behaviour.choice_intensity"] == pytest.approx(0.1)
    assert spec.identity()["derived"] == {"behaviour.choice_intensity": "{beta_over_beta_c} * {suppliers.count} * 0.2"}


def test_a_variant_changes_the_tables_it_names_and_keeps_the_rest(tmp_path):
    body = GRID + '[set]\n"market.steps" = 8\n"market.buyers" = 90\n' \
        '[variants.quick]\nsweep = { replicates = 1 }\nset = { "market.buyers" = 40 }\n' \
        'parameters = { "buyers.switching_cost" = { levels = [0.0] } }\n'
    path = write_sweep(tmp_path, body)
    full, quick = load_sweep(path), load_sweep(path, "quick")
    assert (full.replicates, full.scenario.market.buyers, len(full.parameters[0].levels)) == (2, 90, 2)
    assert (quick.replicates, quick.scenario.market.buyers, quick.scenario.market.steps) == (1, 40, 8)
    assert quick.parameters[0].levels == (0.0,) and quick.parameters[1] == full.parameters[1]
    assert quick.variant == "quick" and full.variant is None
    with pytest.raises(ScenarioError, match=r"--variant 'quik': no \[variants.quik\] table.*did you mean 'quick'"):
        load_sweep(path, "quik")


def test_an_outcome_is_read_off_the_last_share_of_a_series(tmp_path):
    spec = load_sweep(write_sweep(tmp_path, GRID + '[outcomes]\nloyalty = { series = "market", column = '
                                  '"loyalty_concentration", last = 0.5 }\nlast_trust = { column = "mean_trust", '
                                  'statistic = "final" }\n'))
    loyalty, last_trust = spec.outcomes
    assert loyalty.of([1.0, 2.0, 3.0, 4.0, 5.0]) == pytest.approx(4.0)  # the last 3 of 5 steps
    assert last_trust.of([0.1, 0.7]) == 0.7 and last_trust.series == "market"


BAD_EXTENSIONS = [
    (CASES.replace('"no referrals" = { "mechanisms.referrals"', '"no referrals" = { "mechanisms.referals"'),
     'parameters."switched_off".cases.no referrals: the scenario refuses it'),
    (CASES.replace("[parameters.switched_off.cases]", '[parameters."buyers.cases".cases]'),
     "a parameter with cases is a factor: give it a name of your own without a dot"),
    ('[sweep]\nscenario = "base.toml"\n[parameters]\nbeta = { levels = [1.0] }\n',
     'parameters."beta": not a scenario key'),
    (DERIVED.replace("{suppliers.count} * 0.2", "{suppliers.cont} * 0.2"),
     "{suppliers.cont} is not a parameter of this sweep (did you mean 'suppliers.count'?)"),
    (DERIVED.replace("* 0.2", "* __import__('os')"), "must be arithmetic"),
    (DERIVED.replace("* 0.2", "* -5"), 'derived."behaviour.choice_intensity" = -2.5: the scenario refuses it'),
    (DERIVED.replace('"behaviour.choice_intensity"', '"suppliers.count"'), "suppliers.count is already varied"),
    (GRID + '[outcomes]\nloyalty = { series = "suppliers", column = "x" }\n',
     "outcomes.loyalty.series = 'suppliers': must be one of 'market'"),
    (GRID + '[outcomes]\nloyalty = { column = "loyalty_concentration", last = 0 }\n',
     "outcomes.loyalty.last = 0: must be the share of the run's last steps it covers"),
    (GRID + '[variants.quick]\nsett = { "market.buyers" = 40 }\n',
     "variants.quick.sett: unknown table (did you mean 'set'?)"),
]


@pytest.mark.parametrize(("body", "expected"), BAD_EXTENSIONS, ids=[e for _, e in BAD_EXTENSIONS])
def test_bad_factors_derived_keys_outcomes_and_variants_get_one_clear_message(tmp_path, body, expected):
    path = write_sweep(tmp_path, body)
    with pytest.raises(ScenarioError) as caught:
        load_sweep(path, "quick" if "[variants.quick]" in body else None)
    text = "\n".join(caught.value.messages)
    assert expected in text
    assert all(str(path) in m for m in caught.value.messages)


@pytest.mark.parametrize("study", ["advantage_grid", "reichheld_sasser", "kotler_matrix", "wkh_transition"])
def test_the_studies_sweep_files_and_all_their_variants_are_valid(study):
    from support import ROOT

    from sim.config.scenario import read_toml

    path = ROOT / "experiments" / study / "sweep.toml"
    variants = list(read_toml(path).get("variants", {}))
    assert "quick" in variants
    for variant in [None, *variants]:
        spec = load_sweep(path, variant)
        assert spec.parameters and spec.replicates >= 1


def test_a_missing_sweep_file_is_called_a_sweep_file(tmp_path, capsys):
    assert main(["sweep", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "nope.toml: no such sweep file" in err and "Traceback" not in err


def test_a_misspelt_field_for_every_segment_is_one_message_not_one_per_segment(tmp_path):
    """``buyers.FIELD`` reaches every segment; a misspelt FIELD is reported once, as written."""
    two = (tmp_path / "two.toml")
    two.write_text('[market]\nbuyers = 50\nsteps = 5\n[[segments]]\nname = "a"\nshare = 0.5\n'
                   '[[segments]]\nname = "b"\nshare = 0.5\n[[suppliers]]\nname = "S"\n')
    path = write_sweep(tmp_path, '[sweep]\nscenario = "two.toml"\n[parameters]\n'
                                 '"buyers.switching_kost" = { levels = [0.1] }\n')
    with pytest.raises(ScenarioError) as caught:
        load_sweep(path)
    unknown = [m for m in caught.value.messages if "switching_kost" in m]
    assert len(unknown) == 1
    assert "buyers.switching_kost = 0.1: unknown key (did you mean 'switching_cost'?)" in unknown[0]
