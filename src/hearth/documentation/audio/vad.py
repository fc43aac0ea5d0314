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


def speech_regions(
    samples: np.ndarray, settings: VadSettings = DIALOGUE, *, block_seconds: float = 300.0
) -> list[Region]:
    """The speech regions of 16 kHz mono samples, in order.

    Long recordings go through the VAD in blocks (its memory grows with the input); a
    region cut by a block edge is joined again.
    """
    from faster_whisper.vad import get_speech_timestamps

    if len(samples) < SAMPLE_RATE // 10:
        return []
    options = settings.options()
    block = int(block_seconds * SAMPLE_RATE)
    pad = settings.speech_pad_ms * SAMPLE_RATE // 1000
    regions: list[Region] = []
    for offset in range(0, len(samples), block):
        part = samples[offset : offset + block]
        if len(part) < SAMPLE_RATE // 10:
            break
        for c in get_speech_timestamps(part, options, sampling_rate=SAMPLE_RATE):
            r = Region(offset + int(c["start"]), offset + int(c["end"]))
            if (
                regions
                and offset > 0
                and regions[-1].end >= offset - pad
                and r.start <= offset + pad
            ):
                regions[-1] = Region(regions[-1].start, r.end)
            else:
                regions.append(r)
    return regions


def batches(regions: list[Region], max_seconds: float = 300.0) -> list[list[Region]]:
    """Consecutive regions grouped so each group's speech lasts at most `max_seconds`.

    The recogniser's memory grows with the audio it is handed at once; groups keep a
    one-hour session to the memory of a five-minute one. A longer single region is a group
    of its own.
    """
    limit = int(max_seconds * SAMPLE_RATE)
    out: list[list[Region]] = []
    size = 0
    for r in regions:
        length = r.end - r.start
        if not out or size + length > limit:
            out.append([])
            size = 0
        out[-1].append(r)
        size += length
    return out


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
