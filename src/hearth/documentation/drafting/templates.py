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
