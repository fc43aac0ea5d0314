"""The whole pipeline on espeak-ng dialogue: words, speakers, roles, channels, silence."""

from __future__ import annotations

import numpy as np
import pytest

from hearth.documentation.audio import synthetic
from hearth.documentation.audio.evaluation import (
    speaker_accuracy,
    transcript_text,
    word_error_rate,
)
from hearth.documentation.audio.pipeline import enroll_voice, transcribe
from hearth.documentation.audio.segments import AsrSegment, AsrWord
from hearth.documentation.audio.speakers import load_voice_profile
from hearth.documentation.roles import assign_roles as infer_roles
from hearth.errors import Invalid

from .conftest import need_speech_tools


def test_words_are_right(female_male, female_male_transcript):
    wer = word_error_rate(
        female_male.dialogue.reference_text(), transcript_text(female_male_transcript)
    )
    assert wer <= 0.15, transcript_text(female_male_transcript)


def test_speakers_are_told_apart(female_male, female_male_transcript):
    score = speaker_accuracy(female_male_transcript, female_male.dialogue)
    assert score.words > 80
    assert score.accuracy >= 0.9
    assert sorted(score.mapping.values()) == [0, 1]  # each voice has its own label


def test_transcript_shape(female_male, female_male_transcript):
    t = female_male_transcript
    assert [u.id for u in t.utterances] == [f"u{i}" for i in range(1, len(t.utterances) + 1)]
    assert {u.speaker for u in t.utterances} == {"S1", "S2"}
    assert t.utterances[0].speaker == "S1"
    assert all(u.role == "unknown" and u.role_source == "unknown" for u in t.utterances)
    starts = [u.start for u in t.utterances]
    assert starts == sorted(starts)
    for u in t.utterances:
        assert u.words and u.start <= u.words[0]["start"] and u.words[-1]["end"] <= u.end
        assert {"word", "start", "end", "probability", "review"} <= set(u.words[0])
    meta = t.metadata
    assert meta["model"] == "tiny.en" and meta["channel_mode"] is False
    assert abs(meta["duration"] - female_male.dialogue.duration) < 0.1
    assert meta["timing"]["real_time_factor"] > 0
    assert set(meta["timing"]["stages"]) >= {"decode", "vad", "asr", "speakers"}


def test_the_documentation_pipeline_reads_it(female_male_transcript):
    with_roles = infer_roles(female_male_transcript)
    assert {u.role for u in with_roles.utterances} == {"clinician", "client"}


def test_enrolled_clinician_is_recognised(
    female_male, clinician_enrollment, recognizer, embedder, tmp_path
):
    profile = enroll_voice(clinician_enrollment)
    assert profile.seconds > 15
    saved = load_voice_profile(profile.save(tmp_path / "clinician.json"))
    t = transcribe(female_male.wav, clinician_voice=saved, recognizer=recognizer, embedder=embedder)
    truth = female_male.dialogue
    role_of_voice = {0: "clinician", 1: "client"}
    right = sum(
        1 for u in t.utterances if role_of_voice[truth.speaker_at((u.start + u.end) / 2)] == u.role
    )
    assert right / len(t.utterances) >= 0.9
    assert all(u.role_source == "voice" for u in t.utterances)
    sims = {s["role"]: s["clinician_similarity"] for s in t.metadata["speakers"]}
    assert sims["clinician"] > sims["client"]


def test_stereo_channels_give_speakers_and_roles(
    female_male, clinician_enrollment, recognizer, embedder, tmp_path
):
    d = female_male.dialogue
    path = synthetic.write_wav(tmp_path / "two_mics.wav", d.channel(0), d.channel(1))
    t = transcribe(
        path, clinician_voice=clinician_enrollment, recognizer=recognizer, embedder=embedder
    )
    assert t.metadata["channel_mode"] is True
    # left (voice A, the clinician) speaks first: S1 is the left channel, S2 the right
    label_of_voice = {0: "S1", 1: "S2"}
    words = [(u.speaker, w) for u in t.utterances for w in u.words]
    right = sum(
        1 for s, w in words if label_of_voice[d.speaker_at((w["start"] + w["end"]) / 2)] == s
    )
    assert right / len(words) >= 0.95
    assert {u.speaker: u.role for u in t.utterances} == {"S1": "clinician", "S2": "client"}
    wer = word_error_rate(d.reference_text(), transcript_text(t))
    assert wer <= 0.15


def test_silence_gives_no_text(recognizer, embedder):
    rng = np.random.default_rng(1)
    hiss = (rng.normal(size=16_000 * 20) * 0.002).astype(np.float32)
    t = transcribe(hiss, recognizer=recognizer, embedder=embedder)
    assert t.utterances == ()
    assert t.metadata["duration"] == 20.0


def test_whisper_alone_on_silence_is_caught_by_the_guards(recognizer):
    from hearth.documentation.audio.guards import apply_guards

    silence = np.zeros(16_000 * 15, dtype=np.float32)
    invented = recognizer.recognise(silence)  # tiny.en hears "you" in digital silence
    kept, report = apply_guards(invented, regions=None)  # even without the VAD's help
    assert kept == []
    assert report.dropped_segments == len(invented)


class InventingRecognizer:
    """A fake recogniser that hears the speech and invents text in the pauses."""

    name = "fake"

    def __init__(self) -> None:
        self.calls = 0

    def recognise(self, samples, *, progress=None):
        self.calls += 1
        seconds = len(samples) / 16_000
        if progress:
            progress(1.0)
        return [
            AsrSegment(
                0.0,
                1.0,
                "Hello there.",
                (AsrWord(" Hello", 0.1, 0.5, 0.9), AsrWord(" there.", 0.5, 0.9, 0.4)),
            ),
            AsrSegment(
                1.2, seconds, "Thank you for watching.", avg_logprob=-1.6, no_speech_prob=0.92
            ),
            AsrSegment(
                1.2,
                seconds,
                "bye bye bye bye",
                tuple(AsrWord(" bye", 1.2 + i * 0.2, 1.35 + i * 0.2, 0.9) for i in range(4)),
            ),
        ]


def test_pipeline_applies_the_guards_with_any_recogniser():
    tone = np.zeros(16_000 * 6, dtype=np.float32)
    fake = InventingRecognizer()
    t = transcribe(tone, recognizer=fake, speakers=1)
    assert fake.calls == 0 and t.utterances == ()  # the VAD heard nothing: no recognition


def test_pipeline_guards_on_speech(female_male):
    fake = InventingRecognizer()
    fractions: list[float] = []
    t = transcribe(
        female_male.dialogue.samples[: 16_000 * 5],
        recognizer=fake,
        speakers=1,
        progress=fractions.append,
    )
    assert fake.calls == 1
    assert [u.text for u in t.utterances] == ["Hello there. bye"]
    assert t.metadata["guards"]["dropped_segments"] == 1
    assert t.metadata["guards"]["collapsed_repeats"] == 3
    assert t.metadata["guards"]["low_confidence_words"] == 1
    assert fractions[-1] == 1.0 and fractions == sorted(fractions)


def test_bad_speaker_count():
    with pytest.raises(Invalid, match="speakers"):
        transcribe(np.zeros(16_000, dtype=np.float32), speakers=0, recognizer=InventingRecognizer())


def test_vad_in_blocks_finds_the_same_turns(female_male):
    from hearth.documentation.audio.vad import speech_regions

    samples = female_male.dialogue.samples
    whole = speech_regions(samples)
    blocks = speech_regions(samples, block_seconds=7.0)  # edges fall inside turns
    assert abs(len(blocks) - len(whole)) <= 2
    covered = sum(r.end - r.start for r in blocks) / sum(r.end - r.start for r in whole)
    assert 0.95 < covered < 1.05
    starts = [r.start for r in blocks]
    assert starts == sorted(starts)


COUPLES_SESSION = (
    (0, "Welcome back to you both. Where would you like to start today?"),
    (1, "We argued again on Sunday, about money and about the holidays."),
    (2, "I felt that nobody listened to me, so I went for a long walk."),
    (0, "Thank you. Can each of you say what you needed in that moment?"),
    (1, "I needed a plan for the bills, and a calm place to talk about it."),
    (2, "I needed to hear that my worries about my parents mattered too."),
    (0, "Let us practice the speaker and listener exercise for a few minutes."),
    (1, "Okay. I will try to listen first and not interrupt this time."),
    (2, "I can do that. I will write down one thing I heard each evening."),
)


def test_three_voices_of_a_couples_session_are_told_apart(audio_dir, recognizer, embedder):
    """A couples session: clinician and two partners clustered into three speakers."""
    need_speech_tools()
    d = synthetic.dialogue(COUPLES_SESSION, ("en-us+f3", "en-us+m3", "en-gb+m7"))
    wav = synthetic.write_wav(audio_dir / "couples.wav", d.samples)
    t = transcribe(wav, speakers=3, recognizer=recognizer, embedder=embedder)
    score = speaker_accuracy(t, d)
    assert score.words > 80
    assert score.accuracy >= 0.85, score
    assert sorted(score.mapping.values()) == [0, 1, 2]  # each voice has its own label
