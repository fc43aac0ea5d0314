"""Exports of signed notes: text and PDF carry the record lines; drafts and private notes never."""

from __future__ import annotations

import base64
import datetime as dt
import re
import zlib
import zoneinfo

import pytest

from hearth.documentation import export
from hearth.documentation import service as docs
from hearth.documentation.service import SignOptions
from hearth.errors import Conflict, NotFound
from hearth.practice import service as practice
from tests.documentation.test_service import SESSION, START
from tests.factories import PASSWORD, make_client, make_clinician, principal

pytestmark = pytest.mark.both_backends

ZONE = zoneinfo.ZoneInfo("America/New_York")


def sample(**overrides) -> export.SignedNoteExport:
    fields = dict(
        note_id="n123",
        practice_name="Example Test Practice",
        title="SOAP progress note",
        client_name="Samantha Sample (Sam)",
        client_birth_date=dt.date(1990, 5, 17),
        session_kind="individual",
        modality="video",
        session_start=START,
        session_end=START + dt.timedelta(minutes=53),
        clinician="Dana Testwell, LCSW",
        sections=(
            export.ExportSection("Subjective", ("Sam reported sleeping about four hours.",)),
            export.ExportSection("Plan", ()),
        ),
        signer="Dana Testwell",
        signed_at=START + dt.timedelta(days=5),
        content_hash="ab" * 32,
        late_entry=True,
        cosign_required=True,
        cosigner=None,
        cosigned_at=None,
        addenda=(
            export.AddendumLine(
                author="Dana Testwell",
                at=START + dt.timedelta(days=6),
                body="Sam called to confirm the plan.",
                content_hash="cd" * 32,
                late_entry=True,
            ),
        ),
        zone=ZONE,
    )
    fields.update(overrides)
    return export.SignedNoteExport(**fields)


def test_text_export_holds_signature_hash_late_entry_cosignature_and_addenda():
    text = export.render_text(sample())
    assert text.startswith("Example Test Practice\nSOAP progress note\n")
    assert "Client: Samantha Sample (Sam) (born 1990-05-17)" in text
    assert "Session: 2026-11-20 10:00 to 10:53 America/New_York · individual · video" in text
    assert "- Sam reported sleeping about four hours." in text
    assert "Plan\n- (nothing recorded)" in text
    assert "Electronically signed by Dana Testwell on 2026-11-25 10:00 America/New_York" in text
    assert f"Content hash (SHA-256): {'ab' * 32}" in text
    assert "Late entry" in text
    assert "Co-signature by the supervisor: pending" in text
    assert "Addendum by Dana Testwell on 2026-11-26 10:00 America/New_York (late entry)" in text
    assert "cd" * 32 in text and "Sam called to confirm the plan." in text

    cosigned = export.render_text(
        sample(cosigner="Sue Pervisor", cosigned_at=START + dt.timedelta(days=7), late_entry=False)
    )
    assert "Co-signed by Sue Pervisor on 2026-11-27" in cosigned
    assert "Late entry" not in cosigned.split("Addenda")[0]


def _pdf_text(pdf: bytes) -> bytes:
    """The PDF's content streams, decoded (reportlab writes them ASCII85 + Flate)."""
    out = b""
    for body in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            out += zlib.decompress(base64.a85decode(body.strip(), adobe=True))
        except (ValueError, zlib.error):
            continue
    return out


def test_pdf_export_is_a_pdf_with_the_record_lines():
    pdf = export.render_pdf(sample(sections=(export.ExportSection("Subjective", ("x " * 4000,)),)))
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 2  # long notes break pages
    streams = _pdf_text(export.render_pdf(sample()))
    assert b"Dana Testwell" in streams and b"ab" * 32 in streams
    assert b"Late entry" in streams and b"Sam called to confirm the plan." in streams


@pytest.fixture
def signed_world(runtime):
    with runtime.db.transaction() as s:
        user, clin = make_clinician(s, name="Dana Testwell")
        p = principal(s, user)
        client = make_client(s, p, "Samantha", "Sample", preferred_name="Sam", pronouns="she/her")
        for kind in ("treatment", "ai_processing"):
            practice.grant_consent(s, p, client.id, kind, method="paper", text_version="v1")
        row = docs.create_session(
            s,
            p,
            client_ids=[client.id],
            started_at=START,
            ended_at=START + dt.timedelta(minutes=53),
        )
        docs.import_transcript(s, p, row.id, text=SESSION, filename="s.txt")
        (draft,) = docs.draft_for_session(s, p, row.id)
        (other,) = docs.draft_for_session(s, p, row.id, template="dap")
        content = draft.content
        for section in content["sections"]:
            for st in section["statements"]:
                st["confirmed"] = True
        docs.autosave(s, p, draft.id, content=content, version=draft.version)
        docs.sign_note(s, p, draft.id, password=PASSWORD, options=SignOptions(late_entry_hours=1))
        docs.add_addendum(s, p, draft.id, body="Sam called to confirm the plan.")
        private = docs.write_private_note(s, p, client.id, "Process notes, mine only.")
        return {"user": user.id, "note": draft.id, "draft": other.id, "private": private.id}


def test_a_signed_note_exports_with_names_and_its_addendum(runtime, signed_world):
    from hearth.security.models import User

    with runtime.db.transaction() as s:
        p = principal(s, s.get(User, signed_world["user"]))
        doc = export.signed_note_export(s, p, signed_world["note"])
        text = export.render_text(doc)
        assert doc.signer == "Dana Testwell" and doc.clinician == "Dana Testwell, LCSW"
        assert doc.late_entry and doc.content_hash in text
        assert "Samantha Sample (Sam)" in text
        assert "Sam called to confirm the plan." in text
        assert "Process notes" not in text
        assert export.render_pdf(doc).startswith(b"%PDF")


def test_drafts_and_private_notes_are_refused(runtime, signed_world):
    from hearth.security.models import User

    with runtime.db.transaction() as s:
        p = principal(s, s.get(User, signed_world["user"]))
        with pytest.raises(Conflict) as refused:
            export.signed_note_export(s, p, signed_world["draft"])
        assert refused.value.code == "note_draft"
        with pytest.raises(NotFound):
            export.signed_note_export(s, p, signed_world["private"])
