"""The tables of a scenario file as typed dataclasses: ``[market]``, ``[behaviour]``,
``[mechanisms]``, ``[[segments]]``, ``[[suppliers]]`` and ``[[events]]``. Every field is
declared with a default, a range or choices, a unit and a one-line meaning."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sim.config.distributions import Distribution, dist_param
from sim.config.schema import param

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
    final_max_close_alternatives: int = param(2, "A relationship becomes final only while the "
                                              "buyer sees fewer close alternatives than this.",
                                              "suppliers", 0, 1000)
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
    base_wallet_share: float = param(0.3, "Share of its demand a multi-sourcing buyer first "
                                     "gives a supplier it adds to its portfolio (taken from "
                                     "the others; a single-sourcing buyer places all of it).",
                                     "", 0.0, 1.0)
    wallet_share_gain: float = param(1.0, "Pull of a proactive supplier's offers of improvements "
                                     "on a multi-sourcing buyer's split of its demand (added to "
                                     "the logit of its share, times the buyer's relational "
                                     "orientation), at the buyer's other suppliers' expense.",
                                     "utility", 0.0, 100.0)
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
    # --- relationship economics (acquisition, share of wallet, value with tenure)
    search_from_price_rise: float = param(1.0, "Search probability per unit of relative price "
                                          "rise times the buyer's price sensitivity "
                                          "(opportunism is noticed).", "1/utility", 0.0, 100.0)
    wallet_growth_rate: float = param(0.1, "Speed at which a multi-sourcing buyer's split of "
                                      "its demand moves toward its target: a logit share over "
                                      "its suppliers by the utility it chooses by, commitment "
                                      "and proactive offers.", "1/step", 0.0, 1.0)
    wallet_intensity: float = param(1.0, "How strongly a multi-sourcing buyer's split follows "
                                    "the utility of its suppliers (the logit intensity of the "
                                    "split): below choice_intensity, since a buyer that keeps "
                                    "several sources hedges rather than giving all to the best.",
                                    "1/utility", 0.0, 100.0)
    consolidation_share: float = param(0.05, "A multi-sourcing buyer stops buying from a supplier "
                                       "whose share of its demand has fallen below this (it "
                                       "consolidates its supplier base: the relationship ends, "
                                       "switched away); 0 keeps every source however small.",
                                       "fraction", 0.0, 0.5)
    wallet_commitment_weight: float = param(4.0, "How strongly commitment draws share of wallet "
                                            "(growing purchases): added to the logit of a "
                                            "supplier's share, times relational orientation x "
                                            "commitment.", "", 0.0, 100.0)
    cost_per_new_customer: float = param(2.0, "Sales time and onboarding to open an account, paid "
                                         "by the supplier for every customer it wins, per unit "
                                         "of the buyer's demand per step; part of acquisition "
                                         "spend.", "money/unit", 0.0, 1e6)
    premium_acceptance: float = param(0.2, "Share of the price penalty a fully committed, fully "
                                      "relational buyer no longer feels for its own supplier "
                                      "(the price premium committed customers accept).", "",
                                      0.0, 1.0)

    # --- stages, loss cycle (issue 8: stages that ripen, a loss cycle that completes)
    development_needs_investment: bool = param(
        True, "Early -> development also needs the supplier's relationship investment for this "
        "customer (contact after the sale, a key-account manager, retention spend or adaptations); "
        "a basic supplier's customers stay in the early stage (Ford 1990).")
    final_alternative_margin: float = param(
        0.3, "A rival is a close alternative, in a buyer's own view, when its utility to the "
        "buyer (before switching costs) is within this margin of the current supplier's.",
        "utility", 0.0, 100.0)
    escalation_rescue_probability: float = param(
        0.3, "Chance per step that an attentive supplier (accountable level and above, or a "
        "key-account manager) catches an openly dissatisfied client and settles the dispute; "
        "a reactive one only hears the ultimatum.", "", 0.0, 1.0)


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
    # --- relationship economics: Reichheld & Sasser's (1990) sources of value with tenure
    growing_purchases: bool = param(True, "A multi-sourcing buyer moves share of wallet toward "
                                    "the suppliers it is committed to (at the others' expense).")
    habitual_cost_saving: bool = param(True, "Long-term and final relationships cost less to "
                                       "serve (habitual_cost_discount).")
    referrals: bool = param(True, "Committed customers' recommendations approach buyers who "
                            "already know the supplier: referral-won customers cost no "
                            "prospecting.")
    price_premium: bool = param(True, "Committed, relational buyers feel less of their own "
                                "supplier's price (premium_acceptance).")
    price_rise_search: bool = param(True, "A price rise makes the buyer look around, by the size "
                                    "of the rise and its price sensitivity.")


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
    # --- relationship economics
    max_suppliers: int = param(1, "Suppliers a buyer of this segment splits its demand among "
                               "(multi-sourcing; key accounts typically keep two or three).",
                               "suppliers", 1, 20)


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
    step: int = param(0, "Step at which the event happens (required: an event names its step).", "step", 0)
    kind: str = param("price_change", "What happens (required: an event names its kind).", choices=(
        "supplier_entry", "supplier_exit", "price_change", "quality_change", "demand_shock",
        "switching_cost_change"))
    supplier: str = param("", "Supplier name (or '*' for all) for supplier events.")
    segment: str = param("", "Segment name for a demand shock (empty: all).")
    markup: float = param(-1.0, "New markup for a price change.", "fraction", -1.0)
    quality: float = param(-1.0, "New mean quality for a quality change.", "quality", -1.0)
    factor: float = param(1.0, "Multiplier for a demand shock or a switching-cost change.", "x", 0.0)


SECTIONS = {"market": Market, "behaviour": Behaviour, "mechanisms": Mechanisms}
TOP_KEYS = ("market", "behaviour", "mechanisms", "segments", "strategies", "suppliers", "events")

