"""Bad input gets one clear message and exit code 2, never a traceback.

Every case is checked twice: through the ``relsim`` command in its own process (exit code,
stderr naming the file, key, value and what is allowed) and through the Python API
(:class:`ScenarioError` carrying the same lines)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import ROOT

from sim.config import Scenario, load_scenario, parse_override_value
from sim.config.schema import ScenarioError
from sim.experiment.run import run

SCENARIOS = ROOT / "scenarios"

#: A small valid scenario that uses every kind of table; each bad file below changes one thing.
VALID = """\
[market]
name = "Error-message market"
buyers = 300
steps = 12
seed = 7
discount_rate = 0.01
record_events = true

[[segments]]
name = "key accounts"
share = 0.1
demand = { dist = "lognormal", median = 20.0, sigma = 0.5 }
price_sensitivity = 2.0

[[segments]]
name = "small business"
share = 0.9
price_sensitivity = 4.0

[strategies.premium]
based_on = "relationship"
markup = 0.5

[[suppliers]]
name = "PriceLine"
strategy = "transactional"
count = 2
quality = 0.7

[[suppliers]]
name = "Partners"
strategy = "premium"

[[events]]
step = 6
kind = "price_change"
supplier = "PriceLine"
markup = 0.1
"""


def edit(old: str, new: str) -> str:
    assert VALID.count(old) == 1, f"{old!r} must occur once in VALID"
    return VALID.replace(old, new)


MISSING, FOLDER = object(), object()

#: name -> (content of the scenario file, fragments its error message must contain)
BAD_FILES: dict[str, tuple[object, list[str]]] = {
    "unknown-table": (VALID + "\n[marke]\nbuyers = 3\n",
                      ["marke: unknown table", "(did you mean 'market'?)", "allowed: market, behaviour"]),
    "unknown-market-key": (edit("buyers = 300", "buyrs = 300"),
                           ["market.buyrs = 300: unknown key", "(did you mean 'buyers'?)", "allowed keys here:"]),
    "unknown-segment-key": (edit("price_sensitivity = 2.0", "price_sensitivty = 2.0"),
                            ["segments[key accounts].price_sensitivty = 2.0: unknown key",
                             "(did you mean 'price_sensitivity'?)", "allowed keys here:"]),
    "unknown-supplier-key": (edit("quality = 0.7", "qualty = 0.7"),
                             ["suppliers[PriceLine].qualty = 0.7: unknown key", "(did you mean 'quality'?)",
                              "or any strategy field"]),
    "unknown-distribution-key": (edit("sigma = 0.5", "sigm = 0.5"),
                                 ["segments[key accounts].demand.sigm = 0.5: unknown key for a lognormal distribution",
                                  "(did you mean 'sigma'?)", "allowed: dist, median, sigma"]),
    "unknown-strategy-key": (edit("markup = 0.5", "markp = 0.5"),
                             ["strategies.premium.markp = 0.5: unknown key", "(did you mean 'markup'?)"]),
    "text-for-number": (edit("buyers = 300", 'buyers = "many"'),
                        ["market.buyers = 'many'", "must be a whole number from 1 to 50,000,000"]),
    "number-for-bool": (edit("record_events = true", "record_events = 1"),
                        ["market.record_events = 1", "must be true or false"]),
    "float-for-int": (edit("buyers = 300", "buyers = 2.5"),
                      ["market.buyers = 2.5", "must be a whole number from 1 to 50,000,000"]),
    "negative-buyers": (edit("buyers = 300", "buyers = -5"),
                        ["market.buyers = -5", "must be a whole number from 1 to 50,000,000"]),
    "zero-steps": (edit("steps = 12", "steps = 0"),
                   ["market.steps = 0", "must be a whole number from 1 to 10,000"]),
    "zero-supplier-count": (edit("count = 2", "count = 0"),
                            ["suppliers[PriceLine].count = 0", "must be a whole number from 1 to 10,000"]),
    "nan": (edit("discount_rate = 0.01", "discount_rate = nan"),
            ["market.discount_rate = nan", "NaN is not allowed", "a number from 0 to 1"]),
    "inf": (edit("discount_rate = 0.01", "discount_rate = inf"),
            ["market.discount_rate = inf", "must be finite", "a number from 0 to 1"]),
    "nan-in-distribution": (edit("median = 20.0", "median = nan"),
                            ["segments[key accounts].demand.median = nan", "NaN is not allowed"]),
    "unknown-distribution": (edit('dist = "lognormal"', 'dist = "lognormall"'),
                             ["segments[key accounts].demand.dist = 'lognormall'", "must be one of 'constant'",
                              "(did you mean 'lognormal'?)"]),
    "unknown-strategy": (edit('strategy = "premium"', 'strategy = "premum"'),
                         ["suppliers[Partners].strategy = 'premum'", "no such strategy",
                          "(did you mean 'premium'?)", "known: accountable"]),
    "unknown-base-strategy": (edit('based_on = "relationship"', 'based_on = "relationshp"'),
                              ["strategies.premium.based_on = 'relationshp'", "must be a preset or another strategy",
                               "(did you mean 'relationship'?)"]),
    "base-strategy-not-text": (edit('based_on = "relationship"', "based_on = [1]"),
                               ["strategies.premium.based_on = [1]", "must be a preset or another strategy"]),
    "strategy-not-a-table": (VALID.replace("[strategies.premium]\n", "[strategies]\nbasic = 3\n"
                                           "[strategies.premium]\n"),
                             ["strategies.basic = 3", "must be a [strategies.NAME] table"]),
    "unknown-level": (edit("markup = 0.5", 'markup = 0.5\nlevel = "proactiv"'),
                      ["strategies.premium.level = 'proactiv'", "must be one of 'basic'",
                       "(did you mean 'proactive'?)"]),
    "shares-not-one": (edit("share = 0.9", "share = 0.8"),
                       ["segments[*].share = [0.1, 0.8]", "shares must add up to 1 (they add up to 0.9)"]),
    "event-unknown-supplier": (edit('supplier = "PriceLine"', 'supplier = "PriceLyne"'),
                               ["events[0].supplier = 'PriceLyne'", "no such supplier",
                                "(did you mean 'PriceLine'?)", "known: Partners"]),
    "malformed-toml": (edit("buyers = 300", "buyers = = 300"), ["not valid TOML", "line 3 reads 'buyers = = 300'"]),
    # TOML's own message does not say which key it means: the line it points at does
    "key-given-twice": (edit("steps = 12", "steps = 12\nsteps = 24"),
                        ["not valid TOML: Cannot overwrite a value", "line 5 reads 'steps = 24'"]),
    "distribution-without-family": (edit('dist = "lognormal", median', "median"),
                                    ["segments[key accounts].demand = {median = 20.0, sigma = 0.5}: a distribution "
                                     'table names its family: add dist = "lognormal" (keys: median, sigma)']),
    "event-without-supplier": (edit('supplier = "PriceLine"\n', ""),
                               ["events[0]: a price_change event needs supplier = the name of a supplier",
                                "known: Partners, PriceLine, PriceLine 1, PriceLine 2, '*'"]),
    "not-utf8": (b"\xff\xfe[market]", ["not UTF-8 text", "save the scenario file as UTF-8"]),
    # an entry is named by the name the file gives it, as --set suppliers[NAME].FIELD addresses it
    "wrong-type-in-named-supplier": (edit("quality = 0.7", 'quality = "high"'),
                                     ["suppliers[PriceLine].quality = 'high'", "must be a number from 0 to 10"]),
    "out-of-range-in-named-segment": (edit("price_sensitivity = 4.0", "price_sensitivity = -4.0"),
                                      ["segments[small business].price_sensitivity = -4.0", "a number >= 0"]),
    "bad-distribution-in-named-segment": (edit('dist = "lognormal", median = 20.0, sigma = 0.5',
                                               'dist = "uniform", low = 0.5'),
                                          ["segments[key accounts].demand: a uniform distribution needs 'high'"]),
    # ... and by position where it has no name, or shares its name with another entry
    "unknown-key-of-unnamed-supplier": (VALID + '\n[[suppliers]]\nstrategy = "basic"\nqualty = 0.7\n',
                                        ["suppliers[2].qualty = 0.7: unknown key", "(did you mean 'quality'?)"]),
    "unknown-key-of-supplier-sharing-a-name": (
        VALID + '\n[[suppliers]]\nname = "Partners"\nqualty = 0.7\n',
        ["suppliers[2].qualty = 0.7: unknown key"]),
    "missing-file": (MISSING, ["no such scenario file"]),
    "folder-as-file": (FOLDER, ["is a folder, not a scenario file"]),
}

#: name -> (--set argument applied to VALID, fragments its error message must contain)
BAD_SETS: dict[str, tuple[str, list[str]]] = {
    # a key that reaches every segment is named as typed, once (one_message_per_key below)
    "text-for-number": ("buyers.switching_cost=abc",
                        ["with --set", "buyers.switching_cost = 'abc'", "must be a number >= 0"]),
    "unknown-table": ("nosuch.key=1", ["with --set", "nosuch.key = 1", "unknown key",
                                       "TABLE one of market, behaviour"]),
    "misspelt-table": ("markt.buyers=1", ["markt.buyers = 1", "(did you mean 'market'?)"]),
    "table-without-field": ("market=1", ["market = 1", "name a field of the table"]),
    "unknown-market-key": ("market.buyrs=5", ["with --set", "market.buyrs = 5: unknown key",
                                              "(did you mean 'buyers'?)", "allowed keys here:"]),
    "negative-count": ("market.buyers=-5", ["market.buyers = -5", "a whole number from 1 to 50,000,000"]),
    "nan-count": ("market.steps=nan", ["market.steps = nan", "a whole number from 1 to 10,000"]),
    "inf-rate": ("behaviour.trust_loss=inf", ["behaviour.trust_loss = inf", "must be finite"]),
    "number-for-bool": ("mechanisms.escalation=1", ["mechanisms.escalation = 1", "must be true or false"]),
    "unknown-supplier": ("suppliers[PriceLyne].markup=0.3",
                         ["suppliers[PriceLyne].markup = 0.3", "no supplier named or numbered 'PriceLyne'",
                          "(did you mean 'PriceLine'?)", "(or an index, 0 to 1)"]),
    # a supplier or segment addressed by name is named so in the message, not by its position
    "bad-value-of-named-supplier": ("suppliers[Partners].markup=-1",
                                    ["suppliers[Partners].markup = -1.0", "must be a number from 0 to 100"]),
    "misspelt-key-of-named-supplier": ("suppliers[Partners].markp=1",
                                       ["suppliers[Partners].markp = 1", "(did you mean 'markup'?)"]),
    "bad-strategy-of-named-supplier": ("suppliers[Partners].strategy=relationshp",
                                       ["suppliers[Partners].strategy = 'relationshp'", "no such strategy"]),
    "bad-value-of-named-segment": ("segments[key accounts].switching_cost=-1",
                                   ["segments[key accounts].switching_cost = -1.0", "must be a number >= 0"]),
    # an entry addressed by position is named by position, as typed, though it has a name
    "bad-value-of-supplier-by-position": ("suppliers[1].markup=-1",
                                          ["suppliers[1].markup = -1.0", "must be a number from 0 to 100"]),
    "copy-made-by-an-entry": ("suppliers[PriceLine 2].markup=0.3",
                              ["suppliers[PriceLine 2].markup = 0.3: 'PriceLine 2' is one of the 2 suppliers that "
                               "the entry 'PriceLine' makes (count = 2)", "set suppliers[PriceLine].markup"]),
    # one parameter of a segment's distribution: only where the attribute has one
    "bad-distribution-parameter": ("segments[key accounts].demand.median=-3",
                                   ["segments[key accounts].demand.median = -3.0: must be a number >= 0"]),
    "parameter-of-a-plain-attribute": ("buyers.price_sensitivity.mean=1",
                                       ["buyers.price_sensitivity.mean = 1: segments[key accounts] and "
                                        "segments[small business] give every buyer the same price_sensitivity",
                                        "set the whole of it, e.g. buyers.price_sensitivity={dist"]),
    "parameter-of-a-number": ("buyers.share.mean=1", ["buyers.share.mean = 1: share is one number per segment, "
                                                      "not a distribution; set buyers.share=VALUE"]),
    "no-such-event-position": ("events[3].step=1", ["events[3].step = 1", "no event named or numbered '3'",
                                                    "give an index, 0 to 0"]),
    "unknown-event": ("events[first].step=1", ["events[first].step = 1", "no event named or numbered"]),
    "unknown-strategy": ("strategies.premum.markup=1",
                         ["strategies.premum.markup = 1", "no such strategy", "(did you mean 'premium'?)"]),
    "unknown-strategy-for-supplier": ("suppliers[0].strategy=relationshp",
                                      ["suppliers[0].strategy = 'relationshp'", "no such strategy",
                                       "(did you mean 'relationship'?)"]),
}


@dataclass(frozen=True)
class ArgumentCase:
    argv: list[str]            # after `relsim`; VALID stands for the valid scenario file
    fragments: list[str]       # in the command's stderr
    api: Callable[[Scenario], object] | None = None  # the same mistake through the Python API
    api_fragments: tuple[str, ...] = ()  # in the ScenarioError it raises


BAD_ARGUMENTS: dict[str, ArgumentCase] = {
    "zero-steps": ArgumentCase(["run", "VALID", "--steps", "0"], ["--steps = 0: must be >= 1"],
                               lambda scenario: scenario.with_overrides({"market.steps": 0}),
                               ("market.steps = 0", "a whole number from 1 to 10,000")),
    "negative-replicates": ArgumentCase(["run", "VALID", "--replicates", "-1"],
                                        ["--replicates = -1: must be >= 1"],
                                        lambda scenario: run(scenario, replicates=-1),
                                        ("market.replicates = -1", "a whole number from 1 to 1,000,000")),
    "text-steps": ArgumentCase(["run", "VALID", "--steps", "ten"], ["--steps = 'ten': must be a whole number"],
                               lambda scenario: scenario.with_overrides({"market.steps": "ten"}),
                               ("market.steps = 'ten'", "a whole number")),
    "negative-seed": ArgumentCase(["run", "VALID", "--seed", "-1"], ["--seed = -1: must be >= 0"],
                                  lambda scenario: run(scenario, seed=-1),
                                  ("market.seed = -1", "a whole number >= 0")),
    "zero-workers": ArgumentCase(["run", "VALID", "--workers", "0"], ["--workers = 0: must be >= 1"]),
    "unwritable-out": ArgumentCase(["run", "VALID", "--out", "/dev/null/results"],
                                   ["/dev/null/results: cannot create the results folder"],
                                   lambda scenario: run(scenario, out="/dev/null/results"),
                                   ("/dev/null/results: cannot create the results folder",)),
    "set-without-value": ArgumentCase(["validate", "VALID", "--set", "market.buyers"],
                                      ["--set 'market.buyers': expected KEY=VALUE"]),
}


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """The valid scenario and every bad one, written to a folder."""
    folder = tmp_path_factory.mktemp("scenarios")
    paths = {"VALID": folder / "valid.toml"}
    paths["VALID"].write_text(VALID)
    for name, (content, _) in BAD_FILES.items():
        path = paths[name] = folder / f"{name}.toml"
        if content is FOLDER:
            path.mkdir()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content)
    return paths


#: Runs each command line in its own process, forked from one that has already loaded the
#: scenario code, through the installed `relsim` entry point exactly as the console script
#: calls it (``sys.exit(main())``): real exit codes and real stderr, tracebacks included, for
#: a fraction of the cost of starting Python and importing NumPy once per case. The parent
#: stays single-threaded (no BLAS threads; pandas, whose pyarrow starts one, is left to the
#: children) so that forking it is safe, and freezes its objects so children exit quickly.
_FORKING_DRIVER = """
import gc, json, os, sys, warnings
from importlib.metadata import entry_points

import sim.config

main = entry_points(group="console_scripts")["relsim"].load()
gc.freeze()
codes = {}
for case in json.load(sys.stdin):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # the one os.fork gives a threaded parent
        pid = os.fork()
    if pid == 0:
        os.chdir(case["cwd"])
        for fd, name in ((1, case["stdout"]), (2, case["stderr"])):
            os.dup2(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
        sys.argv = ["relsim", *case["argv"]]
        sys.exit(main())
    codes[case["name"]] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
json.dump(codes, sys.stdout)
"""


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def capture(tmp_path_factory) -> Path:
    """Working folder of the command lines, and where their output is kept."""
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def cli(files, capture) -> dict[str, Outcome]:
    """Every command line of this module, run once: name -> exit code, stdout, stderr."""
    runs = {"valid": ["validate", str(files["VALID"])]}
    runs |= {f"file:{name}": ["validate", str(files[name])] for name in BAD_FILES}
    runs |= {f"set:{name}": ["validate", str(files["VALID"]), "--set", setting]
             for name, (setting, _) in BAD_SETS.items()}
    runs |= {f"args:{name}": [str(files["VALID"]) if a == "VALID" else a for a in case.argv]
             for name, case in BAD_ARGUMENTS.items()}
    runs["run:bad-file"] = ["run", str(files["shares-not-one"]), "--out", str(capture / "never-written")]
    runs |= {f"shipped:{path.name}": ["validate", str(path)] for path in sorted(SCENARIOS.glob("*.toml"))}
    cases = [{"name": name, "argv": argv, "cwd": str(capture), "stdout": str(capture / f"{k}.out"),
              "stderr": str(capture / f"{k}.err")} for k, (name, argv) in enumerate(runs.items())]
    proc = subprocess.run([sys.executable, "-c", _FORKING_DRIVER], input=json.dumps(cases),
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr
    codes = json.loads(proc.stdout)
    return {c["name"]: Outcome(codes[c["name"]], Path(c["stdout"]).read_text(), Path(c["stderr"]).read_text())
            for c in cases}


def assert_one_clear_error(outcome: Outcome, fragments: list[str], file: Path | None = None) -> None:
    assert outcome.code == 2, outcome.stderr
    assert "Traceback" not in outcome.stderr
    for fragment in fragments:
        assert fragment in outcome.stderr
    if file is not None:  # every line is our message about this file, nothing else
        lines = outcome.stderr.strip().splitlines()
        assert lines and all(line.startswith(f"error: {file}") for line in lines), outcome.stderr


# --------------------------------------------------------------------------- bad files

def test_the_valid_scenario_behind_every_bad_case_is_valid(files, cli):
    assert cli["valid"].code == 0 and cli["valid"].stdout.startswith(f"{files['VALID']}: ok")
    scenario = load_scenario(files["VALID"])
    assert [s.name for s in scenario.segments] == ["key accounts", "small business"]
    assert len(scenario.supplier_table()) == 3 and len(scenario.events) == 1


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_scenario_file_gets_a_clear_message_and_exit_code_2(name, files, cli):
    assert_one_clear_error(cli[f"file:{name}"], BAD_FILES[name][1], files[name])


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_scenario_file_raises_scenario_error_naming_file_key_and_allowed(name, files):
    with pytest.raises(ScenarioError) as raised:
        load_scenario(files[name])
    for fragment in BAD_FILES[name][1]:
        assert fragment in str(raised.value)
    assert raised.value.messages and all(m.startswith(str(files[name])) for m in raised.value.messages)


def test_cli_prints_exactly_the_messages_of_the_api(files, cli):
    with pytest.raises(ScenarioError) as raised:
        load_scenario(files["unknown-distribution-key"])
    lines = cli["file:unknown-distribution-key"].stderr.strip().splitlines()
    assert lines == [f"error: {m}" for m in raised.value.messages]


def test_every_mistake_in_a_file_is_reported_at_once(tmp_path):
    path = tmp_path / "three-mistakes.toml"
    path.write_text(edit("buyers = 300", "buyers = -5\nbuyrs = 3").replace("count = 2", "count = 2.5"))
    with pytest.raises(ScenarioError) as raised:
        load_scenario(path)
    messages = raised.value.messages
    assert len(messages) == 3
    for fragment in ("market.buyers = -5", "market.buyrs = 3: unknown key", "suppliers[PriceLine].count = 2.5"):
        assert any(fragment in m for m in messages), fragment


def test_bad_file_given_to_run_writes_no_results(files, cli, capture):
    assert_one_clear_error(cli["run:bad-file"], ["shares must add up to 1"], files["shares-not-one"])
    assert not (capture / "never-written").exists()


# --------------------------------------------------------------------------- bad --set

@pytest.mark.parametrize("name", BAD_SETS)
def test_bad_set_gets_a_clear_message_and_exit_code_2(name, files, cli):
    assert_one_clear_error(cli[f"set:{name}"], BAD_SETS[name][1], files["VALID"])


@pytest.mark.parametrize("name", BAD_SETS)
def test_bad_override_raises_scenario_error(name, files):
    key, _, text = BAD_SETS[name][0].partition("=")
    scenario = load_scenario(files["VALID"])
    with pytest.raises(ScenarioError) as raised:
        scenario.with_overrides({key: parse_override_value(text)})
    for fragment in BAD_SETS[name][1]:
        assert fragment in str(raised.value)
    assert all(m.startswith(f"{files['VALID']} with --set: ") for m in raised.value.messages)


#: keys that reach every entry of a table, each with a bad value -> the start of its one message
EVERY_ENTRY_SETS = {
    "buyers.demand=abc": "buyers.demand = 'abc': must be a number >= 0 or a table like",
    "segments.demand=abc": "segments.demand = 'abc': must be a number >= 0 or a table like",
    'buyers.demand={dist = "lognormal", median = -1, sigma = 1}': "buyers.demand.median = -1.0: must be a number >= 0",
    "buyers.demand.median=-1": "buyers.demand.median = -1.0: must be a number >= 0",
    "buyers.max_suppliers=0": "buyers.max_suppliers = 0: must be a whole number from 1 to 20",
    "suppliers.markup=abc": "suppliers.markup = 'abc': must be a number from 0 to 100",
    "suppliers.qualty=1": "suppliers.qualty = 1: unknown key (did you mean 'quality'?)",
    "suppliers.strategy=relationshp": "suppliers.strategy = 'relationshp': no such strategy",
}


@pytest.mark.parametrize("setting", EVERY_ENTRY_SETS)
def test_a_key_for_every_entry_gets_one_message_naming_the_key_as_typed(setting, files):
    key, _, text = setting.partition("=")
    scenario = load_scenario(files["VALID"])
    with pytest.raises(ScenarioError) as raised:
        scenario.with_overrides({key: parse_override_value(text)})
    assert raised.value.messages == [m for m in raised.value.messages if m.startswith(
        f"{files['VALID']} with --set: {EVERY_ENTRY_SETS[setting]}")]
    assert len(raised.value.messages) == 1


def test_run_compare_and_validate_give_the_same_one_message_for_a_key_for_every_segment(files, capsys, tmp_path):
    from sim.cli.main import main

    expected = (f"error: {files['VALID']} with --set: buyers.demand = 'abc': must be a number >= 0 or a table like "
                '{dist = "lognormal", median = 1.0, sigma = 0.8}\n')
    for command in (["validate"], ["run", "--out", str(tmp_path / "run")], ["compare", "--out", str(tmp_path / "cmp")]):
        code = main([command[0], str(files["VALID"]), *command[1:], "--set", "buyers.demand=abc"])
        assert (code, capsys.readouterr().err) == (2, expected), command
    assert list(tmp_path.iterdir()) == []


def test_a_supplier_whose_name_holds_a_dot_is_set_and_named_by_that_name(tmp_path):
    path = tmp_path / "dotted.toml"
    path.write_text(edit('name = "Partners"', 'name = "Acme Inc."'))
    scenario = load_scenario(path)
    assert scenario.with_overrides({"suppliers[Acme Inc.].markup": 0.2}).suppliers[1].overrides["markup"] == 0.2
    with pytest.raises(ScenarioError) as raised:
        scenario.with_overrides({"suppliers[Acme Inc.].markup": -0.2})
    assert raised.value.messages == [f"{path} with --set: suppliers[Acme Inc.].markup = -0.2: must be a number "
                                     f"from 0 to 100"]


def test_one_parameter_of_a_segments_distribution_is_set_and_the_others_kept(files):
    scenario = load_scenario(files["VALID"]).with_overrides({"segments[key accounts].demand.median": 30})
    assert (scenario.segments[0].demand.dist, scenario.segments[0].demand.median,
            scenario.segments[0].demand.sigma) == ("lognormal", 30.0, 0.5)
    assert scenario.segments[1].demand.median == 1.0


def test_setting_an_event_of_a_scenario_without_events_says_there_are_none(tmp_path):
    path = tmp_path / "no-events.toml"
    path.write_text(VALID[:VALID.index("[[events]]")])
    with pytest.raises(ScenarioError) as raised:
        load_scenario(path).with_overrides({"events[0].step": 3})
    assert raised.value.messages == [f"{path} with --set: events[0].step = 3: this scenario has no [[events]] "
                                     f"tables; add the event to the scenario file"]


def test_overrides_on_an_overridden_scenario_name_their_source_once(files):
    scenario = load_scenario(files["VALID"]).with_overrides({"market.buyers": 50})
    with pytest.raises(ScenarioError) as raised:
        scenario.with_overrides({"market.buyrs": 5})
    assert raised.value.messages[0].startswith(f"{files['VALID']} with --set: market.buyrs = 5: unknown key")
    assert "with --set with --set" not in str(raised.value)


def test_a_failed_override_leaves_the_scenario_unchanged(files):
    scenario = load_scenario(files["VALID"])
    with pytest.raises(ScenarioError):
        scenario.with_overrides({"market.buyers": 500, "market.steps": 0})
    assert scenario.market.buyers == 300 and scenario.market.steps == 12


# --------------------------------------------------------------------------- bad arguments

@pytest.mark.parametrize("name", BAD_ARGUMENTS)
def test_bad_command_line_argument_gets_a_clear_message_and_exit_code_2(name, cli):
    assert_one_clear_error(cli[f"args:{name}"], BAD_ARGUMENTS[name].fragments)


@pytest.mark.parametrize("name", [name for name, case in BAD_ARGUMENTS.items() if case.api])
def test_bad_argument_through_the_api_raises_scenario_error(name, files):
    case = BAD_ARGUMENTS[name]
    scenario = load_scenario(files["VALID"])
    with pytest.raises(ScenarioError) as raised:
        case.api(scenario)
    for fragment in case.api_fragments:
        assert fragment in str(raised.value)


# --------------------------------------------------------------------------- shipped scenarios

SHIPPED = sorted(SCENARIOS.glob("*.toml"))


def test_scenarios_folder_is_not_empty():
    assert SHIPPED


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_scenario_validates(path, cli):
    outcome = cli[f"shipped:{path.name}"]
    assert outcome.code == 0, outcome.stderr
    assert outcome.stdout.startswith(f"{path}: ok")
    assert load_scenario(path).suppliers


@pytest.mark.parametrize("missing, says", [
    ("kind", "events[0]: an event needs kind = one of supplier_entry, supplier_exit, price_change"),
    ("step", "events[0]: an event needs step = the step it happens at"),
])
def test_an_event_without_its_kind_or_step_is_refused_not_given_a_default(tmp_path, missing, says):
    # a demand shock without its kind used to be read as a price change, and one without its
    # step to happen in the first month
    fields = {"kind": 'kind = "demand_shock"', "step": "step = 30"}
    del fields[missing]
    path = tmp_path / "event.toml"
    path.write_text(VALID[:VALID.index("[[events]]")] + "[[events]]\n" + "\n".join(fields.values())
                    + "\nfactor = 0.8\n")
    with pytest.raises(ScenarioError) as raised:
        load_scenario(path)
    assert len(raised.value.messages) == 1 and raised.value.messages[0].startswith(f"{path}: {says}")
