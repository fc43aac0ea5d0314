"""Exports of signed notes: plain text and PDF (reportlab, no system libraries).

Only signed (or co-signed) notes leave Hearth this way, with their addenda and the lines that
make them a record: who signed and when, the content hash, late-entry marks and the
co-signature. Drafts are refused (409); private psychotherapy notes are a different record
that no export ever reads (their ids are not note ids, so they are simply not found).
"""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo
from dataclasses import dataclass
from xml.sax.saxutils import escape

from sqlalchemy.orm import Session

from hearth.documentation import service
from hearth.documentation.models import ClinicalSession
from hearth.errors import Conflict
from hearth.practice.models import Clinician
from hearth.practice.profile import get_practice, practice_time_zone
from hearth.practice.repository import ClientRepository
from hearth.security.permissions import Principal
from hearth.security.users import staff_names


@dataclass(frozen=True)
class AddendumLine:
    """One addendum as it is printed."""

    author: str
    at: dt.datetime
    body: str
    content_hash: str
    late_entry: bool


@dataclass(frozen=True)
class ExportSection:
    """A section title and its statements' text."""

    title: str
    statements: tuple[str, ...]


@dataclass(frozen=True)
class SignedNoteExport:
    """Everything an exported signed note shows, already resolved to names and local times."""

    note_id: str
    practice_name: str
    title: str
    client_name: str
    client_birth_date: dt.date | None
    session_kind: str
    modality: str
    session_start: dt.datetime | None
    session_end: dt.datetime | None
    clinician: str
    sections: tuple[ExportSection, ...]
    signer: str
    signed_at: dt.datetime
    content_hash: str
    late_entry: bool
    cosign_required: bool
    cosigner: str | None
    cosigned_at: dt.datetime | None
    addenda: tuple[AddendumLine, ...]
    zone: zoneinfo.ZoneInfo

    @property
    def filename_stem(self) -> str:
        """A file name without PHI: note-<id>."""
        return f"note-{self.note_id}"


def signed_note_export(db: Session, principal: Principal, note_id: str) -> SignedNoteExport:
    """Collect a signed note for export; a draft is refused with 409 (code note_draft)."""
    note = service.get_note(db, principal, note_id)
    if note.status == "draft" or note.signed_at is None or note.content_hash is None:
        raise Conflict(
            "Only signed notes can be exported; sign the draft first.",
            code="note_draft",
            record_type="note",
            record_id=note_id,
        )
    extra = service.addenda(db, principal, note_id)
    client = ClientRepository(db, principal).get_clinical(note.client_id)
    session_row = db.get(ClinicalSession, note.session_id)
    author = db.get(Clinician, note.author_id)
    names = staff_names(db)
    practice = get_practice(db)
    clinician = names.get(author.user_id, "") if author else ""
    if author is not None and author.credentials:
        clinician = f"{clinician}, {author.credentials}"
    content = note.content or {}
    return SignedNoteExport(
        note_id=note.id,
        practice_name=practice.name if practice else "",
        title=str(content.get("title") or note.template.upper()),
        client_name=f"{client.legal_first_name} {client.legal_last_name}"
        + (f" ({client.preferred_name})" if client.preferred_name else ""),
        client_birth_date=client.birth_date,
        session_kind=session_row.session_kind if session_row else "",
        modality=session_row.modality if session_row else "",
        session_start=session_row.started_at if session_row else None,
        session_end=session_row.ended_at if session_row else None,
        clinician=clinician,
        sections=tuple(
            ExportSection(
                str(s.get("title", s.get("key", ""))),
                tuple(str(st.get("text", "")) for st in s.get("statements", [])),
            )
            for s in content.get("sections", [])
        ),
        signer=names.get(note.signed_by_id or "", "unknown"),
        signed_at=note.signed_at,
        content_hash=note.content_hash,
        late_entry=note.late_entry,
        cosign_required=note.cosign_required,
        cosigner=names.get(note.cosigned_by_id, "unknown") if note.cosigned_by_id else None,
        cosigned_at=note.cosigned_at,
        addenda=tuple(
            AddendumLine(
                author=names.get(a.author_id, "unknown"),
                at=a.created_at,
                body=a.body,
                content_hash=a.content_hash,
                late_entry=a.late_entry,
            )
            for a in extra
        ),
        zone=practice_time_zone(db),
    )


# --- rendering (pure) ---------------------------------------------------------------------


def _when(value: dt.datetime | None, zone: zoneinfo.ZoneInfo) -> str:
    if value is None:
        return "not recorded"
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M ") + str(zone.key)


def _session_line(doc: SignedNoteExport) -> str:
    when = _when(doc.session_start, doc.zone)
    if doc.session_start and doc.session_end:
        when = (
            doc.session_start.astimezone(doc.zone).strftime("%Y-%m-%d %H:%M")
            + " to "
            + doc.session_end.astimezone(doc.zone).strftime("%H:%M ")
            + str(doc.zone.key)
        )
    kind = doc.session_kind.replace("_", " ")
    return f"{when} · {kind} · {doc.modality.replace('_', ' ')}"


def header_lines(doc: SignedNoteExport) -> list[tuple[str, str]]:
    """The identifying lines above the note: label and value."""
    born = f" (born {doc.client_birth_date.isoformat()})" if doc.client_birth_date else ""
    return [
        ("Client", doc.client_name + born),
        ("Session", _session_line(doc)),
        ("Clinician", doc.clinician),
    ]


def signature_lines(doc: SignedNoteExport) -> list[str]:
    """Who signed when, the hash, the late-entry mark and the co-signature."""
    lines = [
        f"Electronically signed by {doc.signer} on {_when(doc.signed_at, doc.zone)}",
        f"Content hash (SHA-256): {doc.content_hash}",
    ]
    if doc.late_entry:
        lines.append("Late entry: signed well after the session.")
    if doc.cosigner:
        lines.append(f"Co-signed by {doc.cosigner} on {_when(doc.cosigned_at, doc.zone)}")
    elif doc.cosign_required:
        lines.append("Co-signature by the supervisor: pending")
    return lines


def addendum_heading(a: AddendumLine, zone: zoneinfo.ZoneInfo) -> str:
    """The line above an addendum's text."""
    late = " (late entry)" if a.late_entry else ""
    return f"Addendum by {a.author} on {_when(a.at, zone)}{late}"


def render_text(doc: SignedNoteExport) -> str:
    """The signed note as plain text."""
    out = [doc.practice_name, doc.title, ""] if doc.practice_name else [doc.title, ""]
    out += [f"{label}: {value}" for label, value in header_lines(doc)]
    out.append("")
    for section in doc.sections:
        out.append(section.title)
        out += [f"- {text}" for text in section.statements] or ["- (nothing recorded)"]
        out.append("")
    out += signature_lines(doc)
    if doc.addenda:
        out += ["", "Addenda"]
        for a in doc.addenda:
            out += ["", addendum_heading(a, doc.zone), f"Hash (SHA-256): {a.content_hash}", a.body]
    return "\n".join(out).rstrip() + "\n"


def render_pdf(doc: SignedNoteExport) -> bytes:
    """The signed note as a PDF (Letter size, built-in Helvetica)."""
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=11)
    bullet = ParagraphStyle("bullet", parent=body, leftIndent=14, bulletIndent=4)

    def p(text: str, style: ParagraphStyle = body, **kw: str) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style, **kw)

    story: list[object] = []
    if doc.practice_name:
        story.append(p(doc.practice_name, styles["Normal"]))
    story.append(p(doc.title, styles["Title"]))
    for label, value in header_lines(doc):
        story.append(Paragraph(f"<b>{escape(label)}:</b> {escape(value)}", body))
    story.append(Spacer(1, 0.15 * inch))
    for section in doc.sections:
        story.append(p(section.title, styles["Heading2"]))
        for text in section.statements or ("(nothing recorded)",):
            story.append(p(text, bullet, bulletText="•"))
    story.append(Spacer(1, 0.2 * inch))
    for line in signature_lines(doc):
        story.append(p(line, small if line.startswith("Content hash") else body))
    if doc.addenda:
        story.append(p("Addenda", styles["Heading2"]))
        for a in doc.addenda:
            story.append(p(addendum_heading(a, doc.zone), styles["Heading4"]))
            story.append(p(f"Hash (SHA-256): {a.content_hash}", small))
            story.append(p(a.body))

    def footer(canvas: Canvas, _doc: object) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(
            0.75 * inch,
            0.5 * inch,
            f"Signed note {doc.note_id} · page {canvas.getPageNumber()}",
        )
        canvas.restoreState()

    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        title=doc.title,
        author=doc.signer,
        subject=f"Signed note {doc.note_id}",
        creator="Hearth",
        leftMargin=0.75 * inch,
        rightMargin=0.75 * inch,
        topMargin=0.75 * inch,
        bottomMargin=0.85 * inch,
    )
    pdf.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
