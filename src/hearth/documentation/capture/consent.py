"""The recording consent wording, kept as versioned data and validated on load."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "recording_consent.json"


class ConsentTextInvalid(ValueError):
    """The consent wording file is malformed."""


@dataclass(frozen=True)
class ConsentText:
    """What a client reads and answers before anything is recorded; its version is stored."""

    version: str
    title: str
    paragraphs: tuple[str, ...]
    agree: str
    decline: str
    source: str


def parse_consent_text(doc: object) -> ConsentText:
    """Validate the wording: a version, and the word "recording" said plainly."""
    if not isinstance(doc, dict):
        raise ConsentTextInvalid("the consent text must be a JSON object")
    for key in ("version", "title", "agree", "decline", "source"):
        if not isinstance(doc.get(key), str) or not doc[key].strip():
            raise ConsentTextInvalid(f"the consent text needs a non-empty {key!r}")
    paragraphs = doc.get("paragraphs")
    if not isinstance(paragraphs, list) or not all(isinstance(p, str) for p in paragraphs):
        raise ConsentTextInvalid("'paragraphs' must be a list of strings")
    if len(doc["version"]) > 50:
        raise ConsentTextInvalid("the version must fit the consent record (50 characters)")
    body = " ".join([doc["title"], *paragraphs]).lower()
    if "recording" not in body:
        raise ConsentTextInvalid("the consent text must say 'recording' plainly")
    if "recording" not in doc["agree"].lower() or "recording" not in doc["decline"].lower():
        raise ConsentTextInvalid("both answers must name the recording")
    return ConsentText(
        version=doc["version"],
        title=doc["title"],
        paragraphs=tuple(paragraphs),
        agree=doc["agree"],
        decline=doc["decline"],
        source=doc["source"],
    )


@cache
def recording_consent_text() -> ConsentText:
    """The current recording consent wording."""
    return parse_consent_text(json.loads(DATA.read_text(encoding="utf-8")))
