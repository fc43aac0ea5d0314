"""Use cases of session documentation: sessions, transcript import, drafting, review, signing.

Services never commit. Every entry point checks that the principal may read the clinical
records of every client of the session; drafting checks `ai_processing` consent first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hearth.db import utcnow
from hearth.documentation import importers
from hearth.documentation.drafting.engine import DraftOptions, draft_note
from hearth.documentation.drafting.templates import template_by_key
from hearth.documentation.editing import edit_metrics
from hearth.documentation.facts import COMPLEXITY_FACTORS, compute_facts
from hearth.documentation.models import (
    ClinicalSession,
    Note,
    NoteAddendum,
    NoteGoal,
    PlanItem,
    PrivateNote,
    SessionClient,
    Transcript,
    TreatmentPlan,
)
from hearth.documentation.roles import assign_roles
from hearth.documentation.signals.engine import complexity_cues
from hearth.documentation.transcript import Transcript as TranscriptValue
from hearth.documentation.transcript import Utterance
from hearth.documentation.verify import VerifyContext, verify_statement
from hearth.errors import Conflict, Forbidden, Invalid, NotFound
from hearth.practice.models import (
    CLIENT_LOCATIONS,
    MODALITIES,
    SESSION_KINDS,
    Appointment,
    Client,
    Clinician,
)
from hearth.practice.repository import ClientRepository
from hearth.practice.service import require_consent
from hearth.security.models import User
from hearth.security.passwords import verify_password
from hearth.security.permissions import Perm, Principal, require

RESOLVED = ("supported", "confirmed")


def _clinician_of(principal: Principal) -> str:
    if principal.clinician_id is None or not principal.roles & {"clinician", "owner", "supervisor"}:
        raise Forbidden("Only a clinician can do this.", code="clinician_only")
    return principal.clinician_id


# --- sessions ------------------------------------------------------------------------------


def create_session(
    db: Session,
    principal: Principal,
    *,
    client_ids: Sequence[str],
    session_kind: str = "individual",
    modality: str = "in_person",
    client_location: str | None = None,
    started_at: dt.datetime | None = None,
    ended_at: dt.datetime | None = None,
    appointment_id: str | None = None,
) -> ClinicalSession:
    """Open a documentation session for clients on the clinician's care team."""
    require(principal, Perm.CLINICAL_READ)
    clinician_id = _clinician_of(principal)
    if appointment_id:
        appt = db.get(Appointment, appointment_id)
        if appt is None:
            raise NotFound(
                "No such appointment.", record_type="appointment", record_id=appointment_id
            )
        client_ids = client_ids or appt.client_ids
        session_kind, modality = appt.session_kind, appt.modality
        client_location = client_location or appt.client_location
        started_at, ended_at = started_at or appt.start, ended_at or appt.end
    if not client_ids:
        raise Invalid("a session needs at least one client", where="client_ids")
    if session_kind not in SESSION_KINDS:
        raise Invalid(
            f"session kind must be one of {', '.join(SESSION_KINDS)}", where="session_kind"
        )
    if modality not in MODALITIES:
        raise Invalid(f"modality must be one of {', '.join(MODALITIES)}", where="modality")
    if client_location is not None and client_location not in CLIENT_LOCATIONS:
        raise Invalid("client location must be home or other", where="client_location")
    if started_at and ended_at and ended_at <= started_at:
        raise Invalid("the session must end after it starts", where="ended_at")
    repo = ClientRepository(db, principal)
    for cid in dict.fromkeys(client_ids):
        repo.get_clinical(cid)
    row = ClinicalSession(
        appointment_id=appointment_id,
        clinician_id=clinician_id,
        session_kind=session_kind,
        modality=modality,
        client_location=client_location,
        started_at=started_at,
        ended_at=ended_at,
        time_source="entered",
    )
    db.add(row)
    db.flush()
    for cid in dict.fromkeys(client_ids):
        db.add(SessionClient(session_id=row.id, client_id=cid))
    db.flush()
    return row


def session_client_ids(db: Session, session_id: str) -> list[str]:
    return list(
        db.scalars(
            select(SessionClient.client_id)
            .where(SessionClient.session_id == session_id)
            .order_by(SessionClient.id)
        )
    )


def get_session(db: Session, principal: Principal, session_id: str) -> ClinicalSession:
    """The session, if the principal may read every one of its clients' clinical records."""
    row = db.get(ClinicalSession, session_id)
    if row is None:
        raise NotFound("No such session.", record_type="session", record_id=session_id)
    repo = ClientRepository(db, principal)
    for cid in session_client_ids(db, session_id):
        if not repo.in_clinical_scope(cid):
            raise NotFound("No such session.", record_type="session", record_id=session_id)
    return row


def sessions_for_client(db: Session, principal: Principal, client_id: str) -> list[ClinicalSession]:
    """The client's documentation sessions, newest first (care team only)."""
    ClientRepository(db, principal).get_clinical(client_id)
    stmt = (
        select(ClinicalSession)
        .join(SessionClient, SessionClient.session_id == ClinicalSession.id)
        .where(SessionClient.client_id == client_id)
        .order_by(ClinicalSession.created_at.desc())
    )
    return [
        row
        for row in db.scalars(stmt)
        if all(
            ClientRepository(db, principal).in_clinical_scope(cid)
            for cid in session_client_ids(db, row.id)
        )
    ]


# --- transcripts ---------------------------------------------------------------------------


def _names(db: Session, session_row: ClinicalSession) -> tuple[list[str], dict[str, str]]:
    clinician = db.get(Clinician, session_row.clinician_id)
    user = db.get(User, clinician.user_id) if clinician else None
    clinician_names = [user.name] if user else []
    clients: dict[str, str] = {}
    for cid in session_client_ids(db, session_row.id):
        c = db.get(Client, cid)
        if c is not None:
            for name in {
                c.display_name,
                f"{c.legal_first_name} {c.legal_last_name}",
                c.preferred_name or "",
            }:
                if name:
                    clients[name] = cid
    return clinician_names, clients


def import_transcript(
    db: Session,
    principal: Principal,
    session_id: str,
    *,
    text: str,
    filename: str | None = None,
    fmt: str | None = None,
    clinician_label: str | None = None,
    mapping: Mapping[str, str] | None = None,
) -> Transcript:
    """Parse and store a transcript; a malformed file is refused before anything is written."""
    session_row = get_session(db, principal, session_id)
    _clinician_of(principal)
    parsed = importers.parse(text, filename=filename, fmt=fmt)
    clinician_names, client_names = _names(db, session_row)
    mapped = assign_roles(
        parsed,
        clinician=clinician_label,
        mapping=mapping,
        clinician_names=clinician_names,
        client_names=list(client_names),
    )
    return store_transcript(
        db, principal, session_row, mapped, "import", parsed.source_format, filename
    )


def _speaker_clients(
    db: Session, session_row: ClinicalSession, t: TranscriptValue
) -> dict[str, str]:
    _, client_names = _names(db, session_row)
    ids = session_client_ids(db, session_row.id)
    out: dict[str, str] = {}
    for speaker in t.speakers():
        role = next(u.role for u in t.utterances if u.speaker == speaker)
        if role == "clinician":
            continue
        match = [
            cid
            for name, cid in client_names.items()
            if speaker.lower() in name.lower() or name.lower() in speaker.lower()
        ]
        if match:
            out[speaker] = match[0]
        elif len(ids) == 1 and (role == "client" or role.startswith("client")):
            out[speaker] = ids[0]
    return out


def store_transcript(
    db: Session,
    principal: Principal,
    session_row: ClinicalSession,
    t: TranscriptValue,
    source: str,
    fmt: str,
    filename: str | None,
) -> Transcript:
    """Store a parsed transcript with its speaker roles (source: import, asr or live).

    Roles count as confirmed only when every one came from a tag, a mapping or a name;
    inferred roles wait for the clinician's confirm step."""
    roles = {u.speaker: u.role for u in t.utterances}
    confirmed = all(u.role_source in ("tag", "mapping", "name", "given") for u in t.utterances)
    row = Transcript(
        session_id=session_row.id,
        source=source,
        source_format=fmt,
        filename=filename,
        utterances=[u.to_json() for u in t.utterances],
        speaker_roles=roles,
        speaker_clients=_speaker_clients(db, session_row, t),
        roles_confirmed=confirmed,
        created_by_id=principal.id,
    )
    db.add(row)
    db.flush()
    return row


def transcript_value(row: Transcript) -> TranscriptValue:
    """The stored transcript as the pure value the engines use."""
    utts = tuple(
        Utterance(
            u["id"],
            u["speaker"],
            row.speaker_roles.get(u["speaker"], u.get("role", "unknown")),
            u.get("start"),
            u.get("end"),
            u["text"],
            u.get("role_source", "given"),
        )
        for u in row.utterances
    )
    return TranscriptValue(utts, row.source_format)


def get_transcript(db: Session, principal: Principal, transcript_id: str) -> Transcript:
    """A transcript the principal may read (care team only)."""
    row = db.get(Transcript, transcript_id)
    if row is None:
        raise NotFound("No such transcript.", record_type="transcript", record_id=transcript_id)
    get_session(db, principal, row.session_id)
    return row


def latest_transcript(db: Session, session_id: str) -> Transcript | None:
    return db.scalars(
        select(Transcript)
        .where(Transcript.session_id == session_id)
        .order_by(Transcript.created_at.desc())
    ).first()


def confirm_roles(
    db: Session,
    principal: Principal,
    transcript_id: str,
    roles: Mapping[str, str],
    speaker_clients: Mapping[str, str] | None = None,
) -> Transcript:
    """The mapping step: the clinician says who each speaker is."""
    row = get_transcript(db, principal, transcript_id)
    _clinician_of(principal)
    t = transcript_value(row)
    mapped = assign_roles(t, mapping=dict(roles))
    ids = set(session_client_ids(db, row.session_id))
    links = dict(row.speaker_clients)
    for speaker, cid in (speaker_clients or {}).items():
        if cid not in ids:
            raise Invalid(f"{cid} is not a client of this session", where="speaker_clients")
        links[speaker] = cid
    if not any(u.role == "clinician" for u in mapped.utterances):
        raise Invalid("one speaker must be the clinician", where="roles")
    row.speaker_roles = {u.speaker: u.role for u in mapped.utterances}
    row.utterances = [u.to_json() | {"role_source": "mapping"} for u in mapped.utterances]
    row.speaker_clients = links
    row.roles_confirmed = True
    db.flush()
    return row


MAX_SPEAKER_LABEL = 40


def reassign_speakers(
    db: Session, principal: Principal, transcript_id: str, moves: Mapping[str, str]
) -> Transcript:
    """Say who spoke individual lines (a large group, where the recording's speakers were
    merged): each utterance id → a speaker label, an existing one or a new one.

    A line moved to a speaker whose role is known takes that role; a new speaker has none yet,
    so the speakers must be confirmed again before drafting. Notes already drafted keep
    their text."""
    row = get_transcript(db, principal, transcript_id)
    _clinician_of(principal)
    current = {u["id"]: u["speaker"] for u in row.utterances}
    changed: dict[str, str] = {}
    for utt_id, label in moves.items():
        if utt_id not in current:
            raise Invalid(f"no utterance {utt_id} in this transcript", where=utt_id)
        label = " ".join(str(label).split())
        if not label or len(label) > MAX_SPEAKER_LABEL:
            raise Invalid(
                f"{utt_id}: a speaker name needs 1 to {MAX_SPEAKER_LABEL} characters", where=utt_id
            )
        if label != current[utt_id]:
            changed[utt_id] = label
    if not changed:
        return row
    roles = dict(row.speaker_roles)
    utterances = []
    for u in row.utterances:
        if u["id"] in changed:
            speaker = changed[u["id"]]
            role = roles.get(speaker, "unknown")
            u = u | {
                "speaker": speaker,
                "role": role,
                "role_source": "mapping" if role != "unknown" else "unknown",
            }
        utterances.append(u)
    present = {u["speaker"] for u in utterances}
    row.utterances = utterances
    row.speaker_roles = {
        sp: roles.get(sp, "unknown") for sp in dict.fromkeys(u["speaker"] for u in utterances)
    }
    row.speaker_clients = {k: v for k, v in row.speaker_clients.items() if k in present}
    row.roles_confirmed = row.roles_confirmed and all(
        r != "unknown" for r in row.speaker_roles.values()
    )
    db.flush()
    return row


# --- drafting ------------------------------------------------------------------------------


def _goals(db: Session, client_id: str) -> dict[str, str]:
    stmt = (
        select(PlanItem)
        .join(TreatmentPlan, TreatmentPlan.id == PlanItem.plan_id)
        .where(
            TreatmentPlan.client_id == client_id,
            TreatmentPlan.status == "active",
            PlanItem.kind == "goal",
            PlanItem.status == "open",
        )
    )
    return {f"goal:{g.id}": g.text for g in db.scalars(stmt)}


def draft_for_session(
    db: Session,
    principal: Principal,
    session_id: str,
    *,
    template: str = "soap",
    density: str = "standard",
    quotes: str = "some",
    templates_dir: Path | None = None,
) -> list[Note]:
    """Draft one note per client (one per member in a group) from the latest transcript."""
    session_row = get_session(db, principal, session_id)
    author = _clinician_of(principal)
    row = latest_transcript(db, session_id)
    if row is None:
        raise Conflict("Import or record a transcript before drafting.", code="no_transcript")
    if not row.roles_confirmed:
        raise Conflict("Confirm who each speaker is before drafting.", code="roles_unconfirmed")
    client_ids = session_client_ids(db, session_id)
    for cid in client_ids:
        require_consent(db, cid, "ai_processing")
    tpl = template_by_key(template, templates_dir)
    t = transcript_value(row)
    group = session_row.session_kind == "group"
    notes = []
    by_client = {cid: speaker for speaker, cid in row.speaker_clients.items()}
    targets = (
        client_ids
        if group
        or session_row.session_kind
        not in ("couples", "family_with_client", "family_without_client")
        else client_ids[:1]
    )
    for cid in targets:
        client = db.get(Client, cid)
        assert client is not None
        member = by_client.get(cid) if group else None
        if group and member is None:
            raise Conflict(
                "Link each group member to a speaker before drafting.", code="member_unlinked"
            )
        goals = _goals(db, cid)
        opts = DraftOptions(
            density=density,
            quotes=quotes,
            client_name=client.preferred_name or client.legal_first_name,
            pronouns=client.pronouns,
            member=member,
            session_kind=session_row.session_kind,
            goals=goals,
        )
        d = draft_note(
            t,
            tpl,
            opts,
            profile={"preferred_name": opts.client_name or "", "pronouns": client.pronouns or ""},
        )
        doc = d.to_json()
        content = {
            "template": doc["template"],
            "title": tpl.title,
            "sections": doc["sections"],
            "member": member,
        }
        note = Note(
            session_id=session_id,
            client_id=cid,
            transcript_id=row.id,
            author_id=author,
            template=tpl.key,
            content=content,
            engine_content=json.loads(json.dumps(content)),
            risk=doc["risk"],
        )
        db.add(note)
        db.flush()
        touched = {
            e.removeprefix("goal:")
            for s in doc["sections"]
            for st in s["statements"]
            for e in st["evidence"]
            if e.startswith("goal:")
        }
        for gid in touched:
            db.add(NoteGoal(note_id=note.id, goal_id=gid))
        notes.append(note)
    db.flush()
    return notes


# --- review and signing --------------------------------------------------------------------


def get_note(db: Session, principal: Principal, note_id: str) -> Note:
    """A note the principal may read (care team clinicians and their supervisors)."""
    note = db.get(Note, note_id)
    if note is None:
        raise NotFound("No such note.", record_type="note", record_id=note_id)
    if not ClientRepository(db, principal).in_clinical_scope(note.client_id):
        raise NotFound("No such note.", record_type="note", record_id=note_id)
    return note


def _context(db: Session, note: Note) -> VerifyContext | None:
    if note.transcript_id is None:
        return None
    row = db.get(Transcript, note.transcript_id)
    if row is None:
        return None
    client = db.get(Client, note.client_id)
    profile = {}
    if client is not None:
        profile = {
            "preferred_name": client.preferred_name or client.legal_first_name,
            "pronouns": client.pronouns or "",
        }
    t = transcript_value(row)
    member = (note.content or {}).get("member")
    if member:
        from hearth.documentation.drafting.engine import member_view

        t = member_view(t, member)
    return VerifyContext.build(t, profile=profile, records=_goals(db, note.client_id))


def _clean_content(content: Mapping[str, Any], previous: Mapping[str, Any]) -> dict[str, Any]:
    """Validate an edited note; keep AI marks on untouched statements, mark edited ones."""
    if not isinstance(content, Mapping) or not isinstance(content.get("sections"), list):
        raise Invalid("note content needs a 'sections' list", where="content")
    before = {st["id"]: st for s in previous.get("sections", []) for st in s.get("statements", [])}
    keys = [s["key"] for s in previous.get("sections", [])]
    sections = []
    for i, s in enumerate(content["sections"]):
        if not isinstance(s, Mapping) or s.get("key") not in keys:
            raise Invalid(f"section {i} is not a section of this note", where=f"sections[{i}]")
        statements = []
        for j, st in enumerate(s.get("statements", [])):
            text = str(st.get("text", "")).strip()
            if not text:
                continue
            if len(text) > 5000:
                raise Invalid(
                    "a statement is longer than 5,000 characters",
                    where=f"sections[{i}].statements[{j}]",
                )
            old = before.get(str(st.get("id")))
            source = (
                "engine"
                if old is not None and old.get("text") == text and old.get("source") == "engine"
                else (
                    "edited"
                    if old is not None and old.get("source") in ("engine", "edited")
                    else "clinician"
                )
            )
            evidence = [str(e) for e in st.get("evidence", old.get("evidence", []) if old else [])]
            statements.append(
                {
                    "id": str(st.get("id") or f"c{i}_{j}"),
                    "text": text,
                    "evidence": evidence,
                    "kind": st.get("kind", old.get("kind") if old else None) or "finding",
                    "source": source,
                    "accepted": bool(st.get("accepted", False)),
                    "confirmed": bool(st.get("confirmed", False)),
                    "verification": old.get("verification", "unsupported")
                    if old and old.get("text") == text
                    else "unsupported",
                    "reasons": old.get("reasons", []) if old and old.get("text") == text else [],
                }
            )
        sections.append(
            {
                "key": s["key"],
                "title": next(p["title"] for p in previous["sections"] if p["key"] == s["key"]),
                "statements": statements,
            }
        )
    return {**dict(previous), "sections": sections}


def reverify(db: Session, note: Note, content: dict[str, Any]) -> dict[str, Any]:
    """Run the verifier over every statement whose text changed."""
    ctx = _context(db, note)
    for s in content["sections"]:
        for st in s["statements"]:
            if st.get("verification") in ("supported",) and st.get("source") == "engine":
                continue
            if ctx is None:
                st["verification"], st["reasons"] = (
                    "unsupported",
                    ["no transcript to check against"],
                )
                continue
            kind = "absence" if st.get("kind") == "absence" else None
            v = verify_statement(st["text"], st.get("evidence", []), ctx, kind=kind)
            st["verification"], st["reasons"] = v.verification, list(v.reasons)
            if not st.get("evidence") and v.evidence and kind is None:
                st["evidence"] = list(v.evidence)
    return content


def autosave(
    db: Session, principal: Principal, note_id: str, *, content: Mapping[str, Any], version: int
) -> Note:
    """Save the clinician's edits; refused on a signed note (409) or a stale version (409)."""
    note = get_note(db, principal, note_id)
    if note.status != "draft":
        raise Conflict(
            "This note is signed; add an addendum instead.",
            code="note_signed",
            record_type="note",
            record_id=note_id,
        )
    if note.author_id != principal.clinician_id:
        raise Forbidden("Only the note's author can edit it.", code="not_author")
    if version != note.version:
        raise Conflict(
            "This note was saved elsewhere since you opened it; reload to see the latest version.",
            code="stale_version",
        )
    cleaned = _clean_content(content, note.content)
    note.content = reverify(db, note, cleaned)
    note.version += 1
    note.updated_at = utcnow()
    db.flush()
    return note


def unresolved(content: Mapping[str, Any]) -> list[str]:
    """Ids of statements that are unsupported or contradicted and not confirmed."""
    return [
        st["id"]
        for s in content.get("sections", [])
        for st in s.get("statements", [])
        if st.get("verification") != "supported" and not st.get("confirmed")
    ]


def content_hash(note: Note, content: Mapping[str, Any], signer: str, at: dt.datetime) -> str:
    """SHA-256 over the signed content and who signed it when."""
    body = json.dumps(
        {
            "note": note.id,
            "client": note.client_id,
            "session": note.session_id,
            "content": content,
            "signer": signer,
            "at": at.isoformat(),
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _check_password(db: Session, principal: Principal, password: str) -> User:
    user = db.get(User, principal.id)
    if user is None or not verify_password(user.password_hash, password):
        raise Forbidden("The password is not right; the note was not signed.", code="reauth_failed")
    return user


@dataclass(frozen=True)
class SignOptions:
    late_entry_hours: int = 72
    confirmed_factors: frozenset[str] = frozenset()


def sign_note(
    db: Session,
    principal: Principal,
    note_id: str,
    *,
    password: str,
    options: SignOptions = SignOptions(),
) -> Note:
    """Sign a draft: password again, every flagged statement resolved, facts frozen, hash kept."""
    note = get_note(db, principal, note_id)
    if note.status != "draft":
        raise Conflict(
            "This note is already signed.",
            code="note_signed",
            record_type="note",
            record_id=note_id,
        )
    if note.author_id != principal.clinician_id:
        raise Forbidden("Only the note's author can sign it.", code="not_author")
    _check_password(db, principal, password)
    open_items = unresolved(note.content)
    if open_items:
        raise Conflict(
            f"Resolve the flagged statements before signing: {', '.join(open_items)}",
            code="unresolved_statements",
        )
    unknown = set(options.confirmed_factors) - set(COMPLEXITY_FACTORS)
    if unknown:
        raise Invalid(f"unknown complexity factors {sorted(unknown)}", where="complexity")
    now = utcnow()
    session_row = db.get(ClinicalSession, note.session_id)
    assert session_row is not None
    row = db.get(Transcript, note.transcript_id) if note.transcript_id else None
    t = transcript_value(row) if row else None
    clinician = db.get(Clinician, note.author_id)
    digest = content_hash(note, note.content, principal.id, now)
    entered = (
        (session_row.started_at, session_row.ended_at)
        if session_row.started_at and session_row.ended_at
        else None
    )
    facts = compute_facts(
        session_kind=session_row.session_kind,
        modality=session_row.modality,
        client_location=session_row.client_location,
        entered=entered if session_row.time_source == "entered" else None,
        recording=entered if session_row.time_source == "recording" else None,
        transcript=t,
        headcount=len(session_client_ids(db, session_row.id)),
        prescriber=bool(clinician and clinician.prescriber),
        complexity=complexity_cues(t) if t else {},
        confirmed=set(options.confirmed_factors),
        note_hash=digest,
    )
    note.status = "signed"
    note.signed_by_id = principal.id
    note.signed_at = now
    note.content_hash = digest
    note.facts = facts.to_json()
    note.edit_metrics = edit_metrics(note.engine_content, note.content)
    end = session_row.ended_at or session_row.started_at or note.created_at
    note.seconds_to_sign = max(0, int((now - end).total_seconds()))
    note.late_entry = now - end > dt.timedelta(hours=options.late_entry_hours)
    note.cosign_required = bool(clinician and clinician.supervisor_id)
    db.flush()
    return note


def cosign_note(db: Session, principal: Principal, note_id: str, *, password: str) -> Note:
    """The supervisor co-signs a supervised clinician's signed note."""
    note = get_note(db, principal, note_id)
    author = db.get(Clinician, note.author_id)
    if not note.cosign_required or author is None or author.supervisor_id != principal.clinician_id:
        raise Forbidden(
            "Only the author's supervisor can co-sign this note.", code="not_supervisor"
        )
    if note.status != "signed":
        raise Conflict(
            "The note must be signed by its author first, and only once co-signed.",
            code="not_signed",
        )
    _check_password(db, principal, password)
    note.status = "cosigned"
    note.cosigned_by_id = principal.id
    note.cosigned_at = utcnow()
    db.flush()
    return note


def add_addendum(
    db: Session, principal: Principal, note_id: str, *, body: str, late_entry_hours: int = 72
) -> NoteAddendum:
    """Add a dated addendum to a signed note (a late entry when well after the session)."""
    note = get_note(db, principal, note_id)
    _clinician_of(principal)
    if note.status == "draft":
        raise Conflict("Edit the draft itself; addenda are for signed notes.", code="note_draft")
    text = body.strip()
    if not text:
        raise Invalid("an addendum needs text", where="body")
    now = utcnow()
    session_row = db.get(ClinicalSession, note.session_id)
    end = (session_row.ended_at if session_row else None) or note.signed_at or now
    digest = hashlib.sha256(
        json.dumps(
            {"note": note.id, "body": text, "by": principal.id, "at": now.isoformat()},
            sort_keys=True,
        ).encode()
    ).hexdigest()
    add = NoteAddendum(
        note_id=note.id,
        author_id=principal.id,
        body=text,
        created_at=now,
        content_hash=digest,
        late_entry=now - end > dt.timedelta(hours=late_entry_hours),
    )
    db.add(add)
    db.flush()
    return add


def addenda(db: Session, principal: Principal, note_id: str) -> list[NoteAddendum]:
    get_note(db, principal, note_id)
    return list(
        db.scalars(
            select(NoteAddendum)
            .where(NoteAddendum.note_id == note_id)
            .order_by(NoteAddendum.created_at)
        )
    )


def notes_for_client(db: Session, principal: Principal, client_id: str) -> list[Note]:
    """The client's notes, newest first (care team only)."""
    ClientRepository(db, principal).get_clinical(client_id)
    return list(
        db.scalars(select(Note).where(Note.client_id == client_id).order_by(Note.created_at.desc()))
    )


def notes_awaiting(db: Session, principal: Principal) -> list[Note]:
    """Drafts the clinician must review and notes waiting for their co-signature."""
    if principal.clinician_id is None:
        return []
    own = select(Note).where(Note.author_id == principal.clinician_id, Note.status == "draft")
    cos = (
        select(Note)
        .join(Clinician, Clinician.id == Note.author_id)
        .where(
            Clinician.supervisor_id == principal.clinician_id,
            Note.status == "signed",
            Note.cosign_required.is_(True),
        )
    )
    return list(db.scalars(own)) + list(db.scalars(cos))


def clinician_metrics(db: Session) -> list[dict[str, Any]]:
    """Per clinician: how much drafts were changed per section and the time to signature."""
    rows: dict[str, dict[str, Any]] = {}
    for note in db.scalars(select(Note).where(Note.status != "draft")):
        m = rows.setdefault(
            note.author_id,
            {"clinician_id": note.author_id, "notes": 0, "changed": {}, "seconds": []},
        )
        m["notes"] += 1
        for key, v in (note.edit_metrics or {}).items():
            m["changed"].setdefault(key, []).append(v["changed"])
        if note.seconds_to_sign is not None:
            m["seconds"].append(note.seconds_to_sign)
    out = []
    for m in rows.values():
        secs = sorted(m["seconds"])
        out.append(
            {
                "clinician_id": m["clinician_id"],
                "notes": m["notes"],
                "changed_by_section": {
                    k: round(sum(v) / len(v), 3) for k, v in m["changed"].items()
                },
                "median_hours_to_sign": round(secs[len(secs) // 2] / 3600, 1) if secs else None,
            }
        )
    return out


# --- private psychotherapy notes -----------------------------------------------------------


def write_private_note(
    db: Session, principal: Principal, client_id: str, body: str, session_id: str | None = None
) -> PrivateNote:
    """A clinician-only process note: never processed by any engine, never exported."""
    ClientRepository(db, principal).get_clinical(client_id)
    _clinician_of(principal)
    if not body.strip():
        raise Invalid("a private note needs text", where="body")
    row = PrivateNote(
        client_id=client_id, author_id=principal.id, body=body.strip(), session_id=session_id
    )
    db.add(row)
    db.flush()
    return row


def private_notes(db: Session, principal: Principal, client_id: str) -> list[PrivateNote]:
    """The requesting clinician's own private notes about the client (nobody else's)."""
    ClientRepository(db, principal).get_clinical(client_id)
    return list(
        db.scalars(
            select(PrivateNote)
            .where(PrivateNote.client_id == client_id, PrivateNote.author_id == principal.id)
            .order_by(PrivateNote.created_at.desc())
        )
    )


# --- treatment plans -----------------------------------------------------------------------


def create_plan(
    db: Session,
    principal: Principal,
    client_id: str,
    items: Sequence[Mapping[str, Any]],
    review_date: dt.date | None = None,
) -> TreatmentPlan:
    """Write a treatment plan: problems, goals, measurable objectives, interventions."""
    ClientRepository(db, principal).get_clinical(client_id)
    author = _clinician_of(principal)
    if not items:
        raise Invalid("a plan needs at least one problem and goal", where="items")
    plan = TreatmentPlan(client_id=client_id, author_id=author, review_date=review_date)
    db.add(plan)
    db.flush()
    created: dict[str, PlanItem] = {}
    for i, item in enumerate(items):
        kind = item.get("kind")
        if kind not in ("problem", "goal", "objective", "intervention"):
            raise Invalid(
                f"item {i}: kind must be problem, goal, objective or intervention",
                where=f"items[{i}].kind",
            )
        text = str(item.get("text", "")).strip()
        if not text:
            raise Invalid(f"item {i} needs text", where=f"items[{i}].text")
        parent_ref = item.get("parent")
        parent = created.get(str(parent_ref)) if parent_ref is not None else None
        if parent_ref is not None and parent is None:
            raise Invalid(
                f"item {i}: parent {parent_ref!r} is not an earlier item",
                where=f"items[{i}].parent",
            )
        target = item.get("target_date")
        row = PlanItem(
            plan_id=plan.id,
            parent_id=parent.id if parent else None,
            kind=kind,
            text=text,
            position=i,
            target_date=dt.date.fromisoformat(target) if isinstance(target, str) else target,
        )
        db.add(row)
        db.flush()
        created[str(item.get("ref", i))] = row
    return plan


def plan_items(db: Session, principal: Principal, client_id: str) -> list[PlanItem]:
    """Items of the client's active plans, in order."""
    ClientRepository(db, principal).get_clinical(client_id)
    return list(
        db.scalars(
            select(PlanItem)
            .join(TreatmentPlan, TreatmentPlan.id == PlanItem.plan_id)
            .where(TreatmentPlan.client_id == client_id, TreatmentPlan.status == "active")
            .order_by(PlanItem.position)
        )
    )
