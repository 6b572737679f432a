"""Compiled loops for the engine's per-order passes (numba).

A step's per-order phases (delivery, service, learning, stages, economics) each read and
write a handful of buyer x supplier pair arrays at the ~100,000 pairs that ordered. As numpy
that is one gather and one scatter per array and phase, plus a temporary array for every
intermediate value; a gather at one pair in twenty touches most cache lines of the array,
so it costs about what a pass over the whole array costs. A compiled loop over the orders
reads each order's values once, keeps the intermediate values in registers and writes the
results back in the same pass: measured at 100k x 20, a read-modify-write of ten float32
pair arrays at the orders took 2.4 ms as one loop against 5.4 ms as numpy
(benchmarks/RESULTS.md, "2026-12-02 (second session)").

The kernels give exactly the numbers the numpy they replaced gave
(``tests/engine/test_results_unchanged.py`` pins every result of four markets;
``benchmarks/same_results.py`` checks seven). The rules that keep them exact:

- Only ``+ - * /``, comparisons, ``min``/``max`` and casts: IEEE arithmetic, the same in
  both. numpy's ``exp``, ``expm1`` and ``log`` are its own vectorised implementations, which
  differ from the C library's (what numba calls) in the last bit on a few percent of
  inputs, so transcendental functions are worked out in numpy before or after a kernel.
- The same precision at every operation. numpy (NEP 50) keeps a float32 array float32 when
  it meets a Python float (``0.5 * trust32`` is float32), while numba promotes to float64:
  write ``np.float32(0.5) * t`` where numpy computed in float32, and ``np.float64(t)`` where
  it converted (``astype(float)``). A value cast to float32 before a scatter
  (``.astype(np.float32)``) is ``np.float32(value)``: the same rounding.
- The same order of additions: a running sum in the order numpy's ``bincount`` adds is the
  same number; numpy's pairwise ``sum`` is not reproduced.
- No random draws: each phase draws its numbers from its own numpy stream, as before, and
  hands them to the kernel.
- No ``fastmath`` (it lets LLVM reorder and fuse operations).
- No recursion: a cached recursive kernel crashed the interpreter on its second use.
- The cache is keyed by the kernel's own file: a constant it reads from another module (the
  stage codes) is frozen into it when it compiles, and a change there would not recompile it.
  Pass such values as arguments, or only read ones that never change (the stage and cause
  codes are part of the results files' format); a kernel calls kernels of its own module only.
- Few branches in inner loops over suppliers: a branch that goes either way at random (is
  this supplier available?) mispredicts half the time; selects (``a if c else b``) and
  multiplications by a flag keep the loop vectorised (measured: 1.5 against 0.14 ms).

Kernels are compiled on first use and cached next to their module (``cache=True``, or in
numba's user-wide cache where the package folder is read-only): a machine compiles them once
(under a minute), later processes load them. Loading needs numba's compiler runtime, about
0.3-0.5 s per process; :func:`ensure_ready` pays it when an engine is built rather than in
its first step, and compiles every kernel at once, with a note, where the cache is empty.
``nogil``: sweep workers on threads (Dask) run them in parallel.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numba
import numpy as np

#: The decorator of every engine kernel: compiled ahead of the first call's types, cached on
#: disk, without the GIL, without bounds checks (the indices come from the engine itself).
jit = numba.njit(cache=True, nogil=True, boundscheck=False)

#: What ensure_ready prints (to stderr) before it compiles the kernels of a new installation.
COMPILING_NOTE = ("relsim: compiling the market engine's kernels for this installation "
                  "(once; under a minute on a 2-core machine)...")

_ready = False


@jit
def _start(values):
    """A trivial kernel: calling it starts numba's compiler runtime (and tells whether this
    installation's kernels are compiled yet: it is compiled with them)."""
    return values.sum()


def kernels_compiled() -> bool | None:
    """Whether this installation's cache holds compiled kernels for the current code, found
    without starting numba's runtime (a look at the cache's index; None where numba's cache
    cannot be read this way). What a process pool's coordinator asks before it starts workers
    that would otherwise each compile every kernel."""
    try:
        return bool(_start._cache._cache_file._load_index())
    except Exception:  # numba's cache internals moved: do not guess
        return None


def ensure_ready(compile_all: Callable[[], None]) -> bool:
    """Make the compiled kernels ready in this process; returns True if they had to be
    compiled (an empty cache: a new installation, or a changed kernel).

    The first call starts numba's runtime and loads a kernel (about 0.3-0.5 s; nothing after).
    Where the cache was empty, it says so on stderr and calls ``compile_all`` (the engine
    steps a small market with every mechanism on: every kernel a step uses is compiled at
    once), so that the first real step does not stall on compiling without a word. Called
    when an engine is built."""
    global _ready
    if _ready:
        return False
    _ready = True
    _start(np.zeros(1))
    if not _start.stats.cache_misses:
        return False
    print(COMPILING_NOTE, file=sys.stderr, flush=True)
    start = time.perf_counter()
    compile_all()
    print(f"relsim: compiled in {time.perf_counter() - start:.0f} s; later runs load them.",
          file=sys.stderr, flush=True)
    return True
