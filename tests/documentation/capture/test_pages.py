"""Capture's pages: the Recording panel and its consent gate, the consent form, uploads,
progress, erasure and voice enrollment, through the app with signed-in test clients."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from hearth.documentation.capture.consent import recording_consent_text
from hearth.documentation.capture.models import Recording, VoiceEnrollment
from hearth.practice import service as practice
from hearth.practice.models import Consent
from tests.documentation.capture.conftest import encode_audio, principal_of
from tests.web.support import audit_rows


def test_the_session_page_loads_the_recording_panel(world, browser):
    b = browser("clin_a", world.fp)
    page = b.get(f"/sessions/{world.session_id}")
    assert page.status_code == 200
    assert f'hx-get="/sessions/{world.session_id}/recording"' in page.text
    assert "/static/capture/recorder.js" in page.text
    panel = b.get(f"/sessions/{world.session_id}/recording")
    assert panel.status_code == 200
    assert 'data-allowed="true"' in panel.text  # the script enables Record once it is bound
    assert re.search(r'data-action="record" disabled\s*>Record<', panel.text)
    assert 'data-start-url="/api/v1/sessions/' in panel.text
    assert "enroll your voice" in panel.text


def test_without_consent_record_is_disabled_and_says_why(runtime, world, browser):
    with runtime.db.transaction() as s:
        practice.revoke_consent(
            s, principal_of(s, world.clinician_user), world.client_id, "recording"
        )
    b = browser("clin_a", world.fp)
    panel = b.get(f"/sessions/{world.session_id}/recording").text
    assert 'data-allowed="false"' in panel
    assert re.search(r'data-action="record" disabled\s+aria-describedby="rec-why"', panel)
    assert "Recording needs recording consent from every client; missing: " in panel
    assert f"/clients/{world.client_id}/recording-consent?return_to=/sessions/" in panel
    r = b.api("POST", f"/api/v1/sessions/{world.session_id}/recordings")
    assert r.status_code == 409 and r.json()["error"]["code"] == "consent_required"


def test_the_consent_form_says_recording_offers_a_real_no_and_stores_the_version(
    runtime, world, browser
):
    marco = world.fp.clients["marco"]
    b = browser("clin_a", world.fp)
    page = b.get(f"/clients/{marco}/recording-consent").text
    text = recording_consent_text()
    assert text.title in page and "recording" in page
    assert f'value="agree" class="button primary">{text.agree}' in page
    assert f'value="decline" class="button">{text.decline}' in page
    declined = b.form(f"/clients/{marco}/recording-consent", {"answer": "decline"})
    assert declined.status_code == 200 and "The client declined" in declined.text
    with runtime.db.transaction() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(Consent)
                .where(Consent.client_id == marco, Consent.kind == "recording")
            )
            == 0
        )
    assert audit_rows(runtime, action="consent.recording_declined")
    agreed = b.form(
        f"/clients/{marco}/recording-consent",
        {"answer": "agree", "method": "paper", "given_by": "client"},
    )
    assert agreed.status_code == 303
    with runtime.db.transaction() as s:
        consent = s.scalars(
            select(Consent).where(Consent.client_id == marco, Consent.kind == "recording")
        ).one()
        assert consent.text_version == text.version and consent.revoked_at is None
    withdrawn = b.form(f"/clients/{marco}/recording-consent/revoke")
    assert withdrawn.status_code == 303
    with runtime.db.transaction() as s:
        assert s.get(Consent, consent.id).revoked_at is not None


def test_billing_staff_cannot_open_the_consent_form_of_clinical_records(world, browser):
    b = browser("biller", world.fp)
    assert b.get(f"/clients/{world.client_id}/recording-consent").status_code == 403
    assert b.get(f"/sessions/{world.session_id}/recording").status_code in (403, 404)


def test_upload_through_the_page_then_the_status_shows_the_transcript(
    runtime, world, browser, engine, bound, tmp_path
):
    b = browser("clin_a", world.fp)
    path = encode_audio(tmp_path / "session.m4a")
    with path.open("rb") as f:
        r = b.post(
            f"/sessions/{world.session_id}/recordings/upload",
            data={"csrf_token": b.csrf},
            files={"file": ("session.m4a", f, "audio/mp4")},
        )
    assert r.status_code == 303, r.text
    with runtime.db.transaction() as s:
        rec = s.scalars(select(Recording)).one()
    status = b.get(f"/recordings/{rec.id}/status?was=uploaded:0:0")
    assert 'data-recording-status="transcribed"' in status.text
    assert "confirm who is speaking" in status.text
    assert status.headers.get("HX-Refresh") == "true"  # finished since the page last looked
    assert "Audio kept, encrypted, until the note is signed" in status.text
    session_page = b.get(f"/sessions/{world.session_id}").text
    assert "speech recognition</span> from a recording, session.m4a" in session_page
    assert ">imported<" not in session_page


def test_a_bad_upload_is_refused_naming_the_file(runtime, world, browser, tmp_path):
    b = browser("clin_a", world.fp)
    r = b.post(
        f"/sessions/{world.session_id}/recordings/upload",
        data={"csrf_token": b.csrf},
        files={"file": ("minutes.mp3", b"not audio" * 100, "audio/mpeg")},
    )
    assert r.status_code == 422
    assert "minutes.mp3: not a readable recording" in r.text
    with runtime.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Recording)) == 0


def test_progress_bar_while_transcribing(runtime, world, browser, engine, bound, tmp_path):
    b = browser("clin_a", world.fp)
    with runtime.db.transaction() as s:
        rec = Recording(
            session_id=world.session_id,
            created_by_id=world.clinician_user,
            kind="upload",
            status="transcribing",
            progress=0.42,
            progress_stage="recognising speech",
        )
        s.add(rec)
        s.flush()
        rid = rec.id
    page = b.get(f"/recordings/{rid}/status").text
    assert '<progress id="progress-' in page and 'value="42"' in page
    assert "recognising speech" in page
    assert f'hx-get="/recordings/{rid}/status?was=transcribing:0:0" hx-trigger="every 3s"' in page


def test_erasing_needs_the_clients_request_confirmed(
    runtime, world, browser, engine, bound, tmp_path
):
    b = browser("clin_a", world.fp)
    with encode_audio(tmp_path / "s.wav").open("rb") as f:
        b.post(
            f"/sessions/{world.session_id}/recordings/upload",
            data={"csrf_token": b.csrf},
            files={"file": ("s.wav", f, "audio/wav")},
        )
    with runtime.db.transaction() as s:
        rid = s.scalars(select(Recording.id)).one()
    assert b.form(f"/recordings/{rid}/erase").status_code == 422
    assert b.form(f"/recordings/{rid}/erase", {"confirm": "erase"}).status_code == 303
    with runtime.db.transaction() as s:
        assert s.get(Recording, rid).status == "erased"
    assert audit_rows(runtime, action="recording.erase")
    assert [r.detail for r in audit_rows(runtime, action="recording.audio_delete")] == [
        "erased_on_request"
    ]
    other = browser("clin_b", world.fp)
    assert other.form(f"/recordings/{rid}/erase", {"confirm": "erase"}).status_code == 404


def test_voice_enrollment_keeps_a_voice_print_not_the_audio(
    runtime, world, browser, engine, tmp_path
):
    b = browser("clin_a", world.fp)
    page = b.get("/voice").text
    assert "not enrolled" in page and "/static/capture/voice.js" in page
    with encode_audio(tmp_path / "me.wav").open("rb") as f:
        r = b.post(
            "/voice", data={"csrf_token": b.csrf}, files={"file": ("me.wav", f, "audio/wav")}
        )
    assert r.status_code == 303
    assert "enrolled" in b.get("/voice?saved=1").text
    with runtime.db.transaction() as s:
        row = s.get(VoiceEnrollment, world.fp.clinicians["clin_a"])
        assert row.profile["kind"] == "hearth-voice-profile" and row.seconds == 30.0
    assert list(runtime.settings.effective_media_dir.rglob("*.wav")) == []
    assert b.form("/voice/remove").status_code == 303
    desk = browser("front_desk", world.fp)
    with encode_audio(tmp_path / "me.wav").open("rb") as f:
        r = desk.post(
            "/voice", data={"csrf_token": desk.csrf}, files={"file": ("me.wav", f, "audio/wav")}
        )
    assert r.status_code == 403
