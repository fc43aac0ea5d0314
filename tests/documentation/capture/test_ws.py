"""The recording WebSocket through Starlette's TestClient: auth, Origin, frames, acks, stop."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from starlette.websockets import WebSocketDisconnect

from hearth.documentation.capture import frames as wire
from hearth.documentation.capture.models import AudioFrame, Recording
from hearth.documentation.capture.storage import AUDIO, AudioStore
from hearth.documentation.models import Transcript
from hearth.practice import service as practice
from tests.documentation.capture.conftest import frames_of, pcm_tone, principal_of
from tests.web.support import audit_rows

ORIGIN = {"origin": "http://testserver"}


def start(b, world) -> dict:
    r = b.api("POST", f"/api/v1/sessions/{world.session_id}/recordings")
    assert r.status_code == 201, r.text
    return r.json()


def hello(ws, token: str) -> dict:
    ws.send_text(json.dumps({"type": "hello", "token": token}))
    return json.loads(ws.receive_text())


def send(ws, seq: int, pcm: bytes) -> dict:
    ws.send_bytes(wire.encode_frame(seq, pcm))
    return json.loads(ws.receive_text())


def test_frames_are_acknowledged_stored_once_and_reassembled(
    runtime, world, browser, engine, bound
):
    b = browser("clin_a", world.fp)
    rec = start(b, world)
    pcm = pcm_tone(3.0)
    parts = frames_of(pcm)
    with b.websocket_connect(rec["websocket"], headers=ORIGIN) as ws:
        ready = hello(ws, rec["token"])
        assert ready == {"type": "ready", "next_seq": 0, "have_through": -1, "status": "recording"}
        for seq, part in enumerate(parts):
            assert send(ws, seq, part) == {"type": "ack", "seq": seq}
        assert send(ws, 2, parts[2]) == {"type": "ack", "seq": 2}  # a resend: acked again
        ws.send_text(json.dumps({"type": "stop", "frames": len(parts)}))
        assert json.loads(ws.receive_text()) == {"type": "stopped"}
    store = AudioStore(runtime.settings.effective_media_dir)
    assert store.read_all(rec["id"], AUDIO) == pcm
    with runtime.db.transaction() as s:
        row = s.get(Recording, rec["id"])
        assert row.frames_received == len(parts)
        assert row.status == "transcribed"
        assert s.get(Transcript, row.transcript_id).source == "asr"
    assert engine.calls[0]["kind"] == "samples"
    assert engine.calls[0]["size"] == len(pcm) // 2


def test_stop_names_missing_frames_until_they_are_sent(runtime, world, browser, engine, bound):
    b = browser("clin_a", world.fp)
    rec = start(b, world)
    parts = frames_of(pcm_tone(2.0))
    with b.websocket_connect(rec["websocket"], headers=ORIGIN) as ws:
        hello(ws, rec["token"])
        for seq in (0, 2, 3):
            send(ws, seq, parts[seq])
        ws.send_text(json.dumps({"type": "stop", "frames": 4}))
        assert json.loads(ws.receive_text()) == {"type": "missing", "seqs": [1]}
        send(ws, 1, parts[1])
        ws.send_text(json.dumps({"type": "stop", "frames": 4}))
        assert json.loads(ws.receive_text()) == {"type": "stopped"}
    store = AudioStore(runtime.settings.effective_media_dir)
    assert store.read_all(rec["id"], AUDIO) == b"".join(parts)


def test_a_foreign_origin_is_refused(world, browser):
    b = browser("clin_a", world.fp)
    rec = start(b, world)
    evil = {"origin": "http://evil.example"}
    with (
        pytest.raises(WebSocketDisconnect) as e,
        b.websocket_connect(rec["websocket"], headers=evil),
    ):
        pass
    assert e.value.code == wire.CLOSE_POLICY


def test_a_socket_without_sign_in_or_with_a_wrong_token_is_closed(world, browser, runtime):
    b = browser("clin_a", world.fp)
    rec = start(b, world)
    anonymous = browser()
    with anonymous.websocket_connect(rec["websocket"], headers=ORIGIN) as ws:
        ws.send_text(json.dumps({"type": "hello", "token": rec["token"]}))
        assert json.loads(ws.receive_text())["type"] == "error"
        with pytest.raises(WebSocketDisconnect) as e:
            ws.receive_text()
    assert e.value.code == wire.CLOSE_UNAUTHENTICATED
    with b.websocket_connect(rec["websocket"], headers=ORIGIN) as ws:
        ws.send_text(json.dumps({"type": "hello", "token": "0" * 64}))
        assert json.loads(ws.receive_text())["type"] == "error"
        with pytest.raises(WebSocketDisconnect) as e:
            ws.receive_text()
    assert e.value.code == wire.CLOSE_UNAUTHENTICATED
    denied = audit_rows(runtime, action="recording.connect", outcome="denied")
    assert len(denied) == 2


def test_another_clinician_cannot_stream_into_the_recording(world, browser):
    rec = start(browser("clin_a", world.fp), world)
    other = browser("clin_b", world.fp)
    with other.websocket_connect(rec["websocket"], headers=ORIGIN) as ws:
        ws.send_text(json.dumps({"type": "hello", "token": rec["token"]}))
        assert json.loads(ws.receive_text())["type"] == "error"
        with pytest.raises(WebSocketDisconnect) as e:
            ws.receive_text()
    assert e.value.code == wire.CLOSE_NOT_FOUND


def test_revoking_recording_consent_closes_the_socket_with_a_reason(
    runtime, world, browser, engine, bound
):
    b = browser("clin_a", world.fp)
    rec = start(b, world)
    parts = frames_of(pcm_tone(1.0))
    with b.websocket_connect(rec["websocket"], headers=ORIGIN) as ws:
        hello(ws, rec["token"])
        send(ws, 0, parts[0])
        with runtime.db.transaction() as s:
            practice.revoke_consent(
                s, principal_of(s, world.clinician_user), world.client_id, "recording"
            )
        ws.send_bytes(wire.encode_frame(1, parts[1]))
        msg = json.loads(ws.receive_text())
        assert msg["type"] == "error"
        assert "consent was revoked" in msg["message"]
        with pytest.raises(WebSocketDisconnect) as e:
            ws.receive_text()
    assert e.value.code == wire.CLOSE_CONSENT
    with runtime.db.transaction() as s:
        row = s.get(Recording, rec["id"])
        assert row.stop_reason == "consent_revoked"
        assert s.scalar(select(func.count()).select_from(AudioFrame)) == 0
        # what was captured was transcribed, then its audio deleted at once
        assert row.transcript_id is not None
        assert row.audio_deleted_at is not None and row.deletion_reason == "consent_revoked"
    assert not AudioStore(runtime.settings.effective_media_dir).folder(rec["id"]).exists()
    assert audit_rows(runtime, action="recording.audio_delete")


def test_signing_out_ends_the_socket(world, browser, engine, bound, monkeypatch):
    from hearth.documentation.capture import ws as socket_module

    monkeypatch.setattr(socket_module, "AUTH_CHECK_SECONDS", 0.0)
    b = browser("clin_a", world.fp)
    rec = start(b, world)
    parts = frames_of(pcm_tone(1.0))
    with b.websocket_connect(rec["websocket"], headers=ORIGIN) as ws:
        hello(ws, rec["token"])
        assert send(ws, 0, parts[0])["type"] == "ack"
        assert b.form("/logout").status_code == 303
        ws.send_bytes(wire.encode_frame(1, parts[1]))
        messages = [json.loads(ws.receive_text())]
        if messages[0]["type"] == "ack":  # the frame raced the check: the next turn closes
            messages.append(json.loads(ws.receive_text()))
        assert messages[-1] == {
            "type": "error",
            "code": wire.CLOSE_UNAUTHENTICATED,
            "message": "You were signed out; sign in again to go on recording.",
        }
        with pytest.raises(WebSocketDisconnect) as e:
            ws.receive_text()
    assert e.value.code == wire.CLOSE_UNAUTHENTICATED


def test_stopping_before_any_audio_leaves_nothing_to_keep(runtime, world, browser, engine, bound):
    b = browser("clin_a", world.fp)
    rec = start(b, world)
    with b.websocket_connect(rec["websocket"], headers=ORIGIN) as ws:
        hello(ws, rec["token"])
        ws.send_text(json.dumps({"type": "stop", "frames": 0}))
        assert json.loads(ws.receive_text()) == {"type": "stopped"}
    with runtime.db.transaction() as s:
        row = s.get(Recording, rec["id"])
        assert (row.status, row.error) == ("failed", "No audio was received.")
        assert row.deletion_reason == "nothing_recorded"
    assert engine.calls == []


def test_pause_and_resume_are_kept_across_a_reconnect_and_lose_no_audio(
    runtime, world, browser, engine, bound
):
    b = browser("clin_a", world.fp)
    rec = start(b, world)
    before, after = frames_of(pcm_tone(1.0)), frames_of(pcm_tone(1.0, freq=330.0, start=1.0))
    with b.websocket_connect(rec["websocket"], headers=ORIGIN) as ws:
        hello(ws, rec["token"])
        for seq, part in enumerate(before):
            send(ws, seq, part)
        ws.send_text(json.dumps({"type": "pause"}))
        assert json.loads(ws.receive_text()) == {"type": "state", "status": "paused"}
    with runtime.db.transaction() as s:
        assert s.get(Recording, rec["id"]).status == "paused"
    with b.websocket_connect(rec["websocket"], headers=ORIGIN) as ws:
        ready = hello(ws, rec["token"])
        assert ready["status"] == "paused" and ready["next_seq"] == len(before)
        ws.send_text(json.dumps({"type": "resume"}))
        assert json.loads(ws.receive_text()) == {"type": "state", "status": "recording"}
        for seq, part in enumerate(after, start=len(before)):
            assert send(ws, seq, part) == {"type": "ack", "seq": seq}
        ws.send_text(json.dumps({"type": "stop", "frames": len(before) + len(after)}))
        assert json.loads(ws.receive_text()) == {"type": "stopped"}
    stored = AudioStore(runtime.settings.effective_media_dir).read_all(rec["id"], AUDIO)
    assert stored == b"".join(before + after)
    with runtime.db.transaction() as s:
        assert s.get(Recording, rec["id"]).status == "transcribed"
