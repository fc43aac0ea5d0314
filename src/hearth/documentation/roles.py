"""Speaker → role mapping: explicit mapping, known names, tags, or inference (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace

from hearth.documentation.transcript import Transcript, Utterance, valid_role
from hearth.errors import Invalid

_QUESTION_START = re.compile(
    r"^(how|what|when|where|why|who|which|do|does|did|are|is|was|were|have|has|can|could|"
    r"would|will|tell me|any|anything)\b",
    re.IGNORECASE,
)


def _norm(label: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", label.lower()).strip()


def _name_tokens(name: str) -> set[str]:
    return {t for t in _norm(name).split() if t not in {"dr", "mr", "mrs", "ms", "mx", "prof"}}


def _matches(label: str, names: Iterable[str]) -> bool:
    """A speaker label matches a known name when they share the label's name words."""
    tokens = _name_tokens(label)
    if not tokens:
        return False
    return any(tokens <= _name_tokens(n) or _name_tokens(n) <= tokens for n in names if n)


def question_score(utterances: Iterable[Utterance]) -> float:
    """Share of a speaker's turns that ask something."""
    turns = list(utterances)
    if not turns:
        return 0.0
    asked = sum(1 for u in turns if "?" in u.text or _QUESTION_START.match(u.text.strip()))
    return asked / len(turns)


def assign_roles(
    transcript: Transcript,
    *,
    clinician: str | None = None,
    mapping: Mapping[str, str] | None = None,
    clinician_names: Iterable[str] = (),
    client_names: Iterable[str] = (),
) -> Transcript:
    """Give every utterance a role.

    Order of precedence: an explicit mapping (speaker → role) or `clinician` label; tags such
    as [doctor]/[patient]; known clinician and client names; otherwise the clinician is
    inferred as the speaker who asks most, and marked `role_source: inferred`. Other speakers
    are `client`, or `client_a`, `client_b`, … in order of first appearance when several.
    """
    speakers = transcript.speakers()
    roles: dict[str, tuple[str, str]] = {}
    for label, role in (mapping or {}).items():
        if label not in speakers:
            raise Invalid(f"speaker {label!r} is not in the transcript", where="mapping")
        if not valid_role(role):
            raise Invalid(f"role {role!r} is not a known role", where="mapping")
        roles[label] = (role, "mapping")
    if clinician:
        match = [s for s in speakers if _norm(s) == _norm(clinician)] or [
            s for s in speakers if _matches(s, [clinician])
        ]
        if not match:
            raise Invalid(
                f"clinician {clinician!r} is not a speaker in the transcript "
                f"(speakers: {', '.join(speakers)})",
                where="clinician",
            )
        roles[match[0]] = ("clinician", "mapping")
    for u in transcript.utterances:
        if u.speaker not in roles and u.role_source in ("tag", "given") and u.role != "unknown":
            roles[u.speaker] = (u.role, u.role_source)
    clinician_names, client_names = list(clinician_names), list(client_names)
    for s in speakers:
        if s in roles:
            continue
        if _matches(s, clinician_names):
            roles[s] = ("clinician", "name")
        elif _matches(s, client_names):
            roles[s] = ("client", "name")
    has_clinician = any(r == "clinician" for r, _ in roles.values())
    if not has_clinician and len(speakers) >= 2:
        open_speakers = [s for s in speakers if s not in roles]
        if open_speakers:
            by_speaker = {s: [u for u in transcript.utterances if u.speaker == s] for s in speakers}
            best = max(
                open_speakers, key=lambda s: (question_score(by_speaker[s]), -speakers.index(s))
            )
            roles[best] = ("clinician", "inferred")
    inferred = any(src == "inferred" for _, src in roles.values())
    remaining = [s for s in speakers if s not in roles]
    given_clients = [s for s, (r, _) in roles.items() if r == "client"]
    if len(remaining) + len(given_clients) > 1 and remaining:
        letter = ord("a")
        for s in speakers:
            if s in remaining or s in given_clients:
                src = roles.get(s, ("", "inferred" if inferred else "name"))[1]
                roles[s] = (f"client_{chr(letter)}", src)
                letter += 1
    else:
        for s in remaining:
            roles[s] = ("client", "inferred") if len(speakers) >= 2 else ("unknown", "unknown")
    return transcript.with_utterances(
        [
            replace(u, role=roles[u.speaker][0], role_source=roles[u.speaker][1])
            for u in transcript.utterances
        ]
    )


def client_roles(transcript: Transcript) -> list[str]:
    """The client roles present, in order of first appearance."""
    seen: dict[str, None] = {}
    for u in transcript.utterances:
        if u.role == "client" or u.role.startswith("client_"):
            seen.setdefault(u.role, None)
    return list(seen)
