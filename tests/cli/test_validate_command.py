"""``relsim validate`` on sweep files: checked as ``relsim sweep`` checks them before it runs,
with a one-line summary, or the sweep command's own message."""

from __future__ import annotations

import pytest
from support import ROOT
from sweep_support import GRID, write_sweep

from sim.cli.main import main


def relsim(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", ["relationship_advantage.toml", "relationship_levers_morris.toml"])
def test_the_example_sweep_files_validate_with_their_size_and_design(capsys, name):
    path = ROOT / "sweeps" / name
    code, out, err = relsim(capsys, "validate", str(path))
    assert code == 0 and err == ""
    assert out.startswith(f"{path}: ok — sweep ")
    if name == "relationship_advantage.toml":
        assert ("25 point(s) x 10 replicate(s) x 2 alternatives = 500 runs (the 2 alternatives on the same "
                "seed), grid design over 2 parameter(s)") in out
    else:  # 20 trajectories of 5 parameters: 120 rows, some of them points already visited
        assert "120 trajectory points (" in out and "morris design over 5 parameter(s)" in out


def test_a_sweep_file_and_its_variants_are_summarised_and_nothing_runs(tmp_path, capsys):
    path = write_sweep(tmp_path, GRID + '[variants.quick]\nsweep = { replicates = 1 }\n')
    code, out, _ = relsim(capsys, "validate", str(path), str(tmp_path / "base.toml"))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (f"{path}: ok — sweep 'tiny grid': 6 point(s) x 2 replicate(s) = 12 runs, grid design "
                        f"over 2 parameter(s)")
    assert lines[1] == "  variant quick: sweep 'tiny grid': 6 point(s) x 1 replicate(s) = 6 runs, grid design " \
                       "over 2 parameter(s)"
    assert lines[2].startswith(f"{tmp_path / 'base.toml'}: ok — 'tiny market'")  # a scenario beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.toml", "sweep.toml"]


BAD_SWEEPS = {
    "misspelt-alternative": (GRID + '[compare]\nalternatives = ["transactional", "relationshp"]\n',
                             "compare.alternatives = ['transactional', 'relationshp']: 'relationshp': no such "
                             "strategy (did you mean 'relationship'?)"),
    "unknown-outcome-column": (GRID + '[outcomes]\nloyalty = { series = "market", column = "loyalty" }\n',
                               "outcomes.loyalty.column = 'loyalty': not a column of the market series"),
    "bad-level": (GRID.replace("levels = [0.0, 0.3]", "levels = [0.0, -3]"), "buyers.switching_cost"),
    "bad-variant": (GRID + '[variants.quick]\nsweep = { replicates = 0 }\n', "sweep.replicates = 0"),
    # a misspelt table is one mistake, not also the table it stands for missing
    "misspelt-parameters-table": (GRID.replace("[parameters]", "[parameter]"),
                                  "parameter: unknown table (did you mean 'parameters'?)"),
    "misspelt-sweep-table": (GRID.replace("[sweep]", "[swep]"), "swep: unknown table (did you mean 'sweep'?)"),
}


@pytest.mark.parametrize("name", BAD_SWEEPS)
def test_a_bad_sweep_file_gets_the_sweep_commands_own_message_and_exit_2(tmp_path, capsys, name):
    body, expected = BAD_SWEEPS[name]
    path = write_sweep(tmp_path, body)
    code, out, err = relsim(capsys, "validate", str(path))
    assert code == 2 and out == "" and expected in err and str(path) in err
    assert "Traceback" not in err
    assert "unknown table" not in err if "misspelt" not in name else err.count("\n") == 1
    if name != "bad-variant":  # the sweep command runs the file as it stands
        assert relsim(capsys, "sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "1",
                      "--no-progress")[2] == err
    else:
        assert relsim(capsys, "sweep", str(path), "--variant", "quick", "--out", str(tmp_path / "out"),
                      "--workers", "1", "--no-progress")[2] == err
    assert not (tmp_path / "out").exists()


def test_set_given_with_a_sweep_file_says_where_a_sweeps_changes_go(tmp_path, capsys):
    path = write_sweep(tmp_path)
    code, _, err = relsim(capsys, "validate", str(path), "--set", "market.buyers=50")
    assert code == 2 and "this is a sweep file, whose fixed changes go in its [set] table" in err


def test_a_bad_level_of_a_key_for_every_segment_gets_one_message_from_validate_and_sweep(tmp_path, capsys):
    path = write_sweep(tmp_path, GRID.replace("levels = [0.0, 0.3]", "levels = [0.0, -3]"))
    with (tmp_path / "base.toml").open("a") as base:  # two segments: the key reaches both
        base.write('\n[[segments]]\nname = "large"\nshare = 0.2\n\n[[segments]]\nname = "small"\nshare = 0.8\n')
    code, _, err = relsim(capsys, "validate", str(path))
    assert code == 2 and err == (f'error: {path}: parameters."buyers.switching_cost" = -3.0: the scenario refuses '
                                 f"it: buyers.switching_cost = -3.0: must be a number >= 0\n")
    assert relsim(capsys, "sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "1",
                  "--no-progress")[2] == err
    assert not (tmp_path / "out").exists()


def test_a_sweep_file_given_to_run_or_compare_and_a_scenario_given_to_sweep_get_one_message(tmp_path, capsys):
    path = write_sweep(tmp_path)
    for command in ("run", "compare"):
        code, _, err = relsim(capsys, command, str(path), "--out", str(tmp_path / "out"))
        assert (code, err) == (2, f"error: {path}: a sweep file (it has a [sweep] or [parameters] table), not a "
                                  f"scenario file; run it with `relsim sweep {path} --out FOLDER`, or give the "
                                  f"scenario file its sweep.scenario names\n")
    base = tmp_path / "base.toml"
    code, _, err = relsim(capsys, "sweep", str(base), "--out", str(tmp_path / "out"), "--no-progress")
    assert (code, err) == (2, f"error: {base}: a scenario file, not a sweep file: a sweep file has a [sweep] table "
                              f"naming its scenario and [parameters] to vary (docs/SWEEPS.md); `relsim run {base}` "
                              f"runs this scenario\n")
    assert not (tmp_path / "out").exists()
