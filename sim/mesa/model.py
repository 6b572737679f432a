"""The relationship market as a Mesa model: a ``mesa.Model`` that wraps the engine
(:class:`~sim.engine.market.MarketEngine`) and its recorder, so Mesa's API (``step``,
``agents_by_type``, AgentSet, ``datacollector``, SolaraViz) works while the step itself runs
over whole arrays.

Three rules keep it cheap and honest (docs/ODD.md, section 4, "Observation"):

- Our scenario is ``self.market_scenario``. Mesa's ``Model`` owns a ``scenario`` slot and sets
  ``scenario.model = self``; ours kept there would drag the whole live model into every result,
  pickle and sweep point that holds the scenario. Mesa's slot keeps Mesa's own ``Scenario``,
  which is also what SolaraViz checks for.
- Agents are views onto the arrays, created the first time anyone asks for them
  (``agents``, ``agents_by_type``, ``agent_types``, ``buyer_agents``, ``supplier_agents``): a
  market that is only stepped and read through its frames never pays for a million ``Buyer``
  objects.
- One step counter: the engine's ``state.step``. ``model.steps`` reads it (Mesa's
  ``_do_step`` increments ``steps`` just before it calls :meth:`step`; that increment is taken
  as "a step is under way", not stored)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import mesa
import numpy as np
import pandas as pd

from sim.config import Scenario, load_scenario
from sim.engine.market import PHASES
from sim.mesa.agents import Buyer, Supplier
from sim.mesa.datacollector import MarketDataCollector
from sim.observe.market import ObservedMarket

__all__ = ["RelationshipMarket", "PHASES"]


class RelationshipMarket(mesa.Model):
    """A market of suppliers and buyers moving through relationship stages.

    ``market_scenario`` is a :class:`~sim.config.Scenario` or the path of a scenario TOML.
    ``seed`` is an int or a ``numpy.random.SeedSequence`` (default: the scenario's); all
    randomness comes from ``self.rng``, so the same scenario and seed give identical results —
    the same as a headless :class:`~sim.observe.market.ObservedMarket` of that seed.

    The first parameter is not called ``scenario`` on purpose: SolaraViz's Reset passes Mesa's
    own ``Scenario`` under that name to any model that accepts one. With
    ``SolaraViz(model, model_params={"market_scenario": scenario})`` Reset rebuilds this market."""

    def __init__(self, market_scenario: Scenario | str | Path,
                 seed: int | np.random.SeedSequence | None = None):
        if isinstance(market_scenario, str | Path):
            market_scenario = load_scenario(market_scenario)
        if not isinstance(market_scenario, Scenario):
            raise TypeError(f"RelationshipMarket needs a relsim Scenario or the path of a scenario file, "
                            f"not {type(market_scenario).__name__}")
        if seed is None:
            seed = market_scenario.market.seed
        self._observed: ObservedMarket | None = None
        self._stepping = False
        super().__init__(rng=np.random.default_rng(seed))
        self.market_scenario = market_scenario
        self._observed = ObservedMarket(market_scenario, rng=self.rng)
        self._supplier_agents: list[Supplier] | None = None
        self._buyer_agents: mesa.AgentSet | None = None
        self.datacollector = MarketDataCollector(self.recorder)

    # ------------------------------------------------------------------ the engine
    @property
    def observed(self) -> ObservedMarket:
        return self._observed

    @property
    def engine(self):
        return self._observed.engine

    @property
    def recorder(self):
        return self._observed.recorder

    @property
    def state(self):
        return self.engine.state

    @property
    def log(self):
        return self.engine.log

    @property
    def supplier_names(self) -> list[str]:
        return self.engine.supplier_names

    @property
    def segment_names(self) -> list[str]:
        return self.engine.segment_names

    @property
    def strategy_names(self) -> list[str]:
        return self.engine.strategy_names

    @property
    def strategy_changes(self) -> list[tuple[int, int, int, int]]:
        return self.engine.strategy_changes

    # ------------------------------------------------------------------ one step counter
    @property
    def steps(self) -> int:
        """Steps taken: the engine's ``state.step`` (plus the one under way inside :meth:`step`,
        as Mesa counts it)."""
        if self._observed is None:
            return 0
        return self.state.step + (1 if self._stepping else 0)

    @steps.setter
    def steps(self, value: int) -> None:
        # Mesa writes ``steps`` twice: 0 in Model.__init__, and steps + 1 in _do_step just before
        # it calls our step. Both are read off the engine's counter; anything else would make
        # two counters disagree, so it is refused.
        current = 0 if self._observed is None else self.state.step
        if value == current + 1 and self._observed is not None:
            self._stepping = True
        elif value != current:
            raise AttributeError(f"model.steps follows the engine's step counter ({current}); "
                                 f"it cannot be set to {value}")

    def step(self) -> None:
        """One period of the market (see :data:`PHASES`), then the recorder."""
        try:
            self._observed.step()
        finally:
            self._stepping = False

    def run(self, steps: int | None = None, progress: Callable[[int, int], None] | None = None
            ) -> RelationshipMarket:
        steps = self.market_scenario.market.steps if steps is None else steps
        for k in range(steps):
            self.step()
            if progress is not None:
                progress(k + 1, steps)
        return self

    # ------------------------------------------------------------------ agents on demand
    def _ensure_agents(self) -> None:
        if self._supplier_agents is None:
            self._supplier_agents = [Supplier(self, i) for i in range(self.state.n_suppliers)]
            self._buyer_agents = Buyer.create_agents(self, self.state.n_buyers,
                                                     index=list(range(self.state.n_buyers)))

    @property
    def agents_created(self) -> bool:
        """Whether the Mesa agents exist yet (they are made on first access)."""
        return self._supplier_agents is not None

    @property
    def supplier_agents(self) -> list[Supplier]:
        self._ensure_agents()
        return self._supplier_agents

    @property
    def buyer_agents(self) -> mesa.AgentSet:
        self._ensure_agents()
        return self._buyer_agents

    @property
    def agents(self):
        self._ensure_agents()
        return super().agents

    @agents.setter
    def agents(self, agents) -> None:  # Mesa refuses this; keep its message
        mesa.Model.agents.fset(self, agents)

    @property
    def agents_by_type(self):
        self._ensure_agents()
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        self._ensure_agents()
        return super().agent_types

    # ------------------------------------------------------------------ results
    def market_frame(self) -> pd.DataFrame:
        return self._observed.market_frame()

    def supplier_frame(self) -> pd.DataFrame:
        return self._observed.supplier_frame()

    def segment_frame(self) -> pd.DataFrame:
        """The supplier series split by the buyers' segments (one row per step, supplier, segment)."""
        return self._observed.segment_frame()

    def events_frame(self) -> pd.DataFrame:
        return self._observed.events_frame()

    def relationships_frame(self) -> pd.DataFrame:
        return self._observed.relationships_frame()
