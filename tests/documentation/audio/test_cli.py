"""`hearth transcribe`: JSON on stdout that the documentation commands read back."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from hearth.cli import app
from hearth.documentation.audio import synthetic
from hearth.documentation.importers import parse

from .conftest import need_speech_tools

runner = CliRunner()


@pytest.fixture(scope="module")
def short_wav(audio_dir):
    """The first four turns of the female/male dialogue (about 17 s)."""
    need_speech_tools()
    d = synthetic.dialogue(synthetic.THERAPY_DIALOGUE[:4], synthetic.FEMALE_MALE)
    return synthetic.write_wav(audio_dir / "short.wav", d.samples)


@pytest.fixture(scope="module")
def transcribed(short_wav, tmp_path_factory):
    r = runner.invoke(app, ["transcribe", str(short_wav), "--format", "json"])
    assert r.exit_code == 0, r.stderr
    path = tmp_path_factory.mktemp("cli") / "session.json"
    path.write_text(r.stdout)
    return path


def test_json_has_the_cli_md_shape(transcribed):
    doc = json.loads(transcribed.read_text())
    assert isinstance(doc["duration"], float) and doc["model"] == "tiny.en"
    assert doc["timing"]["wall_seconds"] > 0 and doc["timing"]["real_time_factor"] > 0
    utts = doc["utterances"]
    assert [u["id"] for u in utts] == [f"u{i}" for i in range(1, len(utts) + 1)]
    assert len(utts) == 4 and {u["speaker"] for u in utts} == {"S1", "S2"}
    for u in utts:
        assert {"id", "speaker", "role", "start", "end", "text", "words"} <= set(u)
        assert u["role"] == "unknown"
        w = u["words"][0]
        assert {"word", "start", "end", "probability"} <= set(w)
    assert "low_confidence_words" in utts[0] and "dropped_segments" in doc["guards"]


def test_signals_and_draft_read_what_transcribe_prints(transcribed):
    r = runner.invoke(app, ["signals", str(transcribed), "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert [u["id"] for u in doc["utterances"]] == ["u1", "u2", "u3", "u4"]
    assert {u["role"] for u in doc["utterances"]} == {"clinician", "client"}  # inferred
    r = runner.invoke(app, ["draft", str(transcribed), "--template", "soap", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["template"] == "soap"


def test_vtt_format_reads_back(short_wav):
    r = runner.invoke(app, ["transcribe", str(short_wav), "--format", "vtt"])
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("WEBVTT")
    vtt = parse(r.stdout, fmt="vtt")
    assert [u.speaker for u in vtt.utterances] == ["S1", "S2", "S1", "S2"]
    assert vtt.utterances[0].text.startswith("Good morning")


def test_clinician_voice_names_roles_and_saves_the_profile(
    short_wav, clinician_enrollment, tmp_path
):
    profile = tmp_path / "dr.json"
    r = runner.invoke(
        app,
        [
            "transcribe",
            str(short_wav),
            "--clinician-voice",
            str(clinician_enrollment),
            "--save-voice",
            str(profile),
            "--format",
            "txt",
        ],
    )
    assert r.exit_code == 0, r.stderr  # --format txt: "Speaker: text" lines
    assert r.stdout.splitlines()[0].startswith("Clinician: Good morning")
    assert r.stdout.splitlines()[1].startswith("Client: ")
    assert json.loads(profile.read_text())["kind"] == "hearth-voice-profile"


def test_unreadable_audio_fails_on_stderr(tmp_path):
    bad = tmp_path / "session.m4a"
    bad.write_bytes(b"\x00not audio at all" * 50)
    r = runner.invoke(app, ["transcribe", str(bad)])
    assert r.exit_code == 2
    assert r.stdout == ""
    assert "session.m4a: not a readable audio file" in r.stderr


def test_missing_model_folder_fails_on_stderr(short_wav, tmp_path):
    r = runner.invoke(app, ["transcribe", str(short_wav), "--model", str(tmp_path / "none")])
    assert r.exit_code == 2 and "does not exist" in r.stderr and r.stdout == ""


def test_the_hearth_command_loads_no_speech_libraries():
    code = (
        "import sys, hearth.cli; "
        "print(sorted(m for m in ('torch', 'faster_whisper', 'ctranslate2', 'resemblyzer', "
        "'av', 'librosa', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_options_reach_the_pipeline_and_the_progress_bar_draws_on_a_terminal(tmp_path, monkeypatch):
    """--speakers, --model and --device go to the pipeline; on a terminal a Rich progress bar
    is drawn on stderr, and stdout keeps only the document."""
    from hearth.documentation.audio import pipeline
    from hearth.documentation.transcript import Transcript, Utterance

    seen: dict = {}

    def fake_transcribe(audio, **kwargs):
        seen.update(kwargs, audio=audio)
        kwargs["progress"](0.5)
        kwargs["progress"](1.0)
        u = Utterance("u1", "S1", "clinician", 0.0, 1.0, "Hello.", "voice")
        return Transcript((u,), "audio", {"duration": 1.0, "model": "fake", "speakers": ["S1"]})

    monkeypatch.setattr(pipeline, "transcribe", fake_transcribe)
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    model = tmp_path / "my-model"
    audio = tmp_path / "family.wav"
    audio.write_bytes(b"")
    r = runner.invoke(
        app,
        ["transcribe", str(audio), "--speakers", "4", "--model", str(model), "--format", "json"],
    )
    assert r.exit_code == 0, r.stderr
    assert seen["speakers"] == 4 and seen["model"] == str(model)
    assert json.loads(r.stdout)["model"] == "fake"
    assert "transcribing family.wav" in r.stderr
