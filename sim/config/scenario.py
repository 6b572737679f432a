"""A whole scenario: the resolved object the model runs, built from a scenario file's data
(every problem reported at once), and copies of it with ``--set``-style overrides.

A scenario file has these tables (all optional except what the defaults cannot supply):
``[market]`` size and horizon, ``[behaviour]`` the relationship dynamics, ``[mechanisms]``
switches, ``[[segments]]`` buyer segments, ``[strategies.NAME]`` user strategies,
``[[suppliers]]`` the suppliers, ``[[events]]`` scheduled events."""

from __future__ import annotations

import dataclasses
import re
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.config.checks import (
    EVENT_FIELDS,
    check_consistency,
    events_after_the_run,
    missing_event_fields,
    unused_event_fields,
)
from sim.config.distributions import Distribution
from sim.config.schema import Loader, ScenarioError, entry_labels, show, suggest
from sim.config.sections import SECTIONS, TOP_KEYS, Behaviour, Event, Market, Mechanisms, Segment, SupplierSpec
from sim.config.strategies import PRESETS, Strategy


@dataclass
class Scenario:
    """A fully resolved scenario: what the model runs."""

    market: Market = field(default_factory=Market)
    behaviour: Behaviour = field(default_factory=Behaviour)
    mechanisms: Mechanisms = field(default_factory=Mechanisms)
    segments: list[Segment] = field(default_factory=lambda: [Segment()])
    strategies: dict[str, Strategy] = field(default_factory=dict)
    suppliers: list[SupplierSpec] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    source: str = "<scenario>"
    #: what the user should know but that is no error (events after the end of a short run)
    notes: list[str] = field(default_factory=list, compare=False)

    # ----------------------------------------------------------------- derived views
    def strategy_named(self, name: str) -> Strategy:
        if name in self.strategies:
            return self.strategies[name]
        return PRESETS[name]

    def supplier_table(self) -> list[dict[str, Any]]:
        """One row per supplier agent: its spec, its resolved strategy and its name."""
        rows = []
        for spec in self.suppliers:
            strategy = dataclasses.replace(self.strategy_named(spec.strategy), **spec.overrides)
            for k in range(spec.count):
                name = spec.name if spec.count == 1 else f"{spec.name} {k + 1}"
                rows.append({"name": name, "spec": spec, "strategy": strategy,
                             "strategy_name": spec.strategy})
        return rows

    def to_dict(self) -> dict[str, Any]:
        """The scenario as resolved, in the shape of a scenario file (for manifests)."""
        def plain(obj: Any) -> Any:
            if isinstance(obj, Distribution):
                return obj.to_toml()
            if dataclasses.is_dataclass(obj):
                return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
            if isinstance(obj, list):
                return [plain(v) for v in obj]
            if isinstance(obj, dict):
                return {k: plain(v) for k, v in obj.items()}
            if isinstance(obj, float) and not np.isfinite(obj):
                return str(obj)
            return obj
        out = {k: plain(getattr(self, k)) for k in TOP_KEYS}
        for s in out["suppliers"]:
            s.update(s.pop("overrides"))
        # an event carries only the fields its kind uses (the others would be refused)
        out["events"] = [{k: v for k, v in e.items() if k in ("step", "kind", *EVENT_FIELDS.get(e["kind"], ()))}
                         for e in out["events"]]
        return out

    def named(self, source: str) -> Scenario:
        """The same scenario under another name in messages (``FILE with --set KEY=VALUE``),
        its notes said under that name."""
        renamed = dataclasses.replace(self, source=source)
        renamed.notes = events_after_the_run(renamed)
        return renamed

    def with_overrides(self, overrides: dict[str, Any], source: str = "--set") -> Scenario:
        """A copy with dotted-key overrides applied (``buyers.switching_cost``-style keys are
        resolved by :func:`apply_overrides`)."""
        return apply_overrides(self, overrides, source)


# --------------------------------------------------------------------------- loading


def read_toml(path: str | Path, kind: str = "scenario") -> dict[str, Any]:
    """The TOML file at ``path`` as a dict; ``kind`` names the file in messages ("sweep")."""
    path = Path(path)
    if not path.exists():
        raise ScenarioError(f"{path}: no such {kind} file")
    if path.is_dir():
        raise ScenarioError(f"{path}: is a folder, not a {kind} file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        # editors on Windows may start a UTF-8 file with a byte-order mark; TOML has none
        text = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {exc.start}); save the scenario file "
                            f"as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}{_quoted_line(text, str(exc))}") from None
    except RecursionError:
        raise ScenarioError(f"{path}: not a scenario file: its values are nested too deeply") from None


def _quoted_line(text: str, error: str) -> str:
    """The line a TOML error points at, as the file has it, so the user sees the key and value
    without opening the file ("Cannot overwrite a value" does not say which)."""
    at = re.search(r"\(at line (\d+), column \d+\)", error)
    lines = text.splitlines()
    if at is None or not 1 <= int(at.group(1)) <= len(lines) or not lines[int(at.group(1)) - 1].strip():
        return ""
    line = lines[int(at.group(1)) - 1].strip()
    return f": line {at.group(1)} reads {line[:77] + '...' if len(line) > 80 else line!r}"


def is_sweep(data: dict[str, Any]) -> bool:
    """Whether a TOML file's data is a sweep file's: a [sweep] table, or (the [sweep] table
    misspelt) [parameters] to vary, and none of a scenario's tables."""
    return ("sweep" in data or "parameters" in data) and not any(key in data for key in TOP_KEYS)


def load_scenario(path: str | Path) -> Scenario:
    """Read, validate and resolve a scenario file. Raises :class:`ScenarioError`."""
    return scenario_from_dict(read_toml(path), str(path))


def scenario_from_dict(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    if is_sweep(data):
        # one message for the file mistaken for another, not one per table it does not know
        raise ScenarioError(f"{source}: a sweep file (it has a [sweep] or [parameters] table), not a scenario "
                            f"file; run it with `relsim sweep {source} --out FOLDER`, or give the scenario file "
                            f"its sweep.scenario names")
    loader = Loader(source)
    for key in data:
        if key not in TOP_KEYS:
            loader.errors.append(f"{source}: {key}: unknown table{suggest(key, list(TOP_KEYS))}; "
                                 f"allowed: {', '.join(TOP_KEYS)}")
    scenario = Scenario(source=source)
    for key, cls in SECTIONS.items():
        if key in data:
            setattr(scenario, key, loader.build(cls, data[key], key))
    if "segments" in data:
        segs = data["segments"]
        if not isinstance(segs, list) or not segs:
            loader.error("segments", segs, "must be one or more [[segments]] tables")
        else:
            scenario.segments = [loader.build(Segment, s, label)
                                 for s, label in zip(segs, entry_labels("segments", segs), strict=True)]
    strategy_fields = [f.name for f in dataclasses.fields(Strategy)]
    if "strategies" in data:
        table = data["strategies"]
        if not isinstance(table, dict):
            loader.error("strategies", table, "must be [strategies.NAME] tables")
        else:
            pending: dict[str, tuple[str, dict]] = {}
            for name, body in table.items():
                where = f"strategies.{name}"
                if not isinstance(body, dict):
                    loader.error(where, body, "must be a [strategies.NAME] table")
                    continue
                base_name = body.get("based_on", "transactional")
                if base_name == name and name not in PRESETS:
                    loader.error(f"{where}.based_on", base_name, "a strategy cannot be based on itself; "
                                 "name a preset (" + ", ".join(PRESETS) + ") or another strategy of "
                                 "this file")
                    continue
                if not isinstance(base_name, str) or (base_name not in PRESETS and base_name not in table):
                    loader.error(f"{where}.based_on", base_name, "must be a preset or another strategy "
                                 "of this file: " + ", ".join(list(PRESETS) + [n for n in table if n != name])
                                 + suggest(str(base_name), list(PRESETS) + list(table)))
                    continue
                pending[name] = (base_name, body)
            # A strategy may build on another of the file's strategies, defined before or after
            # it; a name based on itself means the preset of that name.
            while pending:
                ready = [n for n, (base, _) in pending.items()
                         if base == n or base not in pending]
                if not ready:
                    loader.error(f"strategies.{next(iter(pending))}.based_on", pending[next(iter(pending))][0],
                                 "strategies are based on each other in a circle: " + " -> ".join(pending))
                    break
                for name in ready:
                    base_name, body = pending.pop(name)
                    if base_name == name or base_name not in scenario.strategies:
                        base = PRESETS.get(base_name, Strategy())
                    else:
                        base = scenario.strategies[base_name]
                    built = loader.build(Strategy, body, f"strategies.{name}", extra_keys=("based_on",))
                    given = {k: getattr(built, k) for k in body if k in strategy_fields}
                    scenario.strategies[name] = dataclasses.replace(base, **given)
    if "suppliers" in data:
        sups = data["suppliers"]
        if not isinstance(sups, list) or not sups:
            loader.error("suppliers", sups, "must be one or more [[suppliers]] tables")
        else:
            scenario.suppliers = [_build_supplier(loader, s, label, strategy_fields)
                                  for s, label in zip(sups, entry_labels("suppliers", sups), strict=True)]
    if "events" in data:
        evs = data["events"]
        if not isinstance(evs, list):
            loader.error("events", evs, "must be [[events]] tables")
        else:
            scenario.events = [loader.build(Event, e, f"events[{i}]") for i, e in enumerate(evs)]
            for i, e in enumerate(evs):
                if isinstance(e, dict):
                    loader.errors += missing_event_fields(e, f"events[{i}]", source)
                    loader.errors += unused_event_fields(e, f"events[{i}]", source)
    loader.fail_if_errors()
    check_consistency(scenario, entry_labels("suppliers", data.get("suppliers")))
    scenario.notes = events_after_the_run(scenario)
    return scenario


def _build_supplier(loader: Loader, data: Any, where: str, strategy_fields: list[str]) -> SupplierSpec:
    if not isinstance(data, dict):
        loader.error(where, data, "must be a [[suppliers]] table")
        return SupplierSpec()
    own = {k: v for k, v in data.items() if k not in strategy_fields or k == "name"}
    # a supplier entry may set any strategy field inline, overriding its strategy
    inline = {k: v for k, v in data.items() if k in strategy_fields and k != "name"}
    spec_fields = [f.name for f in dataclasses.fields(SupplierSpec) if f.name != "overrides"]
    for key in list(own):
        if key not in spec_fields:
            loader.errors.append(f"{loader.source}: {where}.{key} = {show(own[key])}: unknown key"
                                 f"{suggest(key, spec_fields + strategy_fields)}; allowed: "
                                 f"{', '.join(spec_fields)} or any strategy field "
                                 f"({', '.join(strategy_fields)})")
            own.pop(key)
    spec = loader.build(SupplierSpec, own, where)
    if inline:
        built = loader.build(Strategy, inline, where)
        spec.overrides = {k: getattr(built, k) for k in inline}
    return spec


# --------------------------------------------------------------------------- overrides

#: ``buyers.FIELD`` is the documented shorthand for every segment; no other spelling is taken
#: for a table (a misspelt ``segment[...]`` gets a suggestion, never a silent alias)
_SECTION_ALIASES = {"buyers": "segments"}


def parse_override_value(text: str) -> Any:
    """Read the value of KEY=VALUE as TOML (numbers, booleans, quoted or bare text)."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
    except RecursionError:
        raise ScenarioError(f"--set value {text[:40]}...: nested too deeply") from None


def apply_overrides(scenario: Scenario, overrides: dict[str, Any], source: str = "--set") -> Scenario:
    """Apply dotted-key overrides and re-validate everything as if it came from the file.

    Keys: ``market.steps``, ``behaviour.trust_loss``, ``mechanisms.escalation``;
    ``buyers.FIELD`` or ``segments.FIELD`` (every segment) or ``segments[NAME|i].FIELD``, and
    ``segments[NAME].ATTRIBUTE.PARAMETER`` for one parameter of a distribution (``demand.median``);
    ``suppliers.FIELD`` (every supplier) or ``suppliers[NAME|i].FIELD``;
    ``strategies.NAME.FIELD``."""
    data = scenario.to_dict()
    errors = []
    # overrides applied twice from one source (--set on a scenario that --set made) name it once
    described = (scenario.source if scenario.source.endswith(f" with {source}")
                 else f"{scenario.source} with {source}")
    # The loader names an entry by the name its file gives it (suppliers[PriceLine].markup);
    # a message about a key set here names it as the user typed it instead: suppliers[0].markup,
    # or buyers.demand for a key that reaches every segment, said once rather than per segment.
    typed: dict[str, str] = {}
    for key, value in overrides.items():
        where = f"{described}: {key} = {show(value)}"
        head, rest = _split_key(key)
        index = None
        if "[" in head and head.endswith("]"):
            head, index = head[:-1].split("[", 1)
        head = _SECTION_ALIASES.get(head, head)
        if head not in TOP_KEYS:
            errors.append(f"{where}: unknown key{suggest(head, list(TOP_KEYS) + ['buyers'])}; use "
                          f"TABLE.FIELD with TABLE one of {', '.join(TOP_KEYS)} (or buyers), e.g. "
                          f"market.steps, buyers.switching_cost, suppliers[NAME].markup, "
                          f"strategies.NAME.markup")
            continue
        if not rest:
            errors.append(f"{where}: unknown key; name a field of the table, e.g. {head}.FIELD "
                          f"(`relsim params` lists them)")
            continue
        if head in SECTIONS:
            data.setdefault(head, {})[rest] = value
        elif head == "strategies":
            name, _, fld = rest.partition(".")
            # a new strategy may be defined on the command line, but only by naming its base,
            # so that a misspelt existing name is an error rather than a silent new strategy
            creating = f"strategies.{name}.based_on" in overrides
            if name not in data["strategies"] and name not in PRESETS and not creating:
                known = sorted(set(PRESETS) | set(data["strategies"]))
                errors.append(f"{where}: no such strategy{suggest(name, known)}; known: "
                              f"{', '.join(known)} (define a new one with --set strategies.{name}.based_on=PRESET)")
                continue
            base = {"based_on": name if name in PRESETS else overrides.get(f"strategies.{name}.based_on")}
            data["strategies"].setdefault(name, base)[fld] = value
        else:
            items = data[head]
            fields = [f.name for f in dataclasses.fields(Segment)]
            if head == "segments" and rest.split(".")[0] not in fields:
                # one message for the key as written, not one per segment it would reach
                errors.append(f"{where}: unknown key{suggest(rest, fields)}; fields of a segment: "
                              f"{', '.join(fields)}")
                continue
            chosen = [i for i, it in enumerate(items) if index is None or index in (str(i), it.get("name"))]
            if not chosen:
                errors.append(f"{where}: {_no_entry(head, index, items, rest)}")
                continue
            labels = entry_labels(head, items) if head != "events" else [f"events[{i}]" for i in range(len(items))]
            if head == "segments" and "." in rest:
                # one parameter of a buyer attribute's distribution: buyers.demand.median=30
                problem = _not_a_distribution(key, rest, [items[i] for i in chosen], [labels[i] for i in chosen])
                if problem:
                    errors.append(f"{where}: {problem}")
                    continue
                attribute, parameter = rest.split(".", 1)
                for i in chosen:
                    items[i][attribute] = {**items[i][attribute], parameter: value}
                    typed[f"{labels[i]}.{rest}"] = key
                continue
            for i in chosen:
                items[i][rest] = value
                typed[f"{labels[i]}.{rest}"] = key
    if errors:
        raise ScenarioError(errors)
    # strategies that were presets, written out in full, must not rebase on themselves
    for name, body in data["strategies"].items():
        body.setdefault("based_on", "transactional" if name not in PRESETS else name)
    data["strategies"] = {k: v for k, v in data["strategies"].items()
                          if not (k in PRESETS and v.get("based_on") == k and len(v) == 1)}
    try:
        changed = scenario_from_dict(data, described)
        # overrides that change nothing (the same --set applied again by a function given the
        # scenario it made) leave its name as it was, rather than naming the options twice
        return scenario if changed.to_dict() == scenario.to_dict() else changed
    except ScenarioError as exc:
        written = [_as_typed(line, described, typed) for line in exc.messages]
        raise ScenarioError(list(dict.fromkeys(written))) from None


def _not_a_distribution(key: str, rest: str, segments: list[dict[str, Any]], labels: list[str]) -> str:
    """Why ``ATTRIBUTE.PARAMETER`` cannot be set in these segments, or '' if it can: the attribute
    must be drawn from a distribution table (a plain number has no parameters to set)."""
    attribute = rest.split(".", 1)[0]
    drawn = [name for name, hint in typing.get_type_hints(Segment).items() if hint is Distribution]
    if attribute not in drawn:
        return (f"{attribute} is one number per segment, not a distribution; set {key.rsplit('.', 1)[0]}=VALUE"
                f" (attributes with a distribution: {', '.join(drawn)})")
    plain = [label for label, seg in zip(labels, segments, strict=True) if not isinstance(seg.get(attribute), dict)]
    if plain:
        return (f"{' and '.join(plain)} give{'s' if len(plain) == 1 else ''} every buyer the same {attribute}, "
                f"not a distribution with parameters; set the whole of it, e.g. {key.rsplit('.', 1)[0]}="
                f'{{dist = "lognormal", median = 1.0, sigma = 0.8}}')
    return ""


def _split_key(key: str) -> tuple[str, str]:
    """``TABLE`` or ``TABLE[ENTRY]``, and the field after it, of a ``--set`` key: an entry's name
    may hold dots (``suppliers[Acme Inc.].markup``)."""
    bracket, dot = key.find("["), key.find(".")
    close = key.find("]", bracket)
    if -1 < bracket < (dot if dot != -1 else len(key)) and close != -1 and key[close + 1:close + 2] in ("", "."):
        return key[:close + 1], key[close + 2:]
    head, _, rest = key.partition(".")
    return head, rest


def _no_entry(table: str, index: str | None, items: list[dict[str, Any]], field: str) -> str:
    """Why ``table[index]`` names no entry, and which ones there are."""
    kind = table[:-1]
    if not items:
        return f"this scenario has no [[{table}]] tables; add the {kind} to the scenario file"
    names = [str(it["name"]) for it in items if "name" in it]
    # "PriceLine 1" is a copy that the entry PriceLine (count = 2) makes: its fields are the entry's
    copy = re.fullmatch(r"(.+) (\d+)", str(index))
    entry = next((it for it in items if copy and it.get("name") == copy.group(1)
                  and 1 <= int(copy.group(2)) <= it.get("count", 1)), None)
    if entry is not None:
        return (f"{index!r} is one of the {entry['count']} suppliers that the entry {entry['name']!r} makes "
                f"(count = {entry['count']}); its copies share their settings: set {table}[{entry['name']}].{field}")
    positions = f"an index, 0 to {len(items) - 1}"
    return (f"no {kind} named or numbered {index!r}{suggest(str(index), names)}; "
            + (f"{table} here: {', '.join(names)} (or {positions})" if names else f"give {positions}"))


def _as_typed(message: str, source: str, typed: dict[str, str]) -> str:
    """``message`` about an entry's field, naming the field as the ``--set`` key that reached it."""
    prefix = f"{source}: "
    if not message.startswith(prefix):
        return message
    body = message[len(prefix):]
    for path, key in typed.items():
        if body.startswith(path) and body[len(path):len(path) + 1] in ("", " ", ".", ":"):
            return prefix + key + body[len(path):]
    return message
