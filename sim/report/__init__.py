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


from sim.report.data import ReportData, load_report_data
from sim.report.figures import FIGURES, FigureSpec, draw_figures, figures_for
from sim.report.html import render_html, write_report

__all__ = ["ReportData", "load_report_data", "FIGURES", "FigureSpec", "draw_figures", "figures_for",
           "render_html", "write_report"]
