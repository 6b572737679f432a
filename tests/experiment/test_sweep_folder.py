"""The sweep folder is a results folder like any other: the same lock, the same ownership
rules (a user's files are never deleted, --overwrite removes only relsim's own), the same
ledger for what `relsim analyze` writes later, and the same damaged-file messages."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from support import ROOT, relsim_in_process, tree
from sweep_support import BASE_SCENARIO, GRID, write_sweep

from sim.experiment.store import LEDGER
from sim.experiment.sweep import sweep
from sim.experiment.sweep_store import SweepStore


def relsim(capsys, *argv: str) -> tuple[int, str]:
    code, _, err = relsim_in_process(capsys, *argv)
    return code, err


def test_a_sweep_into_a_folder_with_a_users_file_is_refused_and_the_file_survives(tmp_path, capsys):
    spec = write_sweep(tmp_path)
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.tex").write_text("three months of writing")
    for extra in ([], ["--overwrite"]):
        code, err = relsim(capsys, "sweep", str(spec), "--out", str(out), "--workers", "1", "--no-progress", *extra)
        assert code == 2 and "chapter1.tex" in err
    assert tree(out, lock=False) == {"chapter1.tex": b"three months of writing"}  # not even a lock file


def test_overwrite_of_a_sweep_with_a_users_file_in_it_is_refused_and_deletes_nothing(tmp_path, capsys):
    spec = write_sweep(tmp_path)
    out = tmp_path / "out"
    sweep(spec, out, workers=1)
    (out / "runs.parquet" / "my_subset.parquet").write_bytes(b"mine")
    (out / "notes.md").write_text("why these levels")
    before = tree(out, lock=False)
    code, err = relsim(capsys, "sweep", str(spec), "--out", str(out), "--overwrite", "--workers", "1",
                       "--no-progress")
    assert code == 2 and "notes.md" in err and "runs.parquet/my_subset.parquet" in err
    assert tree(out, lock=False) == before


def test_overwrite_of_a_sweep_removes_only_its_own_files_analysis_included(tmp_path, capsys):
    spec = write_sweep(tmp_path)
    out = tmp_path / "results" / "out"
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "beside.txt").write_text("next to the store, not in it")
    body = GRID + '[keep]\nseries = ["market"]\n'
    spec.write_text(body)
    sweep(spec, out, workers=1)
    assert relsim(capsys, "analyze", str(out))[0] == 0
    assert (out / "market.parquet").is_dir() and (out / "analysis" / "index.html").exists()
    # another sweep replaces it: the old runs, series and analysis go, nothing else
    spec.write_text(GRID.replace("seed = 11", "seed = 12").replace("replicates = 2", "replicates = 1"))
    code, err = relsim(capsys, "sweep", str(spec), "--out", str(out), "--overwrite", "--workers", "1",
                       "--no-progress")
    assert code == 0, err
    assert not (out / "analysis").exists() and not (out / "market.parquet").exists()
    assert not (out / LEDGER).exists()
    # the two lock files stay (removing a lock file another process may be opening would let
    # two writers in at once)
    assert {p.name for p in out.iterdir()} == {"manifest.json", "points.parquet", "sweep.toml", "runs.parquet",
                                               ".relsim.lock", ".relsim-outputs.lock"}
    store = SweepStore(out)
    assert len(store.runs()) == 6 and store.read_manifest()["root_seed"] == 12
    assert (tmp_path / "results" / "beside.txt").read_text() == "next to the store, not in it"


def test_analyze_outputs_are_recorded_in_the_ledger_and_a_users_file_there_is_not_ours(tmp_path, capsys):
    out = tmp_path / "out"
    sweep(write_sweep(tmp_path), out, workers=1)
    assert relsim(capsys, "analyze", str(out))[0] == 0
    written = {str(p.relative_to(out)) for p in (out / "analysis").rglob("*") if p.is_file()}
    assert "analysis/index.html" in written and "analysis/figures/main_effects.png" in written
    assert set(json.loads((out / LEDGER).read_text())) == written
    store = SweepStore(out)
    assert store.unrecognised() == []
    (out / "analysis" / "figures" / "annotated.png").write_bytes(b"mine")
    assert store.unrecognised() == ["analysis/figures/annotated.png"]
    code, err = relsim(capsys, "sweep", str(tmp_path / "sweep.toml"), "--out", str(out), "--overwrite",
                       "--workers", "1", "--no-progress")
    assert code == 2 and "analysis/figures/annotated.png" in err
    assert (out / "analysis" / "figures" / "annotated.png").read_bytes() == b"mine"
    assert (out / "analysis" / "index.html").exists()


SLOW_BASE = BASE_SCENARIO.replace("buyers = 120", "buyers = 800").replace("steps = 12", "steps = 60")


@pytest.mark.slow  # two real sweeps; the lock itself is tested on run and compare in test_store.py
def test_a_second_concurrent_sweep_into_the_same_folder_is_refused_with_the_lock_message(tmp_path, capsys):
    spec = write_sweep(tmp_path, GRID.replace("replicates = 2", "replicates = 6"))
    (tmp_path / "base.toml").write_text(SLOW_BASE)
    out = tmp_path / "out"
    first = subprocess.Popen([sys.executable, "-m", "sim.cli", "sweep", str(spec), "--out", str(out),
                              "--workers", "1", "--no-progress"], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not SweepStore(out).being_written():
            assert first.poll() is None and time.monotonic() < deadline, "the first sweep never took the lock"
            time.sleep(0.05)
        code, err = relsim(capsys, "sweep", str(spec), "--out", str(out), "--workers", "1", "--no-progress")
        assert code == 2
        assert "another relsim command is writing here (relsim sweep, pid" in err
        assert first.poll() is None, "the second sweep must not disturb the first"
    finally:
        first.kill() if first.poll() is None else None
        first.wait(timeout=60)
    # killed or finished, the first sweep's folder is whole: the same command resumes it
    assert relsim(capsys, "sweep", str(spec), "--out", str(out), "--workers", "1", "--no-progress")[0] == 0
    runs = SweepStore(out).runs()
    assert len(runs) == 36 and not runs.duplicated(["point", "replicate"]).any()


def test_a_damaged_runs_file_is_named_with_what_to_do_and_exits_2(tmp_path, capsys):
    spec = write_sweep(tmp_path)
    out = tmp_path / "out"
    sweep(spec, out, workers=1)
    part = sorted((out / "runs.parquet").glob("part-*.parquet"))[0]
    part.write_bytes(part.read_bytes()[: len(part.read_bytes()) // 2])  # a disk that lost half of it
    for argv in (["sweep", str(spec), "--out", str(out), "--workers", "1", "--no-progress"],
                 ["analyze", str(out)]):
        code, err = relsim(capsys, *argv)
        assert code == 2
        assert f"{part}: damaged runs file" in err and "delete this file and run the same `relsim sweep`" in err
    part.unlink()  # as the message says: the runs it held are recomputed
    assert relsim(capsys, "sweep", str(spec), "--out", str(out), "--workers", "1", "--no-progress")[0] == 0
    assert len(SweepStore(out).runs()) == 12


@pytest.mark.parametrize("content", [b"\xff\xfe not text", b"{ not json", b"[1, 2]"])
def test_a_broken_sweep_manifest_gets_the_stores_message(tmp_path, capsys, content):
    spec = write_sweep(tmp_path)
    out = tmp_path / "out"
    sweep(spec, out, workers=1)
    (out / "manifest.json").write_bytes(content)
    for argv in (["sweep", str(spec), "--out", str(out), "--workers", "1", "--no-progress"], ["analyze", str(out)]):
        code, err = relsim(capsys, *argv)
        assert code == 2 and f"{out / 'manifest.json'}: damaged results manifest" in err


def test_run_compare_and_sweep_refuse_each_others_folders_even_with_overwrite(tmp_path, capsys):
    spec = write_sweep(tmp_path)
    swept = tmp_path / "swept"
    sweep(spec, swept, workers=1)
    before = tree(swept, lock=False)
    for command in ("run", "compare"):
        for extra in ([], ["--overwrite"]):
            code, err = relsim(capsys, command, str(tmp_path / "base.toml"), "--out", str(swept), "--workers", "1",
                               *extra)
            assert code == 2 and "holds the results of `relsim sweep`" in err
    assert tree(swept, lock=False) == before
    ran = tmp_path / "ran"
    assert relsim(capsys, "run", str(tmp_path / "base.toml"), "--out", str(ran), "--workers", "1")[0] == 0
    code, err = relsim(capsys, "sweep", str(spec), "--out", str(ran), "--overwrite", "--workers", "1", "--no-progress")
    assert code == 2 and "holds the results of `relsim run`, not of `relsim sweep`" in err
    code, err = relsim(capsys, "analyze", str(ran))
    assert code == 2 and "not a sweep store" in err


def test_a_store_written_with_the_old_sweep_json_is_resumed_and_moved_to_manifest_json(tmp_path):
    spec = write_sweep(tmp_path)
    out = tmp_path / "out"
    sweep(spec, out, workers=1)
    parts = sorted((out / "runs.parquet").glob("part-*.parquet"))
    (out / "manifest.json").rename(out / "sweep.json")
    assert SweepStore(out).read_manifest()["kind"] == "sweep"
    results = sweep(spec, out, workers=2, replicates=2)  # nothing to do: every run is there
    assert sorted((out / "runs.parquet").glob("part-*.parquet")) == parts
    assert (out / "manifest.json").exists() and not (out / "sweep.json").exists()
    assert results.manifest["history"][0]["status"] == "complete"


def test_a_sweep_killed_with_sigkill_reads_as_interrupted_and_says_how_to_resume(tmp_path, capsys):
    import os
    import signal

    spec = write_sweep(tmp_path)
    (tmp_path / "base.toml").write_text(SLOW_BASE)
    out = tmp_path / "out"
    typed = ["sweep", str(spec), "--out", str(out), "--workers", "1", "--no-progress"]
    # the relsim command as typed (argv[0] "relsim"), writing a batch every 0.2 s
    sweep_command = [sys.executable, "-c", "import sys; sys.argv[0] = 'relsim'; import sim.experiment.sweep as s; "
                     "s.BATCH_SECONDS = 0.2; from sim.cli.main import main; sys.exit(main(sys.argv[1:]))", *typed]
    process = subprocess.Popen(sweep_command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    store = SweepStore(out)
    try:
        deadline = time.monotonic() + 120
        while not list((out / "runs.parquet").glob("part-*.parquet")):
            assert process.poll() is None and time.monotonic() < deadline, "the sweep never wrote a batch"
            time.sleep(0.02)
        running = store.status_text(store.read_manifest())
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    assert running.startswith(f"running (relsim sweep, pid {process.pid}, since ") and "holds the folder" in running
    # kill -9 gave it no moment to say so: the file still says running; the free lock tells
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"
    resume = f"relsim {' '.join(typed)}"
    assert store.status_text(store.read_manifest()) == (
        f"interrupted (its writer was killed, no process holds the folder): run `{resume}` again to resume")
    code, printed, _ = relsim_in_process(capsys, "analyze", str(out))
    assert code == 0
    assert ("It was interrupted (its writer was killed, no process holds the folder): run "
            f"`{resume}` again to resume.") in printed
    code, printed, _ = relsim_in_process(capsys, *typed)
    assert code == 0 and (f"resumed the sweep in {out}, interrupted earlier (its writer was killed; no "
                          "process held the folder)") in printed
    assert store.read_manifest()["status"] == "complete" and len(store.runs()) == 12
