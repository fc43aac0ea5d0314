"""A transcribed recording as Hearth JSON (shared/CLI.md), WebVTT or plain text (pure)."""

from __future__ import annotations

from typing import Any

from hearth.documentation.transcript import Transcript


def to_document(transcript: Transcript) -> dict[str, Any]:
    """The `hearth transcribe --format json` document; `hearth signals` reads it back."""
    meta = transcript.metadata
    utterances = []
    for u in transcript.utterances:
        item = u.to_json()
        item["words"] = list(u.words)
        item["low_confidence_words"] = sum(1 for w in u.words if w.get("review"))
        utterances.append(item)
    return {
        "duration": meta.get("duration"),
        "model": meta.get("model"),
        "device": meta.get("device"),
        "channel_mode": meta.get("channel_mode", False),
        "speakers": meta.get("speakers", []),
        "utterances": utterances,
        "guards": meta.get("guards", {}),
        "timing": meta.get("timing", {}),
    }


def _clock(seconds: float | None) -> str:
    ms = round((seconds or 0.0) * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _label(speaker: str, role: str) -> str:
    """ "Clinician" and "Client" read back as those roles (importers.py); others keep S1, S2."""
    return {"clinician": "Clinician", "client": "Client"}.get(role, speaker)


def to_vtt(transcript: Transcript) -> str:
    """WebVTT with one cue per utterance and a `<v Speaker>` voice tag."""
    lines = ["WEBVTT", ""]
    for u in transcript.utterances:
        lines += [
            u.id,
            f"{_clock(u.start)} --> {_clock(u.end)}",
            f"<v {_label(u.speaker, u.role)}>{u.text}",
            "",
        ]
    return "\n".join(lines)


def to_text(transcript: Transcript) -> str:
    """One "Speaker: text" line per utterance."""
    return "".join(f"{_label(u.speaker, u.role)}: {u.text}\n" for u in transcript.utterances)
