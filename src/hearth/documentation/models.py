"""Tables of session documentation. Transcripts, notes and plans are PHI: encrypted columns."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hearth.db import Base, UTCDateTime, utcnow
from hearth.security.crypto import EncryptedJSON, EncryptedText
from hearth.security.models import new_id

NOTE_STATUSES = ("draft", "signed", "cosigned")


class ClinicalSession(Base):
    """A therapy session (from an appointment or ad hoc) that documentation hangs on."""

    __tablename__ = "clinical_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    appointment_id: Mapped[str | None] = mapped_column(
        ForeignKey("appointments.id"), nullable=True, index=True
    )
    clinician_id: Mapped[str] = mapped_column(ForeignKey("clinicians.id"), index=True)
    session_kind: Mapped[str] = mapped_column(String(30), default="individual")
    modality: Mapped[str] = mapped_column(String(20), default="in_person")
    client_location: Mapped[str | None] = mapped_column(String(10), nullable=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    time_source: Mapped[str] = mapped_column(String(12), default="entered")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SessionClient(Base):
    """A client taking part in a session, and their speaker label in its transcript."""

    __tablename__ = "session_clients"
    __table_args__ = (UniqueConstraint("session_id", "client_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("clinical_sessions.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)


class Transcript(Base):
    """A session's transcript: utterances (ids u1, u2, …) stored as one encrypted document."""

    __tablename__ = "transcripts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("clinical_sessions.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(12))  # import | asr | live
    source_format: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    utterances: Mapped[list[dict[str, Any]]] = mapped_column(EncryptedJSON)
    speaker_roles: Mapped[dict[str, str]] = mapped_column(EncryptedJSON)
    speaker_clients: Mapped[dict[str, str]] = mapped_column(EncryptedJSON)  # label -> client id
    roles_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Note(Base):
    """A progress note about one client: a draft, then signed (immutable), then addenda."""

    __tablename__ = "notes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("clinical_sessions.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    transcript_id: Mapped[str | None] = mapped_column(ForeignKey("transcripts.id"), nullable=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("clinicians.id"), index=True)
    template: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    content: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)  # sections and statements
    engine_content: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON, nullable=True)
    risk: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # frozen at signing
    edit_metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    signed_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    late_entry: Mapped[bool] = mapped_column(Boolean, default=False)
    cosign_required: Mapped[bool] = mapped_column(Boolean, default=False)
    cosigned_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    cosigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    seconds_to_sign: Mapped[int | None] = mapped_column(Integer, nullable=True)


class NoteAddendum(Base):
    """A signed addition to a signed note (the only way a signed note changes)."""

    __tablename__ = "note_addenda"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    note_id: Mapped[str] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(EncryptedText)
    late_entry: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    content_hash: Mapped[str] = mapped_column(String(64))


class PrivateNote(Base):
    """Psychotherapy notes: the author's own process notes — never processed by any engine,
    never exported or disclosed with the record, readable by their author only."""

    __tablename__ = "private_notes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    session_id: Mapped[str | None] = mapped_column(
        ForeignKey("clinical_sessions.id"), nullable=True
    )
    body: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TreatmentPlan(Base):
    """A client's treatment plan, written by a clinician."""

    __tablename__ = "treatment_plans"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("clinicians.id"))
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | closed
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    review_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class PlanItem(Base):
    """A problem, goal, measurable objective or intervention of a treatment plan."""

    __tablename__ = "plan_items"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    plan_id: Mapped[str] = mapped_column(
        ForeignKey("treatment_plans.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("plan_items.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(12))  # problem | goal | objective | intervention
    text: Mapped[str] = mapped_column(EncryptedText)
    target_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | met | dropped
    position: Mapped[int] = mapped_column(Integer, default=0)


class NoteGoal(Base):
    """A note touches a treatment-plan goal (the golden thread)."""

    __tablename__ = "note_goals"

    note_id: Mapped[str] = mapped_column(
        ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True
    )
    goal_id: Mapped[str] = mapped_column(ForeignKey("plan_items.id"), primary_key=True)
