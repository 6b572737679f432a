"""Classroom responsiveness: a step of a 1,000-buyer lesson and its redraw, against a target
of 200 ms.

Three measures, each over the steps of a lesson from step 0:

- model: ``ClassroomMarket.step()`` alone (the engine, the recorder, the ticker);
- server: the Step button clicked in Solara's test harness: the step, the figures' data
  (ECharts options, from the DataCollector surface), and Solara re-rendering the page — all the
  server does before it sends the changes;
- browser: the page served by ``relsim app`` in headless Chromium (Debian's), the network
  blocked except loopback: from the click on Step until the step count shows the new step and
  the browser has painted the next frame (the charts are drawn in that frame).

The result goes into benchmarks/RESULTS.md between its markers.

    .venv/bin/python benchmarks/bench_app.py               # all three, writes RESULTS.md
    .venv/bin/python benchmarks/bench_app.py --no-browser --no-write
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_file import write_section  # noqa: E402  (benchmarks/: the one writer of RESULTS.md)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
LESSON = "4-complacency-and-the-new-entrant"   # 1,000 buyers, 3 suppliers, an entry at step 36
TARGET_MS = 200.0
BEGIN = "<!-- bench_app.py: begin -->"
END = "<!-- bench_app.py: end -->"


def quantiles(ms: list[float]) -> dict:
    ordered = sorted(ms)
    return {"n": len(ms), "median": statistics.median(ms), "p90": ordered[int(0.9 * (len(ms) - 1))],
            "max": ordered[-1]}


def bench_model(steps: int) -> list[float]:
    from sim.mesa.classroom.market import ClassroomMarket

    model = ClassroomMarket(LESSON)
    out, cpu = [], []
    for _ in range(steps):
        start, cpu_start = time.perf_counter(), time.process_time()
        model.step()
        out.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - cpu_start) * 1000)
    return out, cpu


def bench_server(steps: int) -> list[float]:
    import ipyvuetify as v
    import solara

    from sim.mesa.classroom.market import ClassroomMarket
    from sim.mesa.classroom.page import Page

    holder = solara.reactive(ClassroomMarket(LESSON))

    @solara.component
    def App():
        with solara.AppLayout():
            Page(model=holder)

    _, rc = solara.render(App(), handle_error=False)
    button = rc.find(v.Btn, children=["Step"]).widget
    out, cpu = [], []
    for _ in range(steps):
        start, cpu_start = time.perf_counter(), time.process_time()
        button.click()   # Mesa's do_step: model.step(), then force_update() re-renders the page
        out.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - cpu_start) * 1000)
    assert holder.value.steps == steps
    return out, cpu


def bench_browser(steps: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, RELSIM_APP_SCENARIO=str(ROOT / "scenarios" / "classroom" / f"{LESSON}.toml"))
    server = subprocess.Popen([sys.executable, "-m", "sim.cli", "app", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
                ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")) else r.abort())
            page.goto(url)
            page.get_by_role("button", name="Step").wait_for(timeout=120_000)
            page.wait_for_selector(".solara-echarts canvas", timeout=60_000)
            out = []
            for k in range(1, steps + 1):
                ms = page.evaluate("""(k) => new Promise(resolve => {
                    const start = performance.now();
                    const seen = () => new RegExp(` ${k} of [0-9]+ [a-z]+s run`).test(document.body.innerText);
                    const done = () => requestAnimationFrame(() => resolve(performance.now() - start));
                    const observer = new MutationObserver(() => { if (seen()) { observer.disconnect(); done(); } });
                    observer.observe(document.body, {subtree: true, childList: true, characterData: true});
                    [...document.querySelectorAll('button')].find(b => b.innerText.trim() === 'STEP').click();
                })""", k)
                out.append(ms)
            browser.close()
        return out, None
    finally:
        server.terminate()
        server.wait(timeout=20)


def machine() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = "unknown CPU"
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True,
                            cwd=ROOT).stdout.strip()
    return (f"{cpu}, {len(os.sched_getaffinity(0))} cores, shared with other work (load "
            f"{os.getloadavg()[0]:.1f}); Python {sys.version.split()[0]}; commit {commit}; "
            f"{dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=48, help="steps measured (default 48: past the entry)")
    parser.add_argument("--no-browser", action="store_true", help="skip the browser measure")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md")
    args = parser.parse_args(argv)
    rows = {"model step": bench_model(args.steps), "server: step + re-render": bench_server(args.steps)}
    if not args.no_browser:
        rows["browser: click to painted frame"] = bench_browser(args.steps)
    info = machine()
    lines = ["| measure | steps | median ms | 90th percentile ms | max ms | median CPU ms (this process) | "
             "under 200 ms (90th pct) |", "|---|---|---|---|---|---|---|"]
    for name, (ms, cpu) in rows.items():
        q = quantiles(ms)
        cpu_text = "-" if cpu is None else f"{statistics.median(cpu):.0f}"
        lines.append(f"| {name} | {q['n']} | {q['median']:.0f} | {q['p90']:.0f} | {q['max']:.0f} | {cpu_text} | "
                     f"{'yes' if q['p90'] < TARGET_MS else 'NO'} |")
    table = "\n".join(lines)
    print(info)
    print(table)
    if not args.no_write:
        section = f"""{BEGIN}
## Classroom: a step and its redraw at 1,000 buyers (`bench_app.py`)

Lesson `{LESSON}` (1,000 buyers, 3 suppliers), steps 1 to {args.steps} from a fresh model. "model
step": `ClassroomMarket.step()`; "server": the Step button clicked in Solara's test harness (the
step, the figures' data, the page re-rendered); "browser": `relsim app` in headless Chromium,
from the click on Step until the new step is on the page and the next frame is painted (server

and browser share the machine). Target: under {TARGET_MS:.0f} ms. On a loaded machine the wall
times stretch with the load; the CPU column is the work itself.

Machine: {info}.

{table}
{END}"""
        write_section(section, BEGIN, END, RESULTS)
        print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
