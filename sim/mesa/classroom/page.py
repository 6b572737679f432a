"""The classroom page (``relsim app``): a lesson, step/play/reset controls, the levers,
and the market drawn as it runs. Solara makes one ``Page`` per browser session, and the
model lives in that page's state, so two students on one server never move each other's
simulation.

Figures are ECharts (drawn in the browser from data sent by the server, from the ECharts
build that ``solara-assets`` installs: nothing is fetched from a CDN)."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from pathlib import Path

import markdown
import solara
from mesa.visualization.utils import force_update, update_counter
from solara.components.echarts import EchartsWidget

from sim.mesa.classroom import views
from sim.mesa.classroom.lessons import LESSONS_DIR, Lesson, load_lesson
from sim.mesa.classroom.market import LEVERS, ClassroomMarket, lesson_settings, shipped_lessons, supplier_names
from sim.observe.numbers import number

#: `relsim app SCENARIO` passes its scenario here: it becomes the first lesson on the page
SCENARIO_ENV = "RELSIM_APP_SCENARIO"
TICKER_LINES = 10


def Prose(text: str, style: str = ""):
    """Markdown rendered here, on the server (python-markdown): Solara's Markdown component
    loads KaTeX from a CDN, which a classroom without internet does not have."""
    return solara.HTML(tag="div", unsafe_innerHTML=to_html(text), style=style)


@functools.lru_cache(maxsize=256)
def to_html(text: str) -> str:
    return markdown.markdown(text, extensions=["tables"])


class MarketFigure(EchartsWidget):
    """Solara's ECharts widget drawn by our echarts.vue: an option that arrives before ECharts
    has loaded in the browser is drawn once it has (Solara's own throws a setOption error),
    a figure removed from the page disposes of its chart, and a chart follows its container's
    size."""

    template_file = (__file__, "echarts.vue")


@solara.component
def Figure(option: dict, height: int, on_click: Callable[[dict], None] | None = None):
    return MarketFigure.element(option=option, on_click=on_click,
                                attributes={"style": f"height: {height}px; width: 100%"})


def available_lessons() -> list[Lesson]:
    """The lessons offered: the scenario given on the command line (if any), then the shipped ones."""
    extra = os.environ.get(SCENARIO_ENV)
    lessons = shipped_lessons() if LESSONS_DIR.is_dir() else []
    if extra:
        mine = load_lesson(Path(extra))
        lessons = [mine] + [x for x in lessons if x.scenario_path.resolve() != mine.scenario_path.resolve()]
    return lessons


def parameters_for(lesson: Lesson, lever_supplier: str | None = None) -> dict:
    """Mesa's model parameters (what Reset passes to ClassroomMarket) at the lesson's values."""
    scenario = lesson.scenario()
    names = supplier_names(scenario)
    if lever_supplier is None:
        lever_supplier = next((n for n in lesson.follow if n in names), names[0])
    return {"lesson": lesson, "lever_supplier": lever_supplier, **lesson_settings(scenario, lever_supplier)}


def lever_supplier_label(name: str, count: int) -> str:
    """How the lever-supplier choice names a [[suppliers]] table: its name, and for several
    copies that the levers act on all of them."""
    if count <= 1:
        return name
    return f"{name} ({'both' if count == 2 else f'all {count}'} copies)"


@solara.component
def LeverControls(parameters: solara.Reactive[dict], model: ClassroomMarket):
    """The levers; a moved lever takes effect when Reset rebuilds the market."""
    values = parameters.value
    lesson = values["lesson"]
    scenario = lesson.scenario()

    def set_value(name, value):
        parameters.value = {**parameters.value, name: value}

    def set_lever_supplier(name):
        parameters.value = {**parameters_for(lesson, name),
                            **{k: v for k, v in parameters.value.items()
                               if k in ("strategy_mix", "switching_cost", "relational_orientation",
                                        "entry_step", "choice_intensity", "buyers")}}

    # a [[suppliers]] table with count > 1 is one name here and its levers move every copy
    # (a --set on suppliers[NAME] does): the choice says so ("Fishmonger (both copies)")
    counts = {spec.name: spec.count for spec in scenario.suppliers}
    shown = {lever_supplier_label(name, counts[name]): name for name in counts}
    solara.Select("Supplier the levers act on", values=list(shown),
                  value=lever_supplier_label(values["lever_supplier"], counts[values["lever_supplier"]]),
                  on_value=lambda label: set_lever_supplier(shown[label]))
    for lever in LEVERS:
        value = values.get(lever.name)
        if lever.name == "entry_step":
            if value is None:
                continue  # this lesson has no entering competitor
            high = scenario.market.steps - 1
        else:
            high = lever.high
        def on_value(v, name=lever.name):
            set_value(name, v)

        if lever.kind == "select":
            solara.Select(lever.label, values=list(lever.choices), value=value, on_value=on_value)
            continue
        label = f"{lever.label} ({model.step_unit})" if lever.name == "entry_step" else lever.label
        solara.Text(f"{label}: {value:g}", style="font-size: 0.85em")
        if lever.kind == "int":
            solara.SliderInt("", value=int(value), min=int(lever.low), max=int(high),
                             step=int(lever.step), on_value=on_value)
        else:
            solara.SliderFloat("", value=float(value), min=lever.low, max=high, step=lever.step,
                               on_value=on_value)
    pending = {k: v for k, v in values.items() if k in model.settings and model.settings[k] != v}
    if pending or values["lever_supplier"] != model.lever_supplier:
        solara.Info("Levers moved: press Reset to run the lesson with them.", dense=True)


@solara.component
def BuyerPicture(model: ClassroomMarket, selected: solara.Reactive[int | None], step: int):

    def on_click(event):
        point = (event or {}).get("data")
        if isinstance(point, list) and len(point) == 3:
            selected.set(int(point[2]))

    with solara.Card("Buyers, by supplier and stage (click one)", margin=0):
        Figure(views.buyers_option(model, selected.value), 300, on_click=on_click)


@solara.component
def BuyerHistory(model: ClassroomMarket, selected: solara.Reactive[int | None], step: int):
    with solara.Card("Relationship history", margin=0):
        if selected.value is None or selected.value >= model.state.n_buyers:
            solara.Text("Click a buyer in the picture to see its relationships.")
            return
        history = views.buyer_history(model, selected.value)
        Prose(f"**Buyer #{history['buyer']}** ({history['segment']})")
        rows = ["| supplier | stage | trust | commitment | orders |", "|---|---|---|---|---|"]
        for r in history["relationships"]:
            mark = " (current)" if r["current"] else ""
            rows.append(f"| {r['supplier']}{mark} | {r['stage']} | {r['trust']:.2f} | {r['commitment']:.2f} "
                        f"| {r['orders']} |")
        Prose("\n".join(rows))
        lines = [f"- {model.step_unit} {h['step']}: {h['supplier']}, {h['from']} → {h['to']} ({h['cause']})"
                 for h in history["history"][-12:]]
        Prose("\n".join(lines) or "No stage change yet.")


@solara.component
def Chart(model: ClassroomMarket, make, step: int, height: int = 260):
    Figure(make(model), height)


@solara.component
def Ticker(model: ClassroomMarket, step: int):
    with solara.Card("What just happened", margin=0):
        entries = list(model.ticker)[-TICKER_LINES:][::-1]
        if not entries:
            solara.Text("Notable events appear here: entries, switches, silent defections, escalations, "
                        "dropped customers.")
        if entries:
            Prose("\n".join(f"- {model.step_unit} {e['step']} · **{e['kind']}**: {e['text']}" for e in entries),
                  style="font-size: 0.85em")


@solara.component
def LessonText(lesson: Lesson):
    """The lesson beside the model (its arguments do not change as the market runs, so a step
    does not redraw it)."""
    Prose(lesson.text + (f"\n\n*Mechanism:* {lesson.mechanism}" if lesson.mechanism else ""),
          style="max-height: 430px; overflow-y: auto; font-size: 0.9em")


@solara.component
def StepCount(model: ClassroomMarket, step: int):
    Prose(views.step_heading(model))


@solara.component
def Tally(model: ClassroomMarket, step: int):
    """The running counts a lesson about complaints and silent defection points at (the ticker
    shows only its recent lines)."""
    tally = views.run_tally(model)
    if tally is None:
        return
    n = functools.partial(number, kind="count")
    lost = ", ".join(f"{name} **{n(k)}**" for name, k in tally["silent_defections"].items())
    with solara.Card("Over the run so far", margin=0):
        Prose(f"- Unhappy deliveries: **{n(tally['complaints'])}** complaints voiced, "
              f"**{n(tally['silent_dissatisfied'])}** left unreported\n"
              f"- Put right by the supplier: **{n(tally['recovered'])}** "
              f"({n(tally['recovered_silent'])} of them found by follow-up calls)\n"
              f"- Customers lost silently (silent defections): {lost}",
              style="font-size: 0.85em")


@solara.component
def RunControls(model: solara.Reactive[ClassroomMarket], parameters: solara.Reactive[dict],
                playing: solara.Reactive[bool], speed: solara.Reactive[int], per_redraw: solara.Reactive[int]):
    """Reset, play/pause and Step, as Mesa's ModelController draws them, with the play state
    the page's own: picking a lesson pauses the market, and whether the buttons are enabled is
    read from the market shown (Mesa's controller keeps its own "running" from the market
    before, so a lesson played to its end left the next one with Play and Step disabled)."""
    update_counter.get()               # a step redraws the buttons: the last one disables them
    market = model.value
    finished = not market.running
    run = solara.use_ref(0)            # the play loop that is current (an older one stops)

    def advance(times: int) -> None:
        current = model.value
        for _ in range(times):
            if not current.running:
                break
            current.step()

    def play() -> None:
        run.current += 1
        mine = run.current
        while playing.value and run.current == mine and model.value.running:
            time.sleep(speed.value / 1000)
            if not playing.value or run.current != mine:
                break
            advance(per_redraw.value)
            force_update()
        if run.current == mine and playing.value:
            playing.value = False      # played to the lesson's end

    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=True)

    def step() -> None:
        advance(per_redraw.value)
        force_update()

    def reset() -> None:
        playing.value = False
        model.value = ClassroomMarket(**parameters.value)

    with solara.Row(justify="space-between"):
        solara.Button(label="Reset", color="primary", on_click=reset)
        solara.Button(label="❚❚" if playing.value else "▶", color="primary",
                      on_click=lambda: playing.set(not playing.value), disabled=finished)
        solara.Button(label="Step", color="primary", on_click=step, disabled=playing.value or finished)


@solara.component
def LessonPicker(titles: list[str], current: str, pick: Callable[[str], None]):
    """One button per lesson, the current one marked. A button, not a select: picking the
    lesson already shown restarts it, as a teacher expects (a select reports only a change)."""
    with solara.Column(gap="2px"):
        for title in titles:
            mine = title == current
            solara.Button(label=title, text=not mine, outlined=mine, color="primary",
                          on_click=functools.partial(pick, title), classes=["lesson-choice"],
                          style="justify-content: flex-start; text-transform: none; letter-spacing: normal")


@solara.component
def Page(model: solara.Reactive[ClassroomMarket] | None = None):
    """The whole page. Solara's server renders ``Page()`` once per browser session, so each
    session builds its own market here; ``model`` lets a test (or a notebook) hand one in."""
    lessons = solara.use_memo(available_lessons, [])
    initial = solara.use_memo(lambda: ClassroomMarket(**parameters_for(lessons[0])) if model is None else None, [])
    model = solara.use_reactive(model if model is not None else initial)
    market = model.value
    parameters = solara.use_reactive(solara.use_memo(
        lambda: {"lesson": market.lesson, "lever_supplier": market.lever_supplier, **market.settings}, []))
    selected = solara.use_reactive(None)
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(200)          # ms between steps while playing
    per_redraw = solara.use_reactive(1)       # steps per redraw

    def pick_lesson(title):
        lesson = next(x for x in lessons if x.title == title)
        playing.set(False)                    # a new lesson waits for the class to read it
        parameters.value = parameters_for(lesson)
        selected.set(None)
        model.value = ClassroomMarket(**parameters.value)

    solara.Title("relsim classroom")
    with solara.AppBar():
        solara.AppBarTitle(f"relsim classroom: {market.lesson.title}")
    with solara.Sidebar():
        with solara.Card("Lesson", margin=0):
            LessonPicker([x.title for x in lessons], market.lesson.title, pick_lesson)
        with solara.Card("Run", margin=0):
            RunControls(model, parameters, playing, speed, per_redraw)
            # the value written above each slider, as the levers' are: a slider's own thumb
            # label shows it only while it is dragged
            solara.Text(f"Speed: {speed.value} ms between steps", style="font-size: 0.85em")
            solara.SliderInt("", value=speed, min=10, max=1000, step=10)
            solara.Text(f"Steps per redraw: {per_redraw.value}", style="font-size: 0.85em")
            solara.SliderInt("", value=per_redraw, min=1, max=12)
        with solara.Card("Levers", margin=0):
            LeverControls(parameters, market)
    LiveView(market, selected)


@solara.component
def LiveView(market: ClassroomMarket, selected: solara.Reactive[int | None]):
    """Everything that moves as the market runs. The one subscriber of Mesa's update counter:
    a step redraws this subtree in one pass (a subscriber per figure would cost a pass each)."""
    update_counter.get()
    step = market.steps
    with solara.Columns([2, 3]):
        with solara.Column():
            with solara.Card(market.lesson.title, margin=0):
                StepCount(market, step)
                LessonText(market.lesson)
            Tally(market, step)         # above the ticker: in view without scrolling
            Ticker(market, step)
            BuyerHistory(market, selected, step)
        with solara.Column():
            BuyerPicture(market, selected, step)
            with solara.Columns([1, 1]):
                Chart(market, views.stage_mix_option, step)
                Chart(market, views.trust_option, step)
            with solara.Columns([1, 1]):
                Chart(market, views.share_option, step)
                Chart(market, views.profit_option, step)
