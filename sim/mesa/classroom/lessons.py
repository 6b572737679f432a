"""Lessons for the classroom page: each is a scenario TOML plus a lesson text beside it.

``scenarios/classroom/NAME.toml`` is an ordinary scenario (``relsim run`` takes it too);
``NAME.md`` starts with a small header between ``---`` lines::

    ---
    title: Trust is lost faster than it is won
    follow: Steadfast, Rival          # the suppliers the class follows (the first: the levers')
    mechanism: asymmetric trust ...   # what it demonstrates, so it can be re-checked
    measured: seed 202, 72 months, relsim model of 2026-12-01
    unit: month                       # what one step is called on the page (default: step)
    ---

followed by the lesson in Markdown (what to watch, what to change, what to ask the class)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sim.config import Scenario, ScenarioError, load_scenario

#: The lessons shipped with relsim (the repository's scenarios/classroom/).
LESSONS_DIR = Path(__file__).resolve().parents[3] / "scenarios" / "classroom"
HEADER_KEYS = ("title", "follow", "mechanism", "measured", "unit")


@dataclass(frozen=True)
class Lesson:
    key: str                      # the file stem, e.g. "2-trust-lost-faster-than-won"
    title: str
    scenario_path: Path
    text: str = ""                # Markdown shown beside the model
    follow: tuple[str, ...] = ()  # supplier names (as in the scenario's [[suppliers]] tables)
    mechanism: str = ""
    measured: str = ""
    header: dict[str, str] = field(default_factory=dict)

    def scenario(self) -> Scenario:
        return load_scenario(self.scenario_path)


def parse_lesson_text(path: Path) -> tuple[dict[str, str], str]:
    """The header fields and the Markdown body of a lesson text; a bad header is a
    :class:`ScenarioError` naming the file, the line and what is allowed."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].strip() != "---":
        raise ScenarioError(f"{path}: a lesson text starts with a header between '---' lines "
                            f"(keys: {', '.join(HEADER_KEYS)})")
    header: dict[str, str] = {}
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            return header, "\n".join(lines[number:]).strip() + "\n"
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or key not in HEADER_KEYS:
            raise ScenarioError(f"{path}, line {number}: {line.strip()!r}: expected 'key: value' "
                                f"with key one of {', '.join(HEADER_KEYS)}")
        header[key] = value.strip()
    raise ScenarioError(f"{path}: the header has no closing '---' line")


def load_lesson(scenario_path: str | Path) -> Lesson:
    """The lesson of ``scenario_path``; a scenario without a lesson text beside it becomes a
    lesson titled by the scenario's name, its description as the text."""
    scenario_path = Path(scenario_path)
    text_path = scenario_path.with_suffix(".md")
    if not text_path.exists():
        market = load_scenario(scenario_path).market
        return Lesson(key=scenario_path.stem, title=market.name, scenario_path=scenario_path,
                      text=market.description + "\n")
    header, body = parse_lesson_text(text_path)
    follow = tuple(name.strip() for name in header.get("follow", "").split(",") if name.strip())
    lesson = Lesson(key=scenario_path.stem, title=header.get("title", scenario_path.stem),
                    scenario_path=scenario_path, text=body, follow=follow,
                    mechanism=header.get("mechanism", ""), measured=header.get("measured", ""),
                    header=header)
    names = {spec.name for spec in lesson.scenario().suppliers}
    unknown = [name for name in follow if name not in names and not any(
        name.startswith(f"{n} ") for n in names)]
    if unknown:
        raise ScenarioError(f"{text_path}: follow: {', '.join(unknown)}: no such supplier in "
                            f"{scenario_path.name} (it has {', '.join(sorted(names))})")
    return lesson


def load_lessons(folder: str | Path | None = None) -> list[Lesson]:
    """Every lesson in ``folder`` (default :data:`LESSONS_DIR`; its ``*.toml`` files), in
    file-name order."""
    folder = Path(LESSONS_DIR if folder is None else folder)
    return [load_lesson(path) for path in sorted(folder.glob("*.toml"))]
