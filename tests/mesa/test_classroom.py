"""The classroom (docs/CLASSROOM.md): lessons, levers, the views, and the page driven through
Solara's test harness (no browser; tests/mesa/test_classroom_browser.py has the browser)."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
from support import ROOT

from sim.config import ScenarioError, load_scenario
from sim.engine.state import Cause
from sim.mesa.classroom import views
from sim.mesa.classroom.lessons import LESSONS_DIR, load_lesson, load_lessons
from sim.mesa.classroom.market import ClassroomMarket, lesson_settings, lever_overrides

solara = pytest.importorskip("solara")
import ipyvuetify as v  # noqa: E402

LESSON_KEYS = ["1-retention-vs-acquisition", "2-trust-lost-faster-than-won", "3-silent-defection-and-kotler",
               "4-complacency-and-the-new-entrant", "5-loyalty-in-a-fish-market"]


# --------------------------------------------------------------------------- lessons

def test_the_five_lessons_ship_with_a_text_that_names_their_mechanism():
    lessons = load_lessons()
    assert LESSONS_DIR == ROOT / "scenarios" / "classroom"
    assert [x.key for x in lessons] == LESSON_KEYS
    for lesson in lessons:
        assert lesson.mechanism and lesson.measured
        assert len(ClassroomMarket(lesson, buyers=100).followed) >= 2  # the class compares suppliers
        for section in ("## What to watch", "## What to change", "## What to ask the class"):
            assert section in lesson.text, (lesson.key, section)
        load_scenario(lesson.scenario_path)  # a lesson is an ordinary scenario too


def test_a_lesson_text_with_a_bad_header_names_file_line_and_keys(tmp_path):
    scenario = tmp_path / "mine.toml"
    scenario.write_text((LESSONS_DIR / "1-retention-vs-acquisition.toml").read_text())
    (tmp_path / "mine.md").write_text("---\ntitle: Mine\nfollwo: Keeper\n---\ntext\n")
    with pytest.raises(ScenarioError, match=r"mine.md, line 3: 'follwo: Keeper': expected 'key: value' "
                                            r"with key one of title, follow, mechanism, measured"):
        load_lesson(scenario)
    (tmp_path / "mine.md").write_text("---\ntitle: Mine\nfollow: Nobody\n---\ntext\n")
    with pytest.raises(ScenarioError, match="follow: Nobody: no such supplier in mine.toml"):
        load_lesson(scenario)


def test_a_scenario_without_lesson_text_becomes_a_lesson_of_its_own():
    lesson = load_lesson(ROOT / "scenarios" / "low_price_entrant.toml")
    assert lesson.title == "Low-price entrant" and "cheap newcomer" in lesson.text and lesson.follow == ()


# --------------------------------------------------------------------------- levers

def test_levers_at_the_lessons_values_leave_the_scenario_as_written():
    model = ClassroomMarket("4-complacency-and-the-new-entrant")
    written = load_scenario(LESSONS_DIR / "4-complacency-and-the-new-entrant.toml")
    assert model.market_scenario.to_dict() == written.to_dict()
    assert model.settings == lesson_settings(written, "Steady")
    assert model.settings["entry_step"] == 36 and model.settings["kotler_level"] == "accountable"


def test_each_lever_becomes_an_override_of_the_scenario():
    lesson = "4-complacency-and-the-new-entrant"
    model = ClassroomMarket(lesson, lever_supplier="Newcomer", price_premium=0.3, kotler_level="partnership",
                            key_account_managers=4, switching_cost=2.0, relational_orientation=0.7,
                            entry_step=12, choice_intensity=2.5, buyers=300,
                            strategy_mix="lever supplier relationship, the others transactional")
    sc = model.market_scenario
    rows = {r["spec"].name: r["strategy"] for r in sc.supplier_table()}
    assert rows["Newcomer"].markup == 0.3 and rows["Newcomer"].level == "partnership"
    assert rows["Newcomer"].key_account_managers == 4
    assert [s.strategy for s in sc.suppliers] == ["transactional", "transactional", "relationship"]
    assert sc.market.switching_cost_scale == 2.0 and sc.market.buyers == 300
    assert sc.segments[0].relational_orientation.mean == 0.7 and sc.segments[0].relational_orientation.dist == "beta"
    assert sc.events[0].step == 12 and sc.behaviour.choice_intensity == 2.5
    assert model.state.n_buyers == 300


def test_a_lever_that_does_not_exist_is_refused_by_name():
    scenario = load_scenario(LESSONS_DIR / "1-retention-vs-acquisition.toml")
    with pytest.raises(TypeError, match="unknown lever.*price_premum"):
        lever_overrides(scenario, "Keeper", {"price_premum": 0.1})
    with pytest.raises(ValueError, match="lever_supplier = 'Nobody': one of Hunter, Keeper"):
        ClassroomMarket("1-retention-vs-acquisition", lever_supplier="Nobody")


def test_the_lesson_stops_running_at_its_last_step():
    model = ClassroomMarket("5-loyalty-in-a-fish-market", buyers=100)
    model.run(99)
    assert model.running
    model.step()
    assert not model.running and model.steps == 100


# --------------------------------------------------------------------------- views

@pytest.fixture(scope="module")
def entrant():
    model = ClassroomMarket("4-complacency-and-the-new-entrant", buyers=400)
    model.run(40)
    return model


def test_buyer_picture_puts_each_buyer_in_its_suppliers_block(entrant):
    layout = views.buyer_layout(entrant)
    state = entrant.state
    assert len(layout["x"]) == state.n_buyers
    spans = {b["name"]: b for b in layout["blocks"]}
    for k, name in enumerate(entrant.supplier_names):
        mine = np.flatnonzero(state.current == k)
        assert spans[name]["customers"] == len(mine)
        assert ((layout["x"][mine] >= spans[name]["x0"]) & (layout["x"][mine] <= spans[name]["x1"])).all()
    assert len({(x, y) for x, y in zip(layout["x"], layout["y"])}) == state.n_buyers  # no two dots overlap
    option = views.buyers_option(entrant)
    points = sum(len(s["data"]) for s in option["series"])
    assert points == state.n_buyers
    final = next(s for s in option["series"] if s["name"] == "final")
    assert len(final["data"]) == int(entrant.market_frame()["final"].iloc[-1])


def test_neighbouring_blocks_leave_room_for_each_others_labels(entrant):
    """At the picture's narrowest (PICTURE_WIDTH), a block is as wide as its label (name over
    count): Newcomer's few customers and "no supplier" no longer print over each other."""
    blocks = views.buyer_layout(entrant)["blocks"]
    assert min(b["customers"] for b in blocks) < 30           # narrow blocks in this market
    columns = blocks[-1]["x1"] - blocks[0]["x0"] + 3          # the picture spans these (and 1.2 of margin)
    column_px = views.PICTURE_WIDTH / columns
    for b in blocks:
        label_px = max(len(b["name"]), len(str(b["customers"]))) * views.LABEL_CHAR
        assert (b["x1"] - b["x0"] + 1 + 2) * column_px >= label_px, b   # its width and the gap


def test_a_legend_wraps_and_the_plot_makes_room_for_its_lines():
    names = ["no supplier", "early", "development", "long-term", "final", "loyalty concentration"]
    assert views.legend_lines(names, 2000) == 1
    assert views.legend_lines(names, 260) > views.legend_lines(names, 500) > 1
    option = views.stage_mix_option(ClassroomMarket(buyers=100))
    assert option["legend"]["type"] == "plain" and option["legend"]["data"] == names
    bottoms = [option["grid"]["bottom"]] + [m["option"]["grid"]["bottom"] for m in option["media"]]
    assert bottoms == sorted(bottoms, reverse=True) and len(set(bottoms)) == len(bottoms) > 1
    for media in option["media"]:                              # each width gets its lines' room
        lines = views.legend_lines(names, media["query"]["minWidth"])
        assert media["option"]["grid"]["bottom"] == views.AXIS_BELOW + lines * views.LEGEND_LINE


def test_charts_follow_the_lessons_suppliers_by_name(entrant):
    names = ["Steady", "Attentive", "Newcomer"]
    share = views.share_option(entrant)
    assert [s["name"] for s in share["series"]] == names
    steady = entrant.supplier_frame().query("supplier == 'Steady'")["market_share"].round(4).tolist()
    assert share["series"][0]["data"] == steady
    trust = views.trust_option(entrant)
    assert [s["name"] for s in trust["series"]][:2] == ["Steady", "Steady"]       # trust, commitment (dashed)
    assert trust["legend"]["data"] == names
    assert "Steady: trust {c0}, commitment {c1}" in trust["tooltip"]["formatter"]
    newcomer_trust = trust["series"][4]["data"]            # before its entry in month 36: missing, not 0
    assert newcomer_trust[0] == "-" and isinstance(newcomer_trust[-1], float)
    stages = views.stage_mix_option(entrant)
    assert stages["series"][-1]["name"] == "loyalty concentration"
    assert len(stages["series"][0]["data"]) == entrant.steps


def test_ticker_reports_the_entry_and_the_switches(entrant):
    kinds = {(e["kind"], e["step"]) for e in entrant.ticker}
    assert ("entry", 36) in kinds
    assert ("entry shake-up", 36) in kinds  # final relationships demoted at entry
    switched = entrant.events_frame().query("cause == 'switched_away'")
    told = sum(int(e["text"].split()[0]) for e in entrant.ticker if e["kind"] in ("switch", "silent defection"))
    assert told == len(switched)


def test_a_silent_defection_is_a_departure_after_an_unresolved_problem():
    model = ClassroomMarket("3-silent-defection-and-kotler", buyers=400)
    seen = []
    for _ in range(30):
        before = views.last_problem_with_current(model)
        model.step()
        for e in model.ticker:
            if e["kind"] == "silent defection" and e["step"] == model.steps - 1:
                seen.append(e)
                j = model.supplier_names.index(e["supplier"])
                for b in e["buyers"]:
                    assert before[b] >= e["step"] - views.SILENT_WINDOW  # a recent unresolved problem
                    assert model.state.current[b] != j                   # and it left
    assert seen


def test_buyer_history_lists_every_stage_change_of_that_buyer(entrant):
    buyer = int(entrant.events_frame().groupby("buyer").size().idxmax())
    history = views.buyer_history(entrant, buyer)
    events = entrant.events_frame().query("buyer == @buyer")
    assert len(history["history"]) == len(events)
    assert history["history"][0]["cause"] == Cause(0).label.replace("_", " ") or history["history"]
    current = [r for r in history["relationships"] if r["current"]]
    assert len(current) == int(entrant.state.current[buyer] >= 0)
    with pytest.raises(IndexError, match="buyers 0 to 399"):
        views.buyer_history(entrant, 400)


# --------------------------------------------------------------------------- the page, in Solara's harness

def render_page(model=None):
    """The page as the server renders it for one session; returns the render context and the
    page's model (a reactive the test holds)."""
    from sim.mesa.classroom.page import Page

    holder = solara.reactive(model or ClassroomMarket())

    @solara.component
    def App():
        with solara.AppLayout():
            Page(model=holder)

    return solara.render(App(), handle_error=False)[1], holder


def prose(rc) -> list[str]:
    """The HTML of every block of text the page rendered (lesson, step count, ticker, history)."""
    return [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets]


def step_text(rc) -> str:
    """The step heading as text ("After month 12 · 13 of 60 months run")."""
    html = next(html for html in prose(rc) if re.search(r"\d+ of \d+ (month|day|step)s run", html))
    return re.sub(r"<[^>]+>", "", html)


def pick(rc, title: str) -> None:
    rc.find(v.Btn, children=[title]).widget.click()


def test_page_has_mesas_controls_the_lesson_selector_and_every_lever():
    rc, model = render_page()
    buttons = [w.children[0] for w in rc.find(v.Btn).widgets]
    assert {"Reset", "▶", "Step"} <= set(buttons)
    selects = {w.label: w for w in rc.find(v.Select).widgets}
    assert set(selects) >= {"Supplier the levers act on", "Strategy mix", "Kotler level of the lever supplier"}
    choices = [w.children[0] for w in rc.find(v.Btn, class_="lesson-choice").widgets]
    assert choices == [x.title for x in load_lessons()]
    sliders = rc.find(v.Slider).widgets
    assert len(sliders) == 2 + 6  # speed, steps per redraw; price, switching, orientation, KAMs, beta, buyers
    assert any("What to ask the class" in html for html in prose(rc))


def test_step_advances_the_model_and_redraws_the_figures():
    rc, model = render_page()
    charts = [w for w in rc.find(v.VuetifyTemplate).widgets if type(w).__name__ == "MarketFigure"]
    assert len(charts) == 5
    before = [c.option for c in charts]
    assert "Ready to start · 0 of 60 months run" in step_text(rc)
    rc.find(v.Btn, children=["Step"]).widget.click()
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert "After month 1 · 2 of 60 months run" in step_text(rc)
    after = [c.option for c in charts]
    assert all(a != b for a, b in zip(after, before))
    assert len(after[1]["series"][0]["data"]) == 2  # two steps of the stage mix


def test_a_lesson_played_to_its_end_leaves_the_next_lesson_playable():
    rc, model = render_page(ClassroomMarket("5-loyalty-in-a-fish-market", buyers=100))
    model.value.run(99)
    rc.find(v.Btn, children=["Step"]).widget.click()             # the last day
    assert "After day 99 · 100 of 100 days run" in step_text(rc)
    assert rc.find(v.Btn, children=["Step"]).widget.disabled and rc.find(v.Btn, children=["▶"]).widget.disabled
    pick(rc, "Retention versus acquisition")
    assert "0 of 60 months run" in step_text(rc)
    assert not rc.find(v.Btn, children=["Step"]).widget.disabled
    assert not rc.find(v.Btn, children=["▶"]).widget.disabled
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert "After month 0 · 1 of 60 months run" in step_text(rc)


def test_picking_a_lesson_while_playing_pauses_it():
    rc, model = render_page()
    rc.find(v.Slider).widgets[0].v_model = 1000                  # speed: no step before the pick
    rc.find(v.Btn, children=["▶"]).widget.click()
    assert rc.find(v.Btn, children=["❚❚"]).widget
    pick(rc, "Loyalty emerging in a fish market")
    assert rc.find(v.Btn, children=["▶"]).widget and not rc.find(v.Btn, children=["Step"]).widget.disabled
    time.sleep(1.5)                                              # the old play loop's wait runs out
    assert "0 of 100 days run" in step_text(rc)                       # and it did not step the new lesson


def test_a_lesson_picked_shows_its_text_and_resets_the_levers_to_its_values():
    rc, model = render_page()
    pick(rc, "Complacency and the new entrant")
    assert "0 of 84 months run" in step_text(rc)
    assert any("<strong>Newcomer</strong> enters" in html for html in prose(rc))
    assert rc.find(v.Select, label="Kotler level of the lever supplier").widget.v_model == "accountable"
    assert rc.find(v.Select, label="Supplier the levers act on").widget.v_model == "Steady"


def test_a_moved_slider_changes_the_model_on_reset():
    rc, model = render_page()
    pick(rc, "Loyalty emerging in a fish market")
    beta = rc.find(v.Slider).widgets[-2]  # choice intensity
    assert beta.v_model == 1.2
    beta.v_model = 0.2
    assert any("press Reset" in str(getattr(w, "children", "")) for w in rc.find(v.Alert).widgets)
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert model.value.market_scenario.behaviour.choice_intensity == 0.2
    assert model.value.lesson.key == "5-loyalty-in-a-fish-market" and model.value.steps == 0


def test_clicking_a_buyer_shows_its_history():
    rc, model = render_page()
    step = rc.find(v.Btn, children=["Step"]).widget
    for _ in range(3):
        step.click()
    picture = next(w for w in rc.find(v.VuetifyTemplate).widgets if type(w).__name__ == "MarketFigure")
    dot = picture.option["series"][1]["data"][0]   # an early-stage buyer: [x, y, buyer]
    picture.vue_on_click({"data": dot})
    text = " ".join(prose(rc))
    assert f"Buyer #{dot[2]}" in text and "first order" in text


def test_each_page_builds_its_own_model():
    from sim.mesa.classroom.page import Page

    one = solara.render(Page(), handle_error=False)[1]
    two = solara.render(Page(), handle_error=False)[1]
    markets = [ctx.find(v.Html).widgets for ctx in (one, two)]
    assert markets[0] and markets[1]
    # the harness shares no state between the two renders; the browser test checks two sessions
    # on one server (test_two_sessions_never_move_each_others_market)


def test_the_scenario_given_to_relsim_app_comes_first(monkeypatch):
    from sim.mesa.classroom.page import SCENARIO_ENV, available_lessons

    monkeypatch.setenv(SCENARIO_ENV, str(ROOT / "scenarios" / "low_price_entrant.toml"))
    lessons = available_lessons()
    assert lessons[0].title == "Low-price entrant" and len(lessons) == 6
    monkeypatch.setenv(SCENARIO_ENV, str(LESSONS_DIR / "5-loyalty-in-a-fish-market.toml"))
    lessons = available_lessons()
    assert lessons[0].key == "5-loyalty-in-a-fish-market" and len(lessons) == 5  # not twice


def test_the_run_speed_sliders_show_their_values_without_being_dragged():
    rc, model = render_page()

    def texts() -> list[str]:
        return [w.children[0] for w in rc.find(v.Html, tag="span").widgets
                if w.children and isinstance(w.children[0], str)]

    assert "Speed: 200 ms between steps" in texts() and "Steps per redraw: 1" in texts()
    speed, per_redraw = rc.find(v.Slider).widgets[:2]
    speed.v_model, per_redraw.v_model = 500, 4
    assert "Speed: 500 ms between steps" in texts() and "Steps per redraw: 4" in texts()


def test_picking_the_lesson_shown_restarts_it():
    rc, model = render_page()
    for _ in range(3):
        rc.find(v.Btn, children=["Step"]).widget.click()
    first = model.value
    pick(rc, first.lesson.title)
    assert model.value is not first and model.value.steps == 0
    assert "Ready to start · 0 of 60 months run" in step_text(rc)


def test_the_step_heading_names_the_month_the_charts_and_ticker_end_at():
    """One numbering: after 13 steps the heading says month 12, the charts' last point is
    month 12 and the ticker's newest line is no later."""
    rc, model = render_page(ClassroomMarket("3-silent-defection-and-kotler"))
    model.value.run(12)
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert "After month 12 · 13 of 60 months run" in step_text(rc)
    charts = [w for w in rc.find(v.VuetifyTemplate).widgets if type(w).__name__ == "MarketFigure"][1:]
    assert {c.option["xAxis"]["data"][-1] for c in charts} == {12}
    ticker = next(html for html in prose(rc) if re.search(r"month \d+ · <strong>", html))
    assert "month 12 ·" in ticker and "month 13" not in ticker


def test_the_tally_counts_the_whole_run_where_the_ticker_keeps_its_last_lines():
    model = ClassroomMarket("3-silent-defection-and-kotler").run()
    tally = views.run_tally(model)
    market = model.market_frame()
    assert tally["complaints"] == market["complaints"].sum() > 0
    assert tally["silent_dissatisfied"] == market["silent_dissatisfied"].sum() > tally["complaints"]
    assert tally["recovered"] == market["recovered"].sum()
    from sim.mesa.classroom.page import TICKER_LINES

    silent = [e for e in model.ticker if e["kind"] == "silent defection" and e["supplier"] == "Quiet Co"]
    shown_lines = [e for e in list(model.ticker)[-TICKER_LINES:] if e in silent]
    assert tally["silent_defections"]["Quiet Co"] == sum(e["count"] for e in silent)   # every step's
    assert tally["silent_defections"]["Quiet Co"] > 10 * sum(e["count"] for e in shown_lines)
    rc, _ = render_page(model)
    shown = " ".join(prose(rc))
    assert f"<strong>{tally['silent_dissatisfied']:,}</strong> left unreported" in shown
    assert f"Quiet Co <strong>{tally['silent_defections']['Quiet Co']}</strong>" in shown


def test_a_market_without_service_recovery_shows_no_tally():
    assert views.run_tally(ClassroomMarket("5-loyalty-in-a-fish-market", buyers=100)) is None


def test_every_time_axis_of_a_run_labels_the_same_interval(entrant):
    axes = [make(entrant)["xAxis"] for make in (views.stage_mix_option, views.trust_option,
                                                views.share_option, views.profit_option)]
    assert len({a["axisLabel"]["interval"] for a in axes}) == 1
    assert views.tick_interval(60, "month") == 12 and views.tick_interval(13, "month") == 2
    assert views.tick_interval(100, "day") == 20


def test_loyalty_concentration_is_drawn_from_the_first_step_with_a_history():
    model = ClassroomMarket("5-loyalty-in-a-fish-market", buyers=100)
    model.run(3)
    assert model.market_frame()["loyalty_concentration"].iloc[0] == pytest.approx(1.0)  # one visit each
    loyalty = next(s for s in views.stage_mix_option(model)["series"] if s["name"] == "loyalty concentration")
    assert loyalty["data"][0] == "-" and all(isinstance(x, float) for x in loyalty["data"][1:])


def test_the_lever_supplier_choice_says_its_levers_move_every_copy():
    rc, model = render_page(ClassroomMarket("5-loyalty-in-a-fish-market", buyers=100))
    select = rc.find(v.Select, label="Supplier the levers act on").widget
    assert select.items == ["Fishmonger (both copies)"] and select.v_model == "Fishmonger (both copies)"
    moved = ClassroomMarket("5-loyalty-in-a-fish-market", buyers=100, price_premium=0.5)
    assert set(moved.engine.state.price) == {0.8 * 1.5}                 # both copies' price moved
