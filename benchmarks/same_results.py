"""Guard for performance work: the model's results must not change.

``save DIR`` runs a few fixed-seed cases and stores their five result frames (market,
supplier, segment, events, relationships), the strategy changes and the final pair arrays under DIR;
``check DIR`` runs them again, through the Mesa model and through the headless engine, and
compares each with ``pandas.testing.assert_frame_equal``
(exact: ``check_exact=True``) and ``numpy.array_equal``.

The cases: the default scenario at 3000 buyers; a 2000-buyer market whose price suppliers offer
introductory prices (bargains then rip-offs); a 2000-buyer market with every mechanism
on (supplier learning included), binding capacities, segmented, partnership and accountable
suppliers and one of each scheduled event (entry, exit, price, quality, demand shock,
switching-cost change); the benchmark's 20-supplier configuration (and a larger one with
more peers, so that word of mouth adds many voices per pair); and markets with
mechanisms switched off (awareness diffusion, habit and word of mouth; most of the others;
stage progression).

Save the reference from the code before a change (e.g. ``git archive HEAD sim | tar -x -C
/tmp/base`` and ``PYTHONPATH=/tmp/base``), then check the changed code against it.

    .venv/bin/python benchmarks/same_results.py save /tmp/relsim_ref
    .venv/bin/python benchmarks/same_results.py check /tmp/relsim_ref
    .venv/bin/python benchmarks/same_results.py digest tests/engine/results_digest.json

A reference saved before retention stopped counting customers dropped on purpose as lost
(issue 11) is checked with ``--redefined-retention``: the recorder's new columns are allowed,
and retention, churn and lifetime value may differ, only at steps where customers were dropped.
"""

from __future__ import annotations

import argparse
import math
import pickle
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "b2b_key_accounts.toml"
FRAMES = ("market_frame", "supplier_frame", "segment_frame", "events_frame", "relationships_frame")
PAIR_ARRAYS = ("stage", "barred", "trust", "commitment", "preference", "loyalty", "adaptation",
               "escalation", "start_step", "orders", "expectation", "net_value", "last_problem",
               "drift_gap")


def _everything_scenario():
    from sim.config import load_scenario, scenario_from_dict

    data = load_scenario(DEFAULT).to_dict()
    data["market"]["buyers"] = 2000
    data["mechanisms"] = {k: True for k in data["mechanisms"]}
    for supplier in data["suppliers"]:
        supplier["capacity"] = 900.0 if supplier["name"] == "PriceLine" else 700.0
    data["suppliers"].append({**data["suppliers"][1], "name": "Segmenter", "strategy": "segmented",
                              "count": 1, "capacity": math.inf})
    data["suppliers"].append({**data["suppliers"][1], "name": "Newcomer",
                              "count": 1, "initial_awareness": 0.0, "capacity": 500.0, "quality": 0.45,
                              "quality_noise": 0.25, "strategy": "reactive",
                              "cultural_position": 0.8})
    for name, strategy in (("Ally", "partnership"), ("Checker", "accountable")):
        data["suppliers"].append({**data["suppliers"][0], "name": name, "strategy": strategy,
                                  "count": 1, "capacity": math.inf})
    data["events"] = [
        {"step": 20, "kind": "supplier_entry", "supplier": "Newcomer"},
        {"step": 40, "kind": "price_change", "supplier": "PriceLine 1", "markup": 0.4},
        {"step": 50, "kind": "quality_change", "supplier": "Partners 2", "quality": 0.5},
        {"step": 60, "kind": "demand_shock", "segment": "key accounts", "factor": 1.5},
        {"step": 70, "kind": "supplier_exit", "supplier": "PriceLine 2"},
        {"step": 90, "kind": "switching_cost_change", "factor": 0.2},
    ]
    return scenario_from_dict(data, "everything")


def default_with(overrides: dict):
    """The default scenario with ``overrides``."""
    from sim.config import load_scenario

    return load_scenario(DEFAULT).with_overrides(overrides)


def cases() -> dict:
    return {
        "default_3000": lambda: default_with({"market.buyers": 3000}),
        "everything_2000": _everything_scenario,
        "twenty_suppliers_3000": lambda: default_with({
            "market.buyers": 3000, "market.steps": 60, "suppliers[PriceLine].count": 10,
            "suppliers[Partners].count": 10, "mechanisms.supplier_learning": True}),
        "twenty_suppliers_30000": lambda: default_with({
            "market.buyers": 30000, "suppliers[PriceLine].count": 10,
            "suppliers[Partners].count": 10, "market.peers_per_buyer": 12}),
        "switched_off_1500": lambda: default_with({
            "market.buyers": 1500, "market.steps": 60, "mechanisms.awareness_diffusion": False,
            "mechanisms.word_of_mouth": False, "mechanisms.habitual_rebuying": False}),
        "more_switched_off_1500": lambda: default_with({
            "market.buyers": 1500, "market.steps": 60, "market.peers_per_buyer": 0,
            **{f"mechanisms.{name}": False for name in (
                "adaptations", "service_recovery", "escalation", "complacency", "key_accounts",
                "expectation_adaptation", "distance_breakup", "customer_dropping",
                "switching_costs", "asymmetric_trust")}}),
        # introductory prices (Klemperer's bargains then rip-offs) change what every phase
        # charges and weighs; supplier learning lets others copy the strategy
        "introductory_2000": lambda: default_with({
            "market.buyers": 2000, "market.steps": 60, "suppliers[PriceLine].strategy": "bargains_then_ripoffs",
            "mechanisms.supplier_learning": True}),
        "no_stages_1500": lambda: default_with({
            "market.buyers": 1500, "market.steps": 60, "mechanisms.stage_progression": False,
            "suppliers[Partners].capacity": 150.0}),
    }


def run_case(make, headless: bool = False) -> dict:
    """One case through the Mesa model, or (``headless``) through the engine and recorder alone."""
    import sim
    from sim.observe.market import ObservedMarket

    scenario = make()
    if headless:
        model = ObservedMarket(scenario)
        model.run()
        changes = model.engine.strategy_changes
    else:
        model = sim.RelationshipMarket(scenario).run()
        changes = model.strategy_changes
    out = {name: getattr(model, name)() for name in FRAMES}
    out["strategy_changes"] = list(changes)
    out["pairs"] = {name: np.array(getattr(model.state, name)) for name in PAIR_ARRAYS}
    return out


#: What marks the steps where a redefined retention column may differ (--redefined-retention):
#: a step at which customers were dropped on purpose, in each frame's own terms.
DROP_MARKERS = {"market_frame": "dropped", "supplier_frame": "dropped_customers"}
#: The columns that counted dropped customers as lost before retention was redefined.
RETENTION_COLUMNS = ("retention_rate", "churn_rate", "customer_lifetime_value")


def compare(name: str, ref: dict, new: dict, redefined_retention: bool = False) -> list[str]:
    problems = []
    for frame in FRAMES:
        reference, result = ref[frame], new[frame]
        if redefined_retention:
            # a reference from before retention stopped counting customers dropped on purpose
            # as lost: the columns it lacks are new, and the retention columns may differ, but
            # only at steps where customers were dropped; everything else must be identical
            keep = [c for c in reference.columns if c not in RETENTION_COLUMNS]
            for column in (c for c in RETENTION_COLUMNS if c in reference.columns):
                a, b = reference[column].to_numpy(float), result[column].to_numpy(float)
                same = (a == b) | (np.isnan(a) & np.isnan(b))
                if not same[~(result[DROP_MARKERS[frame]].to_numpy() > 0)].all():
                    problems.append(f"{name}.{frame}.{column} differs at a step without drops")
            reference, result = reference[keep], result[keep]
        try:
            pd.testing.assert_frame_equal(reference, result, check_exact=True)
        except AssertionError as exc:
            problems.append(f"{name}.{frame}: {exc}")
    if ref["strategy_changes"] != new["strategy_changes"]:
        problems.append(f"{name}.strategy_changes differ")
    for array, value in ref["pairs"].items():
        if not np.array_equal(value, new["pairs"][array]):
            diff = np.abs(value.astype(float) - new["pairs"][array].astype(float)).max()
            problems.append(f"{name}.state.{array} differs (max abs diff {diff:g})")
    return problems


#: the cases whose digests tests/engine/test_results_unchanged.py checks (the fast ones)
DIGEST_CASES = ("everything_2000", "twenty_suppliers_3000", "introductory_2000", "switched_off_1500",
                "more_switched_off_1500", "no_stages_1500")


def digest(result: dict) -> dict[str, str]:
    """A SHA-256 of each part of a case's results (frames with their index and column names,
    strategy changes, final pair arrays with their dtypes): equal digests, equal results."""
    import hashlib

    out = {}
    for frame in FRAMES:
        data = result[frame]
        h = hashlib.sha256(repr((list(data.columns), [str(t) for t in data.dtypes])).encode())
        h.update(pd.util.hash_pandas_object(data, index=True).to_numpy().tobytes())
        out[frame] = h.hexdigest()
    out["strategy_changes"] = hashlib.sha256(repr(result["strategy_changes"]).encode()).hexdigest()
    for name, value in result["pairs"].items():
        out[f"pairs.{name}"] = hashlib.sha256(str(value.dtype).encode() + value.tobytes()).hexdigest()
    return out


def digests(names=DIGEST_CASES) -> dict[str, dict[str, str]]:
    """The digests of the named cases, run through the headless engine."""
    every = cases()
    return {name: digest(run_case(every[name], headless=True)) for name in names}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("save", "check", "digest"),
                        help="digest: write the digests of the fast cases to FOLDER (a .json file), "
                             "the reference of tests/engine/test_results_unchanged.py")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--only", nargs="*", help="case names to run")
    parser.add_argument("--redefined-retention", action="store_true",
                        help="check against a reference saved before retention stopped counting customers "
                             "dropped on purpose as lost: new columns are allowed, and retention, churn and "
                             "lifetime value may differ at steps with drops only")
    args = parser.parse_args(argv)
    if args.action == "digest":
        import json

        args.folder.write_text(json.dumps(digests(), indent=1, sort_keys=True) + "\n")
        print(f"wrote the digests of {len(DIGEST_CASES)} cases to {args.folder}")
        return 0
    args.folder.mkdir(parents=True, exist_ok=True)
    failed = False
    for name, make in cases().items():
        if args.only and name not in args.only:
            continue
        start = time.perf_counter()
        result = run_case(make)
        took = time.perf_counter() - start
        path = args.folder / f"{name}.pkl"
        if args.action == "save":
            path.write_bytes(pickle.dumps(result))
            print(f"{name}: saved ({took:.1f} s, {len(result['events_frame'])} events)")
            continue
        reference = pickle.loads(path.read_bytes())
        problems = compare(name, reference, result, args.redefined_retention)
        problems += [f"headless {p}" for p in compare(name, reference, run_case(make, headless=True),
                                                       args.redefined_retention)]
        failed |= bool(problems)
        print(f"{name}: {'SAME' if not problems else 'DIFFERENT'} (Mesa model and headless engine; {took:.1f} s)")
        for p in problems:
            print("   ", p.replace("\n", "\n    "))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
