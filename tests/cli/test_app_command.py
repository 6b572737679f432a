"""``relsim app``: bad input gets one clear message and exit code 2, before any server starts;
Ctrl-C stops the server with one line."""

from __future__ import annotations

import socket

import pytest
from support import SCENARIOS

from sim.cli import app
from sim.cli.main import main


def test_a_missing_scenario_is_named(capsys, tmp_path):
    assert main(["app", str(tmp_path / "nope.toml")]) == 2
    err = capsys.readouterr().err
    assert f"error: {tmp_path / 'nope.toml'}: no such scenario file" in err and "Traceback" not in err


def test_a_broken_scenario_is_reported_like_validate_does(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[market]\nbuyers = -3\n")
    assert main(["app", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "market.buyers" in err and "-3" in err and "Traceback" not in err


def test_a_port_in_use_is_refused_with_a_way_out(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["app", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"--port {port}: already in use on 127.0.0.1" in err and "--port" in err


def test_port_must_be_a_positive_number(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["app", "--port", "zero"])
    assert exit_.value.code == 2 and "--port = 'zero': must be a whole number" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["app", "--port", "99999"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "--port = 99999: must be a port from 1 to 65535" in err and "Traceback" not in err


def test_the_address_printed_for_a_room_includes_this_machine():
    assert app.addresses("127.0.0.1", 8765) == ["http://127.0.0.1:8765/"]
    room = app.addresses("0.0.0.0", 8765)
    assert room[0] == "http://127.0.0.1:8765/" and all(a.endswith(":8765/") for a in room)


def test_the_server_is_told_to_stay_offline_and_open_the_given_scenario():
    env = app.server_environment(SCENARIOS / "low_price_entrant.toml")
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False" and env["SOLARA_ASSETS_PROXY"] == "True"
    assert env["RELSIM_APP_SCENARIO"] == str((SCENARIOS / "low_price_entrant.toml").resolve())
    assert "RELSIM_APP_SCENARIO" not in app.server_environment(None)


def test_the_server_silences_only_solaras_samesite_cookie_warning(monkeypatch):
    import warnings

    monkeypatch.setenv("PYTHONWARNINGS", "error::DeprecationWarning")     # the user's own filters stay
    env = app.server_environment(None)
    assert env["PYTHONWARNINGS"] == "error::DeprecationWarning," + app.SAMESITE_WARNING
    assert env["SOLARA_THEME_SHOW_BANNER"] == "False"
    action, message, category, module = app.SAMESITE_WARNING.split(":")
    with warnings.catch_warnings(record=True) as seen:
        warnings.resetwarnings()
        warnings.simplefilter("always")
        warnings.filterwarnings(action, message, UserWarning, module)
        warnings.warn_explicit("Cookies with samesite=none require https, but according to the asgi framework, "
                               "the scheme is 'http'", UserWarning, "starlette.py", 578, module=module)
        warnings.warn_explicit("Cookies with samesite=none require https", UserWarning, "other.py", 1,
                               module="somebody.else")
        warnings.warn_explicit("Origin as determined by starlette does not match", UserWarning, "starlette.py", 540,
                               module=module)
    assert [str(w.message) for w in seen] == ["Cookies with samesite=none require https",
                                              "Origin as determined by starlette does not match"]


def test_without_lessons_or_a_scenario_it_says_where_it_looked(capsys, tmp_path, monkeypatch):
    from sim.mesa.classroom import lessons

    monkeypatch.setattr(lessons, "LESSONS_DIR", tmp_path / "classroom")
    assert main(["app"]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'classroom'}: no lessons here" in err and "relsim app SCENARIO" in err


def test_ctrl_c_stops_the_server_with_one_line(tmp_path):
    """A terminal's Ctrl-C signals its whole foreground process group: the server must not
    hear it too (Solara's command line then prints "Aborted!" beside relsim's own line)."""
    import os
    import signal
    import subprocess
    import sys
    import time
    import urllib.request

    from support import ROOT

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "app.log"
    with open(log, "w") as out:  # a file, not a pipe nobody reads while the server runs
        proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "app", "--port", str(port)], cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        assert proc.wait(timeout=30) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    printed = log.read_text().splitlines()
    assert printed[0].startswith("relsim classroom: open http://127.0.0.1:")
    said = [line for line in printed[1:] if line.strip() and not line.startswith("Solara server is starting")]
    assert said == ["interrupted"], printed
