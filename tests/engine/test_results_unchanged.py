"""The engine's results are pinned: six fixed-seed markets (every mechanism and event on;
twenty suppliers with supplier learning; introductory prices; mechanisms switched off in
three ways) give exactly
the results recorded in ``results_digest.json``.

Performance work on the engine (compiled kernels, sim/engine/compiled.py) must not change
a single number; this test fails on any difference, down to the last bit of a float32 pair
array. A change that is meant to change results (a model change) regenerates the reference,
and says so in its commit:

    .venv/bin/python benchmarks/same_results.py digest tests/engine/results_digest.json

``benchmarks/same_results.py check`` compares whole frames and names the differing column."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import same_results  # noqa: E402

REFERENCE = json.loads((Path(__file__).with_name("results_digest.json")).read_text())


@pytest.mark.parametrize("case", same_results.DIGEST_CASES)
def test_the_engine_gives_exactly_the_recorded_results(case):
    digest = same_results.digest(same_results.run_case(same_results.cases()[case], headless=True))
    differing = [part for part, value in REFERENCE[case].items() if digest.get(part) != value]
    assert not differing, (f"{case}: these results changed: {', '.join(differing)} "
                           f"(benchmarks/same_results.py check names the columns)")
    assert set(digest) == set(REFERENCE[case])
