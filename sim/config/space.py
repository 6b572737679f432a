"""The parameter space of a sweep and the sweep file (TOML) that declares it.

A sweep varies scenario keys exactly as ``--set`` names them (``buyers.switching_cost``,
``suppliers[Partners].markup``, ``strategies.relationship.retention_budget``), so a sweep
can reach every parameter a scenario has. Each key is checked against the base scenario
when the file is read: a level or bound the scenario would refuse is reported with the
sweep file, the key, the value and what is allowed, like a scenario file's own errors.

A sweep file::

    [sweep]
    name = "switching cost x orientation"
    scenario = "../scenarios/b2b_key_accounts.toml"   # relative to this file
    replicates = 10
    seed = 2024

    [set]                    # fixed changes to the base scenario, as --set
    "market.buyers" = 500

    [parameters]             # what varies: levels, or a range
    "buyers.switching_cost" = { levels = [0.0, 0.2, 0.4] }
    "buyers.relational_orientation" = { low = 0.0, high = 1.0, count = 5 }

    [design]
    kind = "grid"            # grid, latin, sobol or morris

    [keep]                   # summary outcomes are always kept
    series = ["suppliers"]   # market, supplier and/or segment series, every `every` steps
    every = 6
    events = false           # event logs only when asked

    [compare]                # optional: alternatives for the focal supplier at every point
    alternatives = ["transactional", "relationship"]

    [outcomes]               # optional: outcomes read off a run's market series
    loyalty = { series = "market", column = "loyalty_concentration", last = 0.3333 }

    [variants.quick]         # optional: a smaller version, `relsim sweep --variant quick`
    sweep = { replicates = 2 }
    set = { "market.buyers" = 200 }

Besides scenario keys, a parameter may be a *factor*: a name of your own without a dot,
either with ``cases`` (named bundles of ``--set`` overrides, such as ablation switches or
market structures) or used by a ``[derived]`` key, whose value is an arithmetic expression
of the point's parameters (``"{beta_over_beta_c} * {suppliers.count} * 0.1"``).
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import hashlib
import itertools
import json
import math
import operator
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.config.scenario import Scenario, is_sweep, load_scenario, read_toml
from sim.config.schema import Loader, ScenarioError, show, suggest
from sim.config.sections import TOP_KEYS

DESIGNS = ("grid", "latin", "sobol", "morris")
#: the series a sweep can keep: the market's, the suppliers', and the suppliers' split by the
#: buyers' segments (what run and compare folders keep as segments.parquet)
SERIES = ("market", "suppliers", "segments")
_TABLES = ("sweep", "set", "parameters", "design", "keep", "compare", "derived", "outcomes", "variants")
#: the tables a variant may change (each merged key by key over the file's own)
_VARIANT_TABLES = ("sweep", "set", "parameters", "design", "keep", "compare", "derived", "outcomes")
_SWEEP_KEYS = ("name", "description", "scenario", "replicates", "seed", "focal", "common_random_numbers")
_DESIGN_KEYS = ("kind", "samples", "levels", "second_order", "seed")
_KEEP_KEYS = ("series", "every", "events")
_COMPARE_KEYS = ("alternatives",)
_PARAMETER_KEYS = ("levels", "low", "high", "count", "cases")
_OUTCOME_KEYS = ("series", "column", "last", "statistic")
#: the series an [outcomes] entry may read (a run's market-wide series, one row per step)
OUTCOME_SERIES = ("market",)
OUTCOME_STATISTICS = ("mean", "final", "max", "min")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_REFERENCE = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class Parameter:
    """One varied scenario key: explicit ``levels`` (numbers, text or booleans), or a range
    ``low``..``high`` (whole numbers when both bounds are written as whole numbers), with
    ``count`` evenly spaced levels when a grid needs them."""

    key: str
    levels: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    count: int | None = None
    integer: bool = False
    #: a factor's named cases, each a bundle of --set overrides (the levels are their names)
    cases: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] | None = None

    @property
    def discrete(self) -> bool:
        return self.levels is not None

    @property
    def factor(self) -> bool:
        """A name of the sweep's own rather than a scenario key (scenario keys have a dot):
        it changes the scenario through its cases or the [derived] keys that use it."""
        return "." not in self.key

    def case(self, name: str) -> dict[str, Any]:
        """The overrides of one of a factor's cases."""
        return dict(dict(self.cases or ())[name])

    def grid_levels(self) -> list[Any]:
        if self.levels is not None:
            return list(self.levels)
        values = np.linspace(self.low, self.high, self.count)
        return [int(round(v)) for v in values] if self.integer else [float(v) for v in values]

    def bounds(self) -> list[float]:
        """The SALib bounds: the range itself, or [0, 1] over which levels are spread evenly."""
        return [0.0, 1.0] if self.discrete else [float(self.low), float(self.high)]

    def value_at(self, x: float) -> Any:
        """The scenario value at design coordinate ``x`` (inside :meth:`bounds`)."""
        if self.discrete:
            k = len(self.levels)
            return self.levels[min(int(x * k), k - 1)]
        if self.integer:
            return int(round(x))
        return float(x)

    def coordinate_of(self, value: Any) -> float:
        """The design coordinate of a level (the middle of its share of [0, 1])."""
        if self.discrete:
            return (self.levels.index(value) + 0.5) / len(self.levels)
        return float(value)

    def describe(self) -> dict[str, Any]:
        if self.cases is not None:
            return {"cases": {name: dict(overrides) for name, overrides in self.cases}}
        if self.discrete:
            return {"levels": list(self.levels)}
        out: dict[str, Any] = {"low": self.low, "high": self.high}
        if self.count is not None:
            out["count"] = self.count
        return out


@dataclass(frozen=True)
class Design:
    """How points are chosen. ``samples``: Latin hypercube points; Sobol's base sample N
    (SALib's Saltelli scheme runs N x (D + 2) points, N x (2D + 2) with second order); Morris
    trajectories (N x (D + 1) points on a ``levels``-level grid). A grid is every combination."""

    kind: str = "grid"
    samples: int | None = None
    levels: int = 4
    second_order: bool = False
    seed: int = 0


@dataclass(frozen=True)
class Keep:
    series: tuple[str, ...] = ()
    every: int = 1
    events: bool = False


@dataclass(frozen=True)
class SeriesOutcome:
    """An outcome read off a run's series: ``statistic`` (mean, final, max, min) of
    ``column`` over the last ``last`` share of the run's steps (1: the whole run)."""

    name: str
    series: str
    column: str
    last: float = 1.0
    statistic: str = "mean"

    def describe(self) -> dict[str, Any]:
        return {"series": self.series, "column": self.column, "last": self.last, "statistic": self.statistic}

    def of(self, values: Any) -> float:
        """The outcome of one run's column (in step order)."""
        values = np.asarray(values, float)
        if len(values) == 0:
            return math.nan
        window = values[-max(1, math.ceil(self.last * len(values))):]
        if self.statistic == "final":
            return float(window[-1])
        return float({"mean": np.nanmean, "max": np.nanmax, "min": np.nanmin}[self.statistic](window))


@dataclass
class SweepSpec:
    """A validated sweep: the base scenario (``[set]`` applied), the space, the design, the
    replicates and root seed, what to keep and the optional comparison."""

    source: str
    name: str
    scenario_path: str
    scenario: Scenario
    fixed: dict[str, Any]
    parameters: list[Parameter]
    design: Design = field(default_factory=Design)
    replicates: int = 1
    seed: int = 0
    focal: str | None = None
    common_random_numbers: bool = False
    keep: Keep = field(default_factory=Keep)
    alternatives: tuple[str, ...] = ()
    description: str = ""
    #: scenario keys computed from the point's parameters: key -> expression
    derived: dict[str, str] = field(default_factory=dict)
    outcomes: tuple[SeriesOutcome, ...] = ()
    #: the [variants.NAME] applied, if any
    variant: str | None = None

    @property
    def names(self) -> list[str]:
        return [p.key for p in self.parameters]

    def overrides_at(self, values: dict[str, Any]) -> dict[str, Any]:
        """The --set overrides that make a point's scenario from the base scenario: each
        scenario-key parameter's value, each factor's case, then each [derived] key."""
        out: dict[str, Any] = {}
        for p in self.parameters:
            if p.cases is not None:
                out.update(p.case(values[p.key]))
            elif not p.factor:
                out[p.key] = values[p.key]
        for key, expression in self.derived.items():
            out[key] = evaluate(expression, values)
        return out

    def problem(self) -> dict[str, Any]:
        """The whole space as SALib states it."""
        return {"num_vars": len(self.parameters), "names": self.names,
                "bounds": [p.bounds() for p in self.parameters]}

    def identity(self) -> dict[str, Any]:
        """What a store's results depend on, as plain data: a changed entry means different
        results (``replicates`` and the design's size may grow: that extends a sweep)."""
        base = self.scenario.to_dict()
        base["market"].pop("replicates", None)
        base["market"].pop("seed", None)
        return {
            "base_scenario_sha256": hashlib.sha256(json.dumps(base, sort_keys=True, default=str)
                                                   .encode()).hexdigest(),
            "parameters": {p.key: p.describe() for p in self.parameters},
            "design.kind": self.design.kind, "design.levels": self.design.levels,
            "design.second_order": self.design.second_order, "design.seed": self.design.seed,
            "seed": self.seed, "focal": self.focal, "common_random_numbers": self.common_random_numbers,
            "keep.series": list(self.keep.series), "keep.every": self.keep.every,
            "keep.events": self.keep.events, "compare.alternatives": list(self.alternatives),
            "derived": dict(self.derived), "outcomes": {o.name: o.describe() for o in self.outcomes},
        }

    def with_changes(self, **changes: Any) -> SweepSpec:
        return dataclasses.replace(self, **changes)


def load_sweep(path: str | Path, variant: str | None = None) -> SweepSpec:
    """Read and validate a sweep file, as it stands or with its ``[variants.NAME]``
    applied; every problem is reported at once."""
    return sweep_from_dict(read_toml(path, "sweep"), str(path), Path(path).resolve().parent, variant)


def with_variant(data: dict[str, Any], variant: str | None, source: str = "<sweep>") -> dict[str, Any]:
    """The sweep file's data with ``[variants.NAME]`` merged over it, table by table and key
    by key (a parameter named there is replaced whole); without a variant, the file as it is."""
    variants = data.get("variants", {})
    data = {k: v for k, v in data.items() if k != "variants"}
    if variant is None:
        return data
    names = sorted(variants) if isinstance(variants, dict) else []
    if variant not in names:
        raise ScenarioError(f"{source}: --variant {variant!r}: no [variants.{variant}] table in the sweep file"
                            f"{suggest(variant, names)}; variants: {', '.join(names) or 'none'}")
    body = variants[variant]
    if not isinstance(body, dict):
        raise ScenarioError(f"{source}: variants.{variant} = {show(body)}: must be a table of the tables it "
                            f"changes, e.g. [variants.{variant}.set]")
    problems = [f"{source}: variants.{variant}.{key}: unknown table{suggest(key, list(_VARIANT_TABLES))}; a "
                f"variant may change: {', '.join(_VARIANT_TABLES)}" for key in body if key not in _VARIANT_TABLES]
    problems += [f"{source}: variants.{variant}.{key} = {show(value)}: must be a table" for key, value in
                 body.items() if key in _VARIANT_TABLES and not isinstance(value, dict)]
    if problems:
        raise ScenarioError(problems)
    merged = dict(data)
    for table, changes in body.items():
        base = data.get(table, {})
        merged[table] = {**(base if isinstance(base, dict) else {}), **changes}
    return merged


def sweep_from_dict(data: dict[str, Any], source: str = "<sweep>", folder: Path | None = None,
                    variant: str | None = None) -> SweepSpec:
    """Build a :class:`SweepSpec` from a sweep file's data (``folder`` resolves the
    scenario path; the working folder by default), with ``[variants.VARIANT]`` applied."""
    if not is_sweep(data) and any(key in data for key in TOP_KEYS):
        # one message for the file mistaken for another, not one per table it does not know
        raise ScenarioError(f"{source}: a scenario file, not a sweep file: a sweep file has a [sweep] table "
                            f"naming its scenario and [parameters] to vary (docs/SWEEPS.md); `relsim run "
                            f"{source}` runs this scenario")
    variants = data.get("variants", {})
    data = with_variant(data, variant, source)
    loader = Loader(source)
    if not isinstance(variants, dict) or not all(isinstance(v, dict) for v in variants.values()):
        loader.error("variants", variants, "must be tables [variants.NAME] of the tables each changes")
    folder = folder or Path.cwd()
    meant = set()  # the tables that misspelt ones stand for ([parameter]: parameters)
    for key in data:
        if key not in _TABLES:
            loader.errors.append(f"{source}: {key}: unknown table{suggest(key, list(_TABLES))}; "
                                 f"allowed: {', '.join(_TABLES)}")
            meant.update(difflib.get_close_matches(key, _TABLES, n=1, cutoff=0.5))
    for table, allowed in (("sweep", _SWEEP_KEYS), ("design", _DESIGN_KEYS), ("keep", _KEEP_KEYS),
                           ("compare", _COMPARE_KEYS), ("derived", None), ("outcomes", None)):
        body = data.get(table, {})
        if not isinstance(body, dict):
            loader.error(table, body, f"must be a [{table}] table")
            data = {**data, table: {}}
            continue
        for key in body:
            if allowed is not None and key not in allowed:
                loader.errors.append(f"{source}: {table}.{key} = {show(body[key])}: unknown key"
                                     f"{suggest(key, list(allowed))}; allowed keys here: {', '.join(allowed)}")
    head = data.get("sweep", {})
    name = _text(loader, head, "sweep.name", Path(source).stem)
    description = _text(loader, head, "sweep.description", "")
    replicates = _whole(loader, head, "sweep.replicates", 1, low=1)
    seed = _whole(loader, head, "sweep.seed", 0, low=0)
    focal = head.get("focal")
    if focal is not None and not isinstance(focal, str):
        loader.error("sweep.focal", focal, "must be the name of a [[suppliers]] entry, in quotes")
        focal = None
    crn = _flag(loader, head, "sweep.common_random_numbers", False)

    scenario = None
    scenario_path = head.get("scenario")
    if scenario_path is None:
        loader.errors.append(f"{source}: sweep.scenario: missing; name the base scenario file, e.g. "
                             f"scenario = \"scenarios/b2b_key_accounts.toml\"")
    elif not isinstance(scenario_path, str):
        loader.error("sweep.scenario", scenario_path, "must be a scenario file's path, in quotes")
    else:
        resolved = Path(scenario_path) if Path(scenario_path).is_absolute() else folder / scenario_path
        try:
            scenario = load_scenario(resolved)
        except ScenarioError as exc:
            loader.errors.extend(f"{source}: sweep.scenario = {scenario_path!r}: {m}" for m in exc.messages)
        scenario_path = str(resolved)

    fixed = data.get("set", {})
    if not isinstance(fixed, dict):
        loader.error("set", fixed, 'must be a [set] table of "KEY" = VALUE, e.g. "market.buyers" = 500')
        fixed = {}
    if scenario is not None and fixed:
        try:
            scenario = scenario.with_overrides(fixed, f"{source} [set]")
        except ScenarioError as exc:
            loader.errors.extend(exc.messages)
            scenario = None

    derived_table = data.get("derived", {}) if isinstance(data.get("derived", {}), dict) else {}
    parameters = _parameters(loader, data.get("parameters"), scenario, source, set(_references(derived_table)))
    derived = _derived(loader, derived_table, parameters, scenario, fixed, source)
    outcomes = _outcomes(loader, data.get("outcomes", {}) if isinstance(data.get("outcomes", {}), dict) else {})
    design = _design(loader, data.get("design", {}), parameters)
    keep = _keep(loader, data.get("keep", {}))
    alternatives = tuple(str(folder / a) if a.endswith(".toml") and not Path(a).is_absolute() else a
                         for a in _alternatives(loader, data.get("compare")))
    # a misspelt table is one mistake: the table it stands for is not reported missing as well
    redundant = tuple(f"{source}: {t}: missing" for t in meant | {f"{t}.scenario" for t in meant})
    loader.errors = [e for e in loader.errors if not e.startswith(redundant)]
    loader.fail_if_errors()
    assert scenario is not None
    if focal is not None:
        names = [s.name for s in scenario.suppliers]
        if focal not in names:
            raise ScenarioError(f"{source}: sweep.focal = {focal!r}: no such supplier entry in "
                                f"{scenario_path}{suggest(focal, names)}; entries: {', '.join(names)}")
    return SweepSpec(source=source, name=name, scenario_path=str(scenario_path), scenario=scenario,
                     fixed=dict(fixed), parameters=parameters, design=design, replicates=replicates,
                     seed=seed, focal=focal, common_random_numbers=crn, keep=keep,
                     alternatives=alternatives, description=description, derived=derived,
                     outcomes=outcomes, variant=variant)


# --------------------------------------------------------------------------- pieces


def _text(loader: Loader, body: dict, path: str, default: str) -> str:
    value = body.get(path.split(".")[-1], default)
    if not isinstance(value, str):
        loader.error(path, value, "must be text in quotes")
        return default
    return value


def _whole(loader: Loader, body: dict, path: str, default: int | None, low: int) -> Any:
    value = body.get(path.split(".")[-1], default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        loader.error(path, value, f"must be a whole number >= {low}")
        return default
    return value


def _flag(loader: Loader, body: dict, path: str, default: bool) -> bool:
    value = body.get(path.split(".")[-1], default)
    if not isinstance(value, bool):
        loader.error(path, value, "must be true or false")
        return default
    return value


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _parameters(loader: Loader, table: Any, scenario: Scenario | None, source: str,
                referenced: set[str] = frozenset()) -> list[Parameter]:
    if table is None or table == {}:
        loader.errors.append(f'{source}: parameters: missing; vary at least one scenario key, e.g. '
                             f'[parameters] "buyers.switching_cost" = {{ levels = [0.0, 0.2, 0.4] }}')
        return []
    if not isinstance(table, dict):
        loader.error("parameters", table, 'must be a [parameters] table of "KEY" = { levels = [...] } '
                     "or { low = ..., high = ... }")
        return []
    out = []
    for key, body in table.items():
        where = f'parameters."{key}"'
        if not isinstance(body, dict):
            loader.error(where, body, "must be { levels = [...] } or { low = ..., high = ... } "
                         "(add count = N for a grid)")
            continue
        unknown = [k for k in body if k not in _PARAMETER_KEYS]
        for k in unknown:
            loader.errors.append(f"{source}: {where}.{k} = {show(body[k])}: unknown key"
                                 f"{suggest(k, list(_PARAMETER_KEYS))}; allowed keys here: "
                                 f"{', '.join(_PARAMETER_KEYS)}")
        if unknown:
            continue
        if "." not in key and not _NAME.match(key):
            loader.error(where, body, "a factor's name (a parameter that is not a scenario key) must be "
                         "letters, digits and underscores, e.g. switched_off")
            continue
        if "cases" in body:
            param = _cases(loader, key, body, scenario, source)
            if param is not None:
                out.append(param)
            continue
        if "." not in key and key not in referenced:
            loader.errors.append(f"{source}: {where}: not a scenario key (those are SECTION.KEY, as `relsim "
                                 f"params` lists them) and no [derived] key uses it; give it cases = {{ NAME "
                                 f"= {{ KEY = VALUE }} }}, or use it in [derived] as {{{key}}}")
            continue
        if "levels" in body:
            if any(k in body for k in ("low", "high", "count")):
                loader.error(where, body, "give either levels or a range (low, high), not both")
                continue
            levels = body["levels"]
            if not isinstance(levels, list) or not levels:
                loader.error(f"{where}.levels", levels, "must be a list of one or more values")
                continue
            kinds = {"number" if _number(v) else type(v).__name__ for v in levels}
            if len(kinds) > 1 or kinds & {"dict", "list"}:
                loader.error(f"{where}.levels", levels, "must be all numbers, all text or all true/false")
                continue
            if len(set(map(repr, levels))) != len(levels):
                loader.error(f"{where}.levels", levels, "each level may appear only once")
                continue
            if kinds == {"number"} and not all(isinstance(v, int) for v in levels):
                levels = [float(v) for v in levels]
            param = Parameter(key, levels=tuple(levels))
            checks = list(levels)
        else:
            low, high, count = body.get("low"), body.get("high"), body.get("count")
            bad = False
            for name, value in (("low", low), ("high", high)):
                if value is None:
                    loader.errors.append(f"{source}: {where}.{name}: missing; give levels = [...] or "
                                         f"both low and high")
                    bad = True
                elif not _number(value) or not math.isfinite(value):
                    loader.error(f"{where}.{name}", value, "must be a finite number")
                    bad = True
            if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 2):
                loader.error(f"{where}.count", count, "must be a whole number >= 2 (levels from low to high)")
                bad = True
            if bad:
                continue
            if not low < high:
                loader.error(where, body, "low must be less than high")
                continue
            integer = isinstance(low, int) and isinstance(high, int)
            param = Parameter(key, low=low, high=high, count=count, integer=integer)
            checks = [low, high]
        if scenario is not None and not param.factor:
            problems = _refused(scenario, key, checks, source)
            if problems:
                loader.errors.extend(problems)
                continue
        out.append(param)
    return out


def _cases(loader: Loader, key: str, body: dict, scenario: Scenario | None, source: str) -> Parameter | None:
    """A factor whose levels are named bundles of overrides, each checked against the scenario."""
    where = f'parameters."{key}"'
    cases = body["cases"]
    if "." in key:
        loader.error(where, body, "a parameter with cases is a factor: give it a name of your own without a "
                     "dot (its cases set the scenario keys), e.g. switched_off")
        return None
    if any(k in body for k in ("levels", "low", "high", "count")):
        loader.error(where, body, "give either cases or levels / a range, not both")
        return None
    if not isinstance(cases, dict) or not cases or not all(isinstance(c, dict) for c in cases.values()):
        loader.error(f"{where}.cases", cases, 'must be a table of named cases, each a table of --set '
                     'overrides, e.g. { nothing = {}, "no referrals" = { "mechanisms.referrals" = false } }')
        return None
    bad = False
    for name, overrides in cases.items():
        if scenario is None or not overrides:
            continue
        try:
            scenario.with_overrides(overrides, source)
        except ScenarioError as exc:
            bad = True
            prefix = f"{scenario.source} with {source}: "
            loader.errors.extend(f"{source}: {where}.cases.{name}: the scenario refuses it: "
                                 f"{m[len(prefix):] if m.startswith(prefix) else m}" for m in exc.messages)
    if bad:
        return None
    return Parameter(key, levels=tuple(cases), cases=tuple((name, tuple(o.items())) for name, o in cases.items()))


def _references(derived: dict[str, Any]) -> list[str]:
    return [name.strip() for e in derived.values() if isinstance(e, str) for name in _REFERENCE.findall(e)]


_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
              ast.Pow: operator.pow, ast.USub: operator.neg, ast.UAdd: operator.pos}


def _compile(expression: str) -> tuple[ast.Expression, list[str]]:
    """An arithmetic expression over {parameter} references; only numbers, + - * / ** and
    brackets (no names, calls or attributes: the file is data, not code)."""
    names: list[str] = []

    def slot(match: re.Match) -> str:
        names.append(match.group(1).strip())
        return f"_p{len(names) - 1}"

    tree = ast.parse(_REFERENCE.sub(slot, expression), mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Load)) or type(node) in _OPERATORS:
            continue
        if isinstance(node, ast.Constant) and _number(node.value):
            continue
        if isinstance(node, ast.Name) and node.id.startswith("_p"):
            continue
        raise ValueError(f"{type(node).__name__} is not allowed")
    return tree, names


def evaluate(expression: str, values: dict[str, Any]) -> Any:
    """The value of a [derived] expression at a point (``values``: the point's parameters)."""
    tree, names = _compile(expression)
    slots = {f"_p{i}": values[name] for i, name in enumerate(names)}

    def walk(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.BinOp):
            return _OPERATORS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp):
            return _OPERATORS[type(node.op)](walk(node.operand))
        if isinstance(node, ast.Constant):
            return node.value
        return slots[node.id]

    return walk(tree)


def _derived(loader: Loader, table: dict[str, Any], parameters: list[Parameter], scenario: Scenario | None,
             fixed: dict[str, Any], source: str) -> dict[str, str]:
    """[derived] keys: each a scenario key, not varied or fixed elsewhere, whose expression
    uses only the sweep's parameters; checked against the scenario at every combination of
    the levels or bounds of the parameters it uses."""
    by_key = {p.key: p for p in parameters}
    out = {}
    for key, expression in table.items():
        where = f'derived."{key}"'
        if not isinstance(expression, str):
            loader.error(where, expression, 'must be an expression in quotes, e.g. "{beta_over_beta_c} * 0.2"')
            continue
        if "." not in key:
            loader.error(where, expression, "must be a scenario key (SECTION.KEY, as `relsim params` lists them)")
            continue
        if key in by_key or key in fixed:
            how = "varied in [parameters]" if key in by_key else "set in [set]"
            loader.error(where, expression, f"{key} is already {how}; a key is given one way only")
            continue
        try:
            _, names = _compile(expression)
        except (SyntaxError, ValueError) as exc:
            loader.error(where, expression, f"must be arithmetic (numbers, + - * / **, brackets) of "
                         f"{{parameter}} references ({exc})")
            continue
        unknown = [n for n in names if n not in by_key]
        if unknown:
            loader.error(where, expression, f"{{{unknown[0]}}} is not a parameter of this sweep"
                         f"{suggest(unknown[0], list(by_key))}; parameters: {', '.join(by_key)}")
            continue
        out[key] = expression
        if scenario is None:
            continue
        used = [by_key[n] for n in dict.fromkeys(names)]
        checks = [list(p.levels) if p.discrete else [p.low, p.high] for p in used]
        problems: list[str] = []
        for combination in itertools.islice(itertools.product(*checks), 1000):
            try:
                value = evaluate(expression, dict(zip([p.key for p in used], combination)))
            except (ArithmeticError, TypeError) as exc:
                problems.append(f"{source}: {where} = {show(expression)}: cannot be computed at "
                                f"{dict(zip([p.key for p in used], combination))}: {exc}")
                break
            problems += [m for m in _refused(scenario, key, [value], source, "derived") if m not in problems]
        loader.errors.extend(problems)
    return out


def _outcomes(loader: Loader, table: dict[str, Any]) -> tuple[SeriesOutcome, ...]:
    out = []
    for name, body in table.items():
        where = f"outcomes.{name}"
        if not _NAME.match(name):
            loader.error(where, body, "an outcome's name must be letters, digits and underscores")
            continue
        if not isinstance(body, dict):
            loader.error(where, body, 'must be { series = "market", column = "...", last = 0.5 }')
            continue
        unknown = [k for k in body if k not in _OUTCOME_KEYS]
        for k in unknown:
            loader.errors.append(f"{loader.source}: {where}.{k} = {show(body[k])}: unknown key"
                                 f"{suggest(k, list(_OUTCOME_KEYS))}; allowed keys here: {', '.join(_OUTCOME_KEYS)}")
        series, column = body.get("series", "market"), body.get("column")
        last, statistic = body.get("last", 1.0), body.get("statistic", "mean")
        bad = bool(unknown)
        if series not in OUTCOME_SERIES:
            loader.error(f"{where}.series", series, "must be one of " + ", ".join(map(repr, OUTCOME_SERIES)))
            bad = True
        if not isinstance(column, str):
            loader.error(f"{where}.column", column, "must name a column of the series, in quotes")
            bad = True
        if not _number(last) or not 0 < last <= 1:
            loader.error(f"{where}.last", last, "must be the share of the run's last steps it covers, "
                         "above 0 and at most 1")
            bad = True
        if statistic not in OUTCOME_STATISTICS:
            loader.error(f"{where}.statistic", statistic, "must be one of "
                         + ", ".join(map(repr, OUTCOME_STATISTICS)))
            bad = True
        if not bad:
            out.append(SeriesOutcome(name, series, column, float(last), statistic))
    return tuple(out)


def _refused(scenario: Scenario, key: str, values: list[Any], source: str, table: str = "parameters") -> list[str]:
    """What the base scenario says about each value of ``key``, as messages about the sweep
    file's key (the first problem of each kind)."""
    seen: list[str] = []
    prefix = f"{scenario.source} with {source}: "
    for value in values:
        try:
            scenario.with_overrides({key: value}, source)
        except ScenarioError as exc:
            for message in exc.messages:
                detail = message[len(prefix):] if message.startswith(prefix) else message
                text = f'{source}: {table}."{key}" = {show(value)}: the scenario refuses it: {detail}'
                if text not in seen:
                    seen.append(text)
            if any("unknown key" in m or "no such" in m or ": no " in m for m in exc.messages):
                break  # a wrong key is wrong for every value: say it once
    return seen


def _design(loader: Loader, body: dict, parameters: list[Parameter]) -> Design:
    kind = body.get("kind", "grid")
    if kind not in DESIGNS:
        loader.error("design.kind", kind, "must be one of " + ", ".join(map(repr, DESIGNS))
                     + (suggest(kind, list(DESIGNS)) if isinstance(kind, str) else ""))
        return Design()
    samples = _whole(loader, body, "design.samples", None, low=1)
    levels = _whole(loader, body, "design.levels", 4, low=2)
    second_order = _flag(loader, body, "design.second_order", False)
    seed = _whole(loader, body, "design.seed", 0, low=0)
    if kind == "grid":
        if samples is not None:
            loader.error("design.samples", samples, "a grid runs every combination of levels; give "
                         "levels = [...] or count = N per parameter instead")
        for p in parameters:
            if not p.discrete and p.count is None:
                loader.errors.append(f'{loader.source}: parameters."{p.key}": a grid needs its levels: '
                                     f"add count = N (evenly spaced from low to high) or give levels = [...]")
    elif samples is None:
        what = {"latin": "points", "sobol": "base samples N (SALib runs N x (D + 2) points)",
                "morris": "trajectories (SALib runs N x (D + 1) points)"}[kind]
        loader.errors.append(f"{loader.source}: design.samples: missing; a {kind} design needs the "
                             f"number of {what}")
    if kind == "sobol" and samples is not None and samples & (samples - 1):
        loader.error("design.samples", samples, "Sobol (Saltelli) sampling needs a power of two "
                     f"(e.g. {1 << max(samples.bit_length() - 1, 0)} or {1 << samples.bit_length()})")
    if kind in ("sobol", "morris") and len(parameters) < 2 and parameters:
        loader.errors.append(f"{loader.source}: design.kind = {kind!r}: sensitivity analysis needs at "
                             f"least two parameters")
    return Design(kind=kind, samples=samples, levels=levels, second_order=second_order, seed=seed)


def _keep(loader: Loader, body: dict) -> Keep:
    series = body.get("series", [])
    if isinstance(series, str):
        series = [series]
    if not isinstance(series, list) or any(s not in SERIES for s in series):
        loader.error("keep.series", series, "must be a list naming any of " + ", ".join(map(repr, SERIES)))
        series = []
    every = _whole(loader, body, "keep.every", 1, low=1)
    events = _flag(loader, body, "keep.events", False)
    return Keep(series=tuple(dict.fromkeys(series)), every=every, events=events)


def _alternatives(loader: Loader, body: Any) -> tuple[str, ...]:
    if body is None:
        return ()
    alternatives = body.get("alternatives")
    if isinstance(alternatives, str):
        alternatives = [a.strip() for a in alternatives.split(",") if a.strip()]
    if (not isinstance(alternatives, list) or len(alternatives) < 2
            or not all(isinstance(a, str) for a in alternatives)):
        loader.error("compare.alternatives", alternatives, "must name at least two alternatives for the "
                     'focal supplier, e.g. ["transactional", "relationship"] (strategies or .toml files)')
        return ()
    return tuple(alternatives)
