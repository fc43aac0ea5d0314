"""Decode an uploaded recording (WAV, MP3, M4A, WebM/Opus, OGG, …) to 16 kHz float32 with PyAV.

A stereo file whose channels each carry one speaker (a two-microphone recorder, a
telehealth call recorded as local/remote) is kept channel by channel; any other file is
mixed down to mono.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hearth.errors import Invalid

SAMPLE_RATE = 16_000
_FRAME = 480  # 30 ms at 16 kHz: the window of the channel-separation test


class AudioUnreadable(Invalid):
    """The file is missing, is not audio, or holds no sound (422)."""

    code = "audio_unreadable"


@dataclass(frozen=True)
class DecodedAudio:
    """Mono samples at 16 kHz, and each channel when one speaker sits on each."""

    samples: np.ndarray
    channels: tuple[np.ndarray, ...] = ()
    source: str = ""

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    @property
    def channel_mode(self) -> bool:
        """True when the channels are transcribed one by one (one speaker per channel)."""
        return len(self.channels) >= 2


def decode(path: Path | str, *, channel_mode: bool | None = None) -> DecodedAudio:
    """Read any audio file PyAV understands; `channel_mode` None detects it, False mixes down."""
    import av

    path = Path(path)
    name = path.name or str(path)
    if not path.is_file():
        raise AudioUnreadable(f"{name}: no such audio file", where=str(path))
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AudioUnreadable(f"{name}: the file holds no audio stream", where=str(path))
            stream = container.streams.audio[0]
            stereo = (stream.channels or 1) == 2
            resampler = av.AudioResampler(
                format="fltp", layout="stereo" if stereo else "mono", rate=SAMPLE_RATE
            )
            # the container's duration sizes the buffer, so a long file is not held twice
            expected = int((container.duration or 0) / 1_000_000 * SAMPLE_RATE) + SAMPLE_RATE
            buffer = _Buffer(2 if stereo else 1, expected)
            for frame in container.decode(stream):
                frame.pts = None
                for f in resampler.resample(frame):
                    buffer.add(f.to_ndarray())
            for f in resampler.resample(None):
                buffer.add(f.to_ndarray())
    except AudioUnreadable:
        raise
    except (av.FFmpegError, OSError, ValueError) as e:
        reason = getattr(e, "strerror", None) or str(e) or type(e).__name__
        raise AudioUnreadable(
            f"{name}: not a readable audio file ({reason})", where=str(path)
        ) from e
    if buffer.size == 0:
        raise AudioUnreadable(f"{name}: the file holds no audio samples", where=str(path))
    return from_channels(buffer.samples(), channel_mode=channel_mode, source=name)


class _Buffer:
    """A growing (channels, samples) float32 array."""

    def __init__(self, channels: int, capacity: int) -> None:
        self.data = np.zeros((channels, max(capacity, SAMPLE_RATE)), dtype=np.float32)
        self.size = 0

    def add(self, block: np.ndarray) -> None:
        n = block.shape[1]
        if self.size + n > self.data.shape[1]:
            grown = np.zeros(
                (self.data.shape[0], max(2 * self.data.shape[1], self.size + n)), dtype=np.float32
            )
            grown[:, : self.size] = self.data[:, : self.size]
            self.data = grown
        self.data[:, self.size : self.size + n] = block
        self.size += n

    def samples(self) -> np.ndarray:
        return self.data[:, : self.size]


def from_channels(
    data: np.ndarray, *, channel_mode: bool | None = None, source: str = ""
) -> DecodedAudio:
    """Build the decoded audio from a (channels, samples) or (samples,) float array at 16 kHz."""
    if data.ndim == 1:
        return DecodedAudio(np.ascontiguousarray(data, dtype=np.float32), (), source)
    if data.shape[0] == 1:
        return DecodedAudio(np.ascontiguousarray(data[0], dtype=np.float32), (), source)
    split = separate_speakers(data) if channel_mode is None else channel_mode
    mono = data.mean(axis=0, dtype=np.float32)
    if split and data.shape[0] >= 2:
        return DecodedAudio(mono, tuple(np.ascontiguousarray(c) for c in data[:2]), source)
    return DecodedAudio(mono, (), source)


def separate_speakers(data: np.ndarray, *, margin_db: float = 15.0) -> bool:
    """True when a stereo signal carries one voice per channel.

    Over the 30 ms frames where anything sounds, one channel must be at least `margin_db`
    louder than the other in 80 % of them, and each channel must lead in at least 5 %
    (a recording with one silent channel is simply mono).
    """
    if data.ndim != 2 or data.shape[0] != 2 or data.shape[1] < _FRAME:
        return False
    n = data.shape[1] // _FRAME * _FRAME
    frames = data[:, :n].reshape(2, -1, _FRAME)
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=2)) + 1e-9
    loudest = rms.max(axis=0)
    active = loudest > max(1e-3, 0.05 * float(np.percentile(loudest, 95)))
    if active.sum() < 10:
        return False
    diff = 20 * np.log10(rms[0, active] / rms[1, active])
    separated = np.abs(diff) > margin_db
    left, right = (diff > margin_db).mean(), (diff < -margin_db).mean()
    return bool(separated.mean() >= 0.8 and left >= 0.05 and right >= 0.05)
