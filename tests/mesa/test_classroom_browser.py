"""The classroom page in real headless Chromium (Debian's, through Playwright), served by
``relsim app`` on a free loopback port, with every request that leaves this machine blocked:
what a classroom without internet gets. The server is started per module and stopped after.

``RELSIM_SCREENSHOTS=docs/classroom`` also saves one screenshot per lesson there (how the
committed docs/classroom/*.png were made)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from support import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``relsim app`` on a free port; yields its address, the process and the file that holds
    everything it printed (a file, not a pipe: a pipe nobody reads would stall the server)."""
    port = free_port()
    # A CDN address that cannot answer: were the server to fetch any front-end file from a CDN,
    # the page would miss it (a failed request, or a 404, that the tests catch).
    env = dict(os.environ, SOLARA_ASSETS_CDN="http://127.0.0.1:9/no-cdn/")
    log = tmp_path_factory.mktemp("app") / "relsim-app.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "app", "--port", str(port)], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"relsim app did not start:\n{log.read_text()}")
            time.sleep(0.5)
    try:
        yield url, proc, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (install Debian's chromium: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class OfflinePage:
    """A browser tab on the classroom page with every non-loopback request aborted and every
    failure (blocked request, failed load, HTTP error, console error) collected."""

    def __init__(self, browser, url: str, width: int = 1500, height: int = 1100, hold: str | None = None):
        """``hold``: requests whose address contains it wait (in ``held``) until
        :meth:`release`; the page is then ready once its buttons are."""
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.outside: list[str] = []
        self.problems: list[str] = []
        self.hold, self.held = hold, []
        self.page.route("**/*", self._route)
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url}"))
        self.page.on("response", lambda r: self.problems.append(f"HTTP {r.status}: {r.url}")
                     if r.status >= 400 else None)
        self.page.on("console", lambda m: self.problems.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.goto(url)
        self.page.get_by_role("button", name="Step").wait_for(timeout=90_000)
        if hold is None:
            self.page.wait_for_selector(".solara-echarts canvas", timeout=60_000)

    def _route(self, route) -> None:
        if self.hold is not None and self.hold in route.request.url:
            self.held.append(route)
        elif route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def pick_lesson(self, title: str, steps: int | None = None) -> None:
        self.page.get_by_role("button", name=title, exact=True).click()
        if steps is not None:
            self.page.locator("p", has_text=re.compile(rf"^Ready to start · 0 of {steps} \w+s run$")).wait_for()

    def release(self) -> None:
        self.hold = None
        while self.held:
            self.held.pop().continue_()

    def lesson_titles(self) -> list[str]:
        return [t.strip() for t in self.page.locator(".lesson-choice").all_inner_texts()]

    def button(self, name: str):
        return self.page.get_by_role("button", name=name, exact=True)

    def step(self, times: int = 1) -> None:
        button = self.page.get_by_role("button", name="Step")
        for _ in range(times):
            before = self.step_count()
            button.click()
            self.page.wait_for_function(f"() => !document.body.innerText.match(/ {before} of \\d+ \\w+s run/)")

    def step_count(self) -> int:
        """The steps run the page shows ("After month 2 · 3 of 84 months run": 3)."""
        text = self.page.locator("p", has_text=re.compile(r"\d+ of \d+ \w+s run$")).first.inner_text()
        return int(re.search(r"(\d+) of \d+ \w+s run", text).group(1))

    def chart_pixels(self, k: int) -> str:
        return self.page.locator(".solara-echarts canvas").nth(k).evaluate("c => c.toDataURL()")

    def close(self) -> None:
        self.context.close()


def test_page_works_offline_lesson_slider_step_and_charts_change(server, browser, tmp_path):
    url, _, _ = server
    tab = OfflinePage(browser, url)
    try:
        tab.pick_lesson("Complacency and the new entrant", 84)
        slider = tab.page.locator(".v-slider").nth(2)            # the lever supplier's price premium
        slider.locator(".v-slider__thumb-container").focus()
        tab.page.keyboard.press("ArrowRight")
        tab.page.get_by_text("Price premium of the lever supplier (markup): 0.36")  # from 0.35.wait_for()
        tab.page.get_by_text("press Reset").wait_for()
        charts_before = [tab.chart_pixels(k) for k in range(5)]
        tab.step(3)
        tab.page.wait_for_timeout(500)                           # ECharts draws on the next frame
        charts_after = [tab.chart_pixels(k) for k in range(5)]
        assert tab.step_count() == 3
        assert all(a != b for a, b in zip(charts_after, charts_before))
        tab.page.screenshot(path=str(tmp_path / "classroom.png"))
        assert (tmp_path / "classroom.png").stat().st_size > 10_000
    finally:
        tab.close()
    assert tab.outside == []      # nothing asked of any other machine
    assert tab.problems == []     # and nothing missing: every front-end file came from here


def test_clicking_a_buyer_in_the_picture_shows_its_history(server, browser):
    url, _, _ = server
    tab = OfflinePage(browser, url)
    try:
        tab.step(2)
        # the pixel of the first dot of the picture, from ECharts itself
        x, y = tab.page.locator(".solara-echarts").first.evaluate(
            "el => { const c = el.__vue__.chart; const s = c.getOption().series[1].data[0];"
            " return c.convertToPixel({seriesIndex: 1}, [s[0], s[1]]); }")
        tab.page.locator(".solara-echarts canvas").first.click(position={"x": x, "y": y})
        tab.page.locator("strong", has_text="Buyer #").wait_for()
        assert "first order" in tab.page.inner_text("body")
    finally:
        tab.close()
    assert tab.problems == []


def test_two_sessions_never_move_each_others_market(server, browser):
    url, _, _ = server
    one, two = OfflinePage(browser, url), OfflinePage(browser, url)
    try:
        one.step(3)
        two.page.reload()
        two.page.get_by_role("button", name="Step").wait_for(timeout=90_000)
        assert one.step_count() == 3 and two.step_count() == 0
        two.step(1)
        assert one.step_count() == 3 and two.step_count() == 1
    finally:
        one.close()
        two.close()


@pytest.mark.slow
def test_screenshot_of_every_lesson(server, browser, tmp_path):
    """One screenshot per lesson, three quarters of the way through it; RELSIM_SCREENSHOTS=DIR
    keeps them, reduced to 128 colours (docs/classroom/ holds the committed ones):

        RELSIM_SCREENSHOTS=docs/classroom .venv/bin/python -m pytest -m slow -k screenshot tests/mesa"""
    from sim.mesa.classroom.lessons import load_lessons

    keep = os.environ.get("RELSIM_SCREENSHOTS")
    out = Path(keep) if keep else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    url, _, _ = server
    tab = OfflinePage(browser, url)
    per_redraw = tab.page.locator(".v-slider").nth(1)
    try:
        for lesson in load_lessons():
            steps = lesson.scenario().market.steps
            tab.pick_lesson(lesson.title, steps)
            shown = int(steps * 0.75)
            per_redraw.locator(".v-slider__thumb-container").focus()
            for _ in range(11):
                tab.page.keyboard.press("ArrowRight")            # 12 steps per click
            while tab.step_count() + 12 <= shown:
                tab.step(1)
            tab.page.wait_for_timeout(800)
            path = out / f"{lesson.key}.png"
            tab.page.screenshot(path=str(path))
            assert path.stat().st_size > 10_000
            if keep:
                from PIL import Image

                Image.open(path).convert("RGB").quantize(colors=128).save(path, optimize=True)
    finally:
        tab.close()
    assert tab.problems == []


def test_a_quick_tour_of_every_lesson_raises_no_page_error(server, browser):
    """What an impatient teacher does: Step before the figures have drawn, play and pick the
    next lesson while it plays, reset while playing, pause at once. Solara's ECharts widget
    threw "Cannot read properties of undefined (reading 'setOption')" at the first of these."""
    from sim.mesa.classroom.lessons import load_lessons

    url, _, _ = server
    lessons = [(lesson.title, lesson.scenario().market.steps) for lesson in load_lessons()]
    tab = OfflinePage(browser, url, hold="/echarts.js")    # ECharts arrives late, as on a slow machine
    try:
        while not tab.held:
            tab.page.wait_for_timeout(100)
        for _ in range(3):
            tab.button("Step").click()           # before ECharts has loaded in this tab
        tab.page.wait_for_timeout(500)
        tab.release()
        tab.page.wait_for_selector(".solara-echarts canvas", timeout=60_000)
        assert tab.lesson_titles() == [title for title, _ in lessons]
        for title, steps in lessons[1:] + lessons[:1]:   # each a change of lesson: the first is on the page
            tab.button("▶").click()
            tab.page.wait_for_timeout(300)
            tab.pick_lesson(title, steps)         # while playing: the new lesson waits at 0, paused
            tab.page.wait_for_timeout(500)
            assert tab.step_count() == 0 and tab.button("▶").is_enabled()
            tab.button("Step").click()
            tab.button("▶").click()
            tab.page.wait_for_timeout(300)
            tab.button("Reset").click()           # while playing
            tab.button("▶").click()
            tab.button("❚❚").click()              # pause at once
            tab.button("Step").click()
        tab.page.wait_for_timeout(1000)
    finally:
        tab.close()
    assert tab.problems == []


def test_a_lesson_played_to_its_end_lets_the_next_one_play(server, browser):
    url, _, _ = server
    tab = OfflinePage(browser, url)
    try:
        speed, per_redraw = (tab.page.locator(".v-slider").nth(k).locator(".v-slider__thumb-container")
                             for k in (0, 1))
        speed.focus()
        tab.page.keyboard.press("Home")           # 10 ms between steps
        per_redraw.focus()
        tab.page.keyboard.press("End")            # 12 steps a redraw
        tab.button("▶").click()
        tab.page.locator("p", has_text="60 of 60 months run").wait_for(timeout=60_000)
        assert tab.button("▶").is_disabled() and tab.button("Step").is_disabled()
        tab.pick_lesson("Trust is lost faster than it is won", 72)
        assert tab.button("▶").is_enabled() and tab.button("Step").is_enabled()
        tab.step(1)
        assert tab.step_count() == 12             # a Step takes "steps per redraw" steps, as Mesa's does
    finally:
        tab.close()
    assert tab.problems == []


LEGEND_AND_PLOT = """els => els.map(el => {
    const chart = el.__vue__.chart, model = chart.getModel();
    // every entry, where it is drawn (a scrolling legend moves the entries of its other pages
    // outside the chart and clips them)
    const entries = chart.getViewOfComponentModel(model.getComponent('legend')).getContentGroup();
    entries.updateTransform();
    const box = entries.getBoundingRect().clone();
    box.applyTransform(entries.transform);
    const plot = model.getComponent('grid').coordinateSystem.getRect();
    return {width: chart.getWidth(), height: chart.getHeight(), legend: [box.x, box.y, box.width, box.height],
            plot: [plot.x, plot.y, plot.width, plot.height]};
})"""


def test_every_legend_fits_inside_its_chart_below_the_plot(server, browser):
    """Each line chart's legend, wrapped onto as many lines as it needs, lies inside the chart
    and below the plot and its x axis (a scrolling legend clipped names at the chart's edge),
    at 1366x768 and 1920x1080 (the window resized in between, as a teacher would), in the
    lesson with the most names (three suppliers) and the one with the longest."""
    url, _, _ = server
    tab = OfflinePage(browser, url, 1366, 768)
    try:
        for title, steps in (("Complacency and the new entrant", 84), ("Silent defection and Kotler's levels", 60)):
            tab.pick_lesson(title, steps)
            tab.step(2)
            for width, height in ((1366, 768), (1920, 1080)):
                tab.page.set_viewport_size({"width": width, "height": height})
                tab.page.wait_for_timeout(700)               # the charts follow their containers
                charts = tab.page.locator(".solara-echarts").evaluate_all(LEGEND_AND_PLOT)[1:]  # [0]: buyers
                assert len(charts) == 4
                for chart in charts:
                    x, y, w, h = chart["legend"]
                    assert 0 <= x and x + w <= chart["width"] and y + h <= chart["height"] + 1, (width, chart)
                    px, py, pw, ph = chart["plot"]
                    assert y >= py + ph + 30, (width, chart)  # under the axis labels and the axis name
            tab.page.set_viewport_size({"width": 1366, "height": 768})
    finally:
        tab.close()
    assert tab.problems == []


def test_the_server_prints_no_cookie_warning_for_a_page_loaded(server, browser):
    """Solara warned, for every page loaded from an address other than localhost, that its
    session cookie falls back to SameSite=Lax: a screenful a student in the teacher's terminal."""
    url, proc, log = server
    OfflinePage(browser, url).close()                   # a page loaded (each load warned)
    assert proc.poll() is None
    printed = log.read_text()
    assert "relsim classroom: open" in printed          # the log is the server's output
    assert "samesite" not in printed.lower()
