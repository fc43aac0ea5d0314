"""The speech engine capture uses, behind a small interface (tests plug in a fake).

The default engine is the audio package: ``audio.pipeline.transcribe`` for whole recordings
(decode, VAD, recognition, guards, speakers, roles), the same pipeline on one speaker for
live windows, and ``audio.pipeline.enroll_voice`` for voice prints. Heavy libraries load on
first use, inside the job that needs them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from hearth.documentation.transcript import Transcript

Progress = Callable[[float], None]
Audio = Path | np.ndarray  # a decrypted file, or 16 kHz mono float32 samples


@dataclass(frozen=True)
class LiveLine:
    """A line of the live partial transcript (times in seconds from the recording's start)."""

    start: float
    end: float
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"start": round(self.start, 2), "end": round(self.end, 2), "text": self.text}


@dataclass(frozen=True)
class VoicePrint:
    """A clinician's voice print as the audio package stores it (JSON), and its speech length."""

    profile: dict[str, Any]
    seconds: float
    encoder: str


class SpeechEngine(Protocol):
    """What capture needs from speech recognition."""

    def transcribe(
        self,
        audio: Audio,
        *,
        speakers: int,
        clinician_voice: dict[str, Any] | None,
        progress: Progress | None,
    ) -> Transcript:
        """A whole recording → a speaker-labelled transcript (roles from the voice print)."""
        ...

    def transcribe_window(self, samples: np.ndarray, *, offset: float) -> list[LiveLine]:
        """A few seconds of live audio → lines of text (no speakers), times after ``offset``."""
        ...

    def enroll(self, audio: Path) -> VoicePrint:
        """An enrollment recording (about 30 s of the clinician alone) → a voice print."""
        ...


class PipelineEngine:
    """The audio package's pipeline with the configured model and device."""

    def __init__(self, model: str | None = None, device: str = "auto") -> None:
        self.model = model
        self.device = device

    def transcribe(
        self,
        audio: Audio,
        *,
        speakers: int,
        clinician_voice: dict[str, Any] | None,
        progress: Progress | None,
    ) -> Transcript:
        from hearth.documentation.audio import pipeline
        from hearth.documentation.audio.speakers import VoiceProfile

        profile = VoiceProfile.from_json(clinician_voice) if clinician_voice else None
        return pipeline.transcribe(
            audio,
            speakers=speakers,
            clinician_voice=profile,
            model=self.model,
            device=self.device,
            progress=progress,
        )

    def transcribe_window(self, samples: np.ndarray, *, offset: float) -> list[LiveLine]:
        from hearth.documentation.audio import pipeline

        t = pipeline.transcribe(
            samples, speakers=1, model=self.model, device=self.device, channel_mode=False
        )
        return [
            LiveLine(offset + (u.start or 0.0), offset + (u.end or 0.0), u.text)
            for u in t.utterances
            if u.text.strip()
        ]

    def enroll(self, audio: Path) -> VoicePrint:
        from hearth.documentation.audio import pipeline

        device = "cuda" if self.device == "cuda" else "cpu"
        profile = pipeline.enroll_voice(audio, device=device)
        return VoicePrint(profile.to_json(), profile.seconds, profile.encoder)


_engine: SpeechEngine | None = None
_lock = threading.Lock()


def get_engine(settings: Any = None) -> SpeechEngine:
    """The engine jobs use: the one set by ``use_engine``, else the pipeline from settings."""
    global _engine
    with _lock:
        if _engine is None:
            model = getattr(settings, "asr_model", None)
            device = getattr(settings, "asr_device", "auto")
            _engine = PipelineEngine(model, device)
        return _engine


def use_engine(engine: SpeechEngine | None) -> SpeechEngine | None:
    """Make ``engine`` the one jobs use (None: the pipeline again); returns the previous one."""
    global _engine
    with _lock:
        previous, _engine = _engine, engine
        return previous
