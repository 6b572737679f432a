"""``sim.compare``: the what-if comparison, kept at the top of the package for the scripts that
use it. The code lives in :mod:`sim.experiment.compare`; this module re-exports it, and is
itself callable, so ``sim.compare(scenario, "transactional,relationship")`` and
``from sim.compare import compare`` both work."""

from __future__ import annotations

import inspect
import sys
import types

from sim.experiment.compare import (
    METRICS,
    Alternative,
    Comparison,
    compare,
    differences,
    focal_entries,
    replicate_metrics,
    resolve_alternatives,
    summarise,
    verdict,
)

__all__ = ["METRICS", "Alternative", "Comparison", "compare", "differences", "focal_entries",
           "replicate_metrics", "resolve_alternatives", "summarise", "verdict"]


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs) -> Comparison:
        return compare(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
# inspect.signature(sim.compare) and help(sim.compare) show the function's, not (*args, **kwargs)
sys.modules[__name__].__signature__ = inspect.signature(compare)
__doc__ = f"{__doc__}\n\n``compare{inspect.signature(compare)}``\n\n{compare.__doc__}"
