"""What the sweep studies share (experiments/common.py): a study runs its sweep afresh, so
its figures come from the model as it is now, unless asked to resume an interrupted run."""

from sweep_support import GRID, write_sweep

from experiments.common import study_sweep


def _timings(results) -> list[float]:
    return results.runs.sort_values("point")["wall_time_s"].tolist()  # read now: the store may change


def test_a_study_runs_its_sweep_afresh_unless_asked_to_resume(tmp_path):
    spec = write_sweep(tmp_path, GRID.replace("replicates = 2", "replicates = 1"))
    store = tmp_path / "study" / "results"
    first = _timings(study_sweep(spec, store))
    resumed = study_sweep(spec, store, resume=True)
    assert len(resumed.manifest["history"]) == 1 and _timings(resumed) == first  # continued: nothing rerun
    fresh = study_sweep(spec, store)
    assert "history" not in fresh.manifest and len(_timings(fresh)) == len(first) == 6
    assert _timings(fresh) != first  # every run made again
