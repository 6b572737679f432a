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

from .model import RelationshipMarket  # noqa: E402
from .run import RunResults, load_results, run  # noqa: E402
from .scenario import Scenario, load_scenario, scenario_from_dict  # noqa: E402
from .schema import ScenarioError  # noqa: E402
from .state import Cause, Positioning, Stage  # noqa: E402
from .strategies import LEVELS, PRESETS, Strategy  # noqa: E402

__all__ = ["RelationshipMarket", "RunResults", "Scenario", "ScenarioError", "Stage", "Cause",
           "Positioning", "Strategy", "PRESETS", "LEVELS", "load_scenario", "scenario_from_dict",
           "load_results", "run", "__version__"]
