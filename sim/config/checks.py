"""Cross-checks of a loaded scenario that no single field can make alone: segment shares,
supplier names, strategies that exist, events that name real suppliers and segments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.config.schema import ScenarioError, suggest
from sim.config.strategies import LEVELS, PRESETS

if TYPE_CHECKING:
    from sim.config.scenario import Scenario


def check_consistency(scenario: Scenario) -> None:
    """Cross-field checks that a single field's range cannot express."""
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
    for i, s in enumerate(scenario.suppliers):
        if s.strategy not in known:
            errors.append(f"{src}: suppliers[{i}].strategy = {s.strategy!r}: no such strategy"
                          f"{suggest(s.strategy, sorted(known))}; known: {', '.join(sorted(known))}")
    sup_names = [row["name"] for row in scenario.supplier_table()] if not errors else []
    if len(set(sup_names)) != len(sup_names):
        errors.append(f"{src}: suppliers[*].name: supplier names must be unique ({sup_names})")
    base_names = {s.name for s in scenario.suppliers} | set(sup_names)
    for i, e in enumerate(scenario.events):
        where = f"{src}: events[{i}]"
        if e.step >= scenario.market.steps:
            errors.append(f"{where}.step = {e.step}: must be below market.steps "
                          f"({scenario.market.steps})")
        if e.kind in ("supplier_entry", "supplier_exit", "price_change", "quality_change"):
            if e.supplier != "*" and e.supplier not in base_names:
                errors.append(f"{where}.supplier = {e.supplier!r}: no such supplier"
                              f"{suggest(e.supplier, sorted(base_names))}; known: "
                              f"{', '.join(sorted(base_names))}" + (", '*'" if e.kind in (
                                  "price_change", "quality_change", "supplier_exit") else ""))
        if e.kind == "supplier_entry" and e.supplier == "*":
            errors.append(f"{where}.supplier = '*': an entry names one supplier")
        if e.kind == "price_change" and e.markup < 0:
            errors.append(f"{where}.markup: a price_change needs markup = a number >= 0")
        if e.kind == "quality_change" and e.quality < 0:
            errors.append(f"{where}.quality: a quality_change needs quality = a number >= 0")
        if e.kind == "demand_shock" and e.segment and e.segment not in names:
            errors.append(f"{where}.segment = {e.segment!r}: no such segment"
                          f"{suggest(e.segment, names)}; known: {', '.join(names)}")
    if errors:
        raise ScenarioError(errors)


