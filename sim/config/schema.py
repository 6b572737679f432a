"""Declarative parameter machinery for scenario files.

Every scenario parameter is a dataclass field declared with :func:`param`, which records
its default, its allowed range or choices, its unit and a one-line meaning.  The loader in
this module turns a TOML mapping into those dataclasses and collects every problem it
finds as a one-line message that names the file, the key, the value and what is allowed,
so a user sees all their mistakes at once and never a traceback.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any


class ScenarioError(Exception):
    """Bad scenario input. ``messages`` holds one line per problem found."""

    def __init__(self, messages: list[str] | str):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("\n".join(self.messages))


@dataclass(frozen=True)
class Spec:
    """What a parameter means and which values it allows."""

    doc: str
    unit: str = ""
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    allow_inf: bool = False

    def allowed(self, whole: bool = False) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        kind = "a whole number" if whole else "a number"
        if self.low is not None and self.high is not None:
            return f"{kind} from {number(self.low)} to {number(self.high)}"
        if self.low is not None:
            text = f"{kind} >= {number(self.low)}"
            return text + (" (inf allowed)" if self.allow_inf else "")
        if self.high is not None:
            return f"{kind} <= {number(self.high)}"
        return kind


def number(value: float) -> str:
    """A bound as a person writes it: 50000000 -> '50,000,000', 0.5 -> '0.5'."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:g}"


def param(default: Any, doc: str, unit: str = "", low: float | None = None,
          high: float | None = None, choices: tuple[str, ...] | None = None,
          allow_inf: bool = False) -> Any:
    """A scenario parameter with its default, range, unit and meaning."""
    spec = Spec(doc=doc, unit=unit, low=low, high=high, choices=choices, allow_inf=allow_inf)
    if isinstance(default, (list, dict)) or dataclasses.is_dataclass(default):
        return field(default_factory=lambda d=default: _copy(d), metadata={"spec": spec})
    return field(default=default, metadata={"spec": spec})


def _copy(value: Any) -> Any:
    import copy

    return copy.deepcopy(value)


def spec_of(cls: type, name: str) -> Spec | None:
    for f in dataclasses.fields(cls):
        if f.name == name:
            return f.metadata.get("spec")
    return None


def suggest(key: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


def show(value: Any) -> str:
    """A value as the user wrote it in TOML: true/false, quoted text, inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "(nothing)"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


def entry_labels(table: str, entries: Any) -> list[str]:
    """How messages name each entry of a list table such as ``[[suppliers]]``: by the name the
    user wrote, as ``--set suppliers[NAME].FIELD`` addresses it, so that a mistake in the
    PriceLine entry reads ``suppliers[PriceLine].qualty_noise``; by position where the entry has
    no name, shares its name with another entry, or has one that reads as a position."""
    entries = entries if isinstance(entries, list) else []
    names = [e.get("name") if isinstance(e, dict) else None for e in entries]
    labels = []
    for i, name in enumerate(names):
        usable = (isinstance(name, str) and name.strip() != "" and not name.strip().isdigit()
                  and "]" not in name and names.count(name) == 1)
        labels.append(f"{table}[{name}]" if usable else f"{table}[{i}]")
    return labels


#: The largest magnitude any unbounded number may take. Money, demand and sensitivities are
#: multiplied together, summed over buyers and steps, and kept in float32 for the relationship
#: arrays (largest 3.4e38): three values of 1e9 multiplied stay far inside it.
MAX_MAGNITUDE = 1e9
TOO_LARGE = (f"at most {number(MAX_MAGNITUDE)} (larger values overflow the model's arithmetic "
             f"to infinity)")


class Loader:
    """Builds dataclasses from TOML mappings, collecting every error it meets."""

    def __init__(self, source: str):
        self.source = source
        self.errors: list[str] = []

    def error(self, key: str, value: Any, allowed: str) -> None:
        self.errors.append(f"{self.source}: {key} = {show(value)}: {allowed}")

    def fail_if_errors(self) -> None:
        if self.errors:
            raise ScenarioError(self.errors)

    def build(self, cls: type, data: Any, where: str, extra_keys: tuple[str, ...] = ()) -> Any:
        """Instantiate dataclass ``cls`` from mapping ``data``; ``where`` is its dotted key.

        ``extra_keys`` are accepted silently (the caller handles them)."""
        if not isinstance(data, dict):
            self.error(where, data, f"must be a table of {cls.__name__} settings")
            return cls()
        hints = typing.get_type_hints(cls)
        names = [f.name for f in dataclasses.fields(cls)]
        kwargs = {}
        for key, value in data.items():
            if key in extra_keys:
                continue
            path = f"{where}.{key}" if where else key
            if key not in names:
                self.errors.append(
                    f"{self.source}: {path} = {show(value)}: unknown key{suggest(key, names + list(extra_keys))}; "
                    f"allowed keys here: {', '.join(names + list(extra_keys))}")
                continue
            spec = spec_of(cls, key)
            converted = self.convert(hints[key], value, path, spec)
            if converted is not _INVALID:
                kwargs[key] = converted
        return cls(**kwargs)

    def convert(self, hint: Any, value: Any, path: str, spec: Spec | None) -> Any:
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if origin in (typing.Union, types.UnionType):
            non_none = [a for a in args if a is not type(None)]
            if value is None:
                return None
            return self.convert(non_none[0], value, path, spec)
        if origin is list:
            if not isinstance(value, list):
                self.error(path, value, "must be a list")
                return _INVALID
            items = [self.convert(args[0], v, f"{path}[{i}]", spec) for i, v in enumerate(value)]
            return _INVALID if any(i is _INVALID for i in items) else items
        if origin is dict:
            if not isinstance(value, dict):
                self.error(path, value, "must be a table")
                return _INVALID
            return {k: self.convert(args[1], v, f"{path}.{k}", spec) for k, v in value.items()}
        if dataclasses.is_dataclass(hint):
            if hasattr(hint, "from_toml"):
                return hint.from_toml(self, value, path, spec)
            return self.build(hint, value, path)
        if hint is bool:
            if not isinstance(value, bool):
                self.error(path, value, "must be true or false")
                return _INVALID
            return value
        if hint is str:
            if not isinstance(value, str):
                self.error(path, value, "must be text in quotes" + (
                    f": {spec.allowed()}" if spec and spec.choices else ""))
                return _INVALID
            if spec and spec.choices is not None and value not in spec.choices:
                self.error(path, value, f"must be {spec.allowed()}{suggest(value, list(spec.choices))}")
                return _INVALID
            return value
        if hint is int:
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    self.error(path, value, "must be " + (
                        spec.allowed(whole=True) if spec else "a whole number"))
                    return _INVALID
            return self.check_range(value, path, spec, whole=True)
        if hint is float:
            if spec and spec.allow_inf and isinstance(value, str) and value.strip().lower() in ("inf", "infinity"):
                value = float("inf")  # how manifests and --set write an unlimited capacity
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.error(path, value, "must be " + (spec.allowed() if spec else "a number"))
                return _INVALID
            value = float(value)
            if math.isnan(value):
                self.error(path, value, f"NaN is not allowed; must be {spec.allowed() if spec else 'a number'}")
                return _INVALID
            if math.isinf(value) and not (spec and spec.allow_inf):
                self.error(path, value, f"must be finite ({spec.allowed() if spec else 'a number'})")
                return _INVALID
            return self.check_range(value, path, spec)
        return value

    def check_range(self, value: float, path: str, spec: Spec | None, whole: bool = False) -> Any:
        if spec is not None and ((spec.low is not None and value < spec.low)
                                 or (spec.high is not None and value > spec.high)):
            self.error(path, value, f"must be {spec.allowed(whole)}")
            return _INVALID
        if not whole and math.isfinite(value) and abs(value) > MAX_MAGNITUDE and (
                spec is None or spec.high is None or spec.high > MAX_MAGNITUDE):
            self.error(path, value, f"must be {TOO_LARGE}")
            return _INVALID
        return value


_INVALID = object()


def describe(cls: type) -> list[tuple[str, Any, str, str, str]]:
    """(name, default, allowed, unit, meaning) for every parameter of ``cls``: the
    self-documentation used by ``relsim params`` and docs."""
    rows = []
    for f in dataclasses.fields(cls):
        spec: Spec | None = f.metadata.get("spec")
        if spec is None:
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        bounded = spec.low is not None or spec.high is not None or spec.choices
        whole = f.type in (int, "int")
        rows.append((f.name, default, spec.allowed(whole) if bounded else "", spec.unit, spec.doc))
    return rows
