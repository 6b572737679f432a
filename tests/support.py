"""Shared helpers for the tests (importable as ``support`` from any test folder): the repository's
root, small scenarios built from plain dicts, runs, and the event log filtered by cause.

: small scenarios built from plain dicts, runs, and
the event log filtered by cause."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config import Scenario, scenario_from_dict
from sim.engine.state import Cause
from sim.mesa.model import RelationshipMarket

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def small_scenario(suppliers: list[dict[str, Any]], *, buyers: int = 300, steps: int = 40,
                   seed: int = 1, market: dict | None = None, behaviour: dict | None = None,
                   mechanisms: dict | None = None, segment: dict | None = None,
                   segments: list[dict] | None = None, events: list[dict] | None = None,
                   strategies: dict | None = None) -> Scenario:
    """A validated scenario from the given tables, with a small market by default.

    ``segment`` sets fields of a single segment; ``segments`` gives the full list."""
    data: dict[str, Any] = {
        "market": {"buyers": buyers, "steps": steps, "seed": seed, **(market or {})},
        "suppliers": copy.deepcopy(suppliers),
    }
    if behaviour:
        data["behaviour"] = dict(behaviour)
    if mechanisms:
        data["mechanisms"] = dict(mechanisms)
    if segments is not None:
        data["segments"] = copy.deepcopy(segments)
    elif segment:
        data["segments"] = [{"name": "buyers", "share": 1.0, **segment}]
    if events:
        data["events"] = copy.deepcopy(events)
    if strategies:
        data["strategies"] = copy.deepcopy(strategies)
    return scenario_from_dict(data, "<test scenario>")


def run(scenario: Scenario, seed: int | None = None, steps: int | None = None) -> RelationshipMarket:
    """Build the model for ``scenario`` and run it (all its steps unless ``steps``)."""
    return RelationshipMarket(scenario, seed).run(steps)


def events_with_cause(model: RelationshipMarket, cause: Cause) -> pd.DataFrame:
    events = model.events_frame()
    return events[events["cause"] == cause.label]


def total(model: RelationshipMarket, column: str) -> float:
    """Sum of a market-series counter over the whole run."""
    return float(model.market_frame()[column].sum())



def load_study(name: str):
    """The module ``experiments/NAME/study.py`` (the studies are scripts, not a package)."""
    import importlib.util

    path = ROOT / "experiments" / name / "study.py"
    spec = importlib.util.spec_from_file_location(f"study_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def relsim_in_process(capsys, *argv: str) -> tuple[int, str, str]:
    """``relsim ARGV`` in this process: exit code, stdout, stderr (never a traceback)."""
    from sim.cli.main import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def tree(folder: Path, *, lock: bool = True) -> dict[str, bytes]:
    """Every file below ``folder`` and its content (without the lock files, which name their
    latest holder, when ``lock`` is false)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and (lock or p.name not in (".relsim.lock", ".relsim-outputs.lock"))}
