"""Fixtures for capture: a fake speech engine, a bound job runtime, a session ready to record.

The fake engine stands in for the audio package where the model is not the point; one test
module (test_real_model.py) runs the real pipeline. All names are synthetic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hearth import jobs
from hearth.documentation import service as docs
from hearth.documentation.capture import frames as wire
from hearth.documentation.capture.engine import LiveLine, VoicePrint, use_engine
from hearth.documentation.transcript import Transcript, Utterance
from hearth.practice import service as practice
from hearth.runtime import Runtime
from hearth.security import service as auth
from hearth.security.models import User
from tests.web.support import FakePractice, app, browser, fake  # noqa: F401

LINES = (
    ("S1", "How has your week been since we last met?"),
    ("S2", "I slept badly and felt on edge most days."),
    ("S1", "Let us practise the breathing exercise every evening this week."),
    ("S2", "Okay, I will try that every evening."),
)


@dataclass
class FakeEngine:
    """A speech engine that answers at once with a fixed two-speaker dialogue."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    windows: list[tuple[float, int]] = field(default_factory=list)
    fail_with: BaseException | None = None
    progress_seen: list[float] = field(default_factory=list)

    def transcribe(self, audio, *, speakers, clinician_voice, progress):
        kind = "file" if isinstance(audio, Path) else "samples"
        size = audio.stat().st_size if isinstance(audio, Path) else len(audio)
        suffix = audio.suffix if isinstance(audio, Path) else None
        self.calls.append(
            {
                "kind": kind,
                "size": size,
                "suffix": suffix,
                "speakers": speakers,
                "voice": clinician_voice,
            }
        )
        if self.fail_with is not None:
            raise self.fail_with
        for f in (0.03, 0.5, 1.0):
            self.progress_seen.append(f)
            if progress:
                progress(f)
        known = clinician_voice is not None
        roles = {"S1": "clinician", "S2": "client"} if known else {}
        utts = tuple(
            Utterance(
                id=f"u{i}",
                speaker=speaker,
                role=roles.get(speaker, "unknown"),
                start=i * 3.0,
                end=i * 3.0 + 2.5,
                text=text,
                role_source="voice" if known else "unknown",
            )
            for i, (speaker, text) in enumerate(LINES, 1)
        )
        return Transcript(utts, "audio", {"duration": 12.0})

    def transcribe_window(self, samples, *, offset):
        self.windows.append((offset, len(samples)))
        end = offset + len(samples) / wire.SAMPLE_RATE
        return [LiveLine(offset, end, f"words heard up to {end:.0f} seconds")]

    def enroll(self, audio):
        profile = {
            "kind": "hearth-voice-profile",
            "encoder": "fake",
            "seconds": 30.0,
            "embedding": [0.5, 0.5, 0.5, 0.5],
        }
        return VoicePrint(profile, 30.0, "fake")


@pytest.fixture
def engine() -> Iterator[FakeEngine]:
    """The fake engine, used by every capture job during the test."""
    fake_engine = FakeEngine()
    previous = use_engine(fake_engine)
    yield fake_engine
    use_engine(previous)


@pytest.fixture
def bound(runtime: Runtime) -> Iterator[Runtime]:
    """The test's runtime, bound as the one jobs use (immediate mode)."""
    jobs.bind_runtime(runtime)
    yield runtime
    jobs.bind_runtime(None)


@dataclass(frozen=True)
class World:
    """clin_a's session with Maria (recording, ai_processing and treatment consent given)."""

    fp: FakePractice
    session_id: str
    client_id: str
    clinician_user: str


def principal_of(s, user_id: str):
    """A staff principal by user id."""
    return auth.staff_principal(s, s.get(User, user_id))


@pytest.fixture
def world(runtime: Runtime, fake: FakePractice) -> World:  # noqa: F811
    """A session of clin_a with Maria, who consented to treatment, recording and AI processing."""
    with runtime.db.transaction() as s:
        p = principal_of(s, fake.users["clin_a"])
        maria = fake.clients["maria"]
        for kind in ("treatment", "recording", "ai_processing"):
            practice.grant_consent(s, p, maria, kind, method="paper", text_version="test-v1")
        row = docs.create_session(s, p, client_ids=[maria])
        return World(fake, row.id, maria, fake.users["clin_a"])


def pcm_tone(seconds: float, freq: float = 220.0, start: float = 0.0) -> bytes:
    """A synthetic tone as 16 kHz mono int16 PCM (obviously not anyone's voice)."""
    n = int(seconds * wire.SAMPLE_RATE)
    t = (np.arange(n) + start * wire.SAMPLE_RATE) / wire.SAMPLE_RATE
    return (np.sin(2 * np.pi * freq * t) * 8000).astype("<i2").tobytes()


def frames_of(pcm: bytes, frame_seconds: float = 0.5) -> list[bytes]:
    """Split PCM into frames of ``frame_seconds``."""
    size = int(frame_seconds * wire.SAMPLE_RATE) * wire.BYTES_PER_SAMPLE
    return [pcm[i : i + size] for i in range(0, len(pcm), size)]


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


# (container, codec, encoder sample rate) of each upload format the issue names
FORMATS = {
    ".wav": ("wav", "pcm_s16le", 16_000),
    ".mp3": ("mp3", "libmp3lame", 16_000),
    ".m4a": ("ipod", "aac", 16_000),
    ".webm": ("webm", "libopus", 48_000),
    ".ogg": ("ogg", "libopus", 48_000),
}


def encode_audio(path: Path, seconds: float = 2.0, samples: np.ndarray | None = None) -> Path:
    """A synthetic tone (or 16 kHz float ``samples``) encoded in the format of ``path``'s suffix."""
    import av

    container, codec, rate = FORMATS[path.suffix]
    if samples is None:
        pcm = np.frombuffer(pcm_tone(seconds), dtype="<i2")
    else:
        pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        for i in range(0, len(pcm), 4096):
            frame = av.AudioFrame.from_ndarray(pcm[None, i : i + 4096], format="s16", layout="mono")
            frame.sample_rate = wire.SAMPLE_RATE
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path
