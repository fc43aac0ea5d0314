"""The capture path with the real speech pipeline (bundled Whisper tiny.en, resemblyzer): an
espeak-ng dialogue uploaded as MP3 and a live recording, with the clinician's voice enrolled.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from sqlalchemy import select

from hearth.db import utcnow
from hearth.documentation.audio import synthetic
from hearth.documentation.capture import frames as wire
from hearth.documentation.capture import service
from hearth.documentation.capture.engine import PipelineEngine, use_engine
from hearth.documentation.capture.models import Recording
from hearth.documentation.capture.storage import AudioStore
from hearth.documentation.models import Note, Transcript
from tests.conftest import need_service
from tests.documentation.capture.conftest import encode_audio, principal_of


@pytest.fixture(scope="module")
def spoken(tmp_path_factory):
    need_service(
        "espeak-ng and sox",
        synthetic.tools_available(),
        "install the Debian packages espeak-ng and sox",
    )
    folder = tmp_path_factory.mktemp("spoken")
    d = synthetic.dialogue(synthetic.THERAPY_DIALOGUE[:8], synthetic.FEMALE_MALE)
    lines = [(0, text) for text in synthetic.CLINICIAN_LINES[:8]]
    me = synthetic.dialogue(lines, synthetic.FEMALE_MALE, seed=3)
    return d, synthetic.write_wav(folder / "me.wav", me.samples)


@pytest.fixture
def real_engine():
    previous = use_engine(PipelineEngine(None, "cpu"))
    yield
    use_engine(previous)


def words(text: str) -> set[str]:
    return {w.strip(".,?!").lower() for w in text.split()}


def test_an_uploaded_dialogue_is_transcribed_labelled_and_drafted(
    runtime, world, bound, real_engine, spoken, tmp_path
):
    dialogue, enrollment = spoken
    path = encode_audio(tmp_path / "session.mp3", samples=dialogue.samples)
    with runtime.db.transaction() as s:
        p = principal_of(s, world.clinician_user)
        service.enroll_voice(s, p, PipelineEngine(None, "cpu").enroll(enrollment))
    with runtime.db.transaction() as s, path.open("rb") as f:
        rid = service.upload_recording(
            s,
            principal_of(s, world.clinician_user),
            AudioStore(runtime.settings.effective_media_dir),
            world.session_id,
            fileobj=f,
            filename=path.name,
            now=utcnow(),
        ).id
    with runtime.db.transaction() as s:
        rec = s.get(Recording, rid)
        assert rec.status == "transcribed", rec.error
        transcript = s.get(Transcript, rec.transcript_id)
        assert transcript.roles_confirmed
        said = " ".join(u["text"] for u in transcript.utterances)
        heard = words(said) & words(dialogue.reference_text())
        assert len(heard) >= 0.7 * len(words(dialogue.reference_text()))
        clinician = [
            u["text"]
            for u in transcript.utterances
            if transcript.speaker_roles[u["speaker"]] == "clinician"
        ]
        assert any("week" in t.lower() for t in clinician)
        assert s.scalars(select(Note).where(Note.transcript_id == transcript.id)).first()


def test_live_text_from_the_real_model(runtime, world, browser, bound, real_engine, spoken):
    dialogue, _ = spoken
    runtime.settings.recording_live_window_seconds = 5.0
    b = browser("clin_a", world.fp)
    rec = b.api("POST", f"/api/v1/sessions/{world.session_id}/recordings").json()
    pcm = (
        (np.clip(dialogue.samples[: 12 * wire.SAMPLE_RATE], -1, 1) * 32767).astype("<i2").tobytes()
    )
    size = wire.SAMPLE_RATE  # 0.5 s frames
    with b.websocket_connect(rec["websocket"], headers={"origin": "http://testserver"}) as ws:
        ws.send_text(json.dumps({"type": "hello", "token": rec["token"]}))
        json.loads(ws.receive_text())
        for seq, i in enumerate(range(0, len(pcm), size)):
            ws.send_bytes(wire.encode_frame(seq, pcm[i : i + size]))
            json.loads(ws.receive_text())
        partial = b.get(f"/api/v1/recordings/{rec['id']}").json()["partial"]
        assert partial, "no live text before stop"
        assert "week" in " ".join(line["text"] for line in partial).lower()
