"""Cross-checks of a loaded scenario that no single field can make alone: segment shares,
supplier names, strategies that exist, events that name real suppliers and segments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.config.schema import ScenarioError, show, spec_of, suggest
from sim.config.sections import SupplierSpec
from sim.config.strategies import LEVELS, PRESETS, Strategy

#: the fields each kind of event reads (besides step and kind); any other is refused
EVENT_FIELDS = {
    "supplier_entry": ("supplier",),
    "supplier_exit": ("supplier",),
    "price_change": ("supplier", "markup"),
    "quality_change": ("supplier", "quality"),
    "demand_shock": ("segment", "factor"),
    "switching_cost_change": ("factor",),
}


def missing_event_fields(data: dict, where: str, source: str) -> list[str]:
    """Messages for an ``[[events]]`` table without its ``kind`` or its ``step``: a default for
    either would quietly make another event than the one meant (a demand shock without its kind
    read as a price change, an event without its step moved to the first month)."""
    return [f"{source}: {where}: an event needs {key} = {what}"
            for key, what in (("kind", "one of " + ", ".join(EVENT_FIELDS)),
                              ("step", "the step it happens at (0 is the first)"))
            if key not in data]


def unused_event_fields(data: dict, where: str, source: str) -> list[str]:
    """Messages for the fields of an ``[[events]]`` table that its kind does not use."""
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in EVENT_FIELDS:
        return []  # a missing or unknown kind is reported on its own
    allowed = ("step", "kind", *EVENT_FIELDS[kind])
    return [f"{source}: {where}.{key} = {show(value)}: a {kind} event does not use {key}; its "
            f"fields are {', '.join(allowed)}" for key, value in data.items()
            if key not in allowed and key in ("supplier", "segment", "markup", "quality", "factor")]


def events_after_the_run(scenario: Scenario) -> list[str]:
    """Notes for scheduled events a run this short never reaches (they do not happen)."""
    steps = scenario.market.steps
    notes = []
    for i, e in enumerate(scenario.events):
        if e.step >= steps:
            what = f"{e.kind} of {e.supplier}" if e.supplier else e.kind
            notes.append(f"{scenario.source}: events[{i}] ({what} at step {e.step}) comes after the last "
                         f"step of this {steps}-step run, so it does not happen"
                         + (f"; {e.supplier} stays out of the market" if e.kind == "supplier_entry" else ""))
    return notes

if TYPE_CHECKING:
    from sim.config.scenario import Scenario


def check_consistency(scenario: Scenario, supplier_labels: list[str] | None = None) -> None:
    """Cross-field checks that a single field's range cannot express. ``supplier_labels`` name
    the ``[[suppliers]]`` entries as the loader's messages do (by the name the user wrote);
    without them, by position."""
    src = scenario.source
    errors: list[str] = []
    total = sum(s.share for s in scenario.segments)
    if abs(total - 1.0) > 1e-6:
        errors.append(f"{src}: segments[*].share = {[s.share for s in scenario.segments]}: "
                      f"shares must add up to 1 (they add up to {total:g})")
    names = [s.name for s in scenario.segments]
    if len(set(names)) != len(names):
        errors.append(f"{src}: segments[*].name = {names}: segment names must be unique")
    b = scenario.behaviour
    weights = (b.commitment_from_trust + b.commitment_from_termination_cost
               + b.commitment_from_benefits + b.commitment_from_shared_values)
    if abs(weights - 1.0) > 1e-6:
        errors.append(f"{src}: behaviour.commitment_from_* = {weights:g} in total: the four "
                      f"commitment weights must add up to 1")
    if len(b.level_costs) != len(LEVELS):
        errors.append(f"{src}: behaviour.level_costs = {b.level_costs}: needs {len(LEVELS)} "
                      f"numbers, one per level ({', '.join(LEVELS)})")
    if not scenario.suppliers:
        errors.append(f"{src}: suppliers: a scenario needs at least one [[suppliers]] table")
    known = set(PRESETS) | set(scenario.strategies)
    labels = supplier_labels or [f"suppliers[{i}]" for i in range(len(scenario.suppliers))]
    for label, s in zip(labels, scenario.suppliers, strict=True):
        if s.strategy not in known:
            errors.append(f"{src}: {label}.strategy = {s.strategy!r}: no such strategy"
                          f"{suggest(s.strategy, sorted(known))}; known: {', '.join(sorted(known))}")
    sup_names = [row["name"] for row in scenario.supplier_table()] if not errors else []
    if len(set(sup_names)) != len(sup_names):
        errors.append(f"{src}: suppliers[*].name: supplier names must be unique ({sup_names})")
    base_names = {s.name for s in scenario.suppliers} | set(sup_names)
    for i, e in enumerate(scenario.events):
        where = f"{src}: events[{i}]"
        if e.kind in ("supplier_entry", "supplier_exit", "price_change", "quality_change"):
            known_names = ", ".join(sorted(base_names)) + (", '*'" if e.kind in (
                "price_change", "quality_change", "supplier_exit") else "")
            if not e.supplier:
                errors.append(f"{where}: a {e.kind} event needs supplier = the name of a supplier; known: "
                              f"{known_names}")
            elif e.supplier != "*" and e.supplier not in base_names:
                errors.append(f"{where}.supplier = {e.supplier!r}: no such supplier"
                              f"{suggest(e.supplier, sorted(base_names))}; known: {known_names}")
        if e.kind == "supplier_entry" and e.supplier == "*":
            errors.append(f"{where}.supplier = '*': an entry names one supplier")
        # a changed price or quality takes the range of the strategy's markup or the supplier's quality
        for kind, fld, spec in (("price_change", "markup", spec_of(Strategy, "markup")),
                                ("quality_change", "quality", spec_of(SupplierSpec, "quality"))):
            value = getattr(e, fld)
            if e.kind == kind and value < 0:
                errors.append(f"{where}.{fld}: a {kind} needs {fld} = {spec.allowed()}")
            elif e.kind == kind and spec.high is not None and value > spec.high:
                errors.append(f"{where}.{fld} = {value:g}: must be {spec.allowed()} (as in "
                              f"{'a strategy' if fld == 'markup' else 'a supplier'})")
        if e.kind == "demand_shock" and e.segment and e.segment not in names:
            errors.append(f"{where}.segment = {e.segment!r}: no such segment"
                          f"{suggest(e.segment, names)}; known: {', '.join(names)}")
    if errors:
        raise ScenarioError(errors)


