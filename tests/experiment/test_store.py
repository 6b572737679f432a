"""The results store: a folder is a user's work. Commands delete only what they wrote, one
writer at a time, one consistent set of replicates whatever happened, reuse and extension of
finished replicates, and clear messages for folders that cannot be used."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from support import ROOT, relsim_in_process, tree

from sim.config import ScenarioError, load_scenario
from sim.experiment.files import FolderBusy, FolderLock, atomic_write_parquet
from sim.experiment.run import run
from sim.experiment.store import TABLES, ResultsFolder

SCENARIO = """\
[market]
name = "Store test"
buyers = 150
steps = 10
seed = 5
replicates = 2

[[suppliers]]
name = "Us"
strategy = "relationship"

[[suppliers]]
name = "Them"
strategy = "transactional"
"""


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "market.toml"
    path.write_text(SCENARIO)
    return path


relsim = relsim_in_process


# --------------------------------------------------------------------------- deleting only our own


def test_overwrite_in_a_folder_with_a_users_files_deletes_nothing(tmp_path, scenario_file, capsys, monkeypatch):
    work = tmp_path / "thesis"
    work.mkdir()
    (work / "chapter1.tex").write_text("three months of writing")
    (work / "data").mkdir()
    (work / "data" / "survey.csv").write_text("a,b\n1,2\n")
    before = tree(work)
    monkeypatch.chdir(work)
    for command in (["run", str(scenario_file)], ["compare", str(scenario_file), "--replicates", "2"]):
        code, _, err = relsim(capsys, *command, "--out", ".", "--overwrite", "--workers", "1")
        assert code == 2
        assert "chapter1.tex" in err and "data/" in err
    assert tree(work) == before  # not even a lock file was left


def test_overwrite_removes_only_relsims_files_and_refuses_a_results_folder_with_a_users_file(
        tmp_path, scenario_file, capsys):
    out = tmp_path / "results"
    assert relsim(capsys, "run", str(scenario_file), "--out", str(out), "--workers", "1")[0] == 0
    assert relsim(capsys, "report", str(out))[0] == 0
    assert (out / "figures").is_dir() and (out / "report.html").exists()
    (out / "figures" / "my_annotated_chart.png").write_bytes(b"mine")
    code, _, err = relsim(capsys, "run", str(scenario_file), "--out", str(out), "--overwrite", "--workers", "1")
    assert code == 2 and "figures/my_annotated_chart.png" in err
    assert (out / "figures" / "my_annotated_chart.png").read_bytes() == b"mine"
    assert ResultsFolder(out).completed() == {0, 1}
    (out / "figures" / "my_annotated_chart.png").unlink()
    code, _, err = relsim(capsys, "run", str(scenario_file), "--out", str(out), "--overwrite", "--workers", "1",
                          "--replicates", "1")
    assert code == 0, err
    assert ResultsFolder(out).completed() == {0}
    assert not (out / "report.html").exists() and not (out / "figures").exists()  # ours: removed


def test_overwrite_of_a_comparison_keeps_a_users_file_in_an_alternative(tmp_path, scenario_file, capsys):
    out = tmp_path / "cmp"
    argv = ["compare", str(scenario_file), "--replicates", "2", "--out", str(out), "--workers", "1", "--no-report"]
    assert relsim(capsys, *argv)[0] == 0
    note = out / "alternatives" / "relationship" / "notes.txt"
    note.write_text("why these numbers")
    code, _, err = relsim(capsys, *argv, "--overwrite")
    assert code == 2 and "alternatives/relationship/notes.txt" in err
    assert note.read_text() == "why these numbers"
    note.unlink()
    assert relsim(capsys, *argv, "--overwrite")[0] == 0


# --------------------------------------------------------------------------- one writer


def test_a_second_writer_gets_a_clear_message(tmp_path, scenario_file):
    out = tmp_path / "busy"
    with FolderLock(out, "relsim run"):
        with pytest.raises(FolderBusy, match="another relsim command is writing here"):
            run(load_scenario(scenario_file), out=out, workers=1)


def test_a_lock_dies_with_its_holder(tmp_path):
    out = tmp_path / "held"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom sim.experiment.files import FolderLock\n"
                               f"FolderLock({str(out)!r}, 'holder').acquire()\nprint('held', flush=True)\n"
                               "time.sleep(60)"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(FolderBusy, match="holder, pid"):
        FolderLock(out).acquire()
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    FolderLock(out).acquire().release()  # nothing stuck


def test_two_identical_commands_started_together_one_wins(tmp_path, scenario_file):
    out = tmp_path / "race"
    command = [sys.executable, "-m", "sim.cli", "run", str(scenario_file), "--out", str(out), "--workers", "1",
               "--replicates", "6", "--set", "market.buyers=600", "--set", "market.steps=30"]
    procs = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = sorted((p.wait(timeout=120), p.stderr.read()) for p in procs)
    assert [code for code, _ in results] == [0, 2], results
    assert "another relsim command is writing here" in results[1][1]
    assert "Traceback" not in results[1][1]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and ResultsFolder(out).completed() == set(range(6))


# --------------------------------------------------------------------------- one consistent set


def test_same_command_reuses_more_replicates_extend_fewer_are_refused(tmp_path, scenario_file, capsys):
    out = tmp_path / "grow"
    argv = ["run", str(scenario_file), "--out", str(out), "--workers", "1"]
    assert relsim(capsys, *argv)[0] == 0
    code, stdout, _ = relsim(capsys, *argv)
    assert code == 0 and f"reused 2 finished replicates from {out} (nothing left to run)" in stdout
    code, stdout, _ = relsim(capsys, *argv, "--replicates", "3")
    assert code == 0 and "reused 2 finished replicates" in stdout and "ran 1 more" in stdout
    extended = {t: pd.read_parquet(out / f"{t}.parquet") for t in TABLES}
    fresh = run(load_scenario(scenario_file), replicates=3, out=tmp_path / "fresh", workers=1)
    for t in TABLES:
        pd.testing.assert_frame_equal(extended[t], pd.read_parquet(tmp_path / "fresh" / f"{t}.parquet"))
    assert fresh.manifest["replicates"] == 3
    code, _, err = relsim(capsys, *argv, "--replicates", "1")
    assert code == 2
    assert "holds 3 finished replicates" in err and "--replicates 3 or more" in err and "--overwrite" in err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["replicates"] == 3 and manifest["completed_replicates"] == [0, 1, 2]


def test_a_different_scenario_is_refused_saying_what_differs(tmp_path, scenario_file, capsys):
    out = tmp_path / "other"
    assert relsim(capsys, "run", str(scenario_file), "--out", str(out), "--workers", "1")[0] == 0
    code, _, err = relsim(capsys, "run", str(scenario_file), "--out", str(out), "--steps", "6",
                          "--set", "suppliers[Us].markup=0.4")
    assert code == 2
    assert "market.steps: 10 here, 6 now" in err
    assert "suppliers[Us].markup: (absent) here, 0.4 now" in err


def test_a_strategy_no_supplier_uses_and_descriptions_leave_a_run_folder_reusable(tmp_path, scenario_file, capsys):
    out = tmp_path / "kam"
    argv = ["run", str(scenario_file), "--out", str(out), "--workers", "1"]
    ours = SCENARIO.replace('strategy = "relationship"', 'strategy = "ours"') + """
[strategies.ours]
based_on = "relationship"
description = "Our own words for it"
"""
    scenario_file.write_text(ours)
    assert relsim(capsys, *argv)[0] == 0
    # new words for the strategy "Us" uses, and one more strategy that no supplier uses
    scenario_file.write_text(ours.replace("Our own words for it", "Other words") + """
[strategies.kam_same_price]
based_on = "key_account_management"
markup = 0.2
""")
    code, stdout, err = relsim(capsys, *argv)
    assert code == 0, err
    assert f"reused 2 finished replicates from {out} (nothing left to run)" in stdout
    # a field of a strategy a supplier does use still counts, and the refusal lists only it
    scenario_file.write_text(scenario_file.read_text().replace('description = "Other words"', "markup = 0.4"))
    code, _, err = relsim(capsys, *argv)
    assert code == 2 and "strategies.ours.markup: 0.35 here, 0.4 now" in err
    assert "kam_same_price" not in err and "description" not in err


def test_a_comparison_refusal_says_which_alternatives_differ_and_more_replicates_extend(
        tmp_path, scenario_file, capsys):
    out = tmp_path / "cmp"
    argv = ["compare", str(scenario_file), "--out", str(out), "--workers", "1", "--no-report"]
    assert relsim(capsys, *argv, "--replicates", "2")[0] == 0
    code, stdout, _ = relsim(capsys, *argv, "--replicates", "3")
    assert code == 0 and "reused 4 finished replicates" in stdout and "ran 2 more" in stdout
    code, _, err = relsim(capsys, *argv, "--replicates", "3", "--alternatives", "transactional,segmented")
    assert code == 2 and "alternatives: transactional,relationship here, transactional,segmented now" in err
    code, _, err = relsim(capsys, *argv, "--replicates", "3", "--steps", "8")
    assert code == 2 and "alternative transactional: market.steps: 10 here, 8 now" in err
    code, _, err = relsim(capsys, *argv, "--replicates", "2")
    assert code == 2 and "holds 3 replicates per alternative" in err


def test_a_comparison_folder_follows_the_run_folders_rule_for_unused_strategies_and_older_digests(
        tmp_path, scenario_file, capsys):
    import hashlib

    out = tmp_path / "cmp"
    argv = ["compare", str(scenario_file), "--out", str(out), "--workers", "1", "--no-report", "--replicates", "2"]
    assert relsim(capsys, *argv)[0] == 0
    # one more strategy no supplier uses: the comparison is reused, and a real difference is
    # listed without the unused strategy's fields
    scenario_file.write_text(SCENARIO + '\n[strategies.spare]\nbased_on = "key_account_management"\n')
    code, stdout, err = relsim(capsys, *argv)
    assert code == 0 and "reused 4 finished replicates" in stdout, err
    code, _, err = relsim(capsys, *argv, "--steps", "8")
    assert code == 2 and "alternative transactional: market.steps: 10 here, 8 now" in err and "spare" not in err
    # a folder an older relsim wrote, with the whole scenario's digest, is reused too
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for alt in manifest["alternatives"]:
        whole = json.loads((out / alt["folder"] / "manifest.json").read_text())["scenario"]
        whole["market"].pop("replicates", None)
        alt["scenario_sha256"] = hashlib.sha256(json.dumps(whole, sort_keys=True, default=str).encode()).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    code, stdout, err = relsim(capsys, *argv)
    assert code == 0 and "reused 4 finished replicates" in stdout, err


def test_a_replicate_missing_a_table_is_recomputed_not_trusted(tmp_path, scenario_file):
    out = tmp_path / "partial"
    first = run(load_scenario(scenario_file), out=out, workers=1)
    ResultsFolder(out).replicate_file("events", 1).unlink()  # as if killed between two tables
    assert ResultsFolder(out).completed() == {0}
    again = run(load_scenario(scenario_file), out=out, workers=1)
    assert again.manifest["reused_replicates"] == 1
    for t in TABLES:
        pd.testing.assert_frame_equal(getattr(first, t), getattr(again, t))


def test_an_interrupted_run_is_marked_and_keeps_only_whole_replicates(tmp_path, scenario_file):
    out = tmp_path / "stopped"

    def stop_after_first(done, total):
        if done >= 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(load_scenario(scenario_file), replicates=3, out=out, workers=1, progress=stop_after_first)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    assert manifest["completed_replicates"] == [0] == sorted(ResultsFolder(out).completed())
    for t in TABLES:
        assert sorted(p.name for p in (out / f"{t}.parquet").iterdir()) == ["rep-00000.parquet"]


def test_temporary_files_are_hidden_unique_and_never_read_as_data(tmp_path, scenario_file):
    out = tmp_path / "tmpnames"
    run(load_scenario(scenario_file), out=out, workers=1)
    assert not [p for p in out.rglob("*.tmp")]
    # a writer killed mid-write leaves its hidden temporary; readers skip it
    (out / "market.parquet" / ".rep-00002.parquet.123.abcd.tmp").write_bytes(b"half a file")
    assert sorted(pd.read_parquet(out / "market.parquet")["replicate"].unique()) == [0, 1]
    run(load_scenario(scenario_file), out=out, workers=1)
    assert not [p for p in out.rglob("*.tmp")]  # the next writer removes it
    frame = pd.DataFrame({"x": [1]})
    atomic_write_parquet(frame, tmp_path / "x.parquet")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


# --------------------------------------------------------------------------- damaged folders


def test_a_damaged_replicate_file_is_named_with_what_to_do(tmp_path, scenario_file, capsys):
    out = tmp_path / "damaged"
    run(load_scenario(scenario_file), out=out, workers=1)
    damaged = ResultsFolder(out).replicate_file("suppliers", 1)
    damaged.write_bytes(b"PAR1 not really")
    for argv in (["run", str(scenario_file), "--out", str(out)], ["report", str(out)]):
        code, _, err = relsim(capsys, *argv)
        assert code == 2
        assert f"{damaged}: damaged replicate file" in err and "delete this file" in err


@pytest.mark.parametrize("content", [b"\xff\xfe{}", b"{not json", b"[1, 2]", b"[" * 100_000])
def test_a_broken_manifest_is_a_message_in_run_and_report(tmp_path, scenario_file, capsys, content):
    out = tmp_path / "broken"
    run(load_scenario(scenario_file), out=out, workers=1)
    (out / "manifest.json").write_bytes(content)
    for argv in (["run", str(scenario_file), "--out", str(out)], ["report", str(out)]):
        code, _, err = relsim(capsys, *argv)
        assert code == 2 and "manifest.json: damaged results manifest" in err, err


def test_time_left_counts_only_this_sessions_replicates():
    import io

    from sim.experiment.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    bar = Progress(20, "replicates", delay=0.0, stream=stream, refresh=0)
    bar.reused(18)  # finished before this session: shown as done, not part of the rate
    bar.bar.start_t -= 10.0  # this session has run 10 s ...
    bar.bar.last_print_t -= 10.0
    bar.update(19, 20)  # ... for one replicate of its own: one more takes about 10 s
    bar.close()
    shown = [line for line in stream.getvalue().split("\r") if "19/20" in line]
    assert shown and "<00:10" in shown[-1], stream.getvalue()


def test_run_refuses_a_folder_that_is_a_file(tmp_path, scenario_file):
    target = tmp_path / "afile"
    target.write_text("x")
    with pytest.raises(ScenarioError, match="exists and is not a folder"):
        run(load_scenario(scenario_file), out=target)


def test_a_manifest_left_running_by_a_killed_writer_reads_as_interrupted(tmp_path, scenario_file):
    out = tmp_path / "killed"
    run(load_scenario(scenario_file), out=out, workers=1)
    folder = ResultsFolder(out)
    manifest = folder.read_manifest()
    folder.write_manifest({**manifest, "status": "running"})  # what a SIGKILL leaves
    assert folder.read_manifest()["status"] == "interrupted"
    with FolderLock(out, "relsim run"):  # while a writer holds the folder, it is running
        assert ResultsFolder(out).read_manifest()["status"] == "running"


# --------------------------------------------------------------------------- the segments table


def test_a_replicate_with_only_its_segments_table_is_partial_and_recomputed(tmp_path, scenario_file):
    out = tmp_path / "half"
    first = run(load_scenario(scenario_file), out=out, workers=1)
    folder = ResultsFolder(out)
    for table in ("market", "suppliers", "events", "relationships"):  # killed after the first file
        folder.replicate_file(table, 1).unlink()
    assert folder.completed() == {0} and folder.partial() == {1}
    again = run(load_scenario(scenario_file), out=out, workers=1)
    assert again.manifest["reused_replicates"] == 1
    pd.testing.assert_frame_equal(first.segments, again.segments)


def test_a_folder_written_before_the_segments_table_keeps_its_replicates(tmp_path, scenario_file, capsys):
    out = tmp_path / "older"
    argv = ["run", str(scenario_file), "--out", str(out), "--workers", "1"]
    assert relsim(capsys, *argv)[0] == 0
    for path in (out / "segments.parquet").iterdir():  # as an earlier relsim left it
        path.unlink()
    (out / "segments.parquet").rmdir()
    folder = ResultsFolder(out)
    assert folder.completed() == {0, 1} and folder.partial() == set()
    from sim.experiment.run import load_results

    assert load_results(out).segments.empty
    code, stdout, _ = relsim(capsys, *argv, "--replicates", "3")
    assert code == 0 and "reused 2 finished replicates" in stdout and "ran 1 more" in stdout
    assert folder.completed() == {0, 1, 2}
    assert sorted(p.name for p in (out / "suppliers.parquet").iterdir()) == [
        "rep-00000.parquet", "rep-00001.parquet", "rep-00002.parquet"]
    assert set(load_results(out).segments["replicate"]) == {2}
