"""Note templates as data files: sections and the feeds that supply each (validated on load)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hearth.errors import Invalid

BUILTIN = Path(__file__).parent / "templates"
FEEDS = frozenset(
    {
        "client_report",
        "emotions",
        "symptoms",
        "functioning",
        "behaviours",
        "session_facts",
        "observations",
        "themes",
        "interventions",
        "response",
        "progress",
        "homework",
        "next_steps",
        "referrals",
        "safety_plan",
        "goals_touched",
        "client_goals",
        "history",
        "risk",
    }
)


class SectionSpec(BaseModel):
    """One section of a note and the feeds that fill it, in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    feeds: list[str]

    @field_validator("feeds")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        unknown = set(v) - FEEDS
        if unknown:
            raise ValueError(f"unknown feeds {sorted(unknown)}; known: {sorted(FEEDS)}")
        return v


class Template(BaseModel):
    """A note template: a key, a title, a version and its sections (risk always last)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    version: str
    description: str = ""
    sections: list[SectionSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _risk_section(self) -> Template:
        keys = [s.key for s in self.sections]
        if len(set(keys)) != len(keys):
            raise ValueError("section keys must be unique")
        if "risk" not in keys:
            raise ValueError("every template needs a 'risk' section")
        return self


def _load(path: Path) -> Template:
    try:
        return Template.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError, ValueError) as e:
        raise Invalid(f"template {path.name}: {e}", where=str(path.name)) from e


@cache
def builtin_templates() -> dict[str, Template]:
    """SOAP, DAP, BIRP, GIRP, intake and discharge."""
    return {t.key: t for t in (_load(p) for p in sorted(BUILTIN.glob("*.json")))}


def practice_templates(folder: Path | None) -> tuple[dict[str, Template], list[str]]:
    """The practice's own templates (every ``*.json`` in HEARTH_TEMPLATES_DIR, the file named
    after the template's key) and what is wrong with the files that cannot be used."""
    found: dict[str, Template] = {}
    problems: list[str] = []
    if folder is None:
        return found, problems
    if not folder.is_dir():
        return found, [f"HEARTH_TEMPLATES_DIR {folder} is not a folder"]
    for path in sorted(folder.glob("*.json")):
        try:
            template = _load(path)
        except Invalid as e:
            problems.append(e.message)
            continue
        if template.key != path.stem:
            problems.append(
                f"template {path.name}: its key is {template.key!r}; name the file "
                f"{template.key}.json"
            )
            continue
        found[template.key] = template
    return found, problems


def available_templates(folder: Path | None) -> dict[str, Template]:
    """Built-in templates and the practice's own (a practice file may replace a built-in)."""
    return {**builtin_templates(), **practice_templates(folder)[0]}


def template_by_key(key: str, folder: Path | None) -> Template:
    """A template chosen by key in the app (never a path to a file)."""
    templates = available_templates(folder)
    if key not in templates:
        raise Invalid(
            f"unknown template {key!r}; use one of {', '.join(sorted(templates))}",
            where="template",
        )
    return templates[key]


def get_template(name: str, extra_dirs: tuple[Path, ...] = ()) -> Template:
    """A template by key (built-in or in a practice's template folder) or by file path."""
    path = Path(name)
    if path.suffix == ".json" and path.exists():
        return _load(path)
    for folder in extra_dirs:
        candidate = folder / f"{name}.json"
        if candidate.exists():
            return _load(candidate)
    templates = builtin_templates()
    if name not in templates:
        raise Invalid(
            f"unknown template {name!r}; use one of {', '.join(sorted(templates))} or a .json file",
            where="template",
        )
    return templates[name]
