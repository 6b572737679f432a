"""What the classroom page draws, as plain data: ECharts options for the figures, the ticker's
notable events, a buyer's relationship history. Kept apart from the Solara components so the
tests and benchmarks/bench_app.py can check and time them without a browser.

Every series is read from the model's DataCollector surface (the recorder's series) or its
event log: the page defines no outcome of its own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.engine.state import ACTIVE_STAGES, Cause, Stage

if TYPE_CHECKING:
    from sim.mesa.classroom.market import ClassroomMarket

#: stage colours, from no relationship (grey) to final (dark green)
STAGE_COLOURS = {"no supplier": "#bdbdbd", "pre-relationship": "#bdbdbd", "early": "#9ecae1",
                 "development": "#4292c6", "long-term": "#41ab5d", "final": "#006d2c"}
SUPPLIER_PALETTE = ("#d62728", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2",
                    "#7f7f7f", "#bcbd22", "#17becf")
#: narrowest supplier block in the buyer picture, in dot columns
MIN_BLOCK_COLUMNS = 6
#: a block is also as wide as its label (name over count) needs when the picture is drawn
#: PICTURE_WIDTH pixels wide (its width on a 1366-pixel screen), at LABEL_CHAR px a character:
#: narrow neighbours' labels ran into each other ("Newcomer: 28" over "no supplier: 5")
PICTURE_WIDTH = 500
LABEL_CHAR = 7.0
#: a problem this many steps before a buyer leaves counts as the reason it left
SILENT_WINDOW = 12


def supplier_colour(model: ClassroomMarket, name: str) -> str:
    return SUPPLIER_PALETTE[model.supplier_names.index(name) % len(SUPPLIER_PALETTE)]


# --------------------------------------------------------------------------- the step

def step_heading(model: ClassroomMarket) -> str:
    """Where the run is, numbered as the charts and the ticker number it: steps from 0, as in
    relsim's reports (the step of the last point drawn, "After month 12", with 13 months run
    of 60); before the first step, nothing is drawn yet."""
    done, total, unit = model.steps, model.market_scenario.market.steps, model.step_unit
    where = "Ready to start" if done == 0 else f"After {unit} {done - 1}"
    return f"**{where}** · {done} of {total} {unit}s run"


# --------------------------------------------------------------------------- the ticker

def last_problem_with_current(model: ClassroomMarket) -> np.ndarray:
    """Per buyer, the step of its last unresolved problem with its current supplier (-10 000
    without one). Taken before a step: a relationship that ends clears its record."""
    state = model.state
    out = np.full(state.n_buyers, -10_000, np.int64)
    has = np.flatnonzero(state.current >= 0)
    out[has] = state.last_problem[has, state.current[has]]
    return out


def notable_events(model: ClassroomMarket, active_before: np.ndarray,
                   problem_before: np.ndarray) -> list[dict[str, Any]]:
    """The notable events of the step just taken: entries and exits, switches (with where the
    buyers went), silent defections, escalations, dropped customers, final relationships
    shaken up by an entry. One line per kind and supplier, with the count and a few buyers.

    A *silent defection* is a buyer leaving a supplier after a problem the supplier never put
    right, in the SILENT_WINDOW steps before (``problem_before``, from
    :func:`last_problem_with_current` before the step): the supplier heard nothing it acted on,
    and the customer went."""
    state, names = model.state, model.supplier_names
    step = state.step - 1
    out: list[dict[str, Any]] = []
    for j in np.flatnonzero(state.active & ~active_before):
        out.append({"step": step, "kind": "entry", "supplier": names[j], "buyers": [],
                    "text": f"{names[j]} enters the market"})
    for j in np.flatnonzero(~state.active & active_before):
        out.append({"step": step, "kind": "exit", "supplier": names[j], "buyers": [],
                    "text": f"{names[j]} leaves the market"})
    steps, buyers, suppliers, _, _, causes = model.log.arrays()
    now = steps == step
    buyers, suppliers, causes = buyers[now], suppliers[now], causes[now]

    def line(kind: str, j: int, who: np.ndarray, text: str) -> None:
        out.append({"step": step, "kind": kind, "supplier": names[j], "buyers": who[:5].tolist(),
                    "count": len(who), "text": text + _examples(who)})

    for j in np.unique(suppliers[causes == Cause.SWITCHED_AWAY]):
        left = buyers[(causes == Cause.SWITCHED_AWAY) & (suppliers == j)].astype(np.int64)
        silent = step - problem_before[left] <= SILENT_WINDOW
        loud = left[~silent]
        if silent.any():
            line("silent defection", j, left[silent],
                 f"{silent.sum()} left {names[j]} after a problem it never put right")
        if len(loud):
            to = state.current[loud]
            where = ", ".join(f"{(to == k).sum()} to {names[k]}" for k in np.unique(to[to >= 0]))
            line("switch", j, loud, f"{len(loud)} switched away from {names[j]}" + (f" ({where})" if where else ""))
    for cause, kind, verb in ((Cause.ESCALATION, "escalation", "escalated a problem to arbitration with"),
                              (Cause.DROPPED_UNPROFITABLE, "dropped customer", "dropped as unprofitable by"),
                              (Cause.COMPETITOR_ENTRY, "entry shake-up", "woke from a final relationship with")):
        for j in np.unique(suppliers[causes == cause]):
            who = buyers[(causes == cause) & (suppliers == j)].astype(np.int64)
            line(kind, j, who, f"{len(who)} {verb} {names[j]}")
    return out


def run_tally(model: ClassroomMarket) -> dict[str, Any] | None:
    """What became of the unhappy deliveries since step 0, from the recorder's market series
    (``complaints``, ``silent_dissatisfied``, ``recovered``, ``recovered_silent``: a delivery
    below expectations or a problem is voiced or not, and may be put right), and the customers
    each followed supplier lost silently (the ticker's silent defections, every step counted:
    the ticker keeps only its recent lines). None for a market without service recovery
    (no complaints at all there)."""
    if not model.market_scenario.mechanisms.service_recovery:
        return None
    frame = model.datacollector.get_model_vars_dataframe()
    sums = {k: int(frame[k].sum()) for k in ("complaints", "silent_dissatisfied", "recovered", "recovered_silent")}
    return {**sums, "silent_defections": {name: model.silent_defections.get(name, 0) for name in model.followed}}


def _examples(buyers: np.ndarray) -> str:
    shown = ", ".join(f"#{b}" for b in buyers[:3])
    return f" (buyers {shown}{', ...' if len(buyers) > 3 else ''})" if len(buyers) else ""


# --------------------------------------------------------------------------- the buyers

def buyer_layout(model: ClassroomMarket) -> dict[str, Any]:
    """Every buyer as a dot in a block of its current supplier (one block per supplier, side
    by side, a block's width showing its customer count, MIN_BLOCK_COLUMNS at least and room
    for its label; buyers without a supplier last), sorted within the block by stage. Returns
    x, y, stage label, buyer id per dot and the blocks' spans."""
    state = model.state
    n = state.n_buyers
    current = state.current
    has = current >= 0
    stage = np.zeros(n, np.int64)
    stage[has] = state.stage[np.flatnonzero(has), current[has]]
    group = np.where(has, current, state.n_suppliers)          # "no supplier" sorts last
    order = np.lexsort((np.arange(n), -stage, group))
    rows = max(4, int(np.ceil(np.sqrt(n / 3))))
    groups = [(g, order[group[order] == g]) for g in range(state.n_suppliers + 1)]
    groups = [(g, members) for g, members in groups
              if len(members) or (g < state.n_suppliers and state.active[g])]
    names = ["no supplier" if g == state.n_suppliers else model.supplier_names[g] for g, _ in groups]
    widths = [max(MIN_BLOCK_COLUMNS, int(np.ceil(len(members) / rows))) for _, members in groups]
    for _ in range(2):   # a wider block makes every column narrower: settle it twice
        column_px = PICTURE_WIDTH / (sum(widths) + 2 * len(widths))
        widths = [max(w, int(np.ceil(max(len(name), len(str(len(members)))) * LABEL_CHAR / column_px)) - 1)
                  for w, name, (_, members) in zip(widths, names, groups)]
    x, y = np.empty(n), np.empty(n)
    blocks, column = [], 0
    for (_, members), name, width in zip(groups, names, widths):
        k = np.arange(len(members))
        x[members] = column + k // rows
        y[members] = rows - 1 - k % rows
        blocks.append({"name": name, "x0": column, "x1": column + width - 1, "customers": len(members)})
        column += width + 2
    labels = np.array(["no supplier"] + [s.label for s in Stage][1:], dtype=object)
    return {"x": x, "y": y, "stage": labels[np.where(has, stage, 0)], "rows": rows,
            "width": max(column - 2, 1), "blocks": blocks}


def buyers_option(model: ClassroomMarket, selected: int | None = None) -> dict[str, Any]:
    """ECharts option for the buyer picture: one scatter series per stage (the legend), each
    point [x, y, buyer]; the supplier blocks outlined and named (markArea)."""
    layout = buyer_layout(model)
    x, y, stage = layout["x"], layout["y"], layout["stage"]
    series = []
    ids = np.arange(len(x))
    for label in ["no supplier", *(s.label for s in ACTIVE_STAGES)]:
        mine = stage == label
        series.append({"name": label, "type": "scatter", "symbolSize": 7, "animation": False,
                       "itemStyle": {"color": STAGE_COLOURS[label]},
                       "data": np.column_stack([x[mine], y[mine], ids[mine]]).astype(int).tolist()})
    areas = [[{"name": f"{b['name']}\n{b['customers']}", "xAxis": b["x0"] - 0.6, "yAxis": -0.8},
              {"xAxis": b["x1"] + 0.6, "yAxis": layout["rows"] - 0.2}] for b in layout["blocks"]]
    series[0]["markArea"] = {"silent": True, "data": areas,
                             "label": {"position": "bottom", "color": "#333", "lineHeight": 15},
                             "itemStyle": {"color": "rgba(0,0,0,0)", "borderColor": "#555", "borderWidth": 1}}
    if selected is not None and 0 <= selected < len(x):
        series.append({"name": "selected", "type": "scatter", "symbolSize": 14, "animation": False,
                       "itemStyle": {"color": "rgba(0,0,0,0)", "borderColor": "#000", "borderWidth": 2},
                       "data": [[int(x[selected]), int(y[selected]), int(selected)]], "silent": True})
    return {"animation": False,
            "legend": {"top": 0, "data": ["no supplier", *(s.label for s in ACTIVE_STAGES)]},
            "grid": {"left": 10, "right": 10, "top": 30, "bottom": 36},   # labels: name over count
            "xAxis": {"type": "value", "show": False, "min": -1, "max": layout["width"] + 1},
            "yAxis": {"type": "value", "show": False, "min": -1, "max": layout["rows"]},
            "series": series}


# --------------------------------------------------------------------------- the series

def _steps(frame) -> list[int]:
    return [int(s) for s in frame.index]


def _line(name: str, values, colour: str | None = None, dashed: bool = False, y_axis: int = 0,
          area: bool = False, stack: str | None = None) -> dict[str, Any]:
    # NaN: a gap, not a zero; ECharts' "-" (a missing value) rather than null, which a tooltip
    # template prints as nothing ("Newcomer: trust , commitment" before it enters)
    data = ["-" if v != v else round(float(v), 4) for v in values]
    out: dict[str, Any] = {"name": name, "type": "line", "showSymbol": False, "data": data,
                           "yAxisIndex": y_axis, "animation": False}
    if colour:
        out["itemStyle"] = {"color": colour}
        out["lineStyle"] = {"color": colour, "type": "dashed" if dashed else "solid"}
    if area:
        out["areaStyle"] = {}
    if stack:
        out["stack"] = stack
    return out


#: The charts' legends wrap onto as many lines as they need below the plot (a scrolling legend
#: clipped names at the chart's edge: "long-ter", "Hunter co"). ECharts wraps a plain legend
#: but makes no room for the lines it adds, so the plot's bottom margin is set here, for each
#: chart width (ECharts media queries), from an estimate of each entry's width that errs wide.
LEGEND_FONT = 11             # px
LEGEND_ICON = 18             # the line sample (itemWidth), px; ECharts puts its text 5 px after it
LEGEND_GAP = 8               # between entries and between lines, px
LEGEND_LINE = 14 + LEGEND_GAP  # a line of entries (itemHeight 14) and the gap to the next
CHAR_WIDTH = 6.4             # px per character at LEGEND_FONT: above sans-serif's average
AXIS_BELOW = 46              # the x axis's labels and name under the plot, px


def legend_lines(names: list[str], width: float) -> int:
    """How many lines ECharts needs for a horizontal legend of ``names`` in a chart ``width``
    pixels wide (its 5 px padding each side), filling each line before starting the next."""
    room, lines, used = width - 10, 1, 0.0
    for name in names:
        entry = LEGEND_ICON + 5 + len(name) * CHAR_WIDTH
        if used and used + entry > room:
            lines, used = lines + 1, 0.0
        used += entry + LEGEND_GAP
    return lines


def legend_room(names: list[str], narrowest: int = 160, widest: int = 1600, every: int = 20) -> tuple[int, list]:
    """The plot's bottom margin at the narrowest chart, and media queries that shrink it at the
    widths where the legend needs a line fewer."""
    lines = legend_lines(names, narrowest)
    bottom, media = AXIS_BELOW + lines * LEGEND_LINE, []
    for width in range(narrowest + every, widest + 1, every):
        fewer = legend_lines(names, width)
        if fewer < lines:
            lines = fewer
            media.append({"query": {"minWidth": width},
                          "option": {"grid": {"bottom": AXIS_BELOW + lines * LEGEND_LINE}}})
    return bottom, media


#: the step intervals a time axis labels (months: a quarter, a half-year, a year, ...), the
#: first that keeps a panel to AXIS_LABELS labels at most
TICK_INTERVALS = {"month": (1, 2, 3, 6, 12, 24, 60, 120, 240, 600, 1200),
                  "other": (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)}
AXIS_LABELS = 7


def tick_interval(points: int, unit: str = "step") -> int:
    """Steps between the labelled ticks of a time axis of ``points`` steps: the same for every
    panel of a run (ECharts' own choice depends on each panel's width, so one panel read
    0, 6, 12 and its neighbour 0, 5, 10)."""
    choices = TICK_INTERVALS["month" if unit == "month" else "other"]
    return next((k for k in choices if points <= k * AXIS_LABELS), choices[-1])


def _chart(title: str, steps: list[int], series: list[dict], y_name: str = "", y2_name: str | None = None,
           unit: str = "step", legend: list[str] | None = None) -> dict[str, Any]:
    """A line chart over the steps; ``legend``: its entries (default: every series' name)."""
    y_axes = [{"type": "value", "name": y_name}]
    if y2_name is not None:
        y_axes.append({"type": "value", "name": y2_name, "min": 0, "max": 1})
    every = tick_interval(len(steps), unit)
    entries = legend if legend is not None else list(dict.fromkeys(s["name"] for s in series))
    bottom, media = legend_room(entries)
    return {"animation": False, "title": {"text": title, "left": "center", "textStyle": {"fontSize": 13}},
            # confined: a tooltip overflowing the chart was cut off by the page's columns
            "tooltip": {"trigger": "axis", "confine": True},
            "legend": {"bottom": 0, "type": "plain", "data": entries, "itemWidth": LEGEND_ICON,
                       "itemGap": LEGEND_GAP, "textStyle": {"fontSize": LEGEND_FONT}},
            # top: room for the title and, under it, the y axis's name (they overlapped at 35)
            "grid": {"left": 55, "right": 45 if y2_name else 15, "top": 50, "bottom": bottom},
            "xAxis": {"type": "category", "data": steps, "name": unit, "nameLocation": "middle", "nameGap": 22,
                      "axisLabel": {"interval": every - 1}, "axisTick": {"interval": every - 1}},
            "yAxis": y_axes, "series": series, "media": media}


def stage_mix_option(model: ClassroomMarket) -> dict[str, Any]:
    """Buyers by the stage of their current relationship, stacked, and the loyalty
    concentration on the right axis."""
    frame = model.datacollector.get_model_vars_dataframe()
    series = [_line("no supplier", frame["no_supplier"], STAGE_COLOURS["no supplier"], area=True, stack="s")]
    for s in ACTIVE_STAGES:
        series.append(_line(s.label, frame[s.label.replace("-", "_")], STAGE_COLOURS[s.label], area=True, stack="s"))
    # step 0's concentration is 1 by construction (each buyer has visited one seller once):
    # it is drawn from the first step with a history to concentrate, not as perfect loyalty
    loyalty = frame["loyalty_concentration"].astype(float).to_numpy().copy()
    loyalty[:1] = np.nan
    series.append(_line("loyalty concentration", loyalty, "#000", dashed=True, y_axis=1))
    return _chart("Stage mix", _steps(frame), series, "buyers", "loyalty", unit=model.step_unit)


def trust_option(model: ClassroomMarket) -> dict[str, Any]:
    """Mean trust (solid) and commitment (dashed) of each followed supplier's customers. One
    legend entry per supplier (its two lines share the name and the colour; the subtitle says
    which line is which), and a tooltip that names both."""
    frame = model.datacollector.get_model_vars_dataframe()
    series, lines = [], []
    for k, name in enumerate(model.followed):
        colour = supplier_colour(model, name)
        series.append(_line(name, frame[f"mean_trust: {name}"], colour))
        series.append(_line(name, frame[f"mean_commitment: {name}"], colour, dashed=True))
        lines.append(f"{name}: trust {{c{2 * k}}}, commitment {{c{2 * k + 1}}}")
    option = _chart("Trust and commitment by supplier", _steps(frame), series, "", unit=model.step_unit)
    option["title"].update(subtext="solid: trust · dashed: commitment", itemGap=6,
                           subtextStyle={"fontSize": LEGEND_FONT})
    option["grid"]["top"] = 66                                  # under the title's second line
    option["yAxis"][0].update(min=0, max=1)
    # a series' place in {cN} would shift if one were hidden: the legend here is a key only
    option["legend"]["selectedMode"] = False
    option["tooltip"]["formatter"] = "<br/>".join([f"{model.step_unit} {{b0}}", *lines])
    return option


def share_option(model: ClassroomMarket) -> dict[str, Any]:
    frame = model.datacollector.get_model_vars_dataframe()
    series = [_line(name, frame[f"market_share: {name}"], supplier_colour(model, name)) for name in model.followed]
    option = _chart("Market share by supplier", _steps(frame), series, "share of volume", unit=model.step_unit)
    option["yAxis"][0].update(min=0, max=1)
    return option


def profit_option(model: ClassroomMarket) -> dict[str, Any]:
    frame = model.datacollector.get_model_vars_dataframe()
    series = [_line(name, frame[f"cumulative_profit: {name}"], supplier_colour(model, name))
              for name in model.followed]
    return _chart("Cumulative profit by supplier", _steps(frame), series, "money", unit=model.step_unit)


# --------------------------------------------------------------------------- one buyer

def buyer_history(model: ClassroomMarket, buyer: int) -> dict[str, Any]:
    """A buyer's relationships now (one row per supplier it has ever known) and every stage
    transition of its history, oldest first."""
    state, names = model.state, model.supplier_names
    if not 0 <= buyer < state.n_buyers:
        raise IndexError(f"buyer {buyer}: this market has buyers 0 to {state.n_buyers - 1}")
    stage_labels = [s.label for s in Stage]
    now = []
    for j in np.flatnonzero(state.stage[buyer] > 0):
        now.append({"supplier": names[j], "stage": stage_labels[state.stage[buyer, j]],
                    "current": bool(state.current[buyer] == j),
                    "trust": round(float(state.trust[buyer, j]), 2),
                    "commitment": round(float(state.commitment[buyer, j]), 2),
                    "orders": int(state.orders[buyer, j])})
    steps, buyers, suppliers, old, new, causes = model.log.arrays()
    mine = np.flatnonzero(buyers == buyer)
    history = [{"step": int(steps[k]), "supplier": names[suppliers[k]], "from": stage_labels[old[k]],
                "to": stage_labels[new[k]], "cause": Cause(int(causes[k])).label.replace("_", " ")}
               for k in mine]
    return {"buyer": buyer, "segment": model.segment_names[int(state.segment[buyer])],
            "relationships": now, "history": history}
