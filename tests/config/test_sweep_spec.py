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
     "segments[0].switching_kost = 0.1: unknown key (did you mean 'switching_cost'?)"),
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
