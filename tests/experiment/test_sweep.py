"""The sweep runner and its store: one row per run, resumable after any kill, extendable,
refusing a changed sweep, recording failed runs, on any executor."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import psutil
import pytest
from support import ROOT, tree
from sweep_support import GRID, results_of, write_sweep

from sim.config import ScenarioError
from sim.config.space import load_sweep
from sim.experiment import sweep as sweep_module
from sim.experiment.designs import run_seed
from sim.experiment.sweep import sweep
from sim.experiment.sweep_store import SweepStore
from sim.observe.market import ObservedMarket


def test_each_run_is_one_tidy_row_with_its_parameters_seed_and_outcomes(tmp_path):
    spec_path = write_sweep(tmp_path)
    results = sweep(spec_path, tmp_path / "out", workers=1)
    runs = results.runs
    assert len(runs) == 6 * 2 and not runs.duplicated(["point", "replicate"]).any()
    assert {"buyers.switching_cost", "buyers.relational_orientation", "seed", "cumulative_profit",
            "market_share"} <= set(runs.columns)
    assert (runs["status"] == "ok").all()
    # a row's seed reproduces its run, headless, with the point's values
    row = runs.iloc[5]
    spec = load_sweep(spec_path)
    assert row["seed"] == run_seed(spec.seed, row["point"], int(row["replicate"]))
    scenario = spec.scenario.with_overrides({"buyers.switching_cost": float(row["buyers.switching_cost"]),
                                             "buyers.relational_orientation":
                                             float(row["buyers.relational_orientation"])})
    market = ObservedMarket(scenario, int(row["seed"]))
    market.run()
    profit = market.supplier_frame().query("supplier == 'Acme'")["profit"].sum()
    assert profit == pytest.approx(row["cumulative_profit"], rel=1e-12)
    assert results.manifest["status"] == "complete"


def test_series_are_kept_every_n_steps_in_their_own_files_and_events_only_when_asked(tmp_path):
    body = GRID + '[keep]\nseries = ["suppliers"]\nevery = 5\n'
    results = sweep(write_sweep(tmp_path, body), tmp_path / "out", workers=1)
    series = results.table("suppliers")
    assert sorted(series["step"].unique()) == [0, 5, 10, 11]  # every 5th and the last
    assert len(series.groupby(["point", "replicate"])) == 12
    assert not (tmp_path / "out" / "events.parquet").exists()
    with pytest.raises(ScenarioError, match="events = true"):
        results.table("events")


def test_a_sweep_keeps_the_segment_series_of_each_run_as_run_folders_do_when_asked(tmp_path):
    body = GRID + '[keep]\nseries = ["segments"]\nevery = 5\n'
    results = sweep(write_sweep(tmp_path, body), tmp_path / "out", workers=1)
    segments = results.table("segments")
    assert len(segments.groupby(["point", "replicate"])) == 12 and sorted(segments["step"].unique()) == [0, 5, 10, 11]
    assert not (tmp_path / "out" / "suppliers.parquet").exists()  # only what was asked
    # one run's rows are that run's segment series, thinned to every 5th step and the last
    row = results.runs.iloc[3]
    spec = load_sweep(tmp_path / "sweep.toml")
    scenario = spec.scenario.with_overrides({k: float(row[k]) for k in spec.names})
    market = ObservedMarket(scenario, int(row["seed"]))
    market.run()
    own = market.frames()["segments"]
    own = own[own["step"].isin([0, 5, 10, 11])].reset_index(drop=True)
    kept = segments[(segments["point"] == row["point"]) & (segments["replicate"] == row["replicate"])]
    kept = kept.drop(columns=["point", "replicate"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, own[kept.columns].astype(kept.dtypes.to_dict()), check_dtype=False)


def test_more_replicates_extend_a_sweep_without_recomputing_what_exists(tmp_path):
    spec_path = write_sweep(tmp_path)
    sweep(spec_path, tmp_path / "out", workers=1)
    parts = sorted((tmp_path / "out" / "runs.parquet").glob("part-*.parquet"))
    before = {p: p.stat().st_mtime_ns for p in parts}
    extended = sweep(spec_path, tmp_path / "out", workers=1, replicates=3).runs
    assert len(extended) == 18 and not extended.duplicated(["point", "replicate"]).any()
    assert {p: p.stat().st_mtime_ns for p in parts} == before  # earlier batches untouched
    fresh = sweep(spec_path, tmp_path / "fresh", workers=1, replicates=3).runs
    pd.testing.assert_frame_equal(results_of(extended), results_of(fresh))


def test_the_sweep_command_says_how_many_finished_runs_it_reused(tmp_path, capsys):
    from sim.cli.main import main

    spec_path = write_sweep(tmp_path)
    args = ["sweep", str(spec_path), "--out", str(tmp_path / "out"), "--workers", "1", "--no-progress"]
    assert main(args) == 0
    assert "reused" not in capsys.readouterr().out
    assert main(args + ["--replicates", "3"]) == 0
    assert "reused 12 finished run(s); ran 6 more" in capsys.readouterr().out
    assert main(args + ["--replicates", "3"]) == 0
    assert "reused 18 finished run(s) (nothing left to run)" in capsys.readouterr().out


def test_fewer_replicates_than_the_store_holds_are_refused_as_a_run_refuses_them_and_nothing_changes(
        tmp_path, capsys):
    from sim.cli.main import main

    spec_path = write_sweep(tmp_path)  # replicates = 2
    out = tmp_path / "out"
    args = ["sweep", str(spec_path), "--out", str(out), "--workers", "1", "--no-progress"]
    assert main(args + ["--replicates", "3"]) == 0
    capsys.readouterr()
    before = tree(out, lock=False)
    assert main(args) == 2  # the file's 2 replicates
    err = capsys.readouterr().err
    assert f"{out}: holds 3 replicates of this sweep (18 finished runs); sweep.replicates = 2 in {spec_path}" in err
    assert "Ask for --replicates 3 or more" in err and "--overwrite to start again with 2" in err
    assert main(args + ["--replicates", "1"]) == 2
    err = capsys.readouterr().err
    assert "; --replicates 1 would leave results" in err and "Ask for --replicates 3 or more" in err
    assert tree(out, lock=False) == before
    assert SweepStore(out).read_manifest()["replicates"] == 3
    with pytest.raises(ScenarioError, match="holds 3 replicates of this sweep"):
        sweep(spec_path, out, workers=1)
    assert main(args + ["--replicates", "3"]) == 0  # what the message says to ask for
    assert "reused 18 finished run(s) (nothing left to run)" in capsys.readouterr().out


MORRIS = ('[sweep]\nscenario = "base.toml"\nreplicates = 2\n[parameters]\n'
          '"buyers.switching_cost" = { low = 0.0, high = 0.6 }\n'
          '"buyers.relational_orientation" = { low = 0.2, high = 0.8 }\n'
          '[design]\nkind = "morris"\nsamples = 4\nlevels = 4\nseed = 0\n')


def test_a_morris_design_that_revisits_points_says_its_trajectory_points_and_runs_each_distinct_once(
        tmp_path, capsys):
    from sim.cli.main import main

    spec_path = write_sweep(tmp_path, MORRIS)
    args = ["sweep", str(spec_path), "--out", str(tmp_path / "out"), "--workers", "1", "--no-progress"]
    assert main(args) == 0
    points = pd.read_parquet(tmp_path / "out" / "points.parquet")
    distinct = points["point"].nunique()
    assert len(points) == 4 * (2 + 1) and distinct < len(points)  # N x (D + 1) rows, some repeated
    assert f"sweep: 12 trajectory points ({distinct} distinct) x 2 replicate(s)" in capsys.readouterr().out
    assert len(SweepStore(tmp_path / "out").runs()) == distinct * 2


def test_more_grid_levels_add_points_and_keep_the_old_ones(tmp_path):
    spec_path = write_sweep(tmp_path)
    sweep(spec_path, tmp_path / "out", workers=1)
    spec_path.write_text(GRID.replace("levels = [0.0, 0.3]", "levels = [0.0, 0.3, 0.6]"))
    runs = sweep(spec_path, tmp_path / "out", workers=1).runs
    assert len(runs) == 9 * 2 and not runs.duplicated(["point", "replicate"]).any()


def test_a_changed_sweep_against_an_existing_store_is_refused_with_what_differs(tmp_path):
    spec_path = write_sweep(tmp_path)
    sweep(spec_path, tmp_path / "out", workers=1)
    spec_path.write_text(GRID.replace("seed = 11", "seed = 12") + '[set]\n"market.steps" = 9\n')
    with pytest.raises(ScenarioError) as caught:
        sweep(spec_path, tmp_path / "out", workers=1)
    text = "\n".join(caught.value.messages)
    assert "holds a different sweep" in text
    assert "seed: 11 here, 12 now" in text and "base_scenario_sha256" in text
    assert len(SweepStore(tmp_path / "out").runs()) == 12  # nothing lost


def test_a_latin_hypercube_of_another_size_is_refused_because_its_points_move(tmp_path):
    body = ('[sweep]\nscenario = "base.toml"\n[parameters]\n"buyers.switching_cost" = { low = 0.0, high = 0.4 }\n'
            '[design]\nkind = "latin"\nsamples = 4\n')
    spec_path = write_sweep(tmp_path, body)
    sweep(spec_path, tmp_path / "out", workers=1)
    spec_path.write_text(body.replace("samples = 4", "samples = 5"))
    with pytest.raises(ScenarioError, match="leaves out 4 of the points already run"):
        sweep(spec_path, tmp_path / "out", workers=1)


def test_a_folder_with_other_files_is_not_taken_for_a_store(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    with pytest.raises(ScenarioError, match="not empty and holds no sweep"):
        sweep(write_sweep(tmp_path), tmp_path / "out", workers=1)
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"


def test_a_run_that_raises_is_recorded_with_its_error_and_the_sweep_goes_on(tmp_path, monkeypatch):
    real = sweep_module.run_replicate

    def flaky(scenario, replicate, seed, progress=None):
        if scenario.segments[0].switching_cost.value == 0.3 and replicate == 1:
            raise FloatingPointError("market blew up")
        return real(scenario, replicate, seed)

    monkeypatch.setattr(sweep_module, "run_replicate", flaky)
    results = sweep(write_sweep(tmp_path), tmp_path / "out", workers=1)
    runs = results.runs
    failed = runs[runs["status"] == "error"]
    assert len(runs) == 12 and len(failed) == 3 and results.failed == 3
    assert failed["error"].str.contains("FloatingPointError: market blew up").all()
    assert failed["cumulative_profit"].isna().all()
    assert runs.loc[runs["status"] == "ok", "cumulative_profit"].notna().all()


def test_a_comparison_sweep_runs_every_alternative_with_the_same_seed(tmp_path):
    body = GRID + '[compare]\nalternatives = ["transactional", "relationship"]\n'
    runs = sweep(write_sweep(tmp_path, body), tmp_path / "out", workers=1).runs
    assert len(runs) == 6 * 2 * 2
    pairs = runs.groupby(["point", "replicate"])
    assert (pairs["alternative"].nunique() == 2).all()
    assert (pairs["seed"].nunique() == 1).all()  # common random numbers within a point
    assert runs.groupby("alternative")["cumulative_profit"].mean().nunique() == 2


def test_a_comparison_sweep_counts_its_runs_as_runs_parquet_holds_them_everywhere(tmp_path, capsys):
    from sim.cli.main import main

    spec_path = write_sweep(tmp_path, GRID + '[compare]\nalternatives = ["transactional", "relationship"]\n')
    size = "6 point(s) x 2 replicate(s) x 2 alternatives = 24 runs (the 2 alternatives on the same seed)"
    assert main(["validate", str(spec_path)]) == 0
    assert f"sweep 'tiny grid': {size}, grid design over 2 parameter(s)" in capsys.readouterr().out
    seen = []
    out = tmp_path / "out"
    runs = sweep(spec_path, out, workers=1, progress=lambda done, total: seen.append((done, total))).runs
    assert len(runs) == 24 and seen[-1] == (24, 24) and seen[0] == (2, 24)
    args = ["sweep", str(spec_path), "--out", str(out), "--workers", "1", "--no-progress"]
    assert main(args + ["--replicates", "3"]) == 0
    printed = capsys.readouterr().out
    assert "reused 24 finished run(s); ran 12 more" in printed
    assert f"sweep: 6 point(s) x 3 replicate(s) x 2 alternatives = 36 runs (the 2 alternatives on the same " \
           f"seed) in {out}" in printed
    assert len(SweepStore(out).runs()) == 36
    assert main(args + ["--replicates", "1"]) == 2
    assert "holds 3 replicates of this sweep (36 finished runs)" in capsys.readouterr().err


def test_a_misspelt_alternative_of_a_sweep_file_names_the_file_and_its_key_and_runs_nothing(tmp_path, capsys):
    from sim.cli.main import main

    spec_path = write_sweep(tmp_path, GRID + '[compare]\nalternatives = ["transactional", "relationshp"]\n')
    assert main(["sweep", str(spec_path), "--out", str(tmp_path / "out"), "--workers", "1", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert (f"error: {spec_path}: compare.alternatives = ['transactional', 'relationshp']: 'relationshp': "
            f"no such strategy (did you mean 'relationship'?)") in err
    assert "--alternatives" not in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_any_concurrent_futures_executor_runs_the_sweep_with_a_bounded_window(tmp_path, monkeypatch):
    in_flight, most = [0], [0]
    lock = threading.Lock()
    real = sweep_module.run_task

    def counted(task):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        try:
            time.sleep(0.01)
            return real(task)
        finally:
            with lock:
                in_flight[0] -= 1

    monkeypatch.setattr(sweep_module, "run_task", counted)
    spec_path = write_sweep(tmp_path)
    with ThreadPoolExecutor(max_workers=8) as pool:
        runs = sweep(spec_path, tmp_path / "threads", executor=pool, replicates=4).runs
    monkeypatch.setattr(sweep_module, "run_task", real)
    serial = sweep(spec_path, tmp_path / "serial", workers=1, replicates=4).runs
    pd.testing.assert_frame_equal(results_of(runs), results_of(serial))
    assert most[0] <= 8


def test_a_progress_callable_sees_every_run(tmp_path):
    seen = []
    sweep(write_sweep(tmp_path), tmp_path / "out", workers=1, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (12, 12) and len(seen) == 12


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def test_sigkill_mid_sweep_then_resume_gives_exactly_the_uninterrupted_results(tmp_path):
    spec_path = write_sweep(tmp_path, GRID.replace("replicates = 2", "replicates = 6"))
    out = tmp_path / "killed"
    # the relsim command, writing a batch every 0.2 s so that a kill lands between batches
    command = [sys.executable, "-c", "import sys, sim.experiment.sweep as s; s.BATCH_SECONDS = 0.2; "
               "from sim.cli.main import main; sys.exit(main(sys.argv[1:]))",
               "sweep", str(spec_path), "--out", str(out), "--workers", "2", "--no-progress"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    runs_dir = out / "runs.parquet"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(runs_dir.glob("part-*.parquet")):
        time.sleep(0.05)
    workers = _descendants(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert workers, "the sweep had started its workers"
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, "no worker outlives its coordinator"
    partial = len(SweepStore(out).runs())
    assert 0 < partial < 36, "killed mid-sweep"
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    runs = SweepStore(out).runs()
    assert not runs.duplicated(["point", "replicate"]).any()
    assert not list(out.rglob(".*.tmp"))
    uninterrupted = sweep(spec_path, tmp_path / "whole", workers=1).runs
    pd.testing.assert_frame_equal(results_of(runs), results_of(uninterrupted))


def test_series_of_a_batch_cut_short_are_removed_before_their_runs_are_redone(tmp_path):
    body = GRID + '[keep]\nseries = ["market"]\n'
    spec_path = write_sweep(tmp_path, body)
    out = tmp_path / "out"
    sweep(spec_path, out, workers=1)
    store = SweepStore(out)
    # a kill between the series part and the runs part of a batch leaves a series part alone
    last = sorted((out / "runs.parquet").glob("part-*.parquet"))[-1]
    last.unlink()
    sweep(spec_path, out, workers=1)
    market = store.table("market")
    assert not market.duplicated(["point", "replicate", "step"]).any()
    assert len(market.groupby(["point", "replicate"])) == 12


UNGUARDED = """\
import sim
results = sim.sweep({spec!r}, {out!r}, workers=2)
print("finished", len(results.runs))
"""


def test_an_unguarded_script_fails_at_once_saying_what_to_add(tmp_path):
    spec_path = write_sweep(tmp_path)
    script = tmp_path / "study.py"
    script.write_text(UNGUARDED.format(spec=str(spec_path), out=str(tmp_path / "out")))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert 'if __name__ == "__main__":' in done.stderr and "study.py, line 2" in done.stderr
    assert "BrokenProcessPool" not in done.stderr


def test_a_guarded_script_runs_on_worker_processes(tmp_path):
    spec_path = write_sweep(tmp_path)
    script = tmp_path / "study.py"
    body = UNGUARDED.format(spec=str(spec_path), out=str(tmp_path / "out")).splitlines()
    script.write_text(body[0] + '\nif __name__ == "__main__":\n' + "\n".join("    " + line for line in body[1:]))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "finished 12" in done.stdout


def test_a_local_worker_killed_mid_sweep_is_replaced_and_nothing_is_lost(tmp_path):
    spec_path = write_sweep(tmp_path, GRID.replace("replicates = 2", "replicates = 8"))
    finished = threading.Event()
    killed_mid_sweep = []

    def kill_a_worker():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not finished.is_set():
            # pool workers are forked by the fork server, a child of this process
            workers = [p for p in _descendants(os.getpid()) if p.ppid() != os.getpid()]
            if workers and len(SweepStore(tmp_path / "out").runs()) == 0:
                time.sleep(0.5)
                workers[0].kill()
                killed_mid_sweep.append(not finished.is_set())
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_worker)
    killer.start()
    runs = sweep(spec_path, tmp_path / "out", workers=2).runs
    finished.set()
    killer.join()
    assert killed_mid_sweep == [True]
    assert len(runs) == 48 and not runs.duplicated(["point", "replicate"]).any()
    assert (runs["status"] == "ok").all()


def test_ctrl_c_keeps_every_finished_run_and_the_same_command_resumes(tmp_path):
    spec_path = write_sweep(tmp_path)

    def interrupt_after_five(done, total):
        if done == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep(spec_path, tmp_path / "out", workers=1, progress=interrupt_after_five)
    store = SweepStore(tmp_path / "out")
    assert len(store.runs()) == 5  # the unwritten batch was written on the way out
    assert store.read_manifest()["status"] == "interrupted"
    resumed = sweep(spec_path, tmp_path / "out", workers=1).runs
    whole = sweep(spec_path, tmp_path / "whole", workers=1).runs
    pd.testing.assert_frame_equal(results_of(resumed), results_of(whole))


FACTORS = '''[sweep]
scenario = "base.toml"
replicates = 1
seed = 5

[parameters.market_size.cases]
small = { "market.buyers" = 40 }
large = { "market.buyers" = 90 }

[parameters]
length = { levels = [6, 9] }

[derived]
"market.steps" = "{length} + 1"

[outcomes]
loyalty = { series = "market", column = "loyalty_concentration", last = 0.5 }
customers_at_end = { column = "buyers_with_supplier", statistic = "final" }

[keep]
series = ["market"]
'''


def test_cases_derived_keys_and_series_outcomes_shape_each_run_and_its_row(tmp_path):
    results = sweep(write_sweep(tmp_path, FACTORS), tmp_path / "out", workers=1)
    runs = results.runs.set_index("point")
    assert len(runs) == 4 and set(runs["market_size"]) == {"small", "large"}
    assert sorted(runs["market.steps"]) == [7, 7, 10, 10]  # the derived key is a column of its runs
    market = results.table("market")
    for point, row in runs.iterrows():
        series = market[market["point"] == point].sort_values("step")
        assert len(series) == row["market.steps"]
        assert row["customers_at_end"] == series["buyers_with_supplier"].iloc[-1]
        assert row["customers_at_end"] <= (40 if row["market_size"] == "small" else 90)
        last = series["loyalty_concentration"].to_numpy()[-math.ceil(len(series) / 2):]  # last half
        assert row["loyalty"] == pytest.approx(last.mean())
    assert {"loyalty", "customers_at_end"} <= set(results.manifest["outcomes"])
    assert "market.steps" not in results.manifest["outcomes"] and "length" not in results.manifest["outcomes"]


def test_an_outcome_naming_no_column_of_the_series_is_refused_before_anything_runs(tmp_path, capsys):
    from sim.cli.main import main

    spec = write_sweep(tmp_path, FACTORS.replace('"buyers_with_supplier"', '"buyers_with_suplier"'))
    assert main(["sweep", str(spec), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "outcomes.customers_at_end.column = 'buyers_with_suplier': not a column of the market series" in err
    assert "did you mean 'buyers_with_supplier'" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "runs.parquet").exists()


def test_relsim_sweep_variant_runs_the_named_variant_and_records_it(tmp_path, capsys):
    from sim.cli.main import main

    spec = write_sweep(tmp_path, GRID + '[variants.quick]\nsweep = { replicates = 1 }\n'
                       'parameters = { "buyers.switching_cost" = { levels = [0.0] } }\n')
    assert main(["sweep", str(spec), "--out", str(tmp_path / "out"), "--variant", "quick", "--workers", "1",
                 "--no-progress"]) == 0
    store = SweepStore(tmp_path / "out")
    assert len(store.runs()) == 3 and store.read_manifest()["variant"] == "quick"
    assert main(["sweep", str(spec), "--out", str(tmp_path / "other"), "--variant", "slow"]) == 2
    assert "no [variants.slow] table" in capsys.readouterr().err


def test_a_sweep_run_keeps_its_arrays_on_the_heap_in_a_worker_told_to_trim_memory(tmp_path):
    """Dask's nannies start workers with MALLOC_TRIM_THRESHOLD_=65536, which maps and unmaps
    every array over 128 KiB afresh (about 3,900 page faults for this run, against ~40 in a
    plain process); a sweep's run restores glibc's adaptive thresholds in such a worker."""
    script = tmp_path / "faults.py"
    script.write_text(
        "import resource\n"
        "from sim.config.space import sweep_from_dict\n"
        "from sim.experiment.designs import design_points\n"
        "from sim.experiment.sweep import run_task, sweep_tasks\n"
        f"spec = sweep_from_dict({{'sweep': {{'scenario': {str(ROOT / 'scenarios' / 'b2b_key_accounts.toml')!r}}},\n"
        "    'set': {'market.buyers': 3000, 'market.steps': 20, 'suppliers.count': 5},\n"
        "    'parameters': {'buyers.switching_cost': {'levels': [0.1]}}}, '<faults>')\n"
        "task = next(sweep_tasks(spec, design_points(spec), set()))\n"
        "run_task(task)\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
        "run_task(task)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)\n")
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536"}
    faults = int(subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True,
                                check=True, cwd=ROOT).stdout.strip())
    assert faults < 1000
