"""Whether it is safe to start worker processes from here.

Local pools start workers from a fork server, and each worker first re-imports the user's
``__main__`` script (that is how Python's multiprocessing makes the script's functions
available). A script that calls ``sim.sweep`` or ``sim.run`` at its top level, outside an
``if __name__ == "__main__":`` block, would then start the sweep again inside every worker,
which fails with a ``BrokenProcessPool`` far from the cause. We find such a call before
any worker starts and say what to add. A notebook, the REPL, ``python -c`` and a package's
``__main__`` are never re-imported, so they need nothing."""

from __future__ import annotations

import ast
import os
import sys

from sim.config.schema import ScenarioError


def unguarded_call_site() -> tuple[str, int] | None:
    """(script, line) of the top-level statement of ``__main__`` that led here, when that
    statement is not inside ``if __name__ == "__main__":``; None when it is, or when
    ``__main__`` is not a script that workers would re-import."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    spec = getattr(main, "__spec__", None)
    if path is None or (spec is not None and spec.name.endswith("__main__")):
        return None
    path = os.path.realpath(path)
    frame = sys._getframe(1)
    line = None
    while frame is not None:
        if frame.f_code.co_name == "<module>" and os.path.realpath(frame.f_code.co_filename) == path:
            line = frame.f_lineno
        frame = frame.f_back
    if line is None:
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read(), path)
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    for node in tree.body:
        if node.lineno <= line <= (node.end_lineno or node.lineno):
            return None if _is_main_guard(node) else (path, line)
    return None


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    parts = [node.test.left, *node.test.comparators]
    names = {p.id for p in parts if isinstance(p, ast.Name)}
    texts = {p.value for p in parts if isinstance(p, ast.Constant)}
    return names == {"__name__"} and texts == {"__main__"} and isinstance(node.test.ops[0], ast.Eq)


def require_main_guard(what: str) -> None:
    """Raise a clear :class:`ScenarioError` before starting local worker processes from an
    unguarded script (see the module docstring)."""
    site = unguarded_call_site()
    if site is None:
        return
    path, line = site
    raise ScenarioError(
        f"{path}, line {line}: {what} starts worker processes, and each worker re-imports this "
        f"script, which would start it again. Put the call under a main guard:\n\n"
        f'    if __name__ == "__main__":\n        ...\n\n'
        f"(or pass workers=1 to run in this process; notebooks and the REPL need no guard)")


def local_workers(requested: int, what: str) -> int:
    """The number of local worker processes ``what`` may start from here: ``requested``, or 1
    (run in this process) from a script without a main guard, with a warning that says why and
    what to add to use every core. ``sim.run`` and ``compare`` cope this way; a sweep, whose
    thousands of runs need the pool, stops instead (:func:`require_main_guard`)."""
    if requested <= 1:
        return requested
    site = unguarded_call_site()
    if site is None:
        return requested
    import warnings

    path, line = site
    # attributed to the user's own line (the call), not to a line of relsim's
    warnings.warn_explicit(f"{path}, line {line}: {what} runs in this process, one replicate at a time: "
                           f"worker processes would re-import this script and start it again. To use "
                           f'every core, put the call under `if __name__ == "__main__":`.', RuntimeWarning,
                           filename=str(path), lineno=int(line))
    return 1


def completed(futures: list):
    """Futures in the order they finish, for ``concurrent.futures`` and Dask futures alike."""
    import concurrent.futures

    if all(isinstance(f, concurrent.futures.Future) for f in futures):
        return concurrent.futures.as_completed(futures)
    from distributed import as_completed  # a Dask client's futures

    return as_completed(futures)
