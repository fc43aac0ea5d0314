"""Transcripts as plain values: utterances with ids, speakers, roles and times (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

ROLES = ("clinician", "client", "other", "unknown")


def valid_role(role: str) -> bool:
    """True for a role of the shared vocabulary (client_a, client_b, … included)."""
    return role in ROLES or (role.startswith("client_") and role[7:].isalpha())


@dataclass(frozen=True)
class Utterance:
    """One speaker turn; ids are u1, u2, … in file order."""

    id: str
    speaker: str
    role: str
    start: float | None
    end: float | None
    text: str
    role_source: str = "unknown"  # tag | mapping | name | inferred | given | unknown
    line: int | None = None  # line in the source file where the turn starts
    words: tuple[dict[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "speaker": self.speaker,
            "role": self.role,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "role_source": self.role_source,
        }
        if self.words:
            out["words"] = list(self.words)
        return out


@dataclass(frozen=True)
class Transcript:
    """An ordered list of utterances and where they came from."""

    utterances: tuple[Utterance, ...]
    source_format: str = "unknown"
    metadata: dict[str, Any] = field(default_factory=dict)

    def by_id(self) -> dict[str, Utterance]:
        return {u.id: u for u in self.utterances}

    def speakers(self) -> list[str]:
        """Speaker labels in order of first appearance."""
        seen: dict[str, None] = {}
        for u in self.utterances:
            seen.setdefault(u.speaker, None)
        return list(seen)

    def with_utterances(self, utterances: list[Utterance]) -> Transcript:
        return replace(self, utterances=tuple(utterances))

    def to_json(self) -> dict[str, Any]:
        return {"utterances": [u.to_json() for u in self.utterances]}

    @property
    def duration(self) -> float | None:
        ends = [u.end for u in self.utterances if u.end is not None]
        starts = [u.start for u in self.utterances if u.start is not None]
        if not ends or not starts:
            return None
        return max(ends) - min(starts)
