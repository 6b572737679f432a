"""Scenarios: the parameter machinery, the typed tables of a scenario file, buyer-attribute
distributions, strategy presets, loading from TOML with every problem reported at once, and
``--set``-style overrides. Knows nothing of the engine, files of results or reports."""

from sim.config.distributions import DISTRIBUTIONS, Distribution, dist_param
from sim.config.scenario import (
    Scenario,
    apply_overrides,
    load_scenario,
    parse_override_value,
    read_toml,
    scenario_from_dict,
)
from sim.config.schema import ScenarioError, Spec, param
from sim.config.sections import SECTIONS, TOP_KEYS, Behaviour, Event, Market, Mechanisms, Segment, SupplierSpec
from sim.config.strategies import LEVELS, PRESETS, Strategy

__all__ = [
    "DISTRIBUTIONS", "Distribution", "dist_param", "ScenarioError", "Spec", "param", "Scenario",
    "apply_overrides", "load_scenario", "parse_override_value", "read_toml", "scenario_from_dict",
    "SECTIONS", "TOP_KEYS", "Behaviour", "Event", "Market", "Mechanisms", "Segment", "SupplierSpec",
    "LEVELS", "PRESETS", "Strategy",
]
