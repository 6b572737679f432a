"""Reports: figures and the self-contained HTML report of a results folder (``relsim report``).

Reads the output of ``relsim run`` (groups: the suppliers' strategies) or of ``relsim
compare`` (groups: the alternatives, drawn from the focal suppliers' rows), draws one
matplotlib figure per question a strategist asks — where customers stand in the
relationship life cycle, how trust, profit, retention and share evolve, how relationships
move between stages and why they end, how buyers position their suppliers, what a customer
is worth — and writes them as PNGs under ``RESULTS_DIR/figures/`` and, embedded as data
URIs, in ``RESULTS_DIR/report.html``, a page that opens from disk with no network.

Every figure function takes a :class:`ReportData` and returns the ``Figure`` (Agg canvas,
no pyplot), so a notebook or a test can inspect what was drawn before it is saved.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

#: the package's names and the module each comes from: imported when first used, so that a
#: command that only prints (``relsim run``'s summary uses sim.report.text) does not import
#: matplotlib (half a second)
_EXPORTS = {"ReportData": "data", "load_report_data": "data", "FIGURES": "figures", "FigureSpec": "figures",
            "draw_figures": "figures", "figures_for": "figures", "render_html": "html", "write_report": "html"}

__all__ = ["ReportData", "load_report_data", "FIGURES", "FigureSpec", "draw_figures", "figures_for",
           "render_html", "write_report"]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"sim.report.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'sim.report' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


if TYPE_CHECKING:
    from sim.report.data import ReportData, load_report_data
    from sim.report.figures import FIGURES, FigureSpec, draw_figures, figures_for
    from sim.report.html import render_html, write_report
