"""Where people speak: Silero VAD (bundled in faster-whisper) tuned for dialogue.

The pipeline runs the VAD once, hands the recogniser only the speech (joined), and maps
the recogniser's times back to the recording with `SpeechMap`. faster-whisper's own
`vad_filter=True` does the same with the same model, but joins the chunks one by one
(quadratic in the number of turns: minutes on a one-hour session) and keeps the regions
to itself, while the guards need them.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

import numpy as np

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class Region:
    """A stretch of speech in the recording, in samples at 16 kHz."""

    start: int
    end: int

    @property
    def start_s(self) -> float:
        return self.start / SAMPLE_RATE

    @property
    def end_s(self) -> float:
        return self.end / SAMPLE_RATE


@dataclass(frozen=True)
class VadSettings:
    """Silero options for dialogue: turns are separated by pauses well under the 2 s default."""

    threshold: float = 0.5
    min_speech_ms: int = 150
    min_silence_ms: int = 400
    speech_pad_ms: int = 200

    def options(self) -> Any:
        from faster_whisper.vad import VadOptions

        return VadOptions(
            threshold=self.threshold,
            min_speech_duration_ms=self.min_speech_ms,
            min_silence_duration_ms=self.min_silence_ms,
            speech_pad_ms=self.speech_pad_ms,
        )


DIALOGUE = VadSettings()


def speech_regions(samples: np.ndarray, settings: VadSettings = DIALOGUE) -> list[Region]:
    """The speech regions of 16 kHz mono samples, in order."""
    from faster_whisper.vad import get_speech_timestamps

    if len(samples) < SAMPLE_RATE // 10:
        return []
    chunks = get_speech_timestamps(samples, settings.options(), sampling_rate=SAMPLE_RATE)
    return [Region(int(c["start"]), int(c["end"])) for c in chunks]


class SpeechMap:
    """Maps a time in the joined speech back to the recording (pure)."""

    def __init__(self, regions: list[Region]) -> None:
        self.regions = regions
        self._joined_ends: list[int] = []
        total = 0
        for r in regions:
            total += r.end - r.start
            self._joined_ends.append(total)

    @property
    def speech_samples(self) -> int:
        return self._joined_ends[-1] if self._joined_ends else 0

    def region_index(self, joined_time: float) -> int:
        """Index of the region a joined-speech time falls in."""
        sample = round(joined_time * SAMPLE_RATE)
        i = bisect.bisect_right(self._joined_ends, sample)
        return min(i, len(self.regions) - 1)

    def to_original(self, joined_time: float, index: int | None = None) -> float:
        """The recording time of a joined-speech time, inside region `index` when given."""
        if not self.regions:
            return joined_time
        i = self.region_index(joined_time) if index is None else index
        region = self.regions[i]
        joined_start = self._joined_ends[i] - (region.end - region.start)
        sample = region.start + round(joined_time * SAMPLE_RATE) - joined_start
        return min(max(sample, region.start), region.end) / SAMPLE_RATE

    def join(self, samples: np.ndarray) -> np.ndarray:
        """The speech of `samples`, regions joined end to end (one copy)."""
        if not self.regions:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate([samples[r.start : r.end] for r in self.regions])
