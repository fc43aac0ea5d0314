"""Transcript importers: WebVTT (Zoom, Teams, Meet), SRT, "Name: text" lines, tags, Hearth JSON.

Ids follow shared/CLI.md: one utterance per VTT/SRT cue (cue boundaries always win) and, in
plain text, one per speaker line, where a line without a speaker prefix continues the previous
utterance. Consecutive utterances of one speaker are never merged. A malformed file raises
TranscriptError naming the line; nothing is returned half-parsed.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from hearth.documentation.transcript import Transcript, Utterance, valid_role
from hearth.errors import Invalid

FORMATS = ("vtt", "srt", "text", "json")


class TranscriptError(Invalid):
    """A transcript file is malformed; the message names the file and line."""

    code = "invalid_transcript"

    def __init__(self, message: str, *, line: int | None = None, source: str = "") -> None:
        where = f"{source + ', ' if source else ''}line {line}" if line else source or None
        super().__init__(f"{where}: {message}" if where else message, where=where)
        self.line = line


_VTT_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_VTT_TIME}\s+-->\s+{_VTT_TIME}(?:\s+.*)?$")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>", re.IGNORECASE)
_TAGS = re.compile(r"</?[^>]+>")
_TAG_LINE = re.compile(r"^\s*\[([A-Za-z][\w -]{0,30})\]\s*(.*)$")
_NAME_PREFIX = re.compile(r"^\s*([^\s:][^:]{0,40}?)\s*:\s+(.*)$")
_PLAIN_TIME = re.compile(r"^\s*\[?((?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d+)?)\]?\s+(.*)$")
_TITLES = {"dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "mx", "mx.", "prof", "prof."}

CLINICIAN_TAGS = {
    "doctor",
    "clinician",
    "therapist",
    "provider",
    "counselor",
    "counsellor",
    "psychologist",
    "psychiatrist",
    "interviewer",
}
CLIENT_TAGS = {"patient", "client"}


def _seconds(h: str | None, m: str, s: str, frac: str) -> float:
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(frac.ljust(3, "0")[:3]) / 1000


def _parse_timing(line: str, lineno: int, source: str) -> tuple[float, float]:
    m = _TIMING.match(line)
    if not m:
        raise TranscriptError(
            f"timing line {line.strip()!r} is not valid", line=lineno, source=source
        )
    g = m.groups()
    start, end = _seconds(*g[0:4]), _seconds(*g[4:8])
    if int(g[2]) >= 60 or int(g[6]) >= 60 or (g[0] is not None and int(g[1]) >= 60):
        raise TranscriptError(
            f"timing line {line.strip()!r} has an impossible time", line=lineno, source=source
        )
    if end < start:
        raise TranscriptError(
            f"cue ends ({end:.3f} s) before it starts ({start:.3f} s)", line=lineno, source=source
        )
    return start, end


def _split_speaker(text: str, *, strict: bool) -> tuple[str | None, str]:
    """Split a "Name: text" prefix; strict mode only accepts name-like labels."""
    m = _NAME_PREFIX.match(text)
    if not m:
        return None, text.strip()
    label, rest = m.group(1).strip(), m.group(2).strip()
    if not any(ch.isalpha() for ch in label) or (strict and not _name_like(label)):
        return None, text.strip()
    return label, rest


def _name_like(label: str) -> bool:
    words = label.replace(",", " ").split()
    if not 1 <= len(words) <= 4:
        return False
    return all(w[0].isupper() or w[0].isdigit() or w.lower() in _TITLES for w in words)


def _blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Groups of non-blank lines with the 1-based number of their first line."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for i, line in enumerate(lines, 1):
        if line.strip():
            if not current:
                start = i
            current.append(line.rstrip("\r"))
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def parse_vtt(text: str, source: str = "") -> Transcript:
    """WebVTT with `<v Name>` voice tags or "Name:" prefixes (Zoom, Teams, Google Meet)."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or not lines[0].startswith("WEBVTT"):
        raise TranscriptError("a WebVTT file must start with 'WEBVTT'", line=1, source=source)
    cues: list[tuple[int, str | None, float, float, str]] = []
    for first, block in _blocks(lines)[1:] if lines[0].strip() else _blocks(lines):
        if block[0].startswith("WEBVTT"):
            continue
        if block[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        idx = 0 if "-->" in block[0] else 1
        if idx >= len(block) or "-->" not in block[idx]:
            raise TranscriptError(
                "cue has no timing line ('00:00:01.000 --> 00:00:04.000')",
                line=first,
                source=source,
            )
        start, end = _parse_timing(block[idx], first + idx, source)
        payload = " ".join(block[idx + 1 :])
        voice = _VOICE.search(payload)
        speaker = voice.group(1).strip() if voice else None
        body = re.sub(r"\s+", " ", _TAGS.sub("", payload)).strip()
        if speaker is None:
            speaker, body = _split_speaker(body, strict=False)
        cues.append((first, speaker, start, end, body))
    if not cues:
        raise TranscriptError("the file holds no cues", source=source)
    return _build(cues, "vtt")


def parse_srt(text: str, source: str = "") -> Transcript:
    """SubRip: numbered cues with "00:00:01,000 --> 00:00:04,000" timings."""
    lines = text.lstrip("\ufeff").splitlines()
    cues: list[tuple[int, str | None, float, float, str]] = []
    for first, block in _blocks(lines):
        idx = 1 if block[0].strip().isdigit() else 0
        if idx >= len(block) or "-->" not in block[idx]:
            raise TranscriptError(
                "cue has no timing line ('00:00:01,000 --> 00:00:04,000')",
                line=first,
                source=source,
            )
        start, end = _parse_timing(block[idx], first + idx, source)
        body = re.sub(r"\s+", " ", _TAGS.sub("", " ".join(block[idx + 1 :]))).strip()
        speaker, body = _split_speaker(body, strict=False)
        cues.append((first, speaker, start, end, body))
    if not cues:
        raise TranscriptError("the file holds no cues", source=source)
    return _build(cues, "srt")


def _build(cues: list[tuple[int, str | None, float, float, str]], fmt: str) -> Transcript:
    utts = []
    previous = "Unknown speaker"
    for n, (line, speaker, start, end, body) in enumerate(cues, 1):
        label = speaker or previous
        previous = label
        role, source = _tag_role(label)
        utts.append(Utterance(f"u{n}", label, role, start, end, body, source, line))
    return Transcript(tuple(utts), fmt)


def _tag_role(label: str) -> tuple[str, str]:
    low = label.strip().lower()
    if low in CLINICIAN_TAGS:
        return "clinician", "tag"
    if low in CLIENT_TAGS:
        return "client", "tag"
    return "unknown", "unknown"


def _clock(value: str) -> float:
    """Seconds from "hh:mm:ss(.fff)" or "mm:ss(.fff)"."""
    parts = value.replace(",", ".").split(":")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return seconds


def parse_text(text: str, source: str = "") -> Transcript:
    """'Name: text' lines or '[doctor]'/'[patient]' tags; unprefixed lines continue a turn."""
    raw = text.lstrip("\ufeff").splitlines()
    # A "Label:" prefix counts as a speaker when it looks like a name or recurs.
    counts = Counter(
        lab for line in raw if (lab := _split_speaker(line, strict=False)[0]) is not None
    )
    turns: list[list[Any]] = []  # [line, speaker, start, text, tagged]
    for lineno, line in enumerate(raw, 1):
        if not line.strip():
            continue
        start: float | None = None
        body = line
        tm = _PLAIN_TIME.match(body)
        if tm:
            start = _clock(tm.group(1))
            body = tm.group(2)
        tag = _TAG_LINE.match(body)
        if tag:
            turns.append([lineno, tag.group(1).strip(), start, tag.group(2).strip(), True])
            continue
        label, rest = _split_speaker(body, strict=False)
        if label is not None and (_name_like(label) or counts[label] >= 2):
            turns.append([lineno, label, start, rest, False])
        elif turns:
            turns[-1][3] = (turns[-1][3] + " " + body.strip()).strip()
        else:
            raise TranscriptError(
                "the first line has no speaker ('Name: text' or '[doctor] text' expected)",
                line=lineno,
                source=source,
            )
    if not turns:
        raise TranscriptError("the file holds no utterances", source=source)
    utts = []
    for n, (lineno, label, start, body, tagged) in enumerate(turns, 1):
        role, rsrc = _tag_role(label) if tagged else ("unknown", "unknown")
        utts.append(Utterance(f"u{n}", label, role, start, None, body, rsrc, lineno))
    return Transcript(tuple(utts), "text")


def parse_json(text: str, source: str = "") -> Transcript:
    """Hearth JSON: a document with an `utterances` list (what `hearth transcribe` prints)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise TranscriptError(f"not valid JSON: {e.msg}", line=e.lineno, source=source) from e
    items = doc.get("utterances") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not items:
        raise TranscriptError(
            "a Hearth JSON transcript needs a non-empty 'utterances' list", source=source
        )
    utts = []
    for i, item in enumerate(items):
        where = f"utterances[{i}]"
        if not isinstance(item, dict):
            raise TranscriptError(f"{where} is not an object", source=source)
        speaker, body = item.get("speaker"), item.get("text")
        if not isinstance(speaker, str) or not speaker.strip():
            raise TranscriptError(f"{where}.speaker is missing", source=source)
        if not isinstance(body, str):
            raise TranscriptError(f"{where}.text is missing", source=source)
        times = []
        for key in ("start", "end"):
            v = item.get(key)
            if v is not None and (not isinstance(v, int | float) or isinstance(v, bool) or v < 0):
                raise TranscriptError(f"{where}.{key} must be seconds or null", source=source)
            times.append(float(v) if v is not None else None)
        if times[0] is not None and times[1] is not None and times[1] < times[0]:
            raise TranscriptError(f"{where} ends before it starts", source=source)
        role = item.get("role")
        if role is not None and (not isinstance(role, str) or not valid_role(role)):
            raise TranscriptError(f"{where}.role {role!r} is not a known role", source=source)
        if role in (None, "unknown"):
            role, rsrc = _tag_role(speaker)
        else:
            rsrc = str(item.get("role_source") or "given")
        words = tuple(w for w in item.get("words") or () if isinstance(w, dict))
        utts.append(
            Utterance(
                f"u{i + 1}",
                speaker.strip(),
                role,
                times[0],
                times[1],
                body.strip(),
                rsrc,
                None,
                words,
            )
        )
    return Transcript(tuple(utts), "json")


def detect_format(text: str, filename: str | None = None) -> str:
    """Guess the format from the file name, then from the content."""
    suffix = Path(filename).suffix.lower() if filename else ""
    if suffix in (".vtt", ".srt", ".json"):
        return suffix[1:]
    head = text.lstrip("\ufeff").lstrip()
    if head.startswith("WEBVTT"):
        return "vtt"
    if head.startswith("{"):
        return "json"
    lines = [ln for ln in head.splitlines() if ln.strip()][:2]
    if len(lines) == 2 and lines[0].strip().isdigit() and "-->" in lines[1]:
        return "srt"
    return "text"


def parse(text: str, *, filename: str | None = None, fmt: str | None = None) -> Transcript:
    """Parse a transcript in any supported format."""
    fmt = fmt or detect_format(text, filename)
    source = Path(filename).name if filename else ""
    parser = {"vtt": parse_vtt, "srt": parse_srt, "text": parse_text, "json": parse_json}.get(fmt)
    if parser is None:
        raise TranscriptError(f"unknown transcript format {fmt!r}; use one of {', '.join(FORMATS)}")
    return parser(text, source)


def load(path: Path) -> Transcript:
    """Read and parse a transcript file (UTF-8)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise TranscriptError(f"not UTF-8 text (byte {e.start})", source=path.name) from e
    except OSError as e:
        raise TranscriptError(f"cannot read the file: {e.strerror}", source=str(path)) from e
    return parse(text, filename=str(path))
