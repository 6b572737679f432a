"""relsim: an agent-based relationship-market simulator on Mesa.

Quick start in a notebook::

    import sim
    scenario = sim.load_scenario("scenarios/b2b_key_accounts.toml")
    scenario = scenario.with_overrides({"market.buyers": 500, "buyers.switching_cost": 0.3})
    results = sim.run(scenario, replicates=5)
    results.market        # per-step market series (pandas)
    results.summary()     # by strategy, with 95% intervals
"""

__version__ = "0.1.0"

# Names are imported on first use (PEP 562), so `relsim validate` and error messages do not
# wait for Mesa, pandas and SciPy to load.
_EXPORTS = {
    "RelationshipMarket": "model", "RunResults": "runner", "load_results": "runner", "run": "runner",
    "Scenario": "scenario", "load_scenario": "scenario", "scenario_from_dict": "scenario",
    "ScenarioError": "schema", "Stage": "state", "Cause": "state", "Positioning": "state",
    "Strategy": "strategies", "PRESETS": "strategies", "LEVELS": "strategies",
    "Buyer": "agents", "Supplier": "agents",
}
__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
