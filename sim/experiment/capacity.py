"""Will a run fit in this machine's memory? An estimate made before anything starts, so that a
market too large is refused with a message instead of thrashing or dying after an hour.

The estimate follows what the engine allocates (sim/engine/state.py): 41 bytes per buyer and
supplier pair (eight float32 relationship arrays, two int8, three int16, a bool), the same
again for the working arrays of one step (choice utilities, awareness draws), a few hundred
bytes per buyer, and the event log, which grows with the pairs that become aware and the
stage transitions. Each worker holds one market; the coordinator holds every replicate's
tables until the run ends. benchmarks/bench_memory.py compares the estimate with the
measured peak (it must not be below it)."""

from __future__ import annotations

import os

from sim.config import Scenario, ScenarioError

PAIR_BYTES = 41          # relationship arrays per buyer x supplier pair (state.allocate_pairs)
WORKING_FACTOR = 2.0     # the step's temporaries are of the same order as the pair arrays
BUYER_BYTES = 400        # per-buyer attribute arrays and peers
EVENT_BYTES = 40         # one stage-transition event, in the log and in its frame
GIB = 2 ** 30


def market_bytes(scenario: Scenario) -> tuple[int, int]:
    """(bytes while one replicate runs, bytes of its finished tables)."""
    m = scenario.market
    suppliers = sum(s.count for s in scenario.suppliers)
    pairs = m.buyers * suppliers
    buyers = m.buyers * (BUYER_BYTES + 8 * m.peers_per_buyer)
    # becoming aware is an event for every pair at most once; stage transitions are about a
    # quarter of a buyer per step (measured: benchmarks/bench_memory.py)
    events = (pairs + m.buyers * m.steps // 4) if m.record_events else 0
    tables = events * EVENT_BYTES + pairs // 4 * 60 + m.steps * (suppliers + 1) * 400
    running = int(pairs * PAIR_BYTES * WORKING_FACTOR) + buyers + tables
    return running, tables


def available_bytes() -> int | None:
    """Memory this machine can give a run now (MemAvailable), else its physical memory."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def gib(n: float) -> str:
    value = n / GIB
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def check_fits(scenario: Scenario, workers: int = 1, available: int | None = None) -> None:
    """Refuse (ScenarioError) a run whose estimated memory exceeds what this machine has."""
    running, tables = market_bytes(scenario)
    replicates = scenario.market.replicates
    workers = max(1, min(workers, replicates))
    need = running * workers + tables * replicates
    have = available_bytes() if available is None else available
    if have is None or need <= have:
        return
    share = f", {workers} markets at once (one per worker)" if workers > 1 else ""
    hints = ["fewer buyers (market.buyers)", "fewer suppliers"]
    if workers > 1:
        hints.insert(0, "fewer --workers")
    if replicates > 1:  # every replicate's tables are held until the run ends
        hints.insert(0, "fewer replicates")
    if scenario.market.record_events:
        hints.append("market.record_events = false")
    raise ScenarioError(
        f"{scenario.source}: this market needs about {gib(need)} GiB "
        f"({scenario.market.buyers:,} buyers x {sum(s.count for s in scenario.suppliers):,} suppliers, "
        f"{replicates} replicate(s){share}); this machine has {gib(have)} GiB available. Use "
        + ", ".join(hints[:-1]) + f" or {hints[-1]}")
