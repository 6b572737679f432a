"""Property: whatever a user writes in a scenario file or on the command line, ``relsim``
either runs and exits 0 with finite results, or exits 2 with one message per problem and no
traceback — never anything else.

Scenario files and command lines are mutated at random (hypothesis): values of every kind in
known and unknown keys, distributions with random parameters, events of every kind with
random fields, ``--set``, ``--steps``, ``--replicates``. Most cases run in-process (``main``
with captured output) for speed; a handful run the real command for its exit code."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import ROOT

from sim.cli import main
from sim.config import Behaviour, Event, Market, Mechanisms, Segment, Strategy, SupplierSpec

BASE = {
    "market": {"name": "Mutated", "buyers": 60, "steps": 4, "seed": 1, "replicates": 1},
    "segments": [{"name": "key", "share": 0.3}, {"name": "rest", "share": 0.7}],
    "suppliers": [{"name": "Us", "strategy": "relationship"}, {"name": "Them", "strategy": "transactional"}],
    "events": [{"step": 2, "kind": "price_change", "supplier": "Them", "markup": 0.1}],
}
FIELDS = {
    "market": [f.name for f in dataclasses.fields(Market)],
    "behaviour": [f.name for f in dataclasses.fields(Behaviour)],
    "mechanisms": [f.name for f in dataclasses.fields(Mechanisms)],
    "segments": [f.name for f in dataclasses.fields(Segment)],
    "suppliers": [f.name for f in dataclasses.fields(SupplierSpec) if f.name != "overrides"]
    + [f.name for f in dataclasses.fields(Strategy)],
    "events": [f.name for f in dataclasses.fields(Event)],
}
# a run this small must stay small whatever the mutation: sizes are kept modest by the caller
SIZES = {("market", "buyers"): 400, ("market", "steps"): 30, ("market", "replicates"): 3,
         ("suppliers", "count"): 5, ("market", "peers_per_buyer"): 100}

numbers = st.one_of(
    st.integers(-10, 10), st.integers(-(2 ** 40), 2 ** 40),
    st.sampled_from([0.0, -0.0, 1e-6, -1e-6, 0.5, 1.0, 1.5, 5.0, 100.0, 1e6, 1e9, 1e12, 1e39, 1e306,
                     -1e306, math.inf, -math.inf, math.nan]),
    st.floats(allow_nan=True, allow_infinity=True))
scalars = st.one_of(numbers, st.booleans(), st.sampled_from(["", "Us", "Them", "*", "key", "nope", "inf",
                                                             "transactional", "basic", "demand_shock"]))
distributions = st.builds(
    lambda kind, params: {"dist": kind, **params},
    st.sampled_from(["constant", "uniform", "normal", "lognormal", "beta", "pareto", "weibull"]),
    st.dictionaries(st.sampled_from(["value", "low", "high", "mean", "sd", "median", "sigma", "concentration",
                                     "minimum", "shape", "extra"]), numbers, max_size=3))
values = st.one_of(scalars, scalars, distributions, st.lists(scalars, max_size=3),
                   st.dictionaries(st.sampled_from(["a", "value"]), scalars, max_size=2))


@st.composite
def mutations(draw) -> dict:
    data = json.loads(json.dumps(BASE))
    for _ in range(draw(st.integers(1, 4))):
        table = draw(st.sampled_from(list(FIELDS) + ["strategies", "nonsense"]))
        if table == "nonsense":
            data[draw(st.sampled_from(["markt", "segment", "nonsense"]))] = draw(values)
            continue
        if table == "strategies":
            name = draw(st.sampled_from(["mine", "relationship", "Us"]))
            body = data.setdefault("strategies", {}).setdefault(name, {})
            body[draw(st.sampled_from(FIELDS["suppliers"][-12:] + ["based_on"]))] = draw(
                st.one_of(values, st.sampled_from(["mine", "relationship", "basic", "nope"])))
            continue
        key = draw(st.sampled_from(FIELDS[table] + ["unknown_key"]))
        value = draw(values)
        if (table, key) in SIZES and isinstance(value, (int, float)) and not isinstance(value, bool) \
                and math.isfinite(value) and value > SIZES[(table, key)]:
            value = SIZES[(table, key)]
        if table in ("market", "behaviour", "mechanisms"):
            data.setdefault(table, {})[key] = value
        else:
            items = data.setdefault(table, [{}])
            if table == "events" and draw(st.booleans()):
                items.append({"step": draw(st.integers(-2, 40)), "kind": draw(st.sampled_from(
                    ["supplier_entry", "supplier_exit", "price_change", "quality_change", "demand_shock",
                     "switching_cost_change", "earthquake"]))})
            draw(st.sampled_from(items))[key] = value
    return data


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def to_toml(data: dict) -> str:
    lines = []
    for key, value in data.items():
        if isinstance(value, dict) and key == "strategies":
            for name, body in value.items():
                lines.append(f"[strategies.{json.dumps(name)}]")
                lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in body.items()]
        elif isinstance(value, dict):
            lines.append(f"[{key}]")
            lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                lines.append(f"[[{key}]]")
                lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in item.items()]
        else:
            lines.insert(0, f"{json.dumps(key)} = {toml_value(value)}")
    return "\n".join(lines) + "\n"


set_pairs = st.one_of(
    st.builds(lambda k, v: f"{k}={v}", st.sampled_from(
        ["market.steps", "market.buyers", "buyers.switching_cost", "segments[rest].share", "segment[rest].share",
         "suppliers[Us].markup", "suppliers[Nope].markup", "strategies.mine.markup", "events[0].step",
         "behaviour.trust_loss", "mechanisms.escalation", "market"]),
        st.sampled_from(["0", "-1", "0.5", "1e39", "nan", "inf", "true", "abc", "[1, 2]", "{a = 1}", "3"])),
    st.sampled_from(["novalue", "=1", "market.steps==3"]))


@st.composite
def command_lines(draw, path: str, out: str) -> list[str]:
    command = draw(st.sampled_from(["validate", "run", "run"]))
    argv = [command, path]
    for pair in draw(st.lists(set_pairs, max_size=2)):
        argv += ["--set", pair]
    if command == "run":
        argv += ["--out", out, "--workers", "1"]
        if draw(st.booleans()):
            argv += ["--steps", draw(st.sampled_from(["1", "3", "0", "-2", "ten", "5"]))]
        if draw(st.booleans()):
            argv += ["--replicates", draw(st.sampled_from(["1", "2", "0", "x"]))]
    return argv


def check_outcome(code: int, err: str, argv: list[str], out: Path) -> None:
    assert "Traceback" not in err, err
    assert code in (0, 2), (code, err)
    if code == 2:
        problems = [line for line in err.splitlines() if line.startswith("error: ") or ": error: " in line]
        assert problems, err
        assert len(problems) == len(set(problems)), f"a problem reported twice: {err}"
        for line in err.splitlines():
            assert line.startswith(("error: ", "note: ", "usage: ", "  ", "relsim ")) or "have problems" in line \
                or not line.strip(), line
        return
    if argv[0] == "run":
        for table in ("market", "suppliers"):
            frame = pd.read_parquet(out / f"{table}.parquet")
            numeric = frame.select_dtypes("number")
            assert not np.isinf(numeric.to_numpy(float)).any(), f"{table} holds inf"
        money = pd.read_parquet(out / "suppliers.parquet")[["profit", "revenue", "market_share"]]
        assert np.isfinite(money.to_numpy(float)).all()


COUNT = {"inputs": 0}
RELAXED = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def check_one_case(tmp_path: Path, capsys, data) -> None:
    COUNT["inputs"] += 1
    case = tmp_path / f"case{COUNT['inputs']}"
    case.mkdir()
    path = case / "scenario.toml"
    path.write_text(to_toml(data.draw(mutations())))
    out = case / "out"
    argv = data.draw(command_lines(str(path), str(out)))
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own refusals (a malformed option) exit 2 this way
        code = exc.code
    _, err = capsys.readouterr()
    check_outcome(code, err, argv, out)


@settings(max_examples=80, deadline=None, suppress_health_check=RELAXED)
@given(data=st.data())
def test_any_scenario_and_command_line_runs_finite_or_gets_one_message_per_problem(tmp_path, capsys, data):
    check_one_case(tmp_path, capsys, data)


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, suppress_health_check=RELAXED)
@given(data=st.data())
def test_many_mutated_inputs(tmp_path, capsys, data):
    check_one_case(tmp_path, capsys, data)


SUBPROCESS_CASES = [
    (to_toml(BASE), ["validate"]),
    (to_toml(BASE), ["run", "--workers", "1", "--steps", "3"]),
    (to_toml({**BASE, "market": {**BASE["market"], "buyers": -1}}), ["run"]),
    (to_toml(BASE).replace("[[suppliers]]", "[[suppliers]]\nunit_cost = 1e306", 1), ["run"]),
    ("x = " + "[" * 4000 + "]" * 4000, ["validate"]),
    (to_toml(BASE), ["run", "--set", "segment[rest].share=0.5"]),
]


@pytest.mark.parametrize("text,argv", SUBPROCESS_CASES)
def test_the_real_command_exits_0_or_2_without_a_traceback(tmp_path, text, argv):
    path = tmp_path / "scenario.toml"
    path.write_text(text)
    command = [argv[0], str(path), *argv[1:]] + (["--out", str(tmp_path / "out")] if argv[0] == "run" else [])
    proc = subprocess.run([sys.executable, "-m", "sim.cli", *command], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    check_outcome(proc.returncode, proc.stderr, command, tmp_path / "out")
