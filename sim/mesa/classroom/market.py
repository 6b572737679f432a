"""The classroom's Mesa model: a lesson's market with the levers a teacher moves.

A lever left at the lesson's own value changes nothing (the lesson's scenario is used as
written, distributions and all); a lever moved becomes a ``--set``-style override of the
scenario, so what the page runs is always a scenario ``relsim run`` could run too
(``model.market_scenario``)."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from sim.config import LEVELS, Scenario
from sim.mesa.classroom.lessons import Lesson, load_lesson, load_lessons
from sim.mesa.model import RelationshipMarket

#: The strategy mixes a teacher can pick; "lever supplier" is the supplier the levers act on.
MIXES = ("as in the lesson", "everyone transactional", "everyone relationship",
         "lever supplier relationship, the others transactional",
         "lever supplier transactional, the others relationship")


@dataclass(frozen=True)
class Lever:
    name: str
    label: str
    kind: str                        # "slider" (float), "int" or "select"
    low: float = 0.0
    high: float = 1.0
    step: float = 0.01
    choices: tuple[str, ...] = ()
    help: str = ""


LEVERS = (
    Lever("strategy_mix", "Strategy mix", "select", choices=MIXES,
          help="Which suppliers play transactional and which relationship marketing (presets)."),
    Lever("price_premium", "Price premium of the lever supplier (markup)", "slider", 0.0, 1.0, 0.01,
          help="Price = unit cost x (1 + markup)."),
    Lever("switching_cost", "Switching cost (x the lesson's)", "slider", 0.0, 4.0, 0.1,
          help="Multiplier on every buyer's cost of changing supplier (market.switching_cost_scale)."),
    Lever("relational_orientation", "Buyers' relational orientation (mean)", "slider", 0.0, 1.0, 0.05,
          help="How much buyers weigh trust and preference against price and quality."),
    Lever("kotler_level", "Kotler level of the lever supplier", "select", choices=LEVELS,
          help="basic, reactive, accountable, proactive, partnership."),
    Lever("key_account_managers", "Key-account managers of the lever supplier", "int", 0, 20, 1),
    Lever("entry_step", "Competitor's entry", "int", 0, 240, 1,       # the page adds its unit: (month)
          help="When the entering supplier arrives (the lesson's first supplier_entry event)."),
    Lever("choice_intensity", "How strongly buyers follow experience (choice intensity beta)", "slider",
          0.0, 8.0, 0.1, help="Logit intensity of supplier choice."),
    Lever("buyers", "Buyers", "int", 100, 5000, 100),
)
LEVER_NAMES = tuple(lever.name for lever in LEVERS)


def _mean_of(distribution) -> float:
    return float(distribution.value if distribution.dist == "constant" else distribution.mean)


def supplier_names(scenario: Scenario) -> list[str]:
    """The names of the scenario's [[suppliers]] tables (a table with count = 2 is one name)."""
    return [spec.name for spec in scenario.suppliers]


def entry_event(scenario: Scenario) -> int | None:
    """Index of the scenario's first supplier entry after step 0, or None."""
    return next((k for k, e in enumerate(scenario.events) if e.kind == "supplier_entry" and e.step > 0), None)


def lesson_settings(scenario: Scenario, lever_supplier: str) -> dict[str, Any]:
    """Every lever at the value the scenario itself has (what the page's controls show)."""
    row = next(r for r in scenario.supplier_table() if r["spec"].name == lever_supplier)
    strategy = row["strategy"]
    entry = entry_event(scenario)
    return {
        "strategy_mix": MIXES[0],
        "price_premium": float(strategy.markup),
        "switching_cost": float(scenario.market.switching_cost_scale),
        "relational_orientation": round(_mean_of(scenario.segments[0].relational_orientation), 4),
        "kotler_level": strategy.level,
        "key_account_managers": int(strategy.key_account_managers),
        "entry_step": None if entry is None else int(scenario.events[entry].step),
        "choice_intensity": float(scenario.behaviour.choice_intensity),
        "buyers": int(scenario.market.buyers),
    }


def lever_overrides(scenario: Scenario, lever_supplier: str, settings: dict[str, Any]) -> dict[str, Any]:
    """The scenario overrides for the levers that differ from the lesson's own values."""
    lesson = lesson_settings(scenario, lever_supplier)
    moved = {k: v for k, v in settings.items() if v is not None and k in lesson and v != lesson[k]}
    unknown = set(settings) - set(LEVER_NAMES)
    if unknown:
        raise TypeError(f"unknown lever(s): {', '.join(sorted(unknown))} (levers: {', '.join(LEVER_NAMES)})")
    out: dict[str, Any] = {}
    target = f"suppliers[{lever_supplier}]"
    mix = moved.get("strategy_mix")
    if mix is not None:
        if mix not in MIXES:
            raise ValueError(f"strategy_mix = {mix!r}: one of {', '.join(MIXES)}")
        for name in supplier_names(scenario):
            mine = name == lever_supplier
            relational = {"everyone transactional": False, "everyone relationship": True,
                          MIXES[3]: mine, MIXES[4]: not mine}[mix]
            out[f"suppliers[{name}].strategy"] = "relationship" if relational else "transactional"
    if "price_premium" in moved:
        out[f"{target}.markup"] = float(moved["price_premium"])
    if "kotler_level" in moved:
        out[f"{target}.level"] = moved["kotler_level"]
    if "key_account_managers" in moved:
        out[f"{target}.key_account_managers"] = int(moved["key_account_managers"])
    if "switching_cost" in moved:
        out["market.switching_cost_scale"] = float(moved["switching_cost"])
    if "relational_orientation" in moved:
        mean = float(moved["relational_orientation"])
        current = scenario.segments[0].relational_orientation
        if current.dist == "beta" and 0.0 < mean < 1.0:
            out["buyers.relational_orientation"] = {"dist": "beta", "mean": mean,
                                                    "concentration": current.concentration}
        else:
            out["buyers.relational_orientation"] = mean
    if "entry_step" in moved and entry_event(scenario) is not None:
        out[f"events[{entry_event(scenario)}].step"] = int(moved["entry_step"])
    if "choice_intensity" in moved:
        out["behaviour.choice_intensity"] = float(moved["choice_intensity"])
    if "buyers" in moved:
        out["market.buyers"] = int(moved["buyers"])
    return out


class ClassroomMarket(RelationshipMarket):
    """A lesson's market with levers. Every argument is a keyword with a default, as Mesa's
    SolaraViz controller needs to rebuild the model on Reset (``type(model)(**params)``).

    ``lesson`` is a :class:`Lesson`, the path of a scenario TOML, or the key of a shipped
    lesson (e.g. ``"4-complacency-and-the-new-entrant"``). A lever left ``None`` keeps the
    lesson's value. ``ticker`` keeps the notable events of the recent steps (newest last);
    ``silent_defections`` counts, per supplier name, the buyers of every "silent defection"
    ticker line since step 0 (the ticker itself keeps only its recent lines)."""

    TICKER_LENGTH = 200

    def __init__(self, lesson: Lesson | str | None = None, lever_supplier: str | None = None,
                 seed: int | None = None, *, strategy_mix: str | None = None, price_premium: float | None = None,
                 switching_cost: float | None = None, relational_orientation: float | None = None,
                 kotler_level: str | None = None, key_account_managers: int | None = None,
                 entry_step: int | None = None, choice_intensity: float | None = None, buyers: int | None = None):
        # Named keywords, no **kwargs: Mesa's Reset would then pass its own `scenario` along.
        levers = {"strategy_mix": strategy_mix, "price_premium": price_premium, "switching_cost": switching_cost,
                  "relational_orientation": relational_orientation, "kotler_level": kotler_level,
                  "key_account_managers": key_account_managers, "entry_step": entry_step,
                  "choice_intensity": choice_intensity, "buyers": buyers}
        self.lesson = _resolve_lesson(lesson)
        scenario = self.lesson.scenario()
        names = supplier_names(scenario)
        followed = [n for n in self.lesson.follow if n in names]
        self.lever_supplier = lever_supplier or (followed[0] if followed else names[0])
        if self.lever_supplier not in names:
            raise ValueError(f"lever_supplier = {self.lever_supplier!r}: one of {', '.join(names)}")
        overrides = lever_overrides(scenario, self.lever_supplier, levers)
        if overrides:
            scenario = scenario.with_overrides(overrides, source="the classroom's levers")
        self.lesson_scenario = self.lesson.scenario()
        self.settings = {**lesson_settings(self.lesson_scenario, self.lever_supplier),
                         **{k: v for k, v in levers.items() if v is not None}}
        super().__init__(scenario, seed)
        self.ticker: deque[dict[str, Any]] = deque(maxlen=self.TICKER_LENGTH)
        self.silent_defections: Counter[str] = Counter()

    def step(self) -> None:
        from sim.mesa.classroom.views import last_problem_with_current, notable_events

        active_before, problem_before = self.state.active.copy(), last_problem_with_current(self)
        super().step()
        events = notable_events(self, active_before, problem_before)
        self.ticker.extend(events)
        self.silent_defections.update({e["supplier"]: e["count"] for e in events if e["kind"] == "silent defection"})
        # the lesson ends at its last step: the page's controls stop playing there
        self.running = self.state.step < self.market_scenario.market.steps

    @property
    def step_unit(self) -> str:
        """What one step is called on the page: the lesson's ``unit``, else the scenario's step
        unit where it has one, else "step"."""
        return self.lesson.header.get("unit") or str(getattr(self.market_scenario.market, "step_unit", "step"))

    @property
    def followed(self) -> list[str]:
        """The supplier names (as in the frames: ``Fishmonger 1``, ...) the class follows:
        the lesson's, or all."""
        if not self.lesson.follow:
            return list(self.supplier_names)
        return [n for n in self.supplier_names
                if any(n == f or n.startswith(f"{f} ") for f in self.lesson.follow)]


_SHIPPED: dict[str, Lesson] = {}


def shipped_lessons() -> list[Lesson]:
    """The lessons in scenarios/classroom/, read once."""
    if not _SHIPPED:
        _SHIPPED.update({lesson.key: lesson for lesson in load_lessons()})
    return list(_SHIPPED.values())


def _resolve_lesson(lesson: Lesson | str | None) -> Lesson:
    if isinstance(lesson, Lesson):
        return lesson
    lessons = {x.key: x for x in shipped_lessons()}
    if lesson is None:
        return next(iter(lessons.values()))
    if lesson in lessons:
        return lessons[lesson]
    return load_lesson(lesson)


__all__ = ["ClassroomMarket", "LEVERS", "MIXES", "lesson_settings", "lever_overrides"]
