"""The relationship market as a Mesa model: a ``mesa.Model`` that wraps the engine
(:class:`~sim.engine.market.MarketEngine`) and its recorder, so Mesa's API (``step``,
``agents_by_type``, AgentSet) works while the step itself runs over whole arrays."""

from __future__ import annotations

from collections.abc import Callable

import mesa
import numpy as np
import pandas as pd

from sim.config import Scenario
from sim.engine.market import PHASES
from sim.mesa.agents import Buyer, Supplier
from sim.observe.market import ObservedMarket

__all__ = ["RelationshipMarket", "PHASES"]


class RelationshipMarket(mesa.Model):
    """A market of suppliers and buyers moving through relationship stages.

    ``seed`` is an int or a ``numpy.random.SeedSequence``; all randomness comes from
    ``self.rng``, so the same scenario and seed give identical results — the same as a
    headless :class:`~sim.observe.market.ObservedMarket` of that seed.

    Our scenario is ``self.market_scenario``: Mesa's ``Model`` keeps its own ``scenario``."""

    def __init__(self, scenario: Scenario, seed: int | np.random.SeedSequence | None = None):
        if seed is None:
            seed = scenario.market.seed
        super().__init__(rng=np.random.default_rng(seed))
        self.market_scenario = scenario
        self.observed = ObservedMarket(scenario, rng=self.rng)
        self.engine = self.observed.engine
        self.recorder = self.observed.recorder
        self.supplier_agents = [Supplier(self, i) for i in range(self.state.n_suppliers)]
        self.buyer_agents = Buyer.create_agents(self, self.state.n_buyers,
                                                index=list(range(self.state.n_buyers)))

    # the engine's views, under the names agents and users already read
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

    def step(self) -> None:
        """One period of the market (see :data:`PHASES`), then the recorder."""
        self.observed.step()

    def run(self, steps: int | None = None, progress: Callable[[int, int], None] | None = None
            ) -> RelationshipMarket:
        steps = self.market_scenario.market.steps if steps is None else steps
        for k in range(steps):
            self.step()
            if progress is not None:
                progress(k + 1, steps)
        return self

    def market_frame(self) -> pd.DataFrame:
        return self.observed.market_frame()

    def supplier_frame(self) -> pd.DataFrame:
        return self.observed.supplier_frame()

    def events_frame(self) -> pd.DataFrame:
        return self.observed.events_frame()

    def relationships_frame(self) -> pd.DataFrame:
        return self.observed.relationships_frame()
