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
    "RelationshipMarket": "mesa.model", "Buyer": "mesa.agents", "Supplier": "mesa.agents",
    "RunResults": "experiment.run", "load_results": "experiment.run", "run": "experiment.run",
    "compare": "compare", "Comparison": "experiment.compare", "load_comparison": "experiment.compare",
    "sweep": "experiment.sweep", "SweepResults": "experiment.sweep", "load_sweep": "config.space",
    "Scenario": "config", "load_scenario": "config", "scenario_from_dict": "config",
    "ScenarioError": "config", "Strategy": "config", "PRESETS": "config", "LEVELS": "config",
    "Stage": "engine.state", "Cause": "engine.state", "Positioning": "engine.state",
}
__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        return module if name == "compare" else getattr(module, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names with the module's own (tab completion, ``dir(sim)``), though they load
    on first use."""
    return sorted({*globals(), *__all__})
