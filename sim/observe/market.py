"""A market engine with its recorder attached, and the four result tables of one run (market
series, supplier series, event log, final relationships). What a headless replicate, a sweep
worker and the Mesa model all use to turn a run into data."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from sim.config import Scenario
from sim.engine.market import MarketEngine, market_generator
from sim.observe.recorder import Recorder, events_frame, relationship_frame


class ObservedMarket:
    """``MarketEngine`` plus the per-step :class:`Recorder`.

    ``rng`` defaults to :func:`market_generator` of ``seed`` (or the scenario's seed), so
    ``ObservedMarket(scenario, seed)`` gives the same results as ``RelationshipMarket(scenario,
    seed)``."""

    def __init__(self, scenario: Scenario, seed: int | np.random.SeedSequence | None = None,
                 rng: np.random.Generator | None = None):
        if rng is None:
            rng = market_generator(scenario.market.seed if seed is None else seed)
        self.engine = MarketEngine(scenario, rng)
        self.recorder = Recorder(self.engine.supplier_names, self.engine.strategy_names,
                                 scenario.market.discount_rate, self.engine.segment_names)

    @property
    def state(self):
        return self.engine.state

    def step(self) -> None:
        tick = self.engine.step()
        self.recorder.record(self.engine.state, tick)

    def run(self, steps: int | None = None, progress: Callable[[int, int], None] | None = None) -> None:
        steps = self.engine.scenario.market.steps if steps is None else steps
        for k in range(steps):
            self.step()
            if progress is not None:
                progress(k + 1, steps)

    def market_frame(self) -> pd.DataFrame:
        return self.recorder.market_frame()

    def supplier_frame(self) -> pd.DataFrame:
        return self.recorder.supplier_frame()

    def segment_frame(self) -> pd.DataFrame:
        return self.recorder.segment_frame()

    def events_frame(self) -> pd.DataFrame:
        return events_frame(self.engine.log, self.engine.supplier_names)

    def relationships_frame(self) -> pd.DataFrame:
        b = self.engine.scenario.behaviour
        return relationship_frame(self.engine.state, self.engine.supplier_names, self.engine.segment_names,
                                  b.positioning_importance, b.positioning_value)

    def frames(self) -> dict[str, pd.DataFrame]:
        """The result tables by name: market, suppliers, events, relationships and segments
        (the supplier series split by the buyers' segments)."""
        return {"market": self.market_frame(), "suppliers": self.supplier_frame(),
                "events": self.events_frame(), "relationships": self.relationships_frame(),
                "segments": self.segment_frame()}
