"""Speech fixtures: espeak-ng dialogue audio and the models, made once per test session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from hearth.documentation.audio import synthetic
from tests.conftest import need_service


@dataclass(frozen=True)
class SpokenDialogue:
    """A synthetic dialogue and the WAV file it was written to."""

    dialogue: synthetic.Dialogue
    wav: Path


def need_speech_tools() -> None:
    need_service(
        "espeak-ng and sox",
        synthetic.tools_available(),
        "install the Debian packages espeak-ng and sox",
    )


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("audio")


@pytest.fixture(scope="session")
def female_male(audio_dir: Path) -> SpokenDialogue:
    """Twelve alternating turns: clinician en-us+f3, client en-us+m3, short pauses."""
    need_speech_tools()
    d = synthetic.dialogue(synthetic.THERAPY_DIALOGUE, synthetic.FEMALE_MALE)
    return SpokenDialogue(d, synthetic.write_wav(audio_dir / "female_male.wav", d.samples))


@pytest.fixture(scope="session")
def clinician_enrollment(audio_dir: Path) -> Path:
    """About 25 s of the clinician's voice (en-us+f3) saying other sentences."""
    need_speech_tools()
    lines = [(0, text) for text in synthetic.CLINICIAN_LINES[:8]]
    d = synthetic.dialogue(lines, synthetic.FEMALE_MALE, seed=3)
    return synthetic.write_wav(audio_dir / "clinician_enrollment.wav", d.samples)


@pytest.fixture(scope="session")
def recognizer():
    """The bundled tiny.en on CPU, beam 1 (loaded once)."""
    from hearth.documentation.audio.asr import whisper

    return whisper(None, "cpu", beam_size=1)


@pytest.fixture(scope="session")
def embedder():
    """resemblyzer's voice encoder on CPU (loaded once)."""
    from hearth.documentation.audio.speakers import ResemblyzerEmbedder

    return ResemblyzerEmbedder("cpu")


@pytest.fixture(scope="session")
def female_male_transcript(female_male: SpokenDialogue, recognizer, embedder):
    """The female/male dialogue transcribed from its WAV file with two speakers."""
    from hearth.documentation.audio.pipeline import transcribe

    return transcribe(female_male.wav, speakers=2, recognizer=recognizer, embedder=embedder)
