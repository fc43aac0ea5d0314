"""Guards against Whisper's inventions over silence and long pauses (pure).

Whisper, asked to transcribe near-silence, writes plausible text ("Thank you.", "Thanks
for watching!") or loops on a phrase. Before anything reaches a transcript:
- segments the decoder itself thought were no speech (a high no-speech probability with a
  low average log probability), or that compress too well (a loop), are dropped;
- words that fall outside the speech the VAD found are dropped;
- a phrase repeated three or more times in a row (a single word: four) is kept once;
- words recognised with low probability are flagged for the clinician's review.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hearth.documentation.audio.segments import AsrSegment, AsrWord


@dataclass(frozen=True)
class GuardSettings:
    """Thresholds of the guards (Whisper's own defaults where it has one)."""

    no_speech_prob: float = 0.6
    min_avg_logprob: float = -1.0
    # near-certain "no speech" needs less doubt about the words (tiny.en says "you" over
    # digital silence with no-speech 0.95 and log probability -0.92)
    sure_no_speech_prob: float = 0.9
    sure_min_avg_logprob: float = -0.5
    max_compression_ratio: float = 2.4
    speech_tolerance: float = 0.3  # seconds a word may stray outside a VAD region
    min_repeats: int = 3  # a phrase of two or more words repeated this often in a row
    min_word_repeats: int = 4  # a single word ("no, no, no" is speech; four is a loop)
    max_phrase_words: int = 12
    low_confidence: float = 0.5  # word probability under this is flagged for review


GUARDS = GuardSettings()


@dataclass
class GuardReport:
    """What the guards removed or flagged."""

    dropped_segments: int = 0
    dropped_words_outside_speech: int = 0
    collapsed_repeats: int = 0
    low_confidence_words: int = 0
    dropped_texts: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "dropped_segments": self.dropped_segments,
            "dropped_words_outside_speech": self.dropped_words_outside_speech,
            "collapsed_repeats": self.collapsed_repeats,
            "low_confidence_words": self.low_confidence_words,
        }


def is_no_speech(segment: AsrSegment, settings: GuardSettings = GUARDS) -> bool:
    """The decoder's own signs of an invention: no speech heard, or a looping output."""
    silent = (
        segment.no_speech_prob > settings.no_speech_prob
        and segment.avg_logprob < settings.min_avg_logprob
    ) or (
        segment.no_speech_prob > settings.sure_no_speech_prob
        and segment.avg_logprob < settings.sure_min_avg_logprob
    )
    return silent or segment.compression_ratio > settings.max_compression_ratio


def drop_no_speech(
    segments: Sequence[AsrSegment],
    settings: GuardSettings = GUARDS,
    report: GuardReport | None = None,
) -> list[AsrSegment]:
    """Drop segments the decoder marks as no speech or as a loop."""
    kept = []
    for s in segments:
        if is_no_speech(s, settings):
            if report is not None:
                report.dropped_segments += 1
                report.dropped_texts.append(s.text)
        else:
            kept.append(s)
    return kept


def inside_speech(
    segments: Sequence[AsrSegment],
    regions: Sequence[tuple[float, float]],
    settings: GuardSettings = GUARDS,
    report: GuardReport | None = None,
) -> list[AsrSegment]:
    """Keep only words (or, without word times, segments) that lie in VAD speech regions."""
    tol = settings.speech_tolerance
    spans = sorted(regions)

    def speech_at(t: float) -> bool:
        return any(a - tol <= t <= b + tol for a, b in spans)

    def overlap(a: float, b: float) -> float:
        return sum(max(0.0, min(b, y) - max(a, x)) for x, y in spans)

    kept: list[AsrSegment] = []
    for s in segments:
        if s.words:
            words = [w for w in s.words if speech_at(w.mid)]
            if report is not None:
                report.dropped_words_outside_speech += len(s.words) - len(words)
            if words:
                kept.append(s.with_words(words))
            elif report is not None:
                report.dropped_segments += 1
                report.dropped_texts.append(s.text)
        elif s.end > s.start and overlap(s.start - tol, s.end + tol) >= 0.5 * (s.end - s.start):
            kept.append(s)
        elif report is not None:
            report.dropped_segments += 1
            report.dropped_texts.append(s.text)
    return kept


_TOKEN = re.compile(r"[^\w']+")


def _norm(text: str) -> str:
    return _TOKEN.sub("", text.lower())


def repeated_runs(
    tokens: Sequence[str], settings: GuardSettings = GUARDS
) -> list[tuple[int, int, int]]:
    """Runs of a phrase repeated in a row: (start, phrase length, repeats), left to right."""
    runs = []
    i, n = 0, len(tokens)
    while i < n:
        found = None
        for size in range(1, min(settings.max_phrase_words, (n - i) // 2) + 1):
            need = settings.min_word_repeats if size == 1 else settings.min_repeats
            if n - i < size * need:
                break
            phrase = tokens[i : i + size]
            if not all(phrase):
                continue
            reps = 1
            while tokens[i + reps * size : i + (reps + 1) * size] == phrase:
                reps += 1
            if reps >= need:
                found = (i, size, reps)
                break
        if found:
            runs.append(found)
            i += found[1] * found[2]
        else:
            i += 1
    return runs


def collapse_repeats(
    segments: Sequence[AsrSegment],
    settings: GuardSettings = GUARDS,
    report: GuardReport | None = None,
) -> list[AsrSegment]:
    """Keep one copy of a phrase repeated in a row, across segment boundaries too."""
    if any(not s.words for s in segments):
        # Without word times, collapse whole repeated segments only.
        texts = [_norm(s.text) for s in segments]
        drop: set[int] = set()
        for start, size, reps in repeated_runs(texts, settings):
            drop.update(range(start + size, start + size * reps))
        if report is not None:
            report.collapsed_repeats += len(drop)
        return [s for i, s in enumerate(segments) if i not in drop]
    flat: list[tuple[int, AsrWord]] = [(i, w) for i, s in enumerate(segments) for w in s.words]
    tokens = [_norm(w.text) for _, w in flat]
    dropped: set[int] = set()
    for start, size, reps in repeated_runs(tokens, settings):
        dropped.update(range(start + size, start + size * reps))
        if report is not None:
            report.collapsed_repeats += reps - 1
    if not dropped:
        return list(segments)
    by_segment: dict[int, list[AsrWord]] = {}
    for k, (i, w) in enumerate(flat):
        if k not in dropped:
            by_segment.setdefault(i, []).append(w)
    return [s.with_words(by_segment[i]) for i, s in enumerate(segments) if i in by_segment]


def low_confidence(word: AsrWord, settings: GuardSettings = GUARDS) -> bool:
    """A word recognised with a probability under the review threshold."""
    return word.probability < settings.low_confidence


def apply_guards(
    segments: Sequence[AsrSegment],
    regions: Sequence[tuple[float, float]] | None,
    settings: GuardSettings = GUARDS,
) -> tuple[list[AsrSegment], GuardReport]:
    """Every guard in order; `regions` None skips the VAD check (no VAD was run)."""
    report = GuardReport()
    kept = drop_no_speech(segments, settings, report)
    if regions is not None:
        kept = inside_speech(kept, regions, settings, report)
    kept = collapse_repeats(kept, settings, report)
    kept = [s for s in kept if s.text.strip()]
    report.low_confidence_words = sum(low_confidence(w, settings) for s in kept for w in s.words)
    return kept, report
