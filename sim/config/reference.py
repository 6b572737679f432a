"""The parameter reference, generated from the schema (``relsim params``, docs)."""

from __future__ import annotations

from sim.config import Behaviour, Event, Market, Mechanisms, Segment, SupplierSpec
from sim.config.schema import describe
from sim.config.strategies import PRESETS, Strategy

SECTIONS = (("[market]", Market), ("[behaviour]", Behaviour), ("[mechanisms]", Mechanisms),
            ("[[segments]]", Segment), ("[[suppliers]]", SupplierSpec),
            ("[strategies.NAME] (and inline on a supplier)", Strategy), ("[[events]]", Event))


def _default(value) -> str:
    if hasattr(value, "to_toml"):
        value = value.to_toml()
    return repr(value) if isinstance(value, str) else str(value)


def parameter_reference(markdown: bool = False) -> str:
    lines = []
    for title, cls in SECTIONS:
        lines.append(f"## {title}" if markdown else title)
        if markdown:
            lines += ["", "| key | default | allowed | unit | meaning |", "|---|---|---|---|---|"]
        for name, default, allowed, unit, doc in describe(cls):
            if markdown:
                lines.append(f"| `{name}` | `{_default(default)}` | {allowed} | {unit} | {doc} |")
            else:
                extra = ", ".join(x for x in (allowed, unit) if x)
                lines.append(f"  {name} = {_default(default)}" + (f"  [{extra}]" if extra else ""))
                lines.append(f"      {doc}")
        lines.append("")
    lines.append("## Strategy presets" if markdown else "Strategy presets:")
    for name, strategy in PRESETS.items():
        lines.append(f"- `{name}`: {strategy.description}" if markdown else f"  {name}: {strategy.description}")
    return "\n".join(lines)
