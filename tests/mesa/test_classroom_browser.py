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
def server():
    port = free_port()
    # A CDN address that cannot answer: were the server to fetch any front-end file from a CDN,
    # the page would miss it (a failed request, or a 404, that the tests catch).
    env = dict(os.environ, SOLARA_ASSETS_CDN="http://127.0.0.1:9/no-cdn/")
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "app", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"relsim app did not start:\n{proc.stdout.read()}")
            time.sleep(0.5)
    try:
        yield url, proc
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

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1500, "height": 1100})
        self.page = self.context.new_page()
        self.outside: list[str] = []
        self.problems: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url}"))
        self.page.on("response", lambda r: self.problems.append(f"HTTP {r.status}: {r.url}")
                     if r.status >= 400 else None)
        self.page.on("console", lambda m: self.problems.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.goto(url)
        self.page.get_by_role("button", name="Step").wait_for(timeout=90_000)
        self.page.wait_for_selector(".solara-echarts canvas", timeout=60_000)

    def _route(self, route) -> None:
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def pick_lesson(self, title: str, steps: int) -> None:
        self.page.locator(".v-select").first.click()
        self.page.get_by_role("option", name=title).click()
        self.page.locator("strong", has_text=re.compile(rf"^\w+ 0 of {steps}$")).wait_for()

    def step(self, times: int = 1) -> None:
        button = self.page.get_by_role("button", name="Step")
        for _ in range(times):
            before = self.step_count()
            button.click()
            self.page.wait_for_function(f"() => !document.body.innerText.match(/(Month|Day|Step) {before} of/)")

    def step_count(self) -> int:
        """The step the page shows ("Month 3 of 84")."""
        text = self.page.locator("strong", has_text=re.compile(r"^\w+ \d+ of \d+$")).first.inner_text()
        return int(text.split()[1])

    def chart_pixels(self, k: int) -> str:
        return self.page.locator(".solara-echarts canvas").nth(k).evaluate("c => c.toDataURL()")

    def close(self) -> None:
        self.context.close()


def test_page_works_offline_lesson_slider_step_and_charts_change(server, browser, tmp_path):
    url, _ = server
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
    url, _ = server
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
    url, _ = server
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
    url, _ = server
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
