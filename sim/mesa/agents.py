"""Mesa agents as thin views onto the model's arrays.

Users get Mesa's agent API (``model.agents_by_type[Buyer]``, AgentSet ``select``/``agg``,
agent reporters) while the step itself runs over whole arrays. Reading or writing an
attribute here reads or writes the model's state; nothing is copied."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim.config.strategies import LEVELS
from sim.engine.state import Stage

if TYPE_CHECKING:
    from sim.mesa.model import RelationshipMarket


class Supplier(mesa.Agent):
    """A supplier: its strategy, price, quality and the results it earns."""

    model: RelationshipMarket

    def __init__(self, model: RelationshipMarket, index: int):
        super().__init__(model)
        self.index = index

    @property
    def name(self) -> str:
        return self.model.supplier_names[self.index]

    @property
    def strategy(self) -> str:
        return self.model.strategy_names[int(self.model.state.strategy_id[self.index])]

    @property
    def active(self) -> bool:
        return bool(self.model.state.active[self.index])

    @property
    def price(self) -> float:
        return float(self.model.state.price[self.index])

    @property
    def markup(self) -> float:
        return float(self.model.state.markup[self.index])

    @markup.setter
    def markup(self, value: float) -> None:
        self.model.state.markup[self.index] = value

    @property
    def quality(self) -> float:
        return float(self.model.state.quality[self.index])

    @quality.setter
    def quality(self, value: float) -> None:
        self.model.state.quality[self.index] = value

    @property
    def level(self) -> str:
        return LEVELS[int(self.model.state.level[self.index])]

    @property
    def customers(self) -> int:
        return int((self.model.state.current == self.index).sum())

    @property
    def cumulative_profit(self) -> float:
        return float(self.model.state.cumulative_profit[self.index])

    def __repr__(self) -> str:
        return f"Supplier({self.name!r}, strategy={self.strategy!r}, price={self.price:.3f})"


class Buyer(mesa.Agent):
    """A buyer: its segment, needs and its relationships with the suppliers."""

    model: RelationshipMarket

    def __init__(self, model: RelationshipMarket, index: int):
        super().__init__(model)
        self.index = index

    @property
    def segment(self) -> str:
        return self.model.segment_names[int(self.model.state.segment[self.index])]

    @property
    def demand(self) -> float:
        return float(self.model.state.demand[self.index])

    @property
    def current_supplier(self) -> Supplier | None:
        current = int(self.model.state.current[self.index])
        return None if current < 0 else self.model.supplier_agents[current]

    @property
    def stage(self) -> Stage | None:
        """Stage of the relationship with the current supplier (None without one)."""
        current = int(self.model.state.current[self.index])
        return None if current < 0 else Stage(int(self.model.state.stage[self.index, current]))

    def stage_with(self, supplier: Supplier) -> Stage:
        return Stage(int(self.model.state.stage[self.index, supplier.index]))

    def trust_in(self, supplier: Supplier) -> float:
        return float(self.model.state.trust[self.index, supplier.index])

    def commitment_to(self, supplier: Supplier) -> float:
        return float(self.model.state.commitment[self.index, supplier.index])

    @property
    def trust(self) -> float:
        """Trust in the current supplier (0 without one)."""
        supplier = self.current_supplier
        return 0.0 if supplier is None else self.trust_in(supplier)

    @property
    def commitment(self) -> float:
        supplier = self.current_supplier
        return 0.0 if supplier is None else self.commitment_to(supplier)

    def __repr__(self) -> str:
        supplier, stage = self.current_supplier, self.stage
        return (f"Buyer(index={self.index}, unique_id={self.unique_id}, segment={self.segment!r}, supplier="
                f"{None if supplier is None else supplier.name!r}, "
                f"stage={None if stage is None else stage.label!r})")
