"""Every documented range is enforced wherever a value is given (plain values, each parameter
of a distribution, events' fields, ``--set``), nothing is clipped silently, values that would
overflow are refused with the reason, and each problem gets one message (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli.main import main

SCENARIO = """\
[market]
name = "Ranges"
buyers = 200
steps = 12
seed = 3

[[segments]]
name = "key accounts"
share = 0.2

[[segments]]
name = "rest"
share = 0.8

[[suppliers]]
name = "Us"
strategy = "relationship"

[[suppliers]]
name = "Them"
strategy = "transactional"

[[events]]
step = 8
kind = "price_change"
supplier = "Them"
markup = 0.1
"""


def write(tmp_path: Path, text: str, name: str = "market.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def with_segment_field(line: str) -> str:
    return SCENARIO.replace('name = "rest"\nshare = 0.8\n', f'name = "rest"\nshare = 0.8\n{line}\n')


def validate(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["validate", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert all(line.startswith(("error: ", "note: ")) or line.endswith("have problems")
               for line in err.splitlines()), err
    return code, out, err


#: a line of [[segments]] "rest" -> fragments of its one message
SEGMENT_VALUES = {
    "constant-out-of-range": ("relational_orientation = 5",
                              ["segments[rest].relational_orientation = 5.0", "a number from 0 to 1"]),
    "negative-demand": ("demand = -5", ["segments[rest].demand = -5.0", "a number >= 0"]),
    "negative-switching-cost": ("switching_cost = -0.6", ["segments[rest].switching_cost = -0.6"]),
    "negative-price-sensitivity": ("price_sensitivity = -3", ["segments[rest].price_sensitivity = -3.0"]),
    "search-beyond-one": ("search_propensity = 1.5", ["segments[rest].search_propensity = 1.5", "from 0 to 1"]),
    "negative-cost-to-serve": ("cost_to_serve = -1", ["segments[rest].cost_to_serve = -1.0"]),
    "pareto-shape-tiny": ('demand = { dist = "pareto", minimum = 1, shape = 1e-6 }',
                          ["segments[rest].demand.shape = 1e-06", "a number from 1.01 to"]),
    "uniform-bound-out-of-range": ('search_propensity = { dist = "uniform", low = 0.5, high = 2 }',
                                   ["segments[rest].search_propensity.high = 2.0", "from 0 to 1"]),
    "normal-mean-out-of-range": ('relational_orientation = { dist = "normal", mean = -2, sd = 0.1 }',
                                 ["segments[rest].relational_orientation.mean = -2.0"]),
    # the parameter is refused, and the distribution it would make not refused a second time
    "beta-mean-beyond-one": ('relational_orientation = { dist = "beta", mean = 1.5, concentration = 5 }',
                             ["segments[rest].relational_orientation.mean = 1.5", "from 0 to 1"]),
    "lognormal-sigma-huge": ('demand = { dist = "lognormal", median = 1, sigma = 50 }',
                             ["segments[rest].demand.sigma = 50.0", "from 0 to 5"]),
    "willingness-to-pay-overflows": ("willingness_to_pay = 1e39",
                                     ["segments[rest].willingness_to_pay = 1e+39", "at most 1,000,000,000",
                                      "overflow"]),
    "switching-cost-overflows": ("switching_cost = 1e39", ["segments[rest].switching_cost = 1e+39", "overflow"]),
}


@pytest.mark.parametrize("case", SEGMENT_VALUES)
def test_segment_values_outside_their_documented_range_are_refused(tmp_path, capsys, case):
    line, fragments = SEGMENT_VALUES[case]
    code, _, err = validate(capsys, str(write(tmp_path, with_segment_field(line))))
    assert code == 2
    lines = [x for x in err.splitlines() if x.startswith("error: ")]
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0]


#: (old text of SCENARIO, new text) -> fragments of the one message
OTHER_VALUES = {
    "unit-cost-overflows": (('strategy = "relationship"\n', 'strategy = "relationship"\nunit_cost = 1e306\n'),
                            ["suppliers[Us].unit_cost = 1e+306", "overflow"]),
    "event-markup-beyond-the-strategy-cap": (("markup = 0.1", "markup = 150"),
                                             ["events[0].markup = 150", "from 0 to 100"]),
    "event-markup-overflows": (("markup = 0.1", "markup = 1e300"), ["events[0].markup = 1e+300", "overflow"]),
    "event-quality-out-of-range": (('kind = "price_change"\nsupplier = "Them"\nmarkup = 0.1',
                                    'kind = "quality_change"\nsupplier = "Them"\nquality = 40'),
                                   ["events[0].quality = 40", "from 0 to 10"]),
    "field-a-demand-shock-does-not-use": (('kind = "price_change"\nsupplier = "Them"\nmarkup = 0.1',
                                           'kind = "demand_shock"\nfactor = 2\nmarkup = 0.1'),
                                          ["events[0].markup = 0.1", "a demand_shock event does not use markup"]),
    "supplier-on-a-demand-shock": (('kind = "price_change"\nsupplier = "Them"\nmarkup = 0.1',
                                    'kind = "demand_shock"\nfactor = 2\nsupplier = "Nobody"'),
                                   ["events[0].supplier = 'Nobody'", "does not use supplier"]),
    "unknown-supplier-in-an-event": (('supplier = "Them"', 'supplier = "Nobody"'),
                                     ["events[0].supplier = 'Nobody'", "no such supplier", "known: Them, Us"]),
    "strategy-based-on-itself": (("[[suppliers]]\nname = \"Us\"",
                                  "[strategies.mine]\nbased_on = \"mine\"\n\n[[suppliers]]\nname = \"Us\""),
                                 ["strategies.mine.based_on = 'mine'", "cannot be based on itself"]),
    "true-for-a-number": (("buyers = 200", "buyers = true"), ["market.buyers = true: must be a whole number"]),
}


@pytest.mark.parametrize("case", OTHER_VALUES)
def test_other_bad_values_get_one_message_each(tmp_path, capsys, case):
    (old, new), fragments = OTHER_VALUES[case]
    assert old in SCENARIO
    code, _, err = validate(capsys, str(write(tmp_path, SCENARIO.replace(old, new, 1))))
    assert code == 2
    lines = [x for x in err.splitlines() if x.startswith("error: ")]
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0]
    assert "True" not in err and "False" not in err and "None" not in err


#: --set KEY=VALUE -> fragments of the message
SETS = {
    "segment-without-s-is-not-an-alias": ("segment[rest].share=0.5", ["segment[rest].share", "unknown key",
                                                                       "(did you mean 'segments'?)"]),
    "supplier-without-s-is-not-an-alias": ("supplier[Us].markup=0.5", ["(did you mean 'suppliers'?)"]),
    "unknown-supplier-lists-the-names": ("suppliers[Nope].markup=0.3",
                                         ["no supplier named or numbered 'Nope'", "suppliers here: Us, Them"]),
    "unknown-segment-lists-the-names": ("segments[nope].share=0.3",
                                        ["no segment named or numbered 'nope'", "segments here: key accounts, rest"]),
    "set-a-constant-out-of-range": ("buyers.relational_orientation=5",
                                    ["relational_orientation = 5.0", "a number from 0 to 1"]),
    "set-an-overflowing-value": ("buyers.willingness_to_pay=1e39", ["overflow"]),
    "deeply-nested-set-value": ("market.name=" + "[" * 3000 + "]" * 3000, ["nested too deeply"]),
}


@pytest.mark.parametrize("case", SETS)
def test_bad_set_values_are_refused_with_what_is_allowed(tmp_path, capsys, case):
    pair, fragments = SETS[case]
    code, _, err = validate(capsys, str(write(tmp_path, SCENARIO)), "--set", pair)
    assert code == 2
    for fragment in fragments:
        assert fragment in err


def test_a_constant_is_never_clipped_silently_but_a_familys_tails_are(tmp_path, capsys):
    ok = with_segment_field('relational_orientation = { dist = "normal", mean = 0.9, sd = 0.3 }')
    code, out, _ = validate(capsys, str(write(tmp_path, ok)))
    assert code == 0 and ": ok" in out


def test_events_after_the_end_of_a_shorter_run_are_dropped_with_a_note(tmp_path, capsys):
    path = write(tmp_path, SCENARIO)
    code = main(["run", str(path), "--steps", "6", "--out", str(tmp_path / "out"), "--workers", "1"])
    _, err = capsys.readouterr()
    assert code == 0
    assert "note: " in err and "events[0] (price_change of Them at step 8) comes after the last step of " \
        "this 6-step run, so it does not happen" in err


def test_an_entrant_after_the_end_stays_out_of_the_market(tmp_path):
    from support import small_scenario

    from sim.observe.market import ObservedMarket

    scenario = small_scenario([{"name": "Us"}, {"name": "New", "strategy": "transactional"}], steps=5,
                              events=[{"step": 9, "kind": "supplier_entry", "supplier": "New"}])
    assert "New stays out of the market" in scenario.notes[0]
    market = ObservedMarket(scenario, 1)
    market.run()
    sup = market.frames()["suppliers"]
    assert sup[sup["supplier"] == "New"]["customers"].sum() == 0


def test_a_byte_order_mark_is_read_as_utf8(tmp_path, capsys):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + SCENARIO.encode())
    code, out, _ = validate(capsys, str(path))
    assert code == 0 and "ok" in out


def test_deeply_nested_toml_is_a_message_not_a_recursion_error(tmp_path, capsys):
    path = write(tmp_path, "x = " + "[" * 5000 + "]" * 5000 + "\n")
    code, _, err = validate(capsys, str(path))
    assert code == 2 and "nested too deeply" in err


def test_validate_reports_every_file_given(tmp_path, capsys):
    good = write(tmp_path, SCENARIO, "good.toml")
    bad1 = write(tmp_path, SCENARIO.replace("buyers = 200", "buyers = -1"), "bad1.toml")
    bad2 = write(tmp_path, SCENARIO.replace("steps = 12", "steps = 0"), "bad2.toml")
    code, out, err = validate(capsys, str(bad1), str(good), str(bad2))
    assert code == 2
    assert f"{good}: ok" in out
    assert f"{bad1}: market.buyers = -1" in err and f"{bad2}: market.steps = 0" in err
    assert "2 of 3 files have problems" in err
