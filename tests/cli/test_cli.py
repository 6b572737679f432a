"""The ``relsim`` command line end to end: help, a run and its results folder, Ctrl-C and
resume, and a results folder that belongs to another scenario."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from support import ROOT

from sim import __version__
from sim.cli import main
from sim.config import load_scenario, scenario_from_dict
from sim.experiment.run import TABLES, ResultsFolder, replicate_seeds, run_replicate
from sim.observe import numbers
from sim.observe.kpis import HEADLINE, KPIS
from sim.report.text import RUN_COLUMNS

SCENARIO = ROOT / "scenarios" / "b2b_key_accounts.toml"
COMMANDS = ("run", "validate", "params", "compare", "report")

_SCRIPT = Path(sys.executable).with_name("relsim")
RELSIM = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "sim.cli"]


def relsim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*RELSIM, *args], capture_output=True, text=True, timeout=300)


# --------------------------------------------------------------------------- help

def test_relsim_alone_prints_help_and_exits_0():
    proc = relsim()
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: relsim")
    for command in COMMANDS:
        assert command in proc.stdout


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"] if command else ["--help"])
    assert exit_.value.code == 0
    usage = capsys.readouterr().out
    assert usage.startswith(f"usage: relsim {command}" if command else "usage: relsim")
    assert "--help" in usage


def test_params_lists_every_market_parameter(capsys):
    assert main(["params"]) == 0
    reference = capsys.readouterr().out
    words = set(re.findall(r"[a-z_]+", reference))
    for name in ("buyers", "steps", "seed", "replicates", "discount_rate", "switching_cost"):
        assert name in words


# --------------------------------------------------------------------------- a run

@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("run") / "results"
    proc = relsim("run", str(SCENARIO), "--steps", "6", "--replicates", "2", "--set", "market.buyers=300",
                  "--out", str(out), "--workers", "1")
    return proc, out


def printed_table(stdout: str, first: str) -> list[dict[str, str]]:
    """The table whose header starts with ``first``, parsed: columns are set apart by two or
    more spaces (cells keep single spaces, "51.5% ± 17.1 pts")."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first + " "))
    header = re.split(r"\s{2,}", lines[start].strip())
    rows = []
    for line in lines[start + 1:]:
        if not line.strip() or line.startswith("("):
            break
        cells = re.split(r"\s{2,}", line.strip())
        assert len(cells) == len(header), line
        rows.append(dict(zip(header, cells)))
    return rows


def test_run_exits_0_and_prints_the_summary_the_results_folder_holds(finished_run):
    proc, out = finished_run
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    rows = {row["strategy"]: row for row in printed_table(proc.stdout, "strategy")}
    assert set(rows) == {"transactional", "relationship"}
    summary = pd.read_csv(out / "summary.csv").set_index("strategy")
    for strategy, row in rows.items():
        for name in RUN_COLUMNS:  # every printed cell is the saved number, formatted once
            k = KPIS[name]
            assert row[k.heading()] == k.format(summary.loc[strategy, name], summary.loc[strategy, f"{name}_ci95"])
        assert row["suppliers"] == "2"
    # the rows are strategies: the summary says whose
    assert ("suppliers, by the strategy each starts with: transactional: PriceLine 1, PriceLine 2; relationship: "
            "Partners 1, Partners 2") in proc.stdout
    assert proc.stdout.splitlines()[0].startswith("B2B market with key accounts: 300 buyers, 4 suppliers, "
                                                  "6 steps, 2 replicate(s) (--replicates), root seed 20241,")
    assert f"results: {out}/" in proc.stdout


def test_a_summary_cell_with_no_spread_across_replicates_says_so_once(finished_run):
    proc, out = finished_run
    rows = {row["strategy"]: row for row in printed_table(proc.stdout, "strategy")}
    summary = pd.read_csv(out / "summary.csv").set_index("strategy")
    # transactional suppliers never drop a customer on purpose: 0 in both replicates
    assert summary.loc["transactional", "dropped_rate_ci95"] == 0
    assert rows["transactional"][KPIS["dropped_rate"].heading()] == "0.0%, no spread"
    assert not re.search(r"± 0(\.0+)?( pts|%)?(\s|$)", proc.stdout), "an interval of no width said twice"


def test_run_writes_a_manifest_with_resolved_scenario_seeds_versions_and_wall_time(finished_run):
    proc, out = finished_run
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    resolved = scenario_from_dict(manifest["scenario"])
    assert (resolved.market.buyers, resolved.market.steps, resolved.market.replicates) == (300, 6, 2)
    assert resolved.to_dict() == load_scenario(SCENARIO).with_overrides(
        {"market.buyers": 300, "market.steps": 6, "market.replicates": 2}).to_dict()
    root = load_scenario(SCENARIO).market.seed
    assert manifest["root_seed"] == root
    assert manifest["replicate_seeds"] == [{"replicate": r, "entropy": root, "spawn_key": [r]} for r in (0, 1)]
    assert manifest["completed_replicates"] == [0, 1]
    assert manifest["versions"]["relsim"] == __version__
    assert {"mesa", "numpy", "pandas", "python"} <= set(manifest["versions"])
    assert isinstance(manifest["wall_time_s"], float) and manifest["wall_time_s"] >= 0


def test_run_writes_five_parquet_tables_that_pandas_reads(finished_run):
    proc, out = finished_run
    tables = {table: pd.read_parquet(out / f"{table}.parquet") for table in TABLES}
    assert set(TABLES) == {"market", "suppliers", "events", "relationships", "segments"}
    for table, frame in tables.items():
        assert sorted(frame["replicate"].unique()) == [0, 1], table
    assert len(tables["market"]) == 2 * 6
    assert sorted(tables["market"]["step"].unique()) == list(range(6))
    assert set(tables["suppliers"]["supplier"]) == {"PriceLine 1", "PriceLine 2", "Partners 1", "Partners 2"}
    assert len(tables["suppliers"]) == 2 * 6 * 4
    assert len(tables["events"]) > 0 and len(tables["relationships"]) > 0
    # the supplier series split by the buyers' two segments: one row per step, supplier, segment
    assert len(tables["segments"]) == 2 * 6 * 4 * 2
    assert set(tables["segments"]["segment"]) == {"key accounts", "small business"}
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["strategy"]) == {"transactional", "relationship"}


def test_run_summary_shows_retention_by_segment_from_the_segment_series(finished_run):
    from sim.observe.kpis import retention
    from sim.stats.intervals import mean_interval

    proc, out = finished_run
    rows = printed_table(proc.stdout, "segment")
    seg = pd.read_parquet(out / "segments.parquet")
    sums = seg.groupby(["segment", "strategy", "replicate"], observed=True)[
        ["retained", "customers_at_start", "dropped_customers"]].sum()
    rates = retention(sums["retained"], sums["customers_at_start"], sums["dropped_customers"])
    assert {(r["segment"], r["strategy"]) for r in rows} == {
        (s, t) for s in ("key accounts", "small business") for t in ("transactional", "relationship")}
    for r in rows:
        mean, half = mean_interval(rates.loc[(r["segment"], r["strategy"])].to_numpy())
        assert r["retention/month"] == numbers.with_interval(mean, half, "rate")
    assert "do not count against retention" in proc.stdout
    from sim.report.text import segment_table

    assert segment_table(seg[seg["segment"] == "key accounts"]) is None  # one segment: nothing to split


# --------------------------------------------------------------------------- Ctrl-C and resume

REPLICATES = 6


@dataclass
class Interrupted:
    command: list[str]
    out: Path
    code: int
    stderr: str
    kept: dict[Path, tuple[int, int]]  # finished replicate file -> (inode, mtime in ns)


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory) -> Interrupted:
    """A run stopped with SIGINT (as Ctrl-C sends it) once its first replicate is saved."""
    out = tmp_path_factory.mktemp("interrupted") / "results"
    command = [*RELSIM, "run", str(SCENARIO), "--steps", "30", "--replicates", str(REPLICATES),
               "--set", "market.buyers=2000", "--out", str(out), "--workers", "1"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = [ResultsFolder(out).replicate_file(table, 0) for table in TABLES]
    deadline = time.monotonic() + 120
    while not all(f.exists() for f in first) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    kept = {}
    for table in TABLES:
        for path in (out / f"{table}.parquet").glob("rep-*.parquet"):
            kept[path] = (os.stat(path).st_ino, os.stat(path).st_mtime_ns)
    return Interrupted(command, out, proc.returncode, stderr, kept)


def test_ctrl_c_exits_130_with_a_clear_message_and_keeps_finished_replicates(interrupted):
    assert interrupted.code == 130, interrupted.stderr
    assert "Traceback" not in interrupted.stderr
    assert "interrupted: " in interrupted.stderr and str(interrupted.out) in interrupted.stderr
    assert "run the same command again to resume" in interrupted.stderr
    done = ResultsFolder(interrupted.out).completed()
    assert 0 in done and len(done) < REPLICATES
    assert done <= set(pd.read_parquet(interrupted.out / "market.parquet")["replicate"])
    manifest = json.loads((interrupted.out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    assert set(manifest["completed_replicates"]) <= done


def test_the_same_command_resumes_skipping_finished_replicates(interrupted):
    done_before = ResultsFolder(interrupted.out).completed()
    proc = subprocess.run(interrupted.command, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((interrupted.out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["completed_replicates"] == list(range(REPLICATES))
    assert sorted(map(int, manifest["replicate_wall_time_s"])) == list(range(REPLICATES))
    for path, identity in interrupted.kept.items():
        if int(path.stem[4:]) in done_before:  # finished replicates are read back, not run again
            assert (os.stat(path).st_ino, os.stat(path).st_mtime_ns) == identity, path
    market = pd.read_parquet(interrupted.out / "market.parquet")
    assert sorted(market["replicate"].unique()) == list(range(REPLICATES))
    # a kept replicate and a resumed one are exactly what their seeds give
    scenario = scenario_from_dict(manifest["scenario"])
    seeds = replicate_seeds(manifest["root_seed"], REPLICATES)
    for r in (0, REPLICATES - 1):
        expected = run_replicate(scenario, r, seeds[r])["market"]
        pd.testing.assert_frame_equal(market[market["replicate"] == r].reset_index(drop=True), expected)


# --------------------------------------------------------------------------- results folders

def small_run(out: Path, *extra: str) -> list[str]:
    return ["run", str(SCENARIO), "--steps", "3", "--replicates", "1", "--set", "market.buyers=200",
            "--out", str(out), "--workers", "1", *extra]


def test_results_of_another_scenario_are_refused_unless_overwrite(tmp_path, capsys):
    out = tmp_path / "results"
    assert main(small_run(out)) == 0
    before = (out / "manifest.json").read_text()
    capsys.readouterr()

    assert main(small_run(out, "--set", "market.buyers=250")) == 2
    message = capsys.readouterr().err
    assert f"error: {out}: holds results of a different scenario" in message
    assert "--overwrite" in message and "Traceback" not in message
    assert (out / "manifest.json").read_text() == before  # nothing already computed is lost
    assert ResultsFolder(out).completed() == {0}

    assert main(small_run(out, "--set", "market.buyers=250", "--overwrite")) == 0
    assert json.loads((out / "manifest.json").read_text())["scenario"]["market"]["buyers"] == 250


def test_a_folder_that_holds_other_files_is_refused(tmp_path, capsys):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.tex").write_text("precious")
    assert main(small_run(out)) == 2
    message = capsys.readouterr().err
    assert f"error: {out}: folder is not empty and holds no relsim results (chapter1.tex)" in message
    assert (out / "chapter1.tex").read_text() == "precious" and not (out / "manifest.json").exists()


def test_the_same_command_twice_reuses_the_finished_run(tmp_path, capsys):
    out = tmp_path / "results"
    assert main(small_run(out)) == 0
    first = ResultsFolder(out).replicate_file("market", 0).stat().st_mtime_ns
    capsys.readouterr()
    assert main(small_run(out)) == 0
    assert ResultsFolder(out).replicate_file("market", 0).stat().st_mtime_ns == first
    rows = printed_table(capsys.readouterr().out, "strategy")  # the summary of the kept results
    assert {r["strategy"] for r in rows} == set(pd.read_csv(out / "summary.csv")["strategy"])


def test_compare_prints_one_row_per_outcome_with_the_saved_numbers(tmp_path):
    out = tmp_path / "cmp"
    proc = relsim("compare", str(SCENARIO), "--steps", "6", "--replicates", "2", "--set", "market.buyers=200",
                  "--out", str(out), "--workers", "1", "--no-report")
    assert proc.returncode == 0, proc.stderr
    rows = printed_table(proc.stdout, "metric")
    assert [r["metric"] for r in rows] == [k.title() for k in KPIS.values()]
    summary = pd.read_csv(out / "summary.csv").set_index(["alternative", "metric"])
    for row, k in zip(rows, KPIS.values()):
        for alternative in ("transactional", "relationship"):
            saved = summary.loc[(alternative, k.name)]
            assert row[alternative] == k.format(saved["mean"], saved["half_width"])
    assert not (out / "report.html").exists()  # --no-report
    sentences = [line[2:] for line in proc.stdout.splitlines() if line.startswith("- ")]
    saved = pd.read_csv(out / "differences.csv")
    assert sentences == saved[saved["metric"].isin(HEADLINE)]["sentence"].tolist()


def test_progress_is_silent_off_a_terminal():
    import io

    from sim.experiment.progress import Progress

    stream = io.StringIO()  # a log file or a pipe: no bar, however long the job
    bar = Progress(10, "replicates", delay=0, stream=stream)
    for k in range(1, 11):
        bar.update(k, 10)
    bar.close()
    assert stream.getvalue() == ""


def test_progress_shows_a_bar_on_a_terminal_once_the_job_lasts():
    import io

    from sim.experiment.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    bar = Progress(4, "replicates", delay=0, stream=stream, refresh=0)
    for k in range(1, 5):
        bar.update(k, 4)
    bar.close()
    assert "replicates" in stream.getvalue() and "4/4" in stream.getvalue()


def test_params_lists_the_presets_strategists_reach_for(capsys):
    assert main(["params"]) == 0
    reference = capsys.readouterr().out
    for name in ("key_account_management", "bargains_then_ripoffs", "introductory_discount",
                 "max_suppliers", "price_rise_search"):
        assert name in reference


def test_compare_says_which_one_supplier_it_varied(tmp_path, capsys):
    out = tmp_path / "cmp"
    code = main(["compare", str(SCENARIO), "--replicates", "2", "--steps", "6", "--workers", "1",
                 "--set", "market.buyers=200", "--out", str(out), "--no-report"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "alternatives for Partners 1 (the supplier varied" in printed
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["focal_suppliers"] == ["Partners 1"]
    code = main(["compare", str(SCENARIO), "--replicates", "2", "--steps", "6", "--workers", "1",
                 "--set", "market.buyers=200", "--out", str(tmp_path / "all"), "--no-report",
                 "--focal-all"])
    assert code == 0
    assert "alternatives for Partners 1, Partners 2" in capsys.readouterr().out


def test_a_comparison_of_market_what_ifs_does_not_say_every_other_supplier_is_unchanged(tmp_path, capsys):
    # "no entrant" removes a supplier: the header says it is a change of the market itself
    entrant = SCENARIO.parent / "low_price_entrant.toml"
    code = main(["compare", str(entrant), "--alternative", "no entrant: events[0].step=never", "--replicates", "2",
                 "--steps", "6", "--workers", "1", "--set", "market.buyers=150", "--out", str(tmp_path / "c"),
                 "--no-report"])
    assert code == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert "the market as written against 1 what-if(s) of it (no entrant)" in header
    assert "every other supplier is unchanged" not in header


def test_a_run_that_adds_replicates_says_which_earlier_report_still_shows_the_old_results(tmp_path, capsys):
    out = tmp_path / "out"
    small = ["--set", "market.buyers=200", "--set", "market.steps=12"]
    assert main(["run", str(SCENARIO), "--out", str(out), "--replicates", "2", *small]) == 0
    assert main(["report", str(out)]) == 0
    capsys.readouterr()
    assert main(["run", str(SCENARIO), "--out", str(out), "--replicates", "2", *small]) == 0
    assert "note:" not in capsys.readouterr().out  # nothing new: the report still holds
    assert main(["run", str(SCENARIO), "--out", str(out), "--replicates", "3", *small]) == 0
    printed = capsys.readouterr().out
    assert (f"note: {out / 'report.html'} shows the results from before this command; "
            f"`relsim report {out}` draws it again") in printed


def test_a_strategy_with_profit_but_a_negative_present_value_is_explained(finished_run, capsys):
    import sim
    from sim.report.text import print_summary

    _, out = finished_run
    results = sim.load_results(out)
    table = results.summary()
    table.loc[table["strategy"] == "transactional", ["npv_profit", "cumulative_profit"]] = [-16.9, 9154.0]
    table.loc[table["strategy"] == "relationship", ["npv_profit", "cumulative_profit"]] = [500.0, 900.0]
    results.summary = lambda: table
    print_summary(results, None)
    printed = capsys.readouterr().out
    assert ("note: transactional's net present value is below 0 while its cumulative profit is above: its "
            "losses come early") in printed
    assert "note: relationship's" not in printed
    assert "market.discount_rate = " in printed


def test_messages_name_the_file_and_the_options_as_typed_once(tmp_path, capsys, monkeypatch):
    import sim.experiment.capacity as capacity

    entrant = ROOT / "scenarios" / "low_price_entrant.toml"
    # the note about an event past the end names the options as typed (--steps is not --set)
    code = main(["run", str(entrant), "--steps", "12", "--set", "market.buyers=200", "--replicates", "1",
                 "--workers", "1", "--out", str(tmp_path / "short")])
    err = capsys.readouterr().err
    assert code == 0
    assert f"note: {entrant} with --set market.buyers=200 --steps 12: events[0] (supplier_entry" in err
    code = main(["run", str(entrant), "--steps", "12", "--replicates", "1", "--workers", "1",
                 "--out", str(tmp_path / "steps")])
    assert code == 0 and f"note: {entrant} with --steps 12: events[0]" in capsys.readouterr().err
    # a market too large for the machine: --replicates and --seed (how it is run) add no second "with"
    monkeypatch.setattr(capacity, "available_bytes", lambda: 1 * 2**20)
    for command in ("run", "compare"):
        code = main([command, str(entrant), "--set", "market.buyers=5000", "--replicates", "2", "--seed", "3",
                     "--out", str(tmp_path / command)])
        err = capsys.readouterr().err
        assert code == 2 and f"error: {entrant} with --set market.buyers=5000: this market needs about" in err, err
        assert err.count(" with ") == 1, err
