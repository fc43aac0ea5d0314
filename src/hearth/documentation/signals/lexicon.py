"""Typed loading and validation of the signal lexicons (versioned data files with sources)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DATA = Path(__file__).parent / "data"
_M = TypeVar("_M", bound="BaseModel")
RISK_TYPES = (
    "suicidal_ideation",
    "self_harm",
    "harm_to_others",
    "abuse_neglect",
    "substance_risk",
    "psychosis",
)
SI_SUBTYPES = ("passive", "active", "attempt")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_regexes(patterns: list[str]) -> list[str]:
    for p in patterns:
        try:
            re.compile(p)
        except re.error as e:
            raise ValueError(f"pattern {p!r} is not a valid regular expression: {e}") from e
    return patterns


class RiskEntry(_Strict):
    """Patterns for one risk type. mode "risk": a mention is a finding; "protective": a
    life-affirming phrase that is a finding only when negated or hedged ("I don't want to keep
    living"); "mention": a risk-leaning mention that is a finding only when it is not a plain
    present statement ("if he leaves I'll start drinking", "maybe I drink too much"); "denial":
    a neutral word that is a finding only when denied or in the past ("I don't drink")."""

    type: str
    subtype: str | None = None
    mode: str = "risk"
    patterns: list[str] = Field(min_length=1)
    exclude: list[str] = []

    @field_validator("mode")
    @classmethod
    def _mode(cls, v: str) -> str:
        if v not in ("risk", "protective", "mention", "denial"):
            raise ValueError(f"unknown mode {v!r}")
        return v

    @field_validator("type")
    @classmethod
    def _type(cls, v: str) -> str:
        if v not in RISK_TYPES:
            raise ValueError(f"unknown risk type {v!r}")
        return v

    @field_validator("subtype")
    @classmethod
    def _subtype(cls, v: str | None) -> str | None:
        if v is not None and v not in SI_SUBTYPES:
            raise ValueError(f"unknown subtype {v!r}")
        return v


class RiskLexicon(_Strict):
    name: str
    version: str
    description: str
    sources: list[str] = Field(min_length=1)
    slots: dict[str, str]
    entries: list[RiskEntry]
    question_patterns: list[RiskEntry]
    inverted_question_patterns: list[RiskEntry]
    flags: dict[str, list[str]]

    @model_validator(mode="after")
    def _patterns_compile(self) -> RiskLexicon:
        for entry in (*self.entries, *self.question_patterns, *self.inverted_question_patterns):
            for p in (*entry.patterns, *entry.exclude):
                self.expand(p)
        return self

    @field_validator("flags")
    @classmethod
    def _flags(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = set(v) - {"plan", "intent", "means", "preparatory"}
        if unknown:
            raise ValueError(f"unknown flags {sorted(unknown)}")
        for patterns in v.values():
            _check_regexes(patterns)
        return v

    def expand(self, pattern: str) -> str:
        """Replace {SLOT} with a named group capturing the pronoun."""
        out = pattern
        for name, alts in self.slots.items():
            out = out.replace("{" + name + "}", f"(?P<who>{alts})", 1)
            out = out.replace("{" + name + "}", f"(?:{alts})")
        _check_regexes([out])
        return out


class Negation(_Strict):
    preceding: list[str]
    following: list[str]
    pseudo: list[str]
    termination: list[str]


class Experiencer(_Strict):
    subjects: list[str]
    reflexive_other: list[str]
    reflexive_self: list[str]
    object_other: list[str]


class ContextRules(_Strict):
    name: str
    version: str
    description: str
    sources: list[str] = Field(min_length=1)
    negation: Negation
    historical: list[str]
    recent: list[str]
    hypothetical: list[str]
    uncertain: list[str]
    uncertain_utterance: list[str] = []
    fiction: list[str]
    other_experiencer: Experiencer

    @field_validator(
        "historical", "recent", "hypothetical", "uncertain", "uncertain_utterance", "fiction"
    )
    @classmethod
    def _regexes(cls, v: list[str]) -> list[str]:
        return _check_regexes(v)


class Findings(_Strict):
    name: str
    version: str
    description: str
    sources: list[str] = Field(min_length=1)
    intensity: dict[str, list[str]]
    emotion: dict[str, list[str]]
    symptom: dict[str, list[str]]
    behaviour: dict[str, list[str]]
    intervention: dict[str, list[str]]
    homework: list[str]
    plan: list[str]
    assessment: list[str]
    complexity: dict[str, list[str]]

    @field_validator("emotion", "symptom", "behaviour", "intervention", "complexity")
    @classmethod
    def _groups(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for patterns in v.values():
            _check_regexes(patterns)
        return v

    @field_validator("homework", "plan", "assessment")
    @classmethod
    def _lists(cls, v: list[str]) -> list[str]:
        return _check_regexes(v)


class LexiconError(ValueError):
    """A lexicon data file is malformed; the message names the file."""


def _load(model: type[_M], path: Path) -> _M:
    try:
        return model.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError, ValueError) as e:
        raise LexiconError(f"{path.name}: {e}") from e


@cache
def risk_lexicon(path: Path = DATA / "risk.json") -> RiskLexicon:
    """The risk lexicon (validated once per process)."""
    return _load(RiskLexicon, path)


@cache
def context_rules(path: Path = DATA / "context.json") -> ContextRules:
    """The ConText-style modifier rules (validated once per process)."""
    return _load(ContextRules, path)


@cache
def findings(path: Path = DATA / "findings.json") -> Findings:
    """The non-risk findings lexicon (validated once per process)."""
    return _load(Findings, path)


def versions() -> dict[str, str]:
    """Names and versions of the lexicons in use (recorded with every signal run)."""
    return {lex.name: lex.version for lex in (risk_lexicon(), context_rules(), findings())}
