"""Per-step reporters (market and per-supplier series) and the final relationship table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.engine.compiled import jit
from sim.engine.eventlog import EventLog
from sim.engine.phases.economics import ACCOUNTS
from sim.engine.state import ACTIVE_STAGES, Cause, MarketState, Positioning, Stage
from sim.engine.tick import Tick
from sim.observe.kpis import MARGIN_ACCOUNTS, acquisition_cost_per_new_customer, lifetime_value, retention

#: Stage columns of the series: buyers by the stage of their current relationship.
STAGE_COLUMNS = ("no_supplier",) + tuple(s.label.replace("-", "_") for s in ACTIVE_STAGES)
COUNTERS = ("searched", "new_customers", "switches", "problems", "complaints",
            "silent_dissatisfied", "recovered", "recovered_silent", "escalations",
            "escalation_exits", "dropped", "distance_breakups", "became_aware",
            "rescued", "silent_leavers")
#: The market series' columns, in the order :meth:`Recorder.record` writes them. A frame with
#: no step recorded yet still has them (a live page plots before its first step); the
#: recorder refuses a row that does not match, so this list cannot fall behind ``record``.
MARKET_COLUMNS = ("step", "buyers_with_supplier", *STAGE_COLUMNS, "mean_trust", "mean_commitment",
                  "retention_rate", "churn_rate", *COUNTERS, *ACCOUNTS, "acquisition_cost_per_new_customer",
                  "customer_lifetime_value", "loyalty_concentration", "key_accounts", "suppliers_per_buyer",
                  "main_wallet_share", "switching_cost_scale")


#: The per-step, per-supplier, per-segment series (the "segments" table), in column order:
#: customers at the start and end of the step, what became of those at the start (retained +
#: left + dropped on purpose = customers_at_start), customers won, revenue and volume.
SEGMENT_COUNTS = ("customers_at_start", "retained", "left_customers", "dropped_customers", "new_customers",
                  "customers_at_end")
SEGMENT_COLUMNS = ("step", "supplier", "strategy", "segment", *SEGMENT_COUNTS, "revenue", "volume",
                   "retention_rate")


def loyalty_concentration(loyalty: np.ndarray) -> float:
    """Mean over buyers (with any loyalty) of sum_j L_ij^2 / (sum_j L_ij)^2: 1/n when a buyer
    spreads its visits over n sellers, 1 when it always visits one."""
    # Row sums by einsum over the float32 array: a third of the time of float64 row sums
    # (numpy's sum along a row of only S values is slow), with float32 rounding (a relative
    # 1e-7 of a share) in place of float64's; the ratio itself in float64.
    total = np.einsum("ij->i", loyalty)
    squares = np.einsum("ij,ij->i", loyalty, loyalty)
    some = total > 0
    if not some.any():
        return float("nan")
    total = total[some].astype(np.float64)
    return float(np.mean(squares[some] / (total * total)))


@jit
def _tally_buyers(current, previous, demand, segment, key_account, stage, trust, commitment,
                  n_suppliers, n_segments, n_stages):
    """One pass over the buyers for the per-supplier and per-(supplier, segment) counts: the
    numbers ``np.bincount`` gave over each selection (a float64 sum adds its terms in buyer
    order, as bincount does), read from the current relationships' stage, trust and
    commitment (``stage``, ``trust``, ``commitment`` are the flat pair arrays).

    Returns (buyers with a current supplier, their trust and commitment; per supplier:
    customers at the start, retained, demand at the start, demand retained, customers now,
    sum of their trust, of their commitment, key accounts; per supplier x stage: customers
    now; per supplier x segment: at the start, retained, now)."""
    n = len(current)
    count = 0
    for i in range(n):
        count += current[i] >= 0
    buyers = np.empty(count, np.int64)
    trusts = np.empty(count, np.float32)
    commitments = np.empty(count, np.float32)
    had = np.zeros(n_suppliers, np.int64)
    retained = np.zeros(n_suppliers, np.int64)
    demand_had = np.zeros(n_suppliers)
    demand_retained = np.zeros(n_suppliers)
    customers = np.zeros(n_suppliers, np.int64)
    trust_sum = np.zeros(n_suppliers)
    commitment_sum = np.zeros(n_suppliers)
    key_accounts = np.zeros(n_suppliers, np.int64)
    pair_stage = np.zeros(n_suppliers * n_stages, np.int64)
    cell_had = np.zeros(n_suppliers * n_segments, np.int64)
    cell_retained = np.zeros(n_suppliers * n_segments, np.int64)
    cell_now = np.zeros(n_suppliers * n_segments, np.int64)
    k = 0
    for i in range(n):
        j = current[i]
        was = previous[i]
        if was >= 0:
            had[was] += 1
            demand_had[was] += demand[i]
            cell_had[was * n_segments + segment[i]] += 1
            if j == was:
                retained[was] += 1
                demand_retained[was] += demand[i]
                cell_retained[was * n_segments + segment[i]] += 1
        if j >= 0:
            f = i * n_suppliers + j
            buyers[k] = i
            trusts[k] = trust[f]
            commitments[k] = commitment[f]
            k += 1
            customers[j] += 1
            trust_sum[j] += np.float64(trust[f])
            commitment_sum[j] += np.float64(commitment[f])
            pair_stage[j * n_stages + stage[f]] += 1
            key_accounts[j] += key_account[i]
            cell_now[j * n_segments + segment[i]] += 1
    return (buyers, trusts, commitments, had, retained, demand_had, demand_retained,
            customers, trust_sum, commitment_sum, key_accounts, pair_stage, cell_had,
            cell_retained, cell_now)


@jit
def _tally_orders(codes, opening, price, volume, n_cells):
    """Per (supplier, segment) cell of each served order: new customers, revenue (price x
    volume in float64) and volume, summed in order as ``np.bincount`` sums."""
    new = np.zeros(n_cells, np.int64)
    revenue = np.zeros(n_cells)
    volumes = np.zeros(n_cells)
    for k in range(len(codes)):
        c = codes[k]
        new[c] += opening[k]
        revenue[c] += price[k] * volume[k]
        volumes[c] += volume[k]
    return new, revenue, volumes


class Recorder:
    """Collects one market row and one row per supplier each step."""

    def __init__(self, supplier_names: list[str], strategy_names: list[str], discount_rate: float = 0.01,
                 segment_names: list[str] | None = None):
        self.discount_rate = discount_rate
        self.supplier_names = supplier_names
        self.strategy_names = strategy_names
        self.segment_names = list(segment_names) if segment_names else ["all"]
        self.market_rows: list[dict] = []
        self.supplier_rows: list[dict[str, np.ndarray]] = []
        self.segment_rows: list[dict[str, np.ndarray]] = []

    def record(self, state: MarketState, tick: Tick) -> None:
        S, G = state.n_suppliers, len(self.segment_names)
        previous = tick.previous_current
        had = previous >= 0
        kept = had & (state.current == previous)
        # the counts by supplier and by supplier and segment, in one compiled pass over the buyers
        (buyers, trust, commitment, had_customers, retained, demand_had, demand_retained,
         count, trust_sum, commitment_sum, key_accounts, pair_stage, cell_had, cell_retained,
         cell_now) = _tally_buyers(state.current, previous, state.demand, state.segment, state.key_account,
                                   state.stage.ravel(), state.trust.ravel(), state.commitment.ravel(),
                                   S, G, len(Stage))
        pair_stage = pair_stage.reshape(S, len(Stage))
        accounts = tick.supplier_accounts
        row = {"step": tick.step, "buyers_with_supplier": len(buyers)}
        row["no_supplier"] = state.n_buyers - len(buyers)
        stage_counts = pair_stage.sum(axis=0)
        for s in ACTIVE_STAGES:
            row[s.label.replace("-", "_")] = int(stage_counts[s])
        row["mean_trust"] = float(trust.mean()) if len(buyers) else float("nan")
        row["mean_commitment"] = float(commitment.mean()) if len(buyers) else float("nan")
        # customers dropped on purpose this step, of those their supplier had at its start: apart
        # from the ones who left (a dropped customer is never retained: its supplier ended it)
        dropped_buyers, dropped_suppliers = np.divmod(tick.dropped, S)
        dropped = previous[dropped_buyers] == dropped_suppliers
        dropped_buyers, dropped_suppliers = dropped_buyers[dropped], dropped_suppliers[dropped]
        row["retention_rate"] = float(retention(kept.sum(), had.sum(), len(dropped_buyers)))
        row["churn_rate"] = 1.0 - row["retention_rate"]
        for name in COUNTERS:
            row[name] = tick.counts.get(name, tick.searched if name == "searched" else 0)
        for name in ACCOUNTS:
            row[name] = float(accounts[name].sum())
        row["acquisition_cost_per_new_customer"] = float(acquisition_cost_per_new_customer(
            row["acquisition_spend"], row["new_customers"]))
        margin = accounts["revenue"].sum() - sum(accounts[k].sum() for k in MARGIN_ACCOUNTS[1:])
        row["customer_lifetime_value"] = float(lifetime_value(margin, row["customers"], row["retention_rate"],
                                                              self.discount_rate))
        row["loyalty_concentration"] = loyalty_concentration(state.loyalty)
        row["key_accounts"] = int(state.key_account.sum())
        # share of wallet: how many suppliers a buyer splits its demand among, and the
        # main supplier's share of it (1 for every single-sourcing buyer)
        live_per_supplier, live_per_buyer, multi, multi_live = state.live_by_row()
        some = live_per_buyer > 0
        row["suppliers_per_buyer"] = float(live_per_buyer[some].mean()) if some.any() else float("nan")
        row["main_wallet_share"] = float(state.wallet_share[buyers].mean()) if len(buyers) else float("nan")
        row["switching_cost_scale"] = state.switching_cost_scale
        if not self.market_rows and tuple(row) != MARKET_COLUMNS:
            raise RuntimeError(f"the recorder wrote the market columns {tuple(row)}, but MARKET_COLUMNS lists "
                               f"{MARKET_COLUMNS}: keep the two in step")
        self.market_rows.append(row)

        per = {"step": np.full(S, tick.step), "supplier_id": np.arange(S)}
        per["active"] = state.active.copy()
        per["strategy_id"] = state.strategy_id.copy()
        per["price"] = state.price.copy()
        per["quality"] = state.quality.copy()
        for name in ACCOUNTS:
            per[name] = np.asarray(accounts[name], float)
        total_volume = accounts["volume"].sum()
        per["market_share"] = accounts["volume"] / total_volume if total_volume else np.zeros(S)
        per["cumulative_profit"] = state.cumulative_profit.copy()
        per["customers_at_start"] = had_customers
        per["new_customers"] = (tick.new_by_supplier if tick.new_by_supplier is not None
                                else np.zeros(S, np.int64))
        per["retained"] = retained
        per["lost_customers"] = had_customers - retained  # left + dropped on purpose
        dropped_customers = np.bincount(dropped_suppliers, minlength=S)
        per["left_customers"] = had_customers - retained - dropped_customers
        per["dropped_customers"] = dropped_customers
        # the same counts with each customer weighed by its demand (units a step): retention by
        # customer size, where a key account counts for what it buys and not as one small firm
        per["demand_at_start"] = demand_had
        per["demand_retained"] = demand_retained
        per["demand_dropped"] = np.bincount(dropped_suppliers, state.demand[dropped_buyers], S)
        per["retention_rate"] = retention(retained, had_customers, dropped_customers)
        with np.errstate(invalid="ignore", divide="ignore"):
            per["mean_trust"] = trust_sum / count
            per["mean_commitment"] = commitment_sum / count
        for s in ACTIVE_STAGES:
            per[s.label.replace("-", "_")] = pair_stage[:, s]
        per["key_accounts"] = key_accounts
        # mean share of its customers' wallets (over every live relationship, main or not)
        # a single-sourcing buyer's one live relationship has all of its wallet
        single = (state.max_suppliers <= 1) & (state.current >= 0)
        wallet = np.bincount(state.current[single], minlength=S).astype(np.float64)
        if len(multi):
            wallet += np.where(multi_live, np.take(state.wallet, multi, axis=0), 0).sum(axis=0, dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            per["share_of_wallet"] = wallet / live_per_supplier
        per["acquisition_cost_per_new_customer"] = acquisition_cost_per_new_customer(
            accounts["acquisition_spend"], per["new_customers"])
        margin = accounts["revenue"] - sum(accounts[k] for k in MARGIN_ACCOUNTS[1:])
        per["customer_lifetime_value"] = lifetime_value(margin, accounts["customers"], per["retention_rate"],
                                                        self.discount_rate)
        self.supplier_rows.append(per)
        self._record_segments(state, tick, cell_had, cell_retained, cell_now, dropped_buyers,
                              dropped_suppliers)

    def _record_segments(self, state: MarketState, tick: Tick, at_start: np.ndarray, retained: np.ndarray,
                         at_end: np.ndarray, dropped_buyers: np.ndarray, dropped_suppliers: np.ndarray) -> None:
        """One row per supplier and buyer segment: the supplier's counts split by the segment
        of each customer (``at_start``, ``retained`` and ``at_end`` per supplier x segment cell,
        from :func:`_tally_buyers`; the orders' cells tallied by :func:`_tally_orders`)."""
        S, G = state.n_suppliers, len(self.segment_names)
        segment = state.segment
        cells = S * G
        dropped = np.bincount(dropped_suppliers * G + segment[dropped_buyers], minlength=cells)
        order_buyers, order_suppliers, _ = tick.served_orders(S)
        order_code = order_suppliers * G + segment[order_buyers]
        served = tick.served
        opening = tick.opening if served.all() else tick.opening[served]
        price = tick.price if served.all() else tick.price[served]
        volume = tick.volume if served.all() else tick.volume[served]
        new, revenue, volumes = _tally_orders(order_code, opening, price, volume, cells)
        per = {"step": np.full(cells, tick.step), "supplier_id": np.repeat(np.arange(S), G),
               "strategy_id": np.repeat(state.strategy_id, G), "segment_id": np.tile(np.arange(G), S),
               "customers_at_start": at_start, "retained": retained,
               "left_customers": at_start - retained - dropped, "dropped_customers": dropped,
               "new_customers": new, "customers_at_end": at_end, "revenue": revenue, "volume": volumes}
        per["retention_rate"] = retention(retained, at_start, dropped)
        self.segment_rows.append(per)

    def market_frame(self) -> pd.DataFrame:
        """One row per recorded step; before the first, no rows but every column."""
        if not self.market_rows:
            return pd.DataFrame(columns=list(MARKET_COLUMNS))
        return pd.DataFrame(self.market_rows)

    def supplier_frame(self) -> pd.DataFrame:
        if not self.supplier_rows:
            return pd.DataFrame()
        df = pd.DataFrame({k: np.concatenate([r[k] for r in self.supplier_rows])
                           for k in self.supplier_rows[0]})
        df.insert(1, "supplier", pd.Categorical.from_codes(df["supplier_id"], self.supplier_names))
        df.insert(2, "strategy", pd.Categorical.from_codes(df.pop("strategy_id"), self.strategy_names))
        return df


    def segment_frame(self) -> pd.DataFrame:
        """One row per recorded step, supplier and buyer segment (:data:`SEGMENT_COLUMNS`)."""
        if not self.segment_rows:
            return pd.DataFrame(columns=list(SEGMENT_COLUMNS))
        data = {k: np.concatenate([r[k] for r in self.segment_rows]) for k in self.segment_rows[0]}
        df = pd.DataFrame({
            "step": data["step"],
            "supplier": pd.Categorical.from_codes(data["supplier_id"], self.supplier_names),
            "strategy": pd.Categorical.from_codes(data["strategy_id"], self.strategy_names),
            "segment": pd.Categorical.from_codes(data["segment_id"], self.segment_names),
            **{k: data[k].astype(np.int64) for k in SEGMENT_COUNTS},
            "revenue": data["revenue"], "volume": data["volume"], "retention_rate": data["retention_rate"],
        })
        return df


def positioning(importance: np.ndarray, value: np.ndarray, importance_threshold: float = 0.5,
                value_threshold: float = 0.6) -> np.ndarray:
    """The buyer's positioning matrix of its suppliers (seed 003): importance/risk (the
    supplier's share of the buyer's recent purchases) against value (trust and expected
    quality): partner (high, high), managed (high importance, low value), desired (low
    importance, high value), independent (low, low)."""
    high_importance = importance >= importance_threshold
    high_value = value >= value_threshold
    return np.select([high_importance & high_value, high_importance & ~high_value,
                      ~high_importance & high_value], [Positioning.PARTNER, Positioning.MANAGED,
                                                       Positioning.DESIRED],
                     Positioning.INDEPENDENT).astype(np.int8)


def relationship_frame(state: MarketState, supplier_names: list[str], segment_names: list[str],
                       importance_threshold: float = 0.5, value_threshold: float = 0.6) -> pd.DataFrame:
    """Every buyer-supplier pair that has ever traded, as it stands at the end."""
    flat = np.flatnonzero(state.orders.ravel() > 0)
    buyers, suppliers = np.divmod(flat, state.n_suppliers)
    stage = state.stage.ravel()[flat]
    loyalty = state.loyalty.ravel()[flat].astype(float)
    total_loyalty = state.loyalty.sum(axis=1, dtype=np.float64)[buyers]
    importance = np.divide(loyalty, total_loyalty, out=np.zeros_like(loyalty), where=total_loyalty > 0)
    trust = state.trust.ravel()[flat].astype(float)
    value = 0.5 * trust + 0.5 * np.clip(state.expectation.ravel()[flat], 0, 1)
    alive = (stage >= Stage.EARLY) & (stage <= Stage.FINAL)
    # The columns are fresh arrays, taken as they are (copy=False): a frame of millions of
    # pairs is not held twice; categorical codes go in at their own small integer width.
    df = pd.DataFrame({
        "buyer": buyers.astype(np.int32),
        "supplier": pd.Categorical.from_codes(suppliers, supplier_names),
        "segment": pd.Categorical.from_codes(state.segment[buyers], segment_names),
        "stage": pd.Categorical.from_codes(stage, [s.label for s in Stage]),
        "current": state.current[buyers] == suppliers,
        "key_account": state.key_account[buyers] & (state.current[buyers] == suppliers),
        "trust": trust,
        "commitment": state.commitment.ravel()[flat].astype(float),
        "preference": state.preference.ravel()[flat].astype(float),
        "loyalty": loyalty,
        "adaptation": state.adaptation.ravel()[flat].astype(float),
        "escalation": state.escalation.ravel()[flat].astype(np.int8),
        "orders": state.orders.ravel()[flat].astype(np.int32),
        "tenure": np.where(alive, state.step - state.start_step.ravel()[flat], 0).astype(np.int32),
        "net_value": state.net_value.ravel()[flat].astype(float),
        "demand": state.demand[buyers],
        "importance": importance,
        "value": value,
    }, copy=False)
    df["positioning"] = pd.Categorical.from_codes(positioning(importance, value, importance_threshold, value_threshold),
                                                  [p.label for p in Positioning])
    return df


def events_frame(log: EventLog, supplier_names: list[str]) -> pd.DataFrame:
    """The event log as a table: step, buyer, supplier, from_stage, to_stage, cause."""
    step, buyer, supplier, from_stage, to_stage, cause = log.arrays()
    stage_labels = [s.label for s in Stage]
    # Categoricals straight from the small integer codes, and the fresh arrays taken as
    # they are: a long log is not copied again on its way into the frame.
    return pd.DataFrame({
        "step": step, "buyer": buyer,
        "supplier": pd.Categorical.from_codes(supplier, supplier_names),
        "from_stage": pd.Categorical.from_codes(from_stage, stage_labels),
        "to_stage": pd.Categorical.from_codes(to_stage, stage_labels),
        "cause": pd.Categorical.from_codes(cause, [c.label for c in Cause]),
    }, copy=False)
