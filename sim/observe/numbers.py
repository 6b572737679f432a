"""The one number formatter: how every figure relsim prints reads, in the run summary, the
comparison table and sentences, the report's tables, verdicts and axes.

It lives in ``sim.observe`` (not in the report) because compare's verdict sentences, written
by ``sim.experiment``, use it too, and a package only imports the layers below it.

Kinds (those of :class:`sim.observe.kpis.KPI`): ``money`` and ``count`` in their own units,
``rate`` and ``share`` as percentages (their intervals and differences in percentage points),
``score`` on its 0-to-1 scale, ``relative`` (a change relative to a baseline, such as one
strategy's profit over another's) as a percentage whose differences are percent too. No
exponents; thousands separated; an interval keeps the value's decimals, so
"37.3% ± 2.0 pts", "12,400 ± 1,300", "0.62 ± 0.03". An interval is never written so that it
repeats its value: one of no width (every run gave the same number) says so once ("0.0%, no
spread", "no spread across runs"), and a narrow one gets the decimals that tell its ends
apart ("425.2 to 425.4", "± 0.03 pts")."""

from __future__ import annotations

import math

#: kinds shown as percentages
PERCENT_KINDS = ("rate", "share", "relative")
#: kinds whose differences and intervals are percentage points
POINT_KINDS = ("rate", "share")
KINDS = ("money", "count", "rate", "share", "score", "relative")
#: an interval of no width, where it stands on its own (under the value in a report's cell,
#: as a difference's range): every run gave the same number, so there is no range to show
NO_SPREAD = "no spread across runs"
#: ... and after the value it belongs to ("0.0%, no spread"), in tables and sentences
NO_SPREAD_AFTER_VALUE = ", no spread"


def _finite(value) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def decimals_for(value: float, kind: str) -> int:
    """Decimals that give a board two or three meaningful digits, never an exponent."""
    if kind in PERCENT_KINDS:
        return 1
    if kind == "score":
        return 2
    magnitude = abs(value)
    if magnitude >= 100 or (kind == "count" and float(value).is_integer()):
        return 0
    if kind == "count":  # a mean number of customers or orders: one decimal is enough
        return 1
    if magnitude >= 10:
        return 1
    if magnitude >= 1 or magnitude == 0:
        return 2
    # two significant digits below 1 (0.012, 0.0031), at most 4 decimals
    return min(4, 1 - math.floor(math.log10(magnitude)))


def kind_zero(text: str) -> bool:
    """Whether a formatted number reads as zero ("0.00", "-0.0")."""
    return set(text.lstrip("-")) <= {"0", ".", ","}


def number(value, kind: str = "count", decimals: int | None = None) -> str:
    """``value`` as a reader expects it: rates and shares as "37.3%", money "12,345" or
    "6.40", scores "0.62"; "–" for a missing value."""
    if not _finite(value):
        return "–"
    value = float(value)
    scaled = 100 * value if kind in PERCENT_KINDS else value
    places = decimals_for(value, kind) if decimals is None else decimals
    text = f"{scaled:,.{places}f}"
    if kind_zero(text):
        text = text.lstrip("-")  # no "-0.0"
    return text + ("%" if kind in PERCENT_KINDS else "")


def plain(value, digits: int = 4) -> str:
    """A parameter's value, as one would write it in a sweep file: up to ``digits``
    significant digits ("0.3", "1.25e+04" only where needed); "–" when missing."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "–" if value is None else str(value)
    return f"{value:.{digits}g}" if _finite(value) else "–"


def spread(half, kind: str, decimals: int) -> str:
    """A half-width or difference size in the value's units: points for rates and shares. A
    non-zero size that would round to nothing gets the decimals to show it ("± 0.03 pts",
    never "± 0.0 pts" for an interval that is narrow but not empty)."""
    size = abs(float(half)) * (100 if kind in PERCENT_KINDS else 1)
    while size and decimals < 4 and kind_zero(f"{size:,.{decimals}f}"):
        decimals += 1
    return f"{size:,.{decimals}f}" + (" pts" if kind in POINT_KINDS else "%" if kind == "relative" else "")


def with_interval(value, half, kind: str = "count") -> str:
    """"mean ± half-width": "37.3% ± 2.0 pts", "12,345 ± 1,200"; just the mean when the
    half-width is missing (one replicate); "0.0%, no spread" when it is nothing (every
    replicate gave the same number: "0.0% ± 0.0 pts" would say the value twice)."""
    text = number(value, kind)
    if not _finite(value) or not _finite(half):
        return text
    if float(half) == 0:
        return text + NO_SPREAD_AFTER_VALUE
    # the mean to the precision its interval allows: "-17 ± 669", not "-16.9 ± 669.1" beside
    # "9,154 ± 1,327" (a value near 0 alone would ask for decimals its spread makes meaningless)
    places = min(decimals_for(float(value), kind), decimals_for(float(half), kind))
    return f"{number(value, kind, places)} ± {spread(half, kind, places)}"


def _ends(low: float, high: float, show, decimals: int) -> str:
    """"low to high" with ``show(value, decimals)``; the decimals grow (up to 4) until the two
    ends differ, so a narrow interval never reads as its own value twice ("425 to 425")."""
    if low == high:
        return NO_SPREAD
    while decimals < 4 and show(low, decimals) == show(high, decimals):
        decimals += 1
    return f"{show(low, decimals)} to {show(high, decimals)}"


def interval(low, high, kind: str = "count") -> str:
    """"low to high" in one format: "35.0% to 39.0%", "12,100 to 12,600". One of no width
    (every run the same) is "no spread across runs", where a report would otherwise write
    its value under itself; a narrow one keeps the decimals that tell its ends apart."""
    if not (_finite(low) and _finite(high)):
        return "–"
    low, high = float(low), float(high)
    reference = max(abs(low), abs(high))
    decimals = decimals_for(reference, kind) if reference else decimals_for(0.0, kind)
    return _ends(low, high, lambda v, places: number(v, kind, places), decimals)


def range_of(low, high, kind: str | None = None) -> str:
    """A range that a line states on its own (a study's headline: the fewest to the most over
    its runs): "35.0% to 39.0%", "1.045 to 1.057" (no kind: significant digits, as many as
    tell the ends apart); the one value where both ends are the same ("1.057": "1.057 to
    1.057", or :func:`interval`'s "no spread across runs" beside no value, would hide it);
    "–" when an end is missing."""
    if not (_finite(low) and _finite(high)):
        return "–"
    low, high = float(low), float(high)
    if low == high:
        return number(low, kind) if kind else plain(low)
    if kind:
        return interval(low, high, kind)
    digits = 4
    while digits < 8 and plain(low, digits) == plain(high, digits):
        digits += 1
    return f"{plain(low, digits)} to {plain(high, digits)}"


def difference_range(low, high, kind: str = "count") -> str:
    """The interval of a difference: "-17.5 to 17.8 pts" for rates and shares (points, not
    percent), "99 to 244" for money, "10.0% to 32.0%" for a relative change; "no spread
    across runs" when it has no width, as :func:`interval` says it."""
    if kind not in POINT_KINDS:
        return interval(low, high, kind)
    if not (_finite(low) and _finite(high)):
        return "–"
    text = _ends(float(low), float(high), lambda v, places: f"{100 * v:,.{places}f}", 1)
    return text if text == NO_SPREAD else f"{text} pts"


def difference(value, kind: str = "count") -> str:
    """A signed difference: "+2.3 pts" for rates and shares, "+1,200" for money."""
    if not _finite(value):
        return "–"
    value = float(value)
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    decimals = 1 if kind in PERCENT_KINDS else decimals_for(value, kind)
    body = spread(value, kind, decimals)
    return "0" if kind_zero(body.split(" ")[0]) else f"{sign}{body}"


def percent(value, decimals: int | None = None, signed: bool = False) -> str:
    """A relative change or share as "+12%", "4.3%", "0.15%": two significant digits below
    10%, whole percents above (``decimals`` fixes them)."""
    if not _finite(value):
        return "–"
    if decimals is None:
        magnitude = abs(100 * float(value))
        decimals = 0 if magnitude >= 10 or magnitude == 0 else min(4, 1 - math.floor(math.log10(magnitude)))
    text = f"{100 * float(value):{'+' if signed else ''},.{decimals}f}%"
    return text.replace("-", "−") if signed else text


def compact(value, _pos=None) -> str:
    """Axis ticks and labels in a small space: 64,764 -> "65k", 1,200,000 -> "1.2M"."""
    if not _finite(value):
        return "–"
    value = float(value)
    magnitude = abs(value)
    if magnitude >= 1e6:
        return f"{value / 1e6:,.1f}M"
    if magnitude >= 1e4:
        return f"{value / 1e3:,.0f}k"
    if magnitude >= 100 or value.is_integer():
        return f"{value:,.0f}"
    return "0" if round(value, 1) == 0 else f"{value:,.1f}"


__all__ = ["decimals_for", "number", "with_interval", "interval", "difference_range", "difference", "percent",
           "compact", "spread", "KINDS", "NO_SPREAD"]
