"""The compiled kernels' runtime (sim/engine/compiled.py): started when an engine is built,
and a note on stderr where this installation's kernels are not compiled yet."""

from __future__ import annotations

import subprocess
import sys

from sim.engine import compiled

PROBE = """
import sys
from sim.engine import compiled
stepped = lambda: print("stepped the small market", file=sys.stderr)
print(compiled.ensure_ready(stepped), compiled.ensure_ready(stepped))
"""


def _probe(cache_dir) -> subprocess.CompletedProcess:
    env = {"NUMBA_CACHE_DIR": str(cache_dir), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120)


def test_an_empty_cache_is_announced_and_compiled_once_then_found(tmp_path):
    first = _probe(tmp_path)
    assert first.returncode == 0, first.stderr
    # the first call compiled, the second in the same process does nothing
    assert first.stdout.split() == ["True", "False"]
    assert compiled.COMPILING_NOTE in first.stderr
    assert "stepped the small market" in first.stderr
    second = _probe(tmp_path)  # a later process finds the kernels compiled
    assert second.returncode == 0, second.stderr
    assert second.stdout.split() == ["False", "False"]
    assert compiled.COMPILING_NOTE not in second.stderr and "stepped" not in second.stderr


def test_building_an_engine_starts_the_runtime(monkeypatch):
    import numpy as np
    from support import small_scenario

    from sim.engine.market import MarketEngine, market_generator

    calls = []
    monkeypatch.setattr(compiled, "ensure_ready", lambda compile_all: calls.append(compile_all))
    MarketEngine(small_scenario([{"name": "A", "strategy": "transactional"}], buyers=20),
                 market_generator(np.random.SeedSequence(0)))
    from sim.engine.market import compile_kernels

    assert calls == [compile_kernels]


def test_the_cache_check_tells_an_empty_cache_from_a_filled_one(tmp_path):
    probe = "from sim.engine import compiled; print(compiled.kernels_compiled())"
    env = {"NUMBA_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    empty = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert empty.stdout.strip() == "False", empty.stderr
    filled = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120)
    assert filled.returncode == 0, filled.stderr
    after = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert after.stdout.strip() == "True", after.stderr


def test_a_process_pool_compiles_once_before_its_workers_where_the_cache_is_empty(monkeypatch):
    """Two workers that each found an empty cache compiled every kernel and printed the note
    twice (a fresh clone's first `relsim run`)."""
    from sim.engine.market import compile_kernels
    from sim.experiment.executors import process_pool

    calls = []
    monkeypatch.setattr(compiled, "ensure_ready", lambda compile_all: calls.append(compile_all))
    for cached, expected in ((False, [compile_kernels]), (True, []), (None, [])):
        calls.clear()
        monkeypatch.setattr(compiled, "kernels_compiled", lambda cached=cached: cached)
        process_pool(1).shutdown()
        assert calls == expected, cached
