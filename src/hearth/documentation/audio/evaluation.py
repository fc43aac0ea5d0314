"""Scoring a transcript against a synthetic dialogue: word error rate and speaker accuracy.

Used by the tests and `bench/asr_pipeline.py`; needs `jiwer` (a development dependency).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from hearth.documentation.audio.synthetic import Dialogue
from hearth.documentation.transcript import Transcript


def normalise(text: str) -> str:
    """Lower case, no punctuation, single spaces ("Okay," and "okay" are one word)."""
    import jiwer

    t = jiwer.Compose(
        [
            jiwer.ToLowerCase(),
            jiwer.SubstituteWords({"ok": "okay"}),
            jiwer.RemovePunctuation(),  # type: ignore[no-untyped-call]
            jiwer.RemoveMultipleSpaces(),
            jiwer.Strip(),
        ]
    )
    return str(t(text))


def word_error_rate(reference: str, hypothesis: str) -> float:
    """WER of normalised texts (an empty hypothesis against speech is 1.0)."""
    import jiwer

    ref, hyp = normalise(reference), normalise(hypothesis)
    if not hyp:
        return 1.0 if ref else 0.0
    return float(jiwer.wer(ref, hyp))


@dataclass(frozen=True)
class SpeakerScore:
    """Share of timed words given to the right voice, clusters mapped to voices by majority."""

    accuracy: float
    words: int
    mapping: dict[str, int]


def speaker_accuracy(transcript: Transcript, truth: Dialogue) -> SpeakerScore:
    """Each word's speaker label against the voice speaking at the word's midpoint."""
    pairs: list[tuple[str, int | None]] = []
    for u in transcript.utterances:
        for w in u.words:
            pairs.append((u.speaker, truth.speaker_at((w["start"] + w["end"]) / 2)))
    if not pairs:
        return SpeakerScore(0.0, 0, {})
    votes: dict[str, Counter[int]] = {}
    for label, voice in pairs:
        if voice is not None:
            votes.setdefault(label, Counter())[voice] += 1
    mapping = {label: c.most_common(1)[0][0] for label, c in votes.items()}
    right = sum(1 for label, voice in pairs if voice is not None and mapping.get(label) == voice)
    return SpeakerScore(right / len(pairs), len(pairs), mapping)


def transcript_text(transcript: Transcript) -> str:
    """All utterance texts in order."""
    return " ".join(u.text for u in transcript.utterances)
