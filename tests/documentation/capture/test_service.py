"""Capture's use cases: the consent gate, recordings, uploads of each format, erasure, voices."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hearth.db import utcnow
from hearth.documentation import service as docs
from hearth.documentation.capture import service
from hearth.documentation.capture.consent import (
    ConsentTextInvalid,
    parse_consent_text,
    recording_consent_text,
)
from hearth.documentation.capture.models import Recording, VoiceEnrollment
from hearth.documentation.capture.storage import UPLOAD, AudioStore
from hearth.documentation.capture.upload import AudioUploadInvalid
from hearth.documentation.models import Note, Transcript
from hearth.errors import ConsentRequired, Forbidden, NotFound
from hearth.practice import service as practice
from tests.documentation.capture.conftest import FORMATS, encode_audio, principal_of
from tests.web.support import PASSWORD

pytestmark = pytest.mark.both_backends


def store_of(runtime) -> AudioStore:
    return AudioStore(runtime.settings.effective_media_dir)


def upload(runtime, world, path, user=None):
    with runtime.db.transaction() as s, path.open("rb") as f:
        p = principal_of(s, user or world.clinician_user)
        rec = service.upload_recording(
            s, p, store_of(runtime), world.session_id, fileobj=f, filename=path.name, now=utcnow()
        )
        return rec.id


def test_the_consent_wording_says_recording_and_its_version_is_stored(runtime, world):
    text = recording_consent_text()
    assert "recording" in text.title.lower()
    assert "recording" in text.decline.lower()
    with runtime.db.transaction() as s:
        p = principal_of(s, world.clinician_user)
        marco = world.fp.clients["marco"]
        consent = service.grant_recording_consent(s, p, marco, method="paper", given_by="client")
        assert consent.kind == "recording"
        assert consent.text_version == text.version
    with pytest.raises(ConsentTextInvalid, match="recording"):
        parse_consent_text(
            {
                "version": "v",
                "title": "Audio",
                "paragraphs": ["We keep audio."],
                "agree": "Yes",
                "decline": "No",
                "source": "test",
            }
        )


def test_every_client_must_consent_before_anything_is_recorded(runtime, world, tmp_path):
    with runtime.db.transaction() as s:
        p = principal_of(s, world.clinician_user)
        couple = docs.create_session(
            s, p, client_ids=[world.client_id, world.fp.clients["marco"]], session_kind="couples"
        )
        gate = service.recording_gate(s, couple.id)
        assert not gate.allowed
        assert [cid for cid, _ in gate.missing] == [world.fp.clients["marco"]]
        assert "missing" in gate.reason
        with pytest.raises(ConsentRequired):
            service.start_recording(s, p, couple.id, now=utcnow())
        path = encode_audio(tmp_path / "couple.wav")
        with path.open("rb") as f, pytest.raises(ConsentRequired):
            service.upload_recording(
                s, p, store_of(runtime), couple.id, fileobj=f, filename="couple.wav", now=utcnow()
            )
    with runtime.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Recording)) == 0


def test_a_recording_is_opened_once_and_only_by_the_care_team(runtime, world):
    with runtime.db.transaction() as s:
        p = principal_of(s, world.clinician_user)
        first = service.start_recording(s, p, world.session_id, now=utcnow())
        again = service.start_recording(s, p, world.session_id, now=utcnow())
        assert first.id == again.id and first.status == "recording"
        other = principal_of(s, world.fp.users["clin_b"])
        with pytest.raises(NotFound):
            service.get_recording(s, other, first.id)
        with pytest.raises(NotFound):
            service.start_recording(s, other, world.session_id, now=utcnow())
        desk = principal_of(s, world.fp.users["front_desk"])
        with pytest.raises((NotFound, Forbidden)):
            service.start_recording(s, desk, world.session_id, now=utcnow())


@pytest.mark.parametrize("suffix", sorted(FORMATS))
def test_uploads_of_each_format_are_kept_encrypted_and_transcribed(
    runtime, world, engine, bound, tmp_path, suffix
):
    path = encode_audio(tmp_path / f"session{suffix}")
    rid = upload(runtime, world, path)
    original = path.read_bytes()
    stored = store_of(runtime).read_all(rid, UPLOAD)
    assert stored == original
    assert original[200:264] not in store_of(runtime).path(rid, UPLOAD).read_bytes()
    call = engine.calls[-1]
    assert (call["kind"], call["suffix"], call["size"]) == ("file", suffix, len(original))
    with runtime.db.transaction() as s:
        rec = s.get(Recording, rid)
        assert rec.status == "transcribed" and rec.upload_format
        assert rec.filename == path.name
        transcript = s.get(Transcript, rec.transcript_id)
        assert transcript.source == "asr"
        assert not transcript.roles_confirmed  # no voice print: the clinician confirms


def test_an_unreadable_upload_is_refused_by_name_and_nothing_is_kept(runtime, world, tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("this is not audio at all\n" * 50)
    with pytest.raises(AudioUploadInvalid, match=r"notes\.wav: not a readable recording"):
        upload(runtime, world, path)
    text = tmp_path / "x.txt"
    text.write_text("hello")
    with pytest.raises(AudioUploadInvalid, match="WAV, MP3, M4A"):
        upload(runtime, world, text)
    with runtime.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Recording)) == 0
    assert store_of(runtime).recording_ids() == []


def test_a_voice_print_names_the_clinician_and_the_draft_follows(
    runtime, world, engine, bound, tmp_path
):
    with runtime.db.transaction() as s:
        p = principal_of(s, world.clinician_user)
        voice = engine.enroll(tmp_path / "me.wav")
        service.enroll_voice(s, p, voice)
    rid = upload(runtime, world, encode_audio(tmp_path / "s.wav"))
    assert engine.calls[-1]["voice"]["kind"] == "hearth-voice-profile"
    with runtime.db.transaction() as s:
        rec = s.get(Recording, rid)
        transcript = s.get(Transcript, rec.transcript_id)
        assert transcript.roles_confirmed
        assert transcript.speaker_roles == {"S1": "clinician", "S2": "client"}
        assert transcript.speaker_clients == {"S2": world.client_id}
        notes = list(s.scalars(select(Note).where(Note.transcript_id == transcript.id)))
        assert len(notes) == 1 and notes[0].status == "draft"
        assert rec.clinician_recognised
        assert service.remove_voice(s, principal_of(s, world.clinician_user))
        assert s.scalar(select(func.count()).select_from(VoiceEnrollment)) == 0


def test_erasure_removes_audio_transcript_and_drafts(runtime, world, engine, bound, tmp_path):
    with runtime.db.transaction() as s:
        service.enroll_voice(s, principal_of(s, world.clinician_user), engine.enroll(tmp_path))
    rid = upload(runtime, world, encode_audio(tmp_path / "s.wav"))
    with runtime.db.transaction() as s:
        result = service.erase_recording(
            s, principal_of(s, world.clinician_user), store_of(runtime), rid, now=utcnow()
        )
        assert result.audio_deleted and len(result.transcript_ids) == 1
        assert len(result.draft_note_ids) == 1 and not result.kept_transcript_ids
    with runtime.db.transaction() as s:
        rec = s.get(Recording, rid)
        assert rec.status == "erased" and rec.deletion_reason == "erased_on_request"
        assert s.scalar(select(func.count()).select_from(Transcript)) == 0
        assert s.scalar(select(func.count()).select_from(Note)) == 0
    assert not store_of(runtime).folder(rid).exists()


def test_a_signed_note_keeps_its_transcript_when_the_recording_is_erased(
    runtime, world, engine, bound, tmp_path
):
    with runtime.db.transaction() as s:
        service.enroll_voice(s, principal_of(s, world.clinician_user), engine.enroll(tmp_path))
    rid = upload(runtime, world, encode_audio(tmp_path / "s.wav"))
    with runtime.db.transaction() as s:
        p = principal_of(s, world.clinician_user)
        note = s.scalars(select(Note)).one()
        content = note.content
        for section in content["sections"]:
            for st in section["statements"]:
                st["confirmed"] = True
        docs.autosave(s, p, note.id, content=content, version=note.version)
        docs.sign_note(s, p, note.id, password=PASSWORD)
    with runtime.db.transaction() as s:
        result = service.erase_recording(
            s, principal_of(s, world.clinician_user), store_of(runtime), rid, now=utcnow()
        )
        assert result.audio_deleted and not result.transcript_ids
        assert len(result.kept_transcript_ids) == 1
    with runtime.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Transcript)) == 1
        assert s.get(Recording, rid).audio_deleted_at is not None


def test_a_rolled_back_upload_leaves_no_file(runtime, world, tmp_path):
    path = encode_audio(tmp_path / "s.wav")
    with pytest.raises(RuntimeError), runtime.db.transaction() as s, path.open("rb") as f:
        p = principal_of(s, world.clinician_user)
        service.upload_recording(
            s, p, store_of(runtime), world.session_id, fileobj=f, filename="s.wav", now=utcnow()
        )
        assert store_of(runtime).recording_ids()
        raise RuntimeError("the request failed after the upload")
    assert store_of(runtime).recording_ids() == []


def test_revoked_consent_is_what_practice_records(runtime, world):
    with runtime.db.transaction() as s:
        p = principal_of(s, world.clinician_user)
        practice.revoke_consent(s, p, world.client_id, "recording")
        assert not service.recording_gate(s, world.session_id).allowed


@pytest.mark.parametrize(
    ("kind", "clients", "voices"),
    [
        ("individual", 1, 2),
        ("couples", 2, 3),
        ("family_with_client", 3, 4),
        ("family_without_client", 1, 3),  # two relatives at least, without the client
        ("group", 12, 8),  # more voices than can be told apart: the clinician fixes lines
    ],
)
def test_how_many_voices_to_separate(monkeypatch, kind, clients, voices):
    from types import SimpleNamespace

    monkeypatch.setattr(
        service.docs, "session_client_ids", lambda db, sid: [f"c{i}" for i in range(clients)]
    )
    assert service.speakers_for(None, SimpleNamespace(id="s1", session_kind=kind)) == voices
