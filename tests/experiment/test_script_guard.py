"""``sim.run`` from a plain script: a script without ``if __name__ == "__main__":`` still runs
(in this process, with a warning that says what to add), a guarded one uses worker processes,
and a Dask client is accepted as the executor of ``sim.run``."""

from __future__ import annotations

import subprocess
import sys

from support import ROOT

SCRIPT = """\
import sim
scenario = sim.load_scenario({scenario!r}).with_overrides({{"market.buyers": 200, "market.steps": 10}})
results = sim.run(scenario, replicates=3, workers=2)
print("replicates", results.market["replicate"].nunique())
"""


def run_script(tmp_path, body: str) -> subprocess.CompletedProcess:
    script = tmp_path / "study.py"
    script.write_text(body)
    return subprocess.run([sys.executable, "-W", "always", str(script)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)


def test_sim_run_from_an_unguarded_script_runs_in_process_and_says_what_to_add(tmp_path):
    done = run_script(tmp_path, SCRIPT.format(scenario=str(ROOT / "scenarios" / "b2b_key_accounts.toml")))
    assert done.returncode == 0, done.stderr
    assert "replicates 3" in done.stdout
    assert "study.py, line 3" in done.stderr and 'if __name__ == "__main__":' in done.stderr
    # shown at the user's own line, with its source, not at a line of relsim's
    assert f"{tmp_path / 'study.py'}:3: RuntimeWarning" in done.stderr
    assert "results = sim.run(scenario" in done.stderr and "sim/experiment" not in done.stderr
    assert "BrokenProcessPool" not in done.stderr


def test_sim_run_from_a_guarded_script_gives_the_same_results_without_a_warning(tmp_path):
    lines = SCRIPT.format(scenario=str(ROOT / "scenarios" / "b2b_key_accounts.toml")).splitlines()
    body = lines[0] + '\nif __name__ == "__main__":\n' + "\n".join("    " + line for line in lines[1:]) + "\n"
    done = run_script(tmp_path, body)
    assert done.returncode == 0, done.stderr
    assert "replicates 3" in done.stdout
    assert "re-import" not in done.stderr


def test_sim_run_accepts_a_dask_client_as_its_executor():
    from distributed import Client, LocalCluster

    import sim

    scenario = sim.load_scenario(ROOT / "scenarios" / "b2b_key_accounts.toml").with_overrides(
        {"market.buyers": 200, "market.steps": 8})
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        on_dask = sim.run(scenario, replicates=2, executor=client)
    here = sim.run(scenario, replicates=2, workers=1)
    assert on_dask.suppliers.equals(here.suppliers)
