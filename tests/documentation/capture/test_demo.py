"""The demo practice holds a recorded session (synthetic espeak-ng audio) with its transcript,
a draft note and its audio kept until the note is signed."""

from __future__ import annotations

from sqlalchemy import select

from hearth.demo.seed import seed
from hearth.documentation.audio import synthetic
from hearth.documentation.capture.models import Recording, VoiceEnrollment
from hearth.documentation.capture.storage import AUDIO, AudioStore
from hearth.documentation.models import Note, Transcript
from tests.conftest import need_service


def test_the_demo_has_a_recorded_session_with_transcript_and_draft(runtime):
    need_service("espeak-ng and sox", synthetic.tools_available(), "apt-get install espeak-ng sox")
    seed(runtime)
    with runtime.db.transaction() as s:
        (rec,) = s.scalars(select(Recording)).all()
        assert rec.kind == "live" and rec.status == "transcribed" and rec.has_audio
        transcript = s.get(Transcript, rec.transcript_id)
        assert transcript.source == "asr" and transcript.roles_confirmed
        assert "clinician" in transcript.speaker_roles.values()
        (note,) = s.scalars(select(Note).where(Note.transcript_id == transcript.id)).all()
        assert note.status == "draft"
        # an everyday exchange about sleep and a breathing exercise: no risk alert
        assert [x for x in (note.risk or {}).get("signals", []) if x.get("alert")] == []
        assert s.scalars(select(VoiceEnrollment)).one().seconds > 5
        rid, samples = rec.id, rec.samples_received
    pcm = AudioStore(runtime.settings.effective_media_dir).read_all(rid, AUDIO)
    assert len(pcm) == samples * 2 > 16_000 * 20
    assert not seed(runtime).changed
