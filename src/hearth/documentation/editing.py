"""How much the clinician changed a draft: word-level edit distance per section (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any


def words(text: str) -> list[str]:
    return re.findall(r"[\w'-]+|[^\w\s]", text.lower())


def edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    """Levenshtein distance between two word sequences."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def section_text(section: Mapping[str, Any]) -> str:
    return " ".join(str(st.get("text", "")) for st in section.get("statements", []))


def edit_metrics(engine: Mapping[str, Any] | None, final: Mapping[str, Any]) -> dict[str, Any]:
    """Per section: words in the draft, edit distance to the signed text, and the changed share."""
    before = {s["key"]: section_text(s) for s in (engine or {}).get("sections", [])}
    out: dict[str, Any] = {}
    for s in final.get("sections", []):
        a, b = words(before.get(s["key"], "")), words(section_text(s))
        dist = edit_distance(a, b)
        out[s["key"]] = {
            "draft_words": len(a),
            "final_words": len(b),
            "edit_distance": dist,
            "changed": round(dist / max(len(a), len(b), 1), 3),
        }
    return out
