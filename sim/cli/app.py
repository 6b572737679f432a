"""``relsim app``: the classroom page, a Mesa SolaraViz-style page served by Solara.

Everything the browser loads comes from this machine: Solara's front end and ECharts from the
``solara-assets`` package of the pinned release, so a classroom without internet works. The
server is Solara's own (``solara run``) in a child process; Ctrl-C stops both."""

from __future__ import annotations

import argparse
import errno
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from sim.cli.common import positive_int
from sim.config.schema import ScenarioError

PAGE = "sim.mesa.classroom.page"
DEFAULT_PORT = 8765


def add_parser(sub) -> None:
    p = sub.add_parser("app", help="start the classroom page (lessons, live market) in a browser",
                       description="Start the classroom page: pick a lesson, step or play the market, "
                       "move the levers. With SCENARIO, that scenario comes first on the page "
                       "(a lesson text beside it, SCENARIO with .md, is shown if there is one). "
                       "Use --host 0.0.0.0 to serve a room over the local network.")
    p.add_argument("scenario", nargs="?", help="a scenario TOML to open first (default: the lessons in "
                   "scenarios/classroom/)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this "
                   "machine only; 0.0.0.0: every network interface)")
    p.add_argument("--port", type=port_number, default=DEFAULT_PORT,
                   help=f"port (default {DEFAULT_PORT})")
    p.set_defaults(func=command)


def port_number(text: str) -> int:
    """A TCP port: a whole number from 1 to 65535 (argparse reports the message, exit 2)."""
    value = positive_int("--port")(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"--port = {value}: must be a port from 1 to 65535")
    return value


def check_port_free(host: str, port: int) -> None:
    """A clear message now instead of a server traceback later."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ScenarioError(f"--host {host!r}: not an address of this machine ({exc.strerror})") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ScenarioError(f"--port {port}: already in use on {host} (another relsim app? "
                                    f"pick another with --port)") from None
            raise ScenarioError(f"--host {host} --port {port}: cannot listen there: {exc.strerror}") from None


def addresses(host: str, port: int) -> list[str]:
    """Where a browser reaches the page: the host given, or for 0.0.0.0 this machine's names."""
    if host not in ("0.0.0.0", "::"):
        return [f"http://{host}:{port}/"]
    found = [f"http://127.0.0.1:{port}/"]
    try:
        found.append(f"http://{socket.gethostbyname(socket.gethostname())}:{port}/")
    except OSError:
        pass
    return list(dict.fromkeys(found))


#: Solara warns on every page load over plain http from any address but ``localhost`` (a
#: student's browser on http://<teacher's machine>:8765/, or http://127.0.0.1:8765/) that its
#: session cookie falls back from SameSite=None to SameSite=Lax (solara/server/starlette.py,
#: ``root``). SameSite=None only matters when the page is embedded in another site's iframe,
#: which the classroom never is: Lax is the right cookie here, so this one message (and no
#: other warning) is silenced in the server, as a ``-W`` filter: action, the message's start,
#: category, module.
SAMESITE_WARNING = "ignore:Cookies with samesite=none require https:UserWarning:solara.server.starlette"


def server_environment(scenario: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"   # no call home from a classroom
    env["SOLARA_ASSETS_PROXY"] = "True"                 # front-end files from solara-assets, locally
    # Solara's "This website runs on Solara" badge is pinned over the page's bottom-right
    # corner, on top of the last chart's legend
    env["SOLARA_THEME_SHOW_BANNER"] = "False"
    env["PYTHONWARNINGS"] = ",".join(filter(None, (env.get("PYTHONWARNINGS"), SAMESITE_WARNING)))
    env.pop("RELSIM_APP_SCENARIO", None)
    if scenario is not None:
        env["RELSIM_APP_SCENARIO"] = str(scenario.resolve())
    return env


def command(args: argparse.Namespace) -> int:
    from sim.mesa.classroom import lessons

    scenario = None
    if args.scenario:
        scenario = Path(args.scenario)
        if not scenario.is_file():
            raise ScenarioError(f"{scenario}: no such scenario file")
        lessons.load_lesson(scenario)  # every problem in the file (or its lesson text) now, exit 2
    shipped = lessons.load_lessons()   # the same, for the shipped lessons
    if not shipped and scenario is None:
        raise ScenarioError(f"{lessons.LESSONS_DIR}: no lessons here (relsim's scenarios/classroom/); "
                            f"give a scenario: relsim app SCENARIO")
    check_port_free(args.host, args.port)
    cmd = [sys.executable, "-m", "solara", "run", PAGE, "--host", args.host, "--port", str(args.port),
           "--production", "--no-open", "--no-check-version", "--log-level", "warning"]
    print("relsim classroom: open " + " or ".join(addresses(args.host, args.port)) + " in a browser "
          "(Ctrl-C stops the server)", flush=True)
    # The server gets a process group of its own: a terminal's Ctrl-C signals the whole
    # foreground group, and Solara's command line would answer it with its own "Aborted."
    # beside ours; this command stops the server (SIGTERM) and says so once.
    server = subprocess.Popen(cmd, env=server_environment(scenario), preexec_fn=_die_with_parent,
                              process_group=0)
    previous = signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the server too
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _die_with_parent() -> None:
    """In the server process: be ended if this command is killed outright (Linux only)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass
