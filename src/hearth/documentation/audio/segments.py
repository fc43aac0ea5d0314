"""What a speech recogniser returns, as plain values (pure)."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class AsrWord:
    """One recognised word; `text` keeps the recogniser's leading space."""

    text: str
    start: float
    end: float
    probability: float

    @property
    def mid(self) -> float:
        return (self.start + self.end) / 2


@dataclass(frozen=True)
class AsrSegment:
    """A recognised stretch of speech with the decoder's confidence figures."""

    start: float
    end: float
    text: str
    words: tuple[AsrWord, ...] = ()
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 1.0
    speaker: str | None = None

    def with_words(self, words: tuple[AsrWord, ...] | list[AsrWord]) -> AsrSegment:
        """The same segment holding only `words` (text and times follow the words)."""
        words = tuple(words)
        if not words:
            return replace(self, words=(), text="")
        return replace(
            self,
            words=words,
            text=join_words(words),
            start=words[0].start,
            end=words[-1].end,
        )


def join_words(words: tuple[AsrWord, ...] | list[AsrWord]) -> str:
    """The text of words as the recogniser spelled them (leading spaces separate words)."""
    out = ""
    for w in words:
        piece = w.text
        if out and not piece.startswith(" ") and piece[:1] not in ",.?!;:'":
            piece = " " + piece
        out += piece
    return " ".join(out.split())
