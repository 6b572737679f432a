"""The scenario schema: every parameter of a market, typed, with a default, a range or
unit and a one-line meaning; loading from TOML; merging strategy presets; validation.

A scenario file has these tables (all optional except what the defaults cannot supply):
``[market]`` size and horizon, ``[behaviour]`` the relationship dynamics, ``[mechanisms]``
switches, ``[[segments]]`` buyer segments, ``[strategies.NAME]`` user strategies,
``[[suppliers]]`` the suppliers, ``[[events]]`` scheduled events.
"""

from __future__ import annotations

import copy
import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .schema import Loader, ScenarioError, Spec, param, show, suggest
from .strategies import LEVELS, PRESETS, Strategy

# --------------------------------------------------------------------------- distributions

DISTRIBUTIONS = ("constant", "uniform", "normal", "lognormal", "beta", "pareto")
_DIST_KEYS = {
    "constant": ("value",),
    "uniform": ("low", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("median", "sigma"),
    "beta": ("mean", "concentration"),
    "pareto": ("minimum", "shape"),
}


@dataclass
class Distribution:
    """A buyer attribute's distribution within a segment. In TOML either a plain number
    (every buyer gets it) or a table such as ``{dist = "lognormal", median = 1, sigma = 0.8}``."""

    dist: str = "constant"
    value: float = 0.0
    low: float = 0.0
    high: float = 1.0
    mean: float = 0.0
    sd: float = 0.0
    median: float = 1.0
    sigma: float = 0.0
    concentration: float = 10.0
    minimum: float = 1.0
    shape: float = 2.0

    @classmethod
    def const(cls, value: float) -> Distribution:
        return cls(dist="constant", value=float(value))

    @classmethod
    def from_toml(cls, loader: Loader, data: Any, path: str) -> Distribution:
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            value = loader.convert(float, data, path, None)
            return cls.const(value if isinstance(value, float) else 0.0)
        if not isinstance(data, dict):
            loader.error(path, data, "must be a number or a table like "
                         "{dist = \"lognormal\", median = 1.0, sigma = 0.8}")
            return cls()
        kind = data.get("dist")
        if kind not in DISTRIBUTIONS:
            loader.error(f"{path}.dist", kind, "must be one of " + ", ".join(map(repr, DISTRIBUTIONS))
                         + (suggest(kind, list(DISTRIBUTIONS)) if isinstance(kind, str) else ""))
            return cls()
        needed = _DIST_KEYS[kind]
        out = cls(dist=kind)
        for key, value in data.items():
            if key == "dist":
                continue
            if key not in needed:
                loader.errors.append(f"{loader.source}: {path}.{key} = {show(value)}: unknown key for a {kind} "
                                     f"distribution{suggest(key, list(needed))}; allowed: dist, "
                                     + ", ".join(needed))
                continue
            converted = loader.convert(float, value, f"{path}.{key}", None)
            if isinstance(converted, float):
                setattr(out, key, converted)
        for key in needed:
            if key not in data:
                loader.errors.append(f"{loader.source}: {path}: a {kind} distribution needs "
                                     f"'{key}' (keys: {', '.join(needed)})")
        bad = ((kind == "uniform" and out.high < out.low) or (kind == "normal" and out.sd < 0)
               or (kind == "lognormal" and (out.median <= 0 or out.sigma < 0))
               or (kind == "beta" and not (0 < out.mean < 1 and out.concentration > 0))
               or (kind == "pareto" and (out.minimum <= 0 or out.shape <= 0)))
        if bad:
            loader.error(path, data, {
                "uniform": "needs high >= low", "normal": "needs sd >= 0",
                "lognormal": "needs median > 0 and sigma >= 0",
                "beta": "needs 0 < mean < 1 and concentration > 0",
                "pareto": "needs minimum > 0 and shape > 0"}[kind])
        return out

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.dist == "constant":
            return np.full(n, self.value)
        if self.dist == "uniform":
            return rng.uniform(self.low, self.high, n)
        if self.dist == "normal":
            return rng.normal(self.mean, self.sd, n)
        if self.dist == "lognormal":
            return self.median * np.exp(self.sigma * rng.standard_normal(n))
        if self.dist == "beta":
            a = self.mean * self.concentration
            return rng.beta(a, self.concentration - a, n)
        return self.minimum * (1.0 + rng.pareto(self.shape, n))

    def to_toml(self) -> Any:
        if self.dist == "constant":
            return self.value
        return {"dist": self.dist, **{k: getattr(self, k) for k in _DIST_KEYS[self.dist]}}


def dist_param(default: Distribution | float, doc: str, unit: str = "", low: float | None = None,
               high: float | None = None) -> Any:
    """A buyer attribute drawn per buyer from a distribution; samples are clipped to [low, high]."""
    value = default if isinstance(default, Distribution) else Distribution.const(default)
    spec = Spec(doc=doc, unit=unit, low=low, high=high)
    return field(default_factory=lambda: copy.deepcopy(value), metadata={"spec": spec})


# --------------------------------------------------------------------------- sections


@dataclass
class Market:
    name: str = param("Unnamed market", "A short name shown in reports.")
    description: str = param("", "What this scenario is about, for the person who runs it.")
    buyers: int = param(2000, "Number of buyer agents.", "buyers", 1, 50_000_000)
    steps: int = param(120, "Number of periods to simulate (one step = one month by default).",
                       "steps", 1, 10_000)
    seed: int = param(20241, "Root seed; replicate seeds are spawned from it.", "", 0)
    replicates: int = param(1, "Independent replicate runs (each with its own spawned seed).",
                            "runs", 1, 1_000_000)
    discount_rate: float = param(0.01, "Discount rate per step for net present value and CLV.",
                                 "1/step", 0.0, 1.0)
    switching_cost_scale: float = param(1.0, "Multiplier on every buyer's base switching cost "
                                        "(events change it: a market going online falls to ~0).",
                                        "x", 0.0, 100.0)
    peers_per_buyer: int = param(5, "Random peers each buyer hears word of mouth from.",
                                 "buyers", 0, 100)
    close_alternative_band: float = param(
        0.1, "A rival is a close alternative when its price and quality are both within this "
        "relative band of the current supplier's.", "fraction", 0.0, 10.0)
    record_events: bool = param(True, "Keep the stage-transition event log (large markets can "
                                "switch it off to save memory).")


@dataclass
class Behaviour:
    choice_intensity: float = param(4.0, "Logit intensity beta of supplier choice.", "1/utility",
                                    0.0, 1000.0)
    trust_weight: float = param(1.0, "Weight of trust in a buyer's utility (times its relational "
                                "orientation).", "utility", 0.0, 100.0)
    preference_weight: float = param(0.5, "Weight of preference memory J in utility (times "
                                     "relational orientation).", "utility", 0.0, 100.0)
    initial_trust: float = param(0.3, "Trust in a supplier a buyer has just heard of.", "", 0.0, 1.0)
    trust_gain: float = param(0.10, "lambda+: rate at which good experience builds trust.",
                              "1/step", 0.0, 1.0)
    trust_loss: float = param(0.30, "lambda-: rate at which bad experience erodes trust "
                              "(Slovic 1993: about 3x the gain).", "1/step", 0.0, 1.0)
    disconfirmation_scale: float = param(5.0, "Converts performance minus expectation into trust "
                                         "evidence in [-1, 1].", "1/quality", 0.0, 1000.0)
    tolerance_zone: float = param(0.1, "Shortfall below expectation still accepted as adequate "
                                  "(zone of tolerance).", "quality", 0.0, 1.0)
    communication_gain: float = param(0.01, "Trust gained per step of supplier contact "
                                      "(accountable level and above, or a key-account manager).",
                                      "1/step", 0.0, 1.0)
    shared_values_gain: float = param(0.005, "Trust gained per step from shared values "
                                      "(1 - cultural distance).", "1/step", 0.0, 1.0)
    opportunism_loss: float = param(0.5, "Trust lost per unit relative price rise on a buyer "
                                    "already in the relationship.", "1/price", 0.0, 100.0)
    expectation_rate: float = param(0.2, "lambda_E: expectations adapt to experience "
                                    "(Oliver 1980).", "1/step", 0.0, 1.0)
    commitment_rate: float = param(0.1, "kappa: speed at which commitment follows its drivers.",
                                   "1/step", 0.0, 1.0)
    commitment_from_trust: float = param(0.4, "Morgan & Hunt weight of trust on commitment.", "",
                                         0.0, 1.0)
    commitment_from_termination_cost: float = param(0.2, "Weight of termination costs.", "", 0.0, 1.0)
    commitment_from_benefits: float = param(0.25, "Weight of relationship benefits.", "", 0.0, 1.0)
    commitment_from_shared_values: float = param(0.15, "Weight of shared values.", "", 0.0, 1.0)
    termination_cost_scale: float = param(0.3, "Switching cost plus adaptations at which the "
                                          "termination driver reaches 63%.", "utility", 1e-6, 100.0)
    preference_memory_loss: float = param(0.1, "gamma: WKH forgetting rate of preference J.",
                                          "1/step", 0.0, 1.0)
    loyalty_alpha: float = param(0.25, "alpha: Kirman & Vriend loyalty learning rate.", "", 0.0, 100.0)
    search_from_dissatisfaction: float = param(2.0, "s_d: search probability per unit of "
                                               "dissatisfaction.", "1/quality", 0.0, 100.0)
    search_from_escalation: float = param(0.15, "s_e: search probability per escalation level.",
                                          "1/level", 0.0, 1.0)
    search_when_contacted: float = param(0.2, "s_c: search probability added when a competitor "
                                         "approached the buyer this step.", "", 0.0, 1.0)
    development_trust: float = param(0.5, "Trust needed to move early -> development.", "", 0.0, 1.0)
    development_orders: int = param(3, "Orders needed to move early -> development.", "orders", 1,
                                    10_000)
    long_term_commitment: float = param(0.6, "Commitment needed (with adaptations) to move "
                                        "development -> long-term.", "", 0.0, 1.0)
    final_tenure: int = param(24, "Tenure after which a long-term relationship becomes final "
                              "when competition is weak.", "steps", 1, 10_000)
    final_max_close_alternatives: int = param(2, "A relationship becomes final only with fewer "
                                              "close alternatives than this.", "suppliers", 0, 1000)
    distance_breakup: float = param(0.1, "b: per-step probability of breaking an early "
                                    "relationship per unit of cultural distance.", "1/step", 0.0, 1.0)
    final_stage_habit: float = param(0.5, "How much less a buyer in the final stage looks around "
                                     "on its own (institutionalised habit).", "fraction", 0.0, 1.0)
    max_need_gap: float = param(0.3, "Largest gap unnoticed need drift can open between what a "
                                "buyer needs and what it gets.", "quality", 0.0, 10.0)
    calm_steps_to_ease: int = param(12, "Steps without a problem after which escalation eases by "
                                    "one level.", "steps", 1, 10_000)
    warning_escalation: int = param(2, "Escalation level at which a customer warns its peers "
                                    "against its supplier.", "levels", 1, 100)
    warning_trust_effect: float = param(2.0, "How strongly net warnings lower a newly aware "
                                        "buyer's initial trust: T0*(1 + effect*min(w, 0)).", "",
                                        0.0, 100.0)
    joint_investment_factor: float = param(2.0, "At partnership level the customer co-invests: "
                                           "adaptation stock grows this many times the "
                                           "supplier's spend.", "x", 1.0, 100.0)
    positioning_importance: float = param(0.5, "Share of a buyer's recent purchases above which "
                                          "a supplier is important to it (positioning matrix).",
                                          "", 0.0, 1.0)
    positioning_value: float = param(0.6, "Value index (mean of trust and expected quality) "
                                     "above which a supplier is of high value to the buyer.", "",
                                     0.0, 1.0)
    problem_threshold: float = param(0.4, "Delivered performance below this is a problem.",
                                     "quality", -10.0, 10.0)
    escalation_window: int = param(6, "A problem escalates when another came within this many "
                                   "steps.", "steps", 1, 1000)
    escalation_exit_level: int = param(5, "Escalation level at which the client goes to "
                                       "arbitration and leaves.", "levels", 1, 100)
    recovery_probability: float = param(0.6, "Chance a known problem is resolved (reactive level "
                                        "and above).", "", 0.0, 1.0)
    partnership_recovery_probability: float = param(0.9, "Chance a known problem is solved "
                                                    "jointly at partnership level.", "", 0.0, 1.0)
    followup_detection: float = param(0.7, "Chance an accountable (or higher) supplier's "
                                      "follow-up finds a silent dissatisfied customer.", "", 0.0, 1.0)
    recovery_evidence: float = param(0.3, "Trust evidence of a resolved problem (service "
                                     "recovery).", "", -1.0, 1.0)
    drift_notice_probability: float = param(0.5, "Chance per step that a proactive supplier or a "
                                            "key-account manager notices drifted needs.", "", 0.0, 1.0)
    base_wallet_share: float = param(0.6, "Share of its demand a buyer places with a new "
                                     "supplier.", "", 0.0, 1.0)
    wallet_share_gain: float = param(0.02, "Share of wallet gained per step from proactive "
                                     "offers of improvements.", "1/step", 0.0, 1.0)
    awareness_per_contact: float = param(0.03, "Bass p: awareness hazard per acquisition contact.",
                                         "1/contact", 0.0, 10.0)
    word_of_mouth_strength: float = param(0.4, "Bass q: awareness hazard per unit of net "
                                          "word of mouth.", "", 0.0, 100.0)
    advocacy_commitment: float = param(0.5, "Commitment above which a satisfied customer "
                                       "recommends its supplier.", "", 0.0, 1.0)
    key_account_benefit: float = param(0.1, "k: performance added for a key account.", "quality",
                                       0.0, 10.0)
    adaptation_benefit: float = param(0.5, "a: performance added per unit of adaptations.",
                                      "quality/unit", 0.0, 10.0)
    adaptation_ceiling: float = param(0.3, "Most adaptation stock a relationship accumulates.",
                                      "units", 0.0, 100.0)
    adaptation_commitment: float = param(0.4, "Commitment at which a supplier expects long-term "
                                         "profit and starts adapting.", "", 0.0, 1.0)
    cost_per_contact: float = param(0.02, "Cost of one acquisition contact.", "money", 0.0, 1e6)
    cost_per_adaptation: float = param(2.0, "Cost of one unit of adaptation.", "money/unit", 0.0, 1e6)
    cost_to_serve_scale: float = param(0.05, "Money per active customer per step per unit of "
                                       "level cost.", "money", 0.0, 1e6)
    level_costs: list[float] = param([0.0, 0.5, 1.0, 2.0, 4.0], "Relative cost to serve for "
                                     "basic, reactive, accountable, proactive, partnership.",
                                     "", 0.0, 1e6)
    habitual_cost_discount: float = param(0.3, "Cost to serve saved in long-term and final "
                                          "relationships.", "fraction", 0.0, 1.0)
    key_account_manager_cost: float = param(1.0, "Cost of one key-account manager per step.",
                                            "money/step", 0.0, 1e6)
    late_payment_cost: float = param(0.05, "Collection cost of a late payment, as a share of "
                                     "the invoice.", "fraction", 0.0, 1.0)
    review_interval: int = param(12, "Steps between a supplier's reviews of customer "
                                 "profitability (and of strategy, when suppliers learn).",
                                 "steps", 1, 10_000)
    drop_min_tenure: int = param(6, "A customer is only dropped after this many steps.", "steps",
                                 0, 10_000)
    value_memory: float = param(0.2, "EWMA weight of a customer's recent net value used when "
                                "reviewing profitability.", "", 0.0, 1.0)
    imitation_probability: float = param(0.3, "Chance per review that a supplier compares itself "
                                         "with a random rival (replicator dynamics).", "", 0.0, 1.0)


@dataclass
class Mechanisms:
    awareness_diffusion: bool = param(True, "Off: every buyer knows every active supplier from "
                                      "the start.")
    word_of_mouth: bool = param(True, "Committed customers recommend, escalating ones warn.")
    habitual_rebuying: bool = param(True, "Off: every buyer searches every step (no habit).")
    switching_costs: bool = param(True, "Leaving the current supplier costs base switching cost "
                                  "plus adaptations.")
    asymmetric_trust: bool = param(True, "Off: trust is lost at the same rate it is gained.")
    expectation_adaptation: bool = param(True, "Off: expectations stay at their first value.")
    service_recovery: bool = param(True, "Complaints and follow-up by Kotler level.")
    escalation: bool = param(True, "The key-client loss cycle: repeated problems escalate to exit.")
    distance_breakup: bool = param(True, "Cultural/technological distance can break early "
                                   "relationships.")
    complacency: bool = param(True, "Needs drift unnoticed in habitual relationships.")
    adaptations: bool = param(True, "Relationship-specific investments.")
    key_accounts: bool = param(True, "Key-account management.")
    customer_dropping: bool = param(True, "Suppliers may drop unprofitable customers.")
    capacity_limits: bool = param(True, "Supplier capacity rations orders.")
    stage_progression: bool = param(True, "Relationships move through Ford's stages.")
    supplier_learning: bool = param(False, "Suppliers imitate more profitable rivals' strategies.")


@dataclass
class Segment:
    name: str = param("buyers", "Segment name.")
    share: float = param(1.0, "Share of all buyers in this segment.", "fraction", 0.0, 1.0)
    demand: Distribution = dist_param(Distribution("lognormal", median=1.0, sigma=0.8),
                                      "Units a buyer needs per step (heavy-tailed).", "units", 0.0)
    willingness_to_pay: Distribution = dist_param(1.6, "Value per unit of delivered performance.",
                                                  "money/quality", 0.0)
    price_sensitivity: Distribution = dist_param(3.0, "b_p: utility lost per unit of price.",
                                                 "utility/money", 0.0)
    quality_sensitivity: Distribution = dist_param(3.0, "b_q: utility per unit of expected quality.",
                                                   "utility/quality", 0.0)
    relational_orientation: Distribution = dist_param(
        0.5, "rho: weight of trust and preference against price (0 = purely transactional).",
        "", 0.0, 1.0)
    switching_cost: Distribution = dist_param(0.1, "Base utility cost of leaving a supplier.",
                                              "utility", 0.0)
    search_propensity: Distribution = dist_param(0.05, "s_0: chance a settled buyer looks around "
                                                 "anyway.", "1/step", 0.0, 1.0)
    complaint_propensity: Distribution = dist_param(0.3, "Chance a problem is voiced (the rest "
                                                    "leave silently).", "", 0.0, 1.0)
    referral_propensity: Distribution = dist_param(0.3, "Strength of this buyer's word of mouth.",
                                                   "", 0.0, 1.0)
    need_drift: Distribution = dist_param(0.01, "Growth per step of the unnoticed gap between "
                                          "needs and offer.", "quality/step", 0.0, 1.0)
    payment_reliability: Distribution = dist_param(0.95, "Chance an invoice is paid on time.", "",
                                                   0.0, 1.0)
    cost_to_serve: Distribution = dist_param(1.0, "Multiplier on the supplier's cost to serve "
                                             "this buyer.", "x", 0.0)
    cultural_position: Distribution = dist_param(Distribution("uniform", low=0.0, high=1.0),
                                                 "Position on the cultural/technological line.",
                                                 "", 0.0, 1.0)


@dataclass
class SupplierSpec:
    name: str = param("Supplier", "Name; with count > 1 the copies are numbered.")
    strategy: str = param("transactional", "A preset or a strategy from [strategies].")
    count: int = param(1, "How many identical suppliers this entry creates.", "suppliers", 1, 10_000)
    unit_cost: float = param(0.6, "Cost of goods per unit.", "money/unit", 0.0)
    quality: float = param(0.7, "Mean delivered quality.", "quality", 0.0, 10.0)
    quality_noise: float = param(0.1, "sigma: standard deviation of delivered quality.", "quality",
                                 0.0, 10.0)
    capacity: float = param(float("inf"), "Units deliverable per step (inf = unlimited).", "units",
                            0.0, allow_inf=True)
    cultural_position: float = param(0.5, "Position on the cultural/technological line.", "", 0.0, 1.0)
    initial_awareness: float = param(0.3, "Share of buyers who know this supplier at the start, "
                                     "or on the step it enters (launch publicity).", "", 0.0, 1.0)
    focal: bool = param(False, "The supplier whose strategy `relsim compare` varies (default: "
                        "the first [[suppliers]] entry).")
    overrides: dict[str, Any] = field(default_factory=dict)  # strategy fields set inline


@dataclass
class Event:
    step: int = param(0, "Step at which the event happens.", "step", 0)
    kind: str = param("price_change", "What happens.", choices=(
        "supplier_entry", "supplier_exit", "price_change", "quality_change", "demand_shock",
        "switching_cost_change"))
    supplier: str = param("", "Supplier name (or '*' for all) for supplier events.")
    segment: str = param("", "Segment name for a demand shock (empty: all).")
    markup: float = param(-1.0, "New markup for a price change.", "fraction", -1.0)
    quality: float = param(-1.0, "New mean quality for a quality change.", "quality", -1.0)
    factor: float = param(1.0, "Multiplier for a demand shock or a switching-cost change.", "x", 0.0)


SECTIONS = {"market": Market, "behaviour": Behaviour, "mechanisms": Mechanisms}
TOP_KEYS = ("market", "behaviour", "mechanisms", "segments", "strategies", "suppliers", "events")


@dataclass
class Scenario:
    """A fully resolved scenario: what the model runs."""

    market: Market = field(default_factory=Market)
    behaviour: Behaviour = field(default_factory=Behaviour)
    mechanisms: Mechanisms = field(default_factory=Mechanisms)
    segments: list[Segment] = field(default_factory=lambda: [Segment()])
    strategies: dict[str, Strategy] = field(default_factory=dict)
    suppliers: list[SupplierSpec] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    source: str = "<scenario>"

    # ----------------------------------------------------------------- derived views
    def strategy_named(self, name: str) -> Strategy:
        if name in self.strategies:
            return self.strategies[name]
        return PRESETS[name]

    def supplier_table(self) -> list[dict[str, Any]]:
        """One row per supplier agent: its spec, its resolved strategy and its name."""
        rows = []
        for spec in self.suppliers:
            strategy = dataclasses.replace(self.strategy_named(spec.strategy), **spec.overrides)
            for k in range(spec.count):
                name = spec.name if spec.count == 1 else f"{spec.name} {k + 1}"
                rows.append({"name": name, "spec": spec, "strategy": strategy,
                             "strategy_name": spec.strategy})
        return rows

    def to_dict(self) -> dict[str, Any]:
        """The scenario as resolved, in the shape of a scenario file (for manifests)."""
        def plain(obj: Any) -> Any:
            if isinstance(obj, Distribution):
                return obj.to_toml()
            if dataclasses.is_dataclass(obj):
                return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
            if isinstance(obj, list):
                return [plain(v) for v in obj]
            if isinstance(obj, dict):
                return {k: plain(v) for k, v in obj.items()}
            if isinstance(obj, float) and not np.isfinite(obj):
                return str(obj)
            return obj
        out = {k: plain(getattr(self, k)) for k in TOP_KEYS}
        for s in out["suppliers"]:
            s.update(s.pop("overrides"))
        return out

    def with_overrides(self, overrides: dict[str, Any], source: str = "--set") -> Scenario:
        """A copy with dotted-key overrides applied (``buyers.switching_cost``-style keys are
        resolved by :func:`apply_overrides`)."""
        return apply_overrides(self, overrides, source)


# --------------------------------------------------------------------------- loading


def read_toml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.exists():
        raise ScenarioError(f"{path}: no such scenario file")
    if path.is_dir():
        raise ScenarioError(f"{path}: is a folder, not a scenario file")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    except (UnicodeDecodeError, OSError) as exc:
        raise ScenarioError(f"{path}: cannot be read: {exc}") from None


def load_scenario(path: str | Path) -> Scenario:
    """Read, validate and resolve a scenario file. Raises :class:`ScenarioError`."""
    return scenario_from_dict(read_toml(path), str(path))


def scenario_from_dict(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    loader = Loader(source)
    for key in data:
        if key not in TOP_KEYS:
            loader.errors.append(f"{source}: {key}: unknown table{suggest(key, list(TOP_KEYS))}; "
                                 f"allowed: {', '.join(TOP_KEYS)}")
    scenario = Scenario(source=source)
    for key, cls in SECTIONS.items():
        if key in data:
            setattr(scenario, key, loader.build(cls, data[key], key))
    if "segments" in data:
        segs = data["segments"]
        if not isinstance(segs, list) or not segs:
            loader.error("segments", segs, "must be one or more [[segments]] tables")
        else:
            scenario.segments = [loader.build(Segment, s, f"segments[{i}]") for i, s in enumerate(segs)]
    strategy_fields = [f.name for f in dataclasses.fields(Strategy)]
    if "strategies" in data:
        table = data["strategies"]
        if not isinstance(table, dict):
            loader.error("strategies", table, "must be [strategies.NAME] tables")
        else:
            pending: dict[str, tuple[str, dict]] = {}
            for name, body in table.items():
                where = f"strategies.{name}"
                if not isinstance(body, dict):
                    loader.error(where, body, "must be a [strategies.NAME] table")
                    continue
                base_name = body.get("based_on", "transactional")
                if not isinstance(base_name, str) or (base_name not in PRESETS and base_name not in table):
                    loader.error(f"{where}.based_on", base_name, "must be a preset or another strategy "
                                 "of this file: " + ", ".join(list(PRESETS) + [n for n in table if n != name])
                                 + suggest(str(base_name), list(PRESETS) + list(table)))
                    continue
                pending[name] = (base_name, body)
            # A strategy may build on another of the file's strategies, defined before or after
            # it; a name based on itself means the preset of that name.
            while pending:
                ready = [n for n, (base, _) in pending.items()
                         if base == n or base not in pending]
                if not ready:
                    loader.error(f"strategies.{next(iter(pending))}.based_on", pending[next(iter(pending))][0],
                                 "strategies are based on each other in a circle: " + " -> ".join(pending))
                    break
                for name in ready:
                    base_name, body = pending.pop(name)
                    if base_name == name or base_name not in scenario.strategies:
                        base = PRESETS.get(base_name, Strategy())
                    else:
                        base = scenario.strategies[base_name]
                    built = loader.build(Strategy, body, f"strategies.{name}", extra_keys=("based_on",))
                    given = {k: getattr(built, k) for k in body if k in strategy_fields}
                    scenario.strategies[name] = dataclasses.replace(base, **given)
    if "suppliers" in data:
        sups = data["suppliers"]
        if not isinstance(sups, list) or not sups:
            loader.error("suppliers", sups, "must be one or more [[suppliers]] tables")
        else:
            scenario.suppliers = [_build_supplier(loader, s, f"suppliers[{i}]", strategy_fields)
                                  for i, s in enumerate(sups)]
    if "events" in data:
        evs = data["events"]
        if not isinstance(evs, list):
            loader.error("events", evs, "must be [[events]] tables")
        else:
            scenario.events = [loader.build(Event, e, f"events[{i}]") for i, e in enumerate(evs)]
    loader.fail_if_errors()
    check_consistency(scenario)
    return scenario


def _build_supplier(loader: Loader, data: Any, where: str, strategy_fields: list[str]) -> SupplierSpec:
    if not isinstance(data, dict):
        loader.error(where, data, "must be a [[suppliers]] table")
        return SupplierSpec()
    own = {k: v for k, v in data.items() if k not in strategy_fields or k == "name"}
    # a supplier entry may set any strategy field inline, overriding its strategy
    inline = {k: v for k, v in data.items() if k in strategy_fields and k != "name"}
    spec_fields = [f.name for f in dataclasses.fields(SupplierSpec) if f.name != "overrides"]
    for key in list(own):
        if key not in spec_fields:
            loader.errors.append(f"{loader.source}: {where}.{key} = {show(own[key])}: unknown key"
                                 f"{suggest(key, spec_fields + strategy_fields)}; allowed: "
                                 f"{', '.join(spec_fields)} or any strategy field "
                                 f"({', '.join(strategy_fields)})")
            own.pop(key)
    spec = loader.build(SupplierSpec, own, where)
    if inline:
        built = loader.build(Strategy, inline, where)
        spec.overrides = {k: getattr(built, k) for k in inline}
    return spec


def check_consistency(scenario: Scenario) -> None:
    """Cross-field checks that a single field's range cannot express."""
    src = scenario.source
    errors: list[str] = []
    total = sum(s.share for s in scenario.segments)
    if abs(total - 1.0) > 1e-6:
        errors.append(f"{src}: segments[*].share = {[s.share for s in scenario.segments]}: "
                      f"shares must add up to 1 (they add up to {total:g})")
    names = [s.name for s in scenario.segments]
    if len(set(names)) != len(names):
        errors.append(f"{src}: segments[*].name = {names}: segment names must be unique")
    b = scenario.behaviour
    weights = (b.commitment_from_trust + b.commitment_from_termination_cost
               + b.commitment_from_benefits + b.commitment_from_shared_values)
    if abs(weights - 1.0) > 1e-6:
        errors.append(f"{src}: behaviour.commitment_from_* = {weights:g} in total: the four "
                      f"commitment weights must add up to 1")
    if len(b.level_costs) != len(LEVELS):
        errors.append(f"{src}: behaviour.level_costs = {b.level_costs}: needs {len(LEVELS)} "
                      f"numbers, one per level ({', '.join(LEVELS)})")
    if not scenario.suppliers:
        errors.append(f"{src}: suppliers: a scenario needs at least one [[suppliers]] table")
    known = set(PRESETS) | set(scenario.strategies)
    for i, s in enumerate(scenario.suppliers):
        if s.strategy not in known:
            errors.append(f"{src}: suppliers[{i}].strategy = {s.strategy!r}: no such strategy"
                          f"{suggest(s.strategy, sorted(known))}; known: {', '.join(sorted(known))}")
    sup_names = [row["name"] for row in scenario.supplier_table()] if not errors else []
    if len(set(sup_names)) != len(sup_names):
        errors.append(f"{src}: suppliers[*].name: supplier names must be unique ({sup_names})")
    base_names = {s.name for s in scenario.suppliers} | set(sup_names)
    for i, e in enumerate(scenario.events):
        where = f"{src}: events[{i}]"
        if e.step >= scenario.market.steps:
            errors.append(f"{where}.step = {e.step}: must be below market.steps "
                          f"({scenario.market.steps})")
        if e.kind in ("supplier_entry", "supplier_exit", "price_change", "quality_change"):
            if e.supplier != "*" and e.supplier not in base_names:
                errors.append(f"{where}.supplier = {e.supplier!r}: no such supplier"
                              f"{suggest(e.supplier, sorted(base_names))}; known: "
                              f"{', '.join(sorted(base_names))}" + (", '*'" if e.kind in (
                                  "price_change", "quality_change", "supplier_exit") else ""))
        if e.kind == "supplier_entry" and e.supplier == "*":
            errors.append(f"{where}.supplier = '*': an entry names one supplier")
        if e.kind == "price_change" and e.markup < 0:
            errors.append(f"{where}.markup: a price_change needs markup = a number >= 0")
        if e.kind == "quality_change" and e.quality < 0:
            errors.append(f"{where}.quality: a quality_change needs quality = a number >= 0")
        if e.kind == "demand_shock" and e.segment and e.segment not in names:
            errors.append(f"{where}.segment = {e.segment!r}: no such segment"
                          f"{suggest(e.segment, names)}; known: {', '.join(names)}")
    if errors:
        raise ScenarioError(errors)


# --------------------------------------------------------------------------- overrides

_SECTION_ALIASES = {"buyers": "segments", "segment": "segments", "supplier": "suppliers"}


def parse_override_value(text: str) -> Any:
    """Read the value of KEY=VALUE as TOML (numbers, booleans, quoted or bare text)."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(scenario: Scenario, overrides: dict[str, Any], source: str = "--set") -> Scenario:
    """Apply dotted-key overrides and re-validate everything as if it came from the file.

    Keys: ``market.steps``, ``behaviour.trust_loss``, ``mechanisms.escalation``;
    ``buyers.FIELD`` or ``segments.FIELD`` (every segment) or ``segments[NAME|i].FIELD``;
    ``suppliers.FIELD`` (every supplier) or ``suppliers[NAME|i].FIELD``;
    ``strategies.NAME.FIELD``."""
    data = scenario.to_dict()
    errors = []
    for key, value in overrides.items():
        where = f"{scenario.source} with {source}: {key} = {show(value)}"
        head, _, rest = key.partition(".")
        index = None
        if "[" in head and head.endswith("]"):
            head, index = head[:-1].split("[", 1)
        head = _SECTION_ALIASES.get(head, head)
        if head not in TOP_KEYS:
            errors.append(f"{where}: unknown key{suggest(head, list(TOP_KEYS) + ['buyers'])}; use "
                          f"TABLE.FIELD with TABLE one of {', '.join(TOP_KEYS)} (or buyers), e.g. "
                          f"market.steps, buyers.switching_cost, suppliers[NAME].markup, "
                          f"strategies.NAME.markup")
            continue
        if not rest:
            errors.append(f"{where}: unknown key; name a field of the table, e.g. {head}.FIELD "
                          f"(`relsim params` lists them)")
            continue
        if head in SECTIONS:
            data.setdefault(head, {})[rest] = value
        elif head == "strategies":
            name, _, fld = rest.partition(".")
            # a new strategy may be defined on the command line, but only by naming its base,
            # so that a misspelt existing name is an error rather than a silent new strategy
            creating = f"strategies.{name}.based_on" in overrides
            if name not in data["strategies"] and name not in PRESETS and not creating:
                known = sorted(set(PRESETS) | set(data["strategies"]))
                errors.append(f"{where}: no such strategy{suggest(name, known)}; known: "
                              f"{', '.join(known)} (define a new one with --set strategies.{name}.based_on=PRESET)")
                continue
            base = {"based_on": name if name in PRESETS else overrides.get(f"strategies.{name}.based_on")}
            data["strategies"].setdefault(name, base)[fld] = value
        else:
            items = data[head]
            targets = items
            if index is not None:
                targets = [it for i, it in enumerate(items) if index in (str(i), it.get("name"))]
                if not targets:
                    errors.append(f"{where}: no {head[:-1]} named or numbered {index!r}"
                                  f"{suggest(index, [it['name'] for it in items if 'name' in it])}")
                    continue
            for it in targets:
                it[rest] = value
    if errors:
        raise ScenarioError(errors)
    # strategies that were presets, written out in full, must not rebase on themselves
    for name, body in data["strategies"].items():
        body.setdefault("based_on", "transactional" if name not in PRESETS else name)
    data["strategies"] = {k: v for k, v in data["strategies"].items()
                          if not (k in PRESETS and v.get("based_on") == k and len(v) == 1)}
    return scenario_from_dict(data, f"{scenario.source} with {source}")
