"""Capture's jobs: progress, idempotence, crashes and restarts, live partial text, consent
revocation, retention (reminders, final warning, deletion) and orphaned files."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from hearth.db import utcnow
from hearth.documentation import service as docs
from hearth.documentation.capture import frames as wire
from hearth.documentation.capture import service, tasks
from hearth.documentation.capture import transcription as work
from hearth.documentation.capture.models import Recording
from hearth.documentation.capture.storage import UPLOAD, AudioStore
from hearth.documentation.models import Note, Transcript
from hearth.messaging.models import OutboundMessage
from hearth.practice import service as practice
from tests.documentation.capture.conftest import (
    encode_audio,
    frames_of,
    pcm_tone,
    principal_of,
)
from tests.web.support import PASSWORD, audit_rows

pytestmark = pytest.mark.both_backends


def store_of(runtime) -> AudioStore:
    return AudioStore(runtime.settings.effective_media_dir)


def upload(runtime, world, tmp_path, name="s.wav") -> str:
    path = encode_audio(tmp_path / name)
    with runtime.db.transaction() as s, path.open("rb") as f:
        rec = service.upload_recording(
            s,
            principal_of(s, world.clinician_user),
            store_of(runtime),
            world.session_id,
            fileobj=f,
            filename=name,
            now=utcnow(),
        )
        return rec.id


def uploaded_but_not_run(runtime, world, tmp_path, monkeypatch) -> str:
    """An uploaded recording whose job was lost (the queue call does nothing)."""
    monkeypatch.setattr(tasks, "queue_transcription", lambda db, rid: None)
    rid = upload(runtime, world, tmp_path)
    monkeypatch.undo()
    return rid


def test_progress_is_stored_while_the_job_runs(
    runtime, world, engine, bound, tmp_path, monkeypatch
):
    rid = uploaded_but_not_run(runtime, world, tmp_path, monkeypatch)
    monkeypatch.setattr(tasks, "PROGRESS_EVERY", 0.0)
    seen: list[tuple[str, float, str | None]] = []
    original = engine.transcribe

    def watching(audio, **kw):
        progress = kw["progress"]

        def spy(fraction):
            progress(fraction)
            with runtime.db.transaction() as s:
                rec = s.get(Recording, rid)
                seen.append((rec.status, rec.progress, rec.progress_stage))

        return original(audio, **{**kw, "progress": spy})

    monkeypatch.setattr(engine, "transcribe", watching)
    assert tasks.transcribe_now(runtime, rid) == "transcribed"
    assert [s for s, _, _ in seen] == ["transcribing"] * 3
    assert [p for _, p, _ in seen] == pytest.approx([0.0285, 0.475, 0.95])
    assert seen[1][2] == "recognising speech"
    with runtime.db.transaction() as s:
        rec = s.get(Recording, rid)
        assert (rec.status, rec.progress, rec.progress_stage) == ("transcribed", 1.0, "done")


def test_the_job_is_safe_to_run_twice(runtime, world, engine, bound, tmp_path):
    rid = upload(runtime, world, tmp_path)
    assert tasks.transcribe_now(runtime, rid) == "done"
    with runtime.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Transcript)) == 1
    assert len(engine.calls) == 1


def test_a_crashed_job_keeps_the_audio_and_runs_again(
    runtime, world, engine, bound, tmp_path, monkeypatch
):
    rid = uploaded_but_not_run(runtime, world, tmp_path, monkeypatch)
    engine.fail_with = MemoryError("the worker ran out of memory")
    with pytest.raises(MemoryError):
        tasks.transcribe_now(runtime, rid)
    with runtime.db.transaction() as s:
        rec = s.get(Recording, rid)
        assert rec.status == "failed" and "MemoryError" in rec.error
        assert rec.has_audio
    assert store_of(runtime).exists(rid, UPLOAD)
    engine.fail_with = None
    with runtime.db.transaction() as s:
        service.retry_transcription(s, principal_of(s, world.clinician_user), rid)
    with runtime.db.transaction() as s:
        rec = s.get(Recording, rid)
        assert rec.status == "transcribed" and rec.attempts == 2 and rec.error is None


def test_a_worker_that_died_midway_is_picked_up_by_the_sweep(
    runtime, world, engine, bound, tmp_path, monkeypatch
):
    rid = uploaded_but_not_run(runtime, world, tmp_path, monkeypatch)
    start = utcnow() - dt.timedelta(minutes=20)
    with runtime.db.transaction() as s:  # a worker claimed it, then the machine went down
        rec = s.get(Recording, rid)
        rec.status, rec.progress, rec.progress_at, rec.attempts = "transcribing", 0.4, start, 1
    assert tasks.transcribe_now(runtime, rid, clock=lambda: start + dt.timedelta(minutes=1)) == (
        "running"
    )
    counts = tasks.sweep_now(runtime)  # twenty minutes without progress
    assert counts["requeued"] == 1
    with runtime.db.transaction() as s:
        rec = s.get(Recording, rid)
        assert rec.status == "transcribed" and rec.attempts == 2


def test_an_unreadable_file_fails_with_its_reason_and_is_not_retried(
    runtime, world, engine, bound, tmp_path, monkeypatch
):
    from hearth.documentation.audio.decode import AudioUnreadable

    rid = uploaded_but_not_run(runtime, world, tmp_path, monkeypatch)
    engine.fail_with = AudioUnreadable("s.wav: the file holds no audio samples")
    assert tasks.transcribe_now(runtime, rid) == "failed"
    with runtime.db.transaction() as s:
        assert "holds no audio samples" in s.get(Recording, rid).error


def test_partial_text_arrives_before_stop(runtime, world, browser, engine, bound):
    runtime.settings.recording_live_window_seconds = 2.0
    b = browser("clin_a", world.fp)
    rec = b.api("POST", f"/api/v1/sessions/{world.session_id}/recordings").json()
    parts = frames_of(pcm_tone(5.0))
    with b.websocket_connect(rec["websocket"], headers={"origin": "http://testserver"}) as ws:
        ws.send_text(json.dumps({"type": "hello", "token": rec["token"]}))
        assert json.loads(ws.receive_text())["type"] == "ready"
        for seq, part in enumerate(parts):
            ws.send_bytes(wire.encode_frame(seq, part))
            assert json.loads(ws.receive_text())["seq"] == seq
        page = b.get(f"/recordings/{rec['id']}/status")
        assert "words heard up to 2 seconds" in page.text
        assert "words heard up to 4 seconds" in page.text
        detail = b.get(f"/api/v1/recordings/{rec['id']}").json()
        assert detail["status"] == "recording"
        assert [line["start"] for line in detail["partial"]] == [0.0, 2.0]
        ws.send_text(json.dumps({"type": "stop", "frames": len(parts)}))
        assert json.loads(ws.receive_text()) == {"type": "stopped"}
    assert engine.windows == [(0.0, 32_000), (2.0, 32_000)]
    detail = b.get(f"/api/v1/recordings/{rec['id']}").json()
    assert detail["status"] == "transcribed" and detail["partial"] == []


def test_live_windows_stop_when_consent_is_revoked(runtime, world, engine, bound):
    with runtime.db.transaction() as s:
        p = principal_of(s, world.clinician_user)
        rec = service.start_recording(s, p, world.session_id, now=utcnow())
        rid = rec.id
        for seq, part in enumerate(frames_of(pcm_tone(1.0))):
            service.store_frame(
                s,
                store_of(runtime),
                rid,
                wire.Frame(seq, part),
                now=utcnow(),
                live_window_seconds=100,
            )
    # The window job's own check, seen before the revocation's job has finished the recording
    # (inside the revoking transaction, before its commit hooks run).
    with runtime.db.transaction() as s:
        consent = practice.active_consent(s, world.client_id, "recording")
        consent.revoked_at = utcnow()
        s.flush()
        assert work.live_window(s, rid, 1) == "consent_revoked"
    assert tasks.live_window_now(runtime, rid, 1) in ("consent_revoked", "finished")
    assert engine.windows == []


def sign_all(runtime, world) -> None:
    with runtime.db.transaction() as s:
        p = principal_of(s, world.clinician_user)
        for note in s.scalars(select(Note)):
            content = note.content
            for section in content["sections"]:
                for st in section["statements"]:
                    st["confirmed"] = True
            docs.autosave(s, p, note.id, content=content, version=note.version)
            docs.sign_note(s, p, note.id, password=PASSWORD)


def test_audio_is_deleted_once_the_note_is_signed(runtime, world, engine, bound, tmp_path):
    with runtime.db.transaction() as s:
        service.enroll_voice(s, principal_of(s, world.clinician_user), engine.enroll(tmp_path))
    rid = upload(runtime, world, tmp_path)
    assert tasks.sweep_now(runtime)["deleted"] == 0  # the draft is not signed yet
    sign_all(runtime, world)
    assert tasks.sweep_now(runtime)["deleted"] == 1
    with runtime.db.transaction() as s:
        rec = s.get(Recording, rid)
        assert rec.deletion_reason == "note_signed"
        assert s.get(Transcript, rec.transcript_id) is not None
    assert not store_of(runtime).folder(rid).exists()
    rows = audit_rows(runtime, action="recording.audio_delete")
    assert [(r.record_ids, r.detail, r.actor_kind) for r in rows] == [
        ([rid], "note_signed", "system")
    ]


def test_unsigned_audio_waits_with_a_reminder_a_final_warning_then_goes(
    runtime, world, engine, bound, tmp_path
):
    rid = upload(runtime, world, tmp_path)
    with runtime.db.transaction() as s:
        stopped = s.get(Recording, rid).stopped_at
    day = dt.timedelta(days=1)
    assert tasks.sweep_now(runtime, stopped + 6 * day)["reminded"] == 0
    assert tasks.sweep_now(runtime, stopped + 7 * day)["reminded"] == 1
    assert tasks.sweep_now(runtime, stopped + 8 * day)["reminded"] == 0
    assert tasks.sweep_now(runtime, stopped + 27 * day)["reminded"] == 1  # the final warning
    assert tasks.sweep_now(runtime, stopped + 29 * day)["deleted"] == 0
    assert tasks.sweep_now(runtime, stopped + 30 * day)["deleted"] == 1
    with runtime.db.transaction() as s:
        messages = list(s.scalars(select(OutboundMessage).order_by(OutboundMessage.created_at)))
        assert [m.subject for m in messages] == [
            "a session recording is waiting for its note",
            "Final notice: a session recording is waiting for its note",
        ]
        assert all(m.recipient == world.fp.emails["clin_a"] for m in messages)
        assert all("Maria" not in m.body and "Testperson" not in m.body for m in messages)
        assert f"/sessions/{world.session_id}" in messages[0].body
        rec = s.get(Recording, rid)
        assert rec.deletion_reason == "retention_maximum"
        assert s.get(Transcript, rec.transcript_id) is not None
    assert [r.detail for r in audit_rows(runtime, action="recording.audio_delete")] == [
        "retention_maximum"
    ]


def test_revoking_consent_deletes_transcribed_audio_at_once(
    runtime, world, engine, bound, tmp_path
):
    rid = upload(runtime, world, tmp_path)
    with runtime.db.transaction() as s:
        practice.revoke_consent(
            s, principal_of(s, world.clinician_user), world.client_id, "recording"
        )
    with runtime.db.transaction() as s:
        assert s.get(Recording, rid).deletion_reason == "consent_revoked"
    assert not store_of(runtime).folder(rid).exists()
    assert [r.detail for r in audit_rows(runtime, action="recording.audio_delete")] == [
        "consent_revoked"
    ]


def test_one_bad_recording_never_stops_the_sweep(
    runtime, world, engine, bound, tmp_path, monkeypatch
):
    with runtime.db.transaction() as s:
        service.enroll_voice(s, principal_of(s, world.clinician_user), engine.enroll(tmp_path))
    first = upload(runtime, world, tmp_path, "a.wav")
    second = upload(runtime, world, tmp_path, "b.wav")
    sign_all(runtime, world)
    real = tasks.work.retention_step

    def flaky(db, store, rid, *a, **kw):
        if rid == first:
            raise RuntimeError("a broken row")
        return real(db, store, rid, *a, **kw)

    monkeypatch.setattr(tasks.work, "retention_step", flaky)
    assert tasks.sweep_now(runtime)["deleted"] == 1
    with runtime.db.transaction() as s:
        assert s.get(Recording, second).audio_deleted_at is not None
        assert s.get(Recording, first).audio_deleted_at is None


def test_orphaned_audio_folders_are_removed_once_old(runtime, tmp_path):
    store = store_of(runtime)
    orphan = "f" * 32
    store.put_frame(orphan, 0, b"\x00\x00")
    assert tasks.sweep_orphans(runtime, store) == 0  # young: maybe an upload in flight
    later = utcnow() + dt.timedelta(hours=2)
    assert tasks.sweep_orphans(runtime, store, later) == 1
    assert store.recording_ids() == []
    assert [r.detail for r in audit_rows(runtime, action="recording.audio_delete")] == ["orphaned"]
