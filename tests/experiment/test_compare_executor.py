"""``compare()`` runs on an executor it is given, with the same results."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pandas as pd
from support import small_scenario

from sim.experiment.compare import compare


class CountingPool(ThreadPoolExecutor):
    submitted = 0

    def submit(self, fn, /, *args, **kwargs):
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


def test_compare_runs_on_a_given_executor_with_the_same_results():
    scenario = small_scenario([{"name": "Acme", "strategy": "relationship", "focal": True},
                               {"name": "Rival", "strategy": "transactional"}], buyers=120, steps=10)
    with CountingPool(max_workers=2) as pool:
        given = compare(scenario, replicates=3, executor=pool)
    assert pool.submitted == 2 * 3  # every replicate of both alternatives ran on it
    here = compare(scenario, replicates=3, workers=1)
    pd.testing.assert_frame_equal(given.metrics, here.metrics)
