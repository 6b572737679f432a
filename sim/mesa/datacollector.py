"""A DataCollector-compatible view of the recorder, so Mesa's SolaraViz components
(``make_plot_component`` and friends) and code written against ``mesa.DataCollector`` can read
the market's series.

Nothing is measured here: every column is one the recorder already wrote
(:mod:`sim.observe.recorder`), so an outcome has one definition whether it is read from a run's
results, the report or a live page."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.observe.recorder import MARKET_COLUMNS

if TYPE_CHECKING:
    from sim.observe.recorder import Recorder


class MarketDataCollector:
    """``get_model_vars_dataframe()``: one row per recorded step (index ``Step``, as Mesa's
    DataCollector), the market series plus, for each supplier-level series, one column per
    supplier named ``"<series>: <supplier>"`` (e.g. ``"market_share: Fishmonger A"``), so a
    plot can follow the suppliers a class knows by name.

    ``get_agent_vars_dataframe()``: the supplier series, indexed by ``(Step, Supplier)``. The
    buyers have no per-step series (a million-buyer market would need gigabytes); their
    relationship history is in the event log (``model.events_frame()``).

    The frames are rebuilt only when a step has been recorded since the last call."""

    #: supplier series that get a wide column per supplier in the model-vars frame
    SUPPLIER_SERIES = ("market_share", "customers", "profit", "cumulative_profit", "mean_trust",
                       "mean_commitment", "price", "retention_rate", "new_customers", "lost_customers",
                       "left_customers", "dropped_customers")

    def __init__(self, recorder: Recorder):
        self._recorder = recorder
        self._cached: dict[str, tuple[int, pd.DataFrame]] = {}

    def _fresh(self, name: str, build) -> pd.DataFrame:
        recorded = len(self._recorder.market_rows)
        cached = self._cached.get(name)
        if cached is None or cached[0] != recorded:
            cached = (recorded, build())
            self._cached[name] = cached
        return cached[1]

    @property
    def model_reporters(self) -> dict[str, str]:
        """Column name -> where it comes from (Mesa's DataCollector lists its reporters here)."""
        return {name: "sim.observe.recorder.Recorder" for name in self.get_model_vars_dataframe().columns}

    @property
    def model_vars(self) -> dict[str, list]:
        """Column -> list of values by step, as ``mesa.DataCollector.model_vars``."""
        return {k: v.tolist() for k, v in self.get_model_vars_dataframe().items()}

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        return self._fresh("model", self._model_vars)

    def get_agent_vars_dataframe(self) -> pd.DataFrame:
        return self._fresh("agents", self._agent_vars)

    def _model_vars(self) -> pd.DataFrame:
        market = self._recorder.market_frame()
        if market.empty:
            # Before the first step: no rows, but the columns a plot asks for exist (Mesa's own
            # DataCollector has them once a model collects in its __init__).
            return pd.DataFrame(columns=self.empty_columns(), index=pd.RangeIndex(0, name="Step"), dtype=float)
        market = market.set_index("step").rename_axis("Step")
        # straight from the recorder's per-step rows (steps x suppliers per series): the same
        # numbers as pivoting supplier_frame(), without building the long table every step
        rows = self._recorder.supplier_rows
        columns = {}
        for series in self.SUPPLIER_SERIES:
            block = np.stack([row[series] for row in rows])
            for k, supplier in enumerate(self._recorder.supplier_names):
                columns[f"{series}: {supplier}"] = block[:, k]
        return pd.concat([market, pd.DataFrame(columns, index=market.index)], axis=1)

    def empty_columns(self) -> list[str]:
        """The columns of the model-vars frame before anything is recorded: the recorder's own
        market columns (less ``step``, the index), then the per-supplier ones. A test checks
        they are exactly those of a recorded step."""
        market = [c for c in MARKET_COLUMNS if c != "step"]
        return market + [f"{series}: {supplier}" for series in self.SUPPLIER_SERIES
                         for supplier in self._recorder.supplier_names]

    def _agent_vars(self) -> pd.DataFrame:
        suppliers = self._recorder.supplier_frame()
        if suppliers.empty:
            return pd.DataFrame(index=pd.MultiIndex.from_arrays([[], []], names=["Step", "Supplier"]))
        return suppliers.rename(columns={"step": "Step", "supplier": "Supplier"}).set_index(["Step", "Supplier"])
