"""The verifier: is each statement of a note supported by the transcript lines it cites?

Works for any note — drafted here, by another engine, or pasted in. A statement is
`supported`, `unsupported` or `contradicted`, with the evidence used and the reasons.
Numbers, durations, medications, other people's names and dates must appear in the cited
lines (the client's own name and pronouns come from the profile); risk polarity must match
the transcript ("denies SI" over a transcript that affirms SI is contradicted, and over one
that never assessed it is unsupported); cited ids must exist; mental-status findings need a
line that shows them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from hearth.documentation.signals.engine import extract_signals, risk_assessed
from hearth.documentation.signals.model import ALERT_STATUSES, Signal
from hearth.documentation.transcript import Transcript

DATA = Path(__file__).parent / "data"
RECORD_PREFIXES = ("profile:", "appointment:", "goal:", "measure:")
VERDICTS = ("supported", "unsupported", "contradicted")

NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "once": 1,
    "twice": 2,
    "half": 0.5,
    "a couple": 2,
}
DATE_WORDS = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|"
    r"april|june|july|august|september|october|november|december|yesterday|tomorrow|tonight|"
    r"\d{1,2}/\d{1,2}(?:/\d{2,4})?|\d{4}-\d{2}-\d{2})\b"
)
STOP = set(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "so",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "from",
        "by",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "that",
        "this",
        "these",
        "those",
        "it",
        "its",
        "it's",
        "he",
        "she",
        "they",
        "them",
        "their",
        "his",
        "her",
        "hers",
        "him",
        "himself",
        "herself",
        "themselves",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "client",
        "clinician",
        "patient",
        "session",
        "reported",
        "reports",
        "stated",
        "states",
        "said",
        "says",
        "described",
        "describes",
        "noted",
        "notes",
        "endorsed",
        "endorsed",
        "denied",
        "denies",
        "about",
        "also",
        "has",
        "have",
        "had",
        "do",
        "does",
        "did",
        "not",
        "no",
        "yes",
        "very",
        "just",
        "really",
        "than",
        "then",
        "there",
        "here",
        "when",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "how",
        "why",
        "all",
        "any",
        "some",
        "more",
        "most",
        "other",
        "such",
        "only",
        "own",
        "same",
        "can",
        "could",
        "will",
        "would",
        "should",
        "may",
        "might",
        "must",
        "shall",
        "during",
        "today",
        "this",
        "week",
    ]
)
NAME_STOP = set(
    [
        "The",
        "Client",
        "Clinician",
        "Patient",
        "Subjective",
        "Objective",
        "Assessment",
        "Plan",
        "Data",
        "Behavior",
        "Intervention",
        "Response",
        "Goals",
        "Risk",
        "Homework",
        "Next",
        "Referral",
        "Safety",
        "Session",
        "Themes",
        "Emotions",
        "When",
        "Asked",
        "If",
        "During",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "I",
        "MI",
        "DBT",
        "CBT",
        "PHQ",
        "GAD",
        "PCL",
        "SI",
        "HI",
        "AVH",
        "ER",
        "No",
        "Yes",
        "They",
        "She",
        "He",
        "It",
        "This",
        "That",
        "Dr",
        "Mr",
        "Mrs",
        "Ms",
        "Mx",
    ]
)
RISK_TERMS: dict[str, re.Pattern[str]] = {
    "suicidal_ideation": re.compile(
        r"\b(?:suicid\w*|si\b|end(?:ing)? (?:her|his|their|my|your) (?:own )?life|"
        r"kill(?:ing)? (?:her|him|them|my|your)sel(?:f|ves)|better off dead|wish(?:es|ed)? to die|"
        r"want(?:s|ed)? to die)"
    ),
    "self_harm": re.compile(
        r"\b(?:self[- ]?harm\w*|self[- ]?injur\w*|"
        r"hurt(?:ing)? (?:her|him|them|my|your)sel(?:f|ves)|cutting|nssi)\b"
    ),
    "harm_to_others": re.compile(
        r"\b(?:homicid\w*|hi\b|harm(?:ing)? (?:to )?others|hurt(?:ing)? others|violen\w*)"
    ),
    "psychosis": re.compile(
        r"\b(?:psychos\w*|psychotic|hallucinat\w*|avh\b|delusion\w*|hearing voices)"
    ),
}
DENIAL = re.compile(r"\b(?:den(?:y|ies|ied|ying)|no|not|never|negative for|without|none|absent)\b")


@cache
def medications() -> re.Pattern[str]:
    """Medicine names from the versioned data file, as one word-bounded pattern."""
    doc = json.loads((DATA / "medications.json").read_text())
    names = sorted(doc["names"], key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b")


@cache
def mental_status_terms() -> re.Pattern[str]:
    """Mental-status phrases that need a transcript line (data file)."""
    doc = json.loads((DATA / "mental_status.json").read_text())
    return re.compile(r"\b(?:" + "|".join(doc["terms"]) + r")", re.IGNORECASE)


_OBSERVATION = re.compile(
    r"\b(?:you (?:seem|seemed|look|looked|appear|appeared|sound|sounded)|"
    r"i (?:notice|noticed|can see|see that)|"
    r"you'?re (?:smiling|crying|tearing up|shaking|fidgeting))\b",
    re.IGNORECASE,
)


def has_observations(transcript: Transcript) -> bool:
    """True when the clinician voiced an observation of the client's presentation."""
    return any(u.role == "clinician" and _OBSERVATION.search(u.text) for u in transcript.utterances)


@dataclass
class VerifyContext:
    """What a statement can rest on: the transcript, its signals and known records."""

    transcript: Transcript
    signals: list[Signal] = field(default_factory=list)
    profile: dict[str, str] = field(default_factory=dict)  # preferred_name, pronouns, legal names
    records: dict[str, str] = field(default_factory=dict)  # "goal:7" -> its text

    @classmethod
    def build(
        cls,
        transcript: Transcript,
        *,
        signals: list[Signal] | None = None,
        profile: Mapping[str, str] | None = None,
        records: Mapping[str, str] | None = None,
    ) -> VerifyContext:
        return cls(
            transcript,
            list(signals) if signals is not None else extract_signals(transcript),
            dict(profile or {}),
            dict(records or {}),
        )

    def __post_init__(self) -> None:
        self._by_id = self.transcript.by_id()
        self.whole = " ".join(u.text for u in self.transcript.utterances).lower()
        self._profile_words = {
            w.lower() for v in self.profile.values() for w in re.findall(r"[A-Za-z']+", v or "")
        }

    def line(self, ref: str) -> str | None:
        if ref in self._by_id:
            return self._by_id[ref].text
        if ref.startswith("profile:"):
            return self.profile.get(ref.removeprefix("profile:"))
        return self.records.get(ref)


@dataclass(frozen=True)
class Verdict:
    """The verifier's answer for one statement."""

    text: str
    verification: str
    evidence: tuple[str, ...]
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "verification": self.verification,
            "evidence": list(self.evidence),
            "reasons": list(self.reasons),
        }


def _stem(word: str) -> str:
    w = word.lower().strip("'")
    for suffix in ("ingly", "edly", "ing", "ies", "ied", "ed", "es", "ly", "s"):
        if len(w) > len(suffix) + 2 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def _content(text: str, extra_stop: set[str]) -> set[str]:
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", text.lower())
    return {_stem(w) for w in words if w not in STOP and w not in extra_stop and len(w) > 2}


_NUMBER = re.compile(
    r"\d+(?:\.\d+)?|\b(?:" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\b"
)


def _numbers(text: str) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    for m in _NUMBER.finditer(text.lower()):
        token = m.group(0)
        out.append((token, float(token) if token[0].isdigit() else float(NUMBER_WORDS[token])))
    return out


def _numbers_in(text: str) -> set[float]:
    return {v for _, v in _numbers(text)}


def _time_words(text: str) -> set[str]:
    return {m.group(0).lower() for m in DATE_WORDS.finditer(text.lower())}


def _names(text: str, allowed: set[str]) -> list[str]:
    out = []
    for m in re.finditer(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b", text):
        word = m.group(1)
        if word in NAME_STOP or word.lower() in allowed:
            continue
        out.append(word)
    return out


def find_support(statement: str, ctx: VerifyContext, limit: int = 3) -> list[str]:
    """Utterance ids whose words best cover an uncited statement."""
    words = _content(statement, ctx._profile_words)
    if not words:
        return []
    scored = []
    for u in ctx.transcript.utterances:
        covered = len(words & _content(u.text, set()))
        if covered:
            scored.append((covered / len(words), u.id))
    scored.sort(key=lambda x: -x[0])
    best = [uid for score, uid in scored[:limit] if score >= 0.34]
    return sorted(best, key=lambda e: int(e[1:]))


def _risk_claims(text: str) -> list[tuple[str, bool]]:
    """(risk type, denied?) claims a statement makes."""
    low = text.lower()
    out = []
    for rtype, rx in RISK_TERMS.items():
        m = rx.search(low)
        if m:
            window = low[max(0, m.start() - 60) : m.start()]
            out.append((rtype, bool(DENIAL.search(window)) or bool(re.search(r"\bdenie", low))))
    return out


def _client_risk(signals: Iterable[Signal], rtype: str) -> list[Signal]:
    return [
        s for s in signals if s.kind == "risk" and s.type == rtype and s.status != "other_person"
    ]


def verify_statement(
    text: str,
    evidence: Sequence[str],
    ctx: VerifyContext,
    *,
    kind: str | None = None,
    basis: tuple[str, ...] | None = None,
) -> Verdict:
    """Verify one statement against its cited evidence (or the best lines, when uncited)."""
    reasons: list[str] = []
    contradictions: list[str] = []
    low = text.lower()
    if kind == "absence":
        return _verify_absence(text, ctx)
    evidence = list(evidence)
    missing = [e for e in evidence if ctx.line(e) is None]
    for e in missing:
        if e.startswith(RECORD_PREFIXES):
            reasons.append(f"record {e} is not available")
        else:
            reasons.append(f"cited {e} does not exist in the transcript")
    claims = _risk_claims(text)
    if not evidence:
        evidence = find_support(text, ctx)
        for rtype, denied in claims:
            for s in _client_risk(ctx.signals, rtype):
                if (s.status == "denied") == denied:
                    evidence += [e for e in s.evidence if e not in evidence]
        if not evidence:
            reasons.append("no transcript line supports this")
    lines = [ctx.line(e) or "" for e in evidence if e not in missing]
    cited = " ".join(lines)
    cited_low = cited.lower()
    whole = ctx.whole
    profile_text = " ".join(ctx.profile.values()).lower()

    def where(fact: str) -> str:
        return "the cited lines" if fact in whole else "the transcript"

    cited_numbers = _numbers_in(cited) | _numbers_in(profile_text)
    if basis and basis[0] == "timing":
        cited_numbers |= {float(b) for b in basis[1:]}
    for token, value in _numbers(text):
        if value not in cited_numbers:
            reasons.append(f"number '{token}' not in {where(token)}")
    meds = medications()
    cited_meds = set(meds.findall(cited_low))
    for med in dict.fromkeys(meds.findall(low)):
        if med not in cited_meds:
            reasons.append(f"medication '{med}' not in {where(med)}")
    for word in sorted(_time_words(text) - _time_words(cited)):
        reasons.append(f"date or day '{word}' not in {where(word)}")
    allowed = ctx._profile_words | {w.lower() for w in re.findall(r"[A-Za-z]+", cited)}
    for name in _names(text, allowed):
        reasons.append(f"name '{name}' not in {where(name.lower())}")
    msx = mental_status_terms()
    for m in msx.finditer(text):
        if not msx.search(cited):
            reasons.append(f"mental-status finding '{m.group(0)}' has no transcript line")
            break
    for rtype, denied in claims:
        client = _client_risk(ctx.signals, rtype)
        alerting = [s for s in client if s.status in ALERT_STATUSES]
        label = rtype.replace("_", " ")
        if denied and alerting:
            contradictions.append(
                f"the transcript affirms {label} at {', '.join(alerting[0].evidence)}"
            )
        elif denied and not any(s.status == "denied" for s in client):
            reasons.append(f"no transcript line shows {label} was asked about and denied")
        elif not denied and client and not alerting and all(s.status == "denied" for s in client):
            contradictions.append(f"the client denied {label} at {', '.join(client[0].evidence)}")
    if basis and basis[0] == "signal" and evidence:
        kind_, type_ = basis[1], basis[2]
        if not any(
            s.kind == kind_ and s.type == type_ and set(s.evidence) & set(evidence)
            for s in ctx.signals
        ):
            reasons.append(f"no {type_.replace('_', ' ')} in the cited lines")
    elif evidence and lines and not claims and not (basis and basis[0] == "timing"):
        # a timing statement rests on the cited lines' timestamps, not on their words
        words = _content(text, ctx._profile_words)
        if words:
            covered = len(words & (_content(cited, set()) | _content(profile_text, set())))
            if covered / len(words) < 0.34:
                reasons.append("the cited lines do not say this")
    verdict = "contradicted" if contradictions else "unsupported" if reasons else "supported"
    return Verdict(text, verdict, tuple(evidence), tuple(contradictions + reasons))


def _verify_absence(text: str, ctx: VerifyContext) -> Verdict:
    low = text.lower()
    if "risk" in low:
        if risk_assessed(ctx.signals):
            ids = next(
                s.evidence for s in ctx.signals if s.kind == "risk" and s.status != "other_person"
            )
            return Verdict(text, "contradicted", (), (f"risk was discussed at {', '.join(ids)}",))
        return Verdict(
            text, "supported", (), ("no risk signal about the client in the transcript",)
        )
    if "observation" in low or "mental-status" in low or "mental status" in low:
        if has_observations(ctx.transcript):
            return Verdict(text, "contradicted", (), ("the clinician voiced an observation",))
        return Verdict(text, "supported", (), ("no clinician observation in the transcript",))
    if "goal" in low:
        if any(k.startswith("goal:") for k in ctx.records):
            return Verdict(text, "contradicted", (), ("a treatment-plan goal is linked",))
        return Verdict(text, "supported", (), ("no treatment-plan goal was given",))
    return Verdict(text, "unsupported", (), ("an absence the verifier cannot check",))


_CITATION = re.compile(
    r"\[((?:u\d+|(?:profile|appointment|goal|measure):[\w.-]+)(?:\s*,\s*(?:u\d+|(?:profile|appointment|goal|measure):[\w.-]+))*)\]"
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"\u201c(])")


def statements_from_text(note: str) -> list[tuple[str, list[str]]]:
    """Split a plain-text note into statements with their [u12]-style citations."""
    out = []
    for raw_line in note.splitlines():
        line = raw_line.strip().lstrip("-*\u2022 ").strip()
        if not line or (line.endswith(":") and len(line.split()) <= 4):
            continue
        for sentence in _SENTENCE.split(line):
            ids: list[str] = []
            for m in _CITATION.finditer(sentence):
                ids += [x.strip() for x in m.group(1).split(",")]
            clean = re.sub(r"\s+([.,;:!?])", r"\1", _CITATION.sub("", sentence)).strip()
            if len(clean.split()) >= 2:
                out.append((clean, ids))
    return out


def verify_note(note: str | Mapping[str, Any], ctx: VerifyContext) -> dict[str, Any]:
    """Verify a plain-text note or a `hearth draft` JSON document (shape in CLI.md)."""
    verdicts: list[Verdict] = []
    if isinstance(note, Mapping):
        for section in note.get("sections", []):
            for st in section.get("statements", []):
                verdicts.append(
                    verify_statement(
                        st.get("text", ""), st.get("evidence", []), ctx, kind=st.get("kind")
                    )
                )
    else:
        for text, ids in statements_from_text(note):
            kind = (
                "absence"
                if re.search(
                    r"\bnot assessed\b|\bno .*observations? (?:were|was) recorded", text, re.I
                )
                else None
            )
            verdicts.append(verify_statement(text, ids, ctx, kind=kind))
    summary = {v: sum(1 for x in verdicts if x.verification == v) for v in VERDICTS}
    return {"statements": [v.to_json() for v in verdicts], "summary": summary}
