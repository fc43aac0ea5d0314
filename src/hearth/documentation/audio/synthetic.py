"""Synthetic two-voice therapy dialogue spoken by espeak-ng (tests, benchmarks, the demo).

Everything here is obviously fake: machine voices reading invented, everyday sentences.
It needs the Debian packages `espeak-ng` and `sox` (sox resamples to 16 kHz mono).
"""

from __future__ import annotations

import random
import shutil
import subprocess
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16_000
FEMALE_MALE = ("en-us+f3", "en-us+m3")
MALE_MALE = ("en-us+m3", "en-us+m7")

# (speaker index, text): 0 is the clinician, 1 the client. Invented and everyday.
THERAPY_DIALOGUE: tuple[tuple[int, str], ...] = (
    (0, "Good morning. How has your week been since we last met?"),
    (1, "It was a hard week. I felt tired and on edge most of the time."),
    (0, "I am sorry to hear that. What made it feel so hard?"),
    (1, "Work was busy, and I could not sleep well because I kept worrying."),
    (0, "What were the worries about, when you were lying awake?"),
    (1, "Mostly about my job, and whether my manager is happy with my work."),
    (0, "That sounds stressful. Did you try the breathing exercise we practiced?"),
    (1, "Yes, I tried it twice, and it helped me calm down a little."),
    (0, "That is good progress. Could you try it every evening this week?"),
    (1, "I think I can do that. I will set a reminder on my phone."),
    (0, "Let us also write down one small thing that went well each day."),
    (1, "Okay. I will bring the list with me to our next session."),
)

# A larger pool for long benchmark sessions; turns are drawn in a seeded order.
CLINICIAN_LINES: tuple[str, ...] = (
    "How have you been feeling since our last session?",
    "What was the hardest part of the week for you?",
    "Can you tell me more about what happened at work?",
    "How did your body feel when that happened?",
    "What did you say to yourself in that moment?",
    "That sounds really difficult. How did you cope with it?",
    "Did you notice any change in your sleep this week?",
    "What helped you feel a little calmer?",
    "Let us look at the thought record you brought today.",
    "How strongly did you believe that thought, at the time?",
    "What would you tell a friend who felt this way?",
    "Shall we practice the breathing exercise together for a moment?",
    "What would you like to focus on before we finish today?",
    "Could you try one short walk every morning this week?",
    "How are things at home with your family?",
    "It sounds like you handled that with a lot of care.",
)
CLIENT_LINES: tuple[str, ...] = (
    "I have been tired most days, and I feel on edge.",
    "Work has been busy, and my manager keeps adding new tasks.",
    "I could not sleep well because I kept thinking about the meeting.",
    "My chest felt tight and my hands were shaking a little.",
    "I told myself that I would fail and everyone would notice.",
    "I went for a walk in the park, and that helped a bit.",
    "I talked to my sister on the phone, and she listened.",
    "Some nights I slept better, but most nights I woke up early.",
    "I wrote down my thoughts, like we planned last time.",
    "At the time I believed it completely, but now less so.",
    "I would tell my friend that one mistake is not the end of the world.",
    "The breathing exercise helps when I remember to do it.",
    "I would like to talk about how I deal with my mother.",
    "I think I can manage a short walk before breakfast.",
    "Things at home are calmer, but we still argue about money.",
    "Thank you. It feels good to say that out loud.",
)


class SpeechToolMissing(RuntimeError):
    """espeak-ng or sox is not installed."""


@dataclass(frozen=True)
class Turn:
    """One spoken turn: who said what, and when (seconds)."""

    speaker: int
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Dialogue:
    """Mono 16 kHz samples of a dialogue with the ground truth of every turn."""

    samples: np.ndarray
    turns: tuple[Turn, ...]
    voices: tuple[str, ...]

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    def reference_text(self) -> str:
        """Every turn's text in order, joined by spaces."""
        return " ".join(t.text for t in self.turns)

    def speaker_at(self, time: float) -> int | None:
        """The speaker whose turn holds `time` (or the nearest turn within 0.5 s)."""
        best: tuple[float, int] | None = None
        for t in self.turns:
            if t.start <= time <= t.end:
                return t.speaker
            gap = min(abs(time - t.start), abs(time - t.end))
            if gap <= 0.5 and (best is None or gap < best[0]):
                best = (gap, t.speaker)
        return best[1] if best else None

    def channel(self, speaker: int) -> np.ndarray:
        """The samples with every other speaker's turns silenced (one speaker per channel)."""
        out = np.zeros_like(self.samples)
        for t in self.turns:
            if t.speaker == speaker:
                a, b = int(t.start * SAMPLE_RATE), int(t.end * SAMPLE_RATE)
                out[a:b] = self.samples[a:b]
        return out


def tools_available() -> bool:
    """True when espeak-ng and sox are on PATH."""
    return shutil.which("espeak-ng") is not None and shutil.which("sox") is not None


def speak(text: str, voice: str, *, speed: int = 165) -> np.ndarray:
    """Speak `text` with an espeak-ng voice; 16 kHz mono float32 samples."""
    if not tools_available():
        raise SpeechToolMissing("espeak-ng and sox are needed (Debian packages espeak-ng, sox)")
    espeak, sox = shutil.which("espeak-ng"), shutil.which("sox")
    assert espeak and sox
    wav = subprocess.run(  # noqa: S603 - fixed programs, text passed as one argument
        [espeak, "-v", voice, "-s", str(speed), "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    to_raw = ["-t", "raw", "-r", str(SAMPLE_RATE), "-e", "floating-point", "-b", "32", "-c", "1"]
    raw = subprocess.run(  # noqa: S603
        [sox, "-t", "wav", "-", *to_raw, "-"],
        input=wav,
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)


def dialogue(
    lines: Sequence[tuple[int, str]] = THERAPY_DIALOGUE,
    voices: Sequence[str] = FEMALE_MALE,
    *,
    pause: tuple[float, float] = (0.5, 0.9),
    lead: float = 0.5,
    seed: int = 7,
) -> Dialogue:
    """Speak alternating turns with short, seeded pauses between them."""
    rng = random.Random(seed)
    cache: dict[tuple[int, str], np.ndarray] = {}
    parts = [np.zeros(int(lead * SAMPLE_RATE), dtype=np.float32)]
    turns: list[Turn] = []
    clock = lead
    for speaker, text in lines:
        key = (speaker, text)
        if key not in cache:
            cache[key] = _trim(speak(text, voices[speaker]))
        audio = cache[key]
        turns.append(Turn(speaker, text, clock, clock + len(audio) / SAMPLE_RATE))
        gap = np.zeros(int(rng.uniform(*pause) * SAMPLE_RATE), dtype=np.float32)
        parts += [audio, gap]
        clock += (len(audio) + len(gap)) / SAMPLE_RATE
    return Dialogue(np.concatenate(parts), tuple(turns), tuple(voices))


def long_session_lines(minutes: float, *, seed: int = 11) -> list[tuple[int, str]]:
    """Alternating turns drawn from the pools, enough for about `minutes` of speech."""
    rng = random.Random(seed)
    lines: list[tuple[int, str]] = []
    seconds = 0.0
    while seconds < minutes * 60:
        lines.append((0, rng.choice(CLINICIAN_LINES)))
        lines.append((1, rng.choice(CLIENT_LINES)))
        seconds += 7.5  # about two short turns and their pauses
    return lines


def write_wav(path: Path, *channels: np.ndarray, rate: int = SAMPLE_RATE) -> Path:
    """Write 16-bit PCM WAV; two arrays make a stereo file (left, right)."""
    n = max(len(c) for c in channels)
    stacked = np.zeros((n, len(channels)), dtype=np.float32)
    for i, c in enumerate(channels):
        stacked[: len(c), i] = c
    pcm = (np.clip(stacked, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(len(channels))
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def _trim(audio: np.ndarray, threshold: float = 1e-3) -> np.ndarray:
    """Cut espeak's leading and trailing silence so turn times are the speech itself."""
    loud = np.flatnonzero(np.abs(audio) > threshold)
    if not len(loud):
        return audio
    return audio[loud[0] : loud[-1] + 1]
