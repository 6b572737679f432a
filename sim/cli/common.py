"""What the commands share: argument types, ``--set`` pairs, loading a scenario."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.config.schema import ScenarioError

DEFAULT_SCENARIO = "scenarios/b2b_key_accounts.toml"


def positive_int(name: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} = {text!r}: must be a whole number") from None
        if value < (0 if name == "--seed" else 1):
            raise argparse.ArgumentTypeError(
                f"{name} = {value}: must be {'>= 0' if name == '--seed' else '>= 1'}")
        return value
    return parse


def set_pairs(items: list[str] | None) -> dict:
    from sim.config import parse_override_value

    overrides = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"--set {item!r}: expected KEY=VALUE, e.g. --set buyers.switching_cost=0.1")
        overrides[key.strip()] = parse_override_value(value.strip())
    return overrides


def as_typed(sets: list[str] | None = None, steps: int | None = None) -> str:
    """The options that changed the scenario file, as the user typed them (``--set
    market.buyers=300 --steps 12``): how messages about the changed scenario name it."""
    import shlex

    words = [f"--set {shlex.quote(item)}" for item in sets or []]
    if steps is not None:
        words.append(f"--steps {steps}")
    return " ".join(words)


def load(path: str, sets: list[str] | None = None, steps: int | None = None, notes: bool = True):
    """The scenario file with ``--set`` and ``--steps`` applied; its notes (such as events after
    the end of a shorter run) go to stderr. Later messages name it as ``FILE with OPTIONS`` in
    the user's own words (:func:`as_typed`)."""
    from sim.config import load_scenario

    scenario = load_scenario(path)
    overrides = set_pairs(sets)
    if steps is not None:
        overrides["market.steps"] = steps
    if overrides:
        # an error names the key and value it is about (FILE with --set: KEY = VALUE: ...);
        # everything said of the changed scenario after names it with the options as typed
        named = f"{scenario.source} with {as_typed(sets, steps)}"
        scenario = scenario.with_overrides(overrides, "--set" if sets else "--steps").named(named)
    if notes:
        print_notes(scenario)
    return scenario


def print_notes(scenario) -> None:
    for note in scenario.notes:
        print(f"note: {note}", file=sys.stderr)


def note_pages_drawn_earlier(folder, ran: int) -> None:
    """After a command added ``ran`` finished replicates or runs to a results folder: say which
    of its pages (report, analysis) still show the results from before, and how to draw them
    again (the command leaves them as they are: they are the user's to keep or redraw)."""
    if ran <= 0:
        return
    from sim.experiment.store import ResultsStore

    for page, command in ResultsStore(folder).pages_drawn_earlier():
        print(f"note: {Path(folder) / page} shows the results from before this command; "
              f"`{command} {folder}` draws it again")
