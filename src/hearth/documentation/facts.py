"""Session facts: the small typed value documentation hands to billing (pure).

Start and stop come from the best source available — entered by the clinician beats
recording timestamps beats transcript timestamps. Interactive-complexity factors carry the
utterance ids that suggest them and count only once the clinician confirms them. The value is
frozen when the note is signed, together with the signed note's hash.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from hearth.documentation.transcript import Transcript

TIME_SOURCES = ("entered", "recording", "transcript")
COMPLEXITY_FACTORS = (
    "maladaptive_communication",
    "caregiver_interference",
    "sentinel_event",
    "interpreter",
)


@dataclass(frozen=True)
class ComplexityFactor:
    """A +90785 factor, the utterances that suggest it, and whether the clinician confirmed it."""

    factor: str
    evidence: tuple[str, ...]
    confirmed: bool = False


@dataclass(frozen=True)
class SessionFacts:
    """What billing needs to know about a session, and nothing clinical."""

    session_kind: str
    modality: str
    client_location: str | None
    start: str | None
    stop: str | None
    time_source: str
    face_to_face_minutes: int | None
    headcount: int
    prescriber: bool
    complexity: tuple[ComplexityFactor, ...] = field(default_factory=tuple)
    note_hash: str | None = None

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["complexity"] = [asdict(c) | {"evidence": list(c.evidence)} for c in self.complexity]
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> SessionFacts:
        complexity = tuple(
            ComplexityFactor(c["factor"], tuple(c["evidence"]), bool(c["confirmed"]))
            for c in doc.get("complexity", [])
        )
        return cls(**{**doc, "complexity": complexity})


def transcript_span(transcript: Transcript | None) -> tuple[float, float] | None:
    """First start and last end of a timed transcript, in seconds."""
    if transcript is None:
        return None
    starts = [u.start for u in transcript.utterances if u.start is not None]
    ends = [u.end for u in transcript.utterances if u.end is not None]
    if not starts or not ends:
        return None
    return min(starts), max(ends)


def compute_facts(
    *,
    session_kind: str,
    modality: str,
    client_location: str | None,
    entered: tuple[dt.datetime, dt.datetime] | None,
    recording: tuple[dt.datetime, dt.datetime] | None,
    transcript: Transcript | None,
    headcount: int,
    prescriber: bool,
    complexity: dict[str, list[str]],
    confirmed: set[str],
    note_hash: str | None = None,
) -> SessionFacts:
    """Build the facts from what is known, choosing the best time source."""
    start = stop = None
    source = "transcript"
    minutes: int | None = None
    if entered is not None:
        start, stop, source = entered[0], entered[1], "entered"
    elif recording is not None:
        start, stop, source = recording[0], recording[1], "recording"
    if start is not None and stop is not None:
        minutes = max(0, round((stop - start).total_seconds() / 60))
    else:
        span = transcript_span(transcript)
        if span is not None:
            minutes = max(0, round((span[1] - span[0]) / 60))
    factors = tuple(
        ComplexityFactor(f, tuple(complexity.get(f, [])), f in confirmed)
        for f in COMPLEXITY_FACTORS
        if f in complexity or f in confirmed
    )
    return SessionFacts(
        session_kind=session_kind,
        modality=modality,
        client_location=client_location,
        start=start.isoformat() if start else None,
        stop=stop.isoformat() if stop else None,
        time_source=source,
        face_to_face_minutes=minutes,
        headcount=headcount,
        prescriber=prescriber,
        complexity=factors,
        note_hash=note_hash,
    )
