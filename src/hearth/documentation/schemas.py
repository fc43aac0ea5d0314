"""Request and response shapes of the documentation API (/api/v1 sessions, transcripts, notes,
plans). Vocabulary from ARCHITECTURE.md; unknown fields are refused."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SessionKind = Literal[
    "intake",
    "individual",
    "couples",
    "family_with_client",
    "family_without_client",
    "group",
    "crisis",
]
Modality = Literal["in_person", "video", "audio_only"]
ClientLocation = Literal["home", "other"]
Density = Literal["brief", "standard", "detailed"]
Quotes = Literal["none", "some", "many"]
TranscriptFormat = Literal["vtt", "srt", "text", "json"]
ComplexityFactor = Literal[
    "maladaptive_communication", "caregiver_interference", "sentinel_event", "interpreter"
]
PlanItemKind = Literal["problem", "goal", "objective", "intervention"]
MAX_TRANSCRIPT_CHARS = 5_000_000


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- shapes ---------------------------------------------------------------------------------


class SessionCreate(_In):
    """A documentation session: from an appointment, or ad hoc with its clients and times."""

    client_ids: list[str] = Field(default_factory=list, description="Empty with an appointment")
    session_kind: SessionKind = "individual"
    modality: Modality = "in_person"
    client_location: ClientLocation | None = None
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    appointment_id: str | None = Field(
        default=None, description="Take clients, kind, modality and times from this appointment"
    )


class TranscriptSummary(BaseModel):
    """A transcript without its utterances."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    source: str
    source_format: str
    roles_confirmed: bool
    created_at: dt.datetime


class SessionOut(BaseModel):
    """A session, its latest transcript and its notes."""

    id: str
    appointment_id: str | None
    clinician_id: str
    client_ids: list[str]
    session_kind: str
    modality: str
    client_location: str | None
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    time_source: str
    created_at: dt.datetime
    transcript: TranscriptSummary | None
    note_ids: list[str]


class TranscriptImport(_In):
    """A transcript file's text (WebVTT, SRT, "Name: text" lines or Hearth JSON)."""

    text: str = Field(min_length=1, max_length=MAX_TRANSCRIPT_CHARS)
    filename: str | None = Field(default=None, max_length=255, examples=["session.vtt"])
    format: TranscriptFormat | None = Field(default=None, description="Detected when left out")
    clinician_label: str | None = Field(
        default=None, max_length=100, description="The clinician's speaker label in the file"
    )
    mapping: dict[str, str] | None = Field(
        default=None, description="Speaker label → role (clinician, client, client_a, other)"
    )


class UtteranceOut(BaseModel):
    """One utterance: id (u1, u2, …), speaker label, role and times in seconds."""

    id: str
    speaker: str
    role: str
    start: float | None
    end: float | None
    text: str


class TranscriptOut(BaseModel):
    """A stored transcript with its utterances and speaker mapping."""

    id: str
    session_id: str
    source: str
    source_format: str
    filename: str | None
    roles_confirmed: bool
    speaker_roles: dict[str, str]
    speaker_clients: dict[str, str]
    utterances: list[UtteranceOut]
    created_at: dt.datetime


class RolesConfirm(_In):
    """The mapping step: each speaker's role, and which client a client speaker is."""

    roles: dict[str, str] = Field(examples=[{"Dr. Lee": "clinician", "Sam": "client"}])
    speaker_clients: dict[str, str] = Field(default_factory=dict)


class DraftRequest(_In):
    """Draft a note from the session's latest transcript."""

    template: str = Field(
        default="soap",
        pattern=r"^[a-z][a-z0-9_]*$",
        max_length=60,
        description="soap, dap, birp, girp, intake, discharge, or a practice template's key",
    )
    density: Density = "standard"
    quotes: Quotes = "some"
    queue: bool = Field(default=False, description="Draft in the background (202, no body)")


class NoteOut(BaseModel):
    """A note: its sections and statements (with evidence and verification), risk and status."""

    id: str
    session_id: str
    client_id: str
    transcript_id: str | None
    author_id: str
    template: str
    status: str
    version: int
    content: dict[str, Any]
    risk: dict[str, Any]
    unresolved: list[str] = Field(description="Statements to resolve before signing")
    complexity_cues: dict[str, list[str]] = Field(
        default_factory=dict, description="Interactive-complexity factors the transcript suggests"
    )
    facts: dict[str, Any] | None
    created_at: dt.datetime
    updated_at: dt.datetime
    signed_by_id: str | None
    signed_at: dt.datetime | None
    content_hash: str | None
    late_entry: bool
    cosign_required: bool
    cosigned_by_id: str | None
    cosigned_at: dt.datetime | None


class NoteSummary(BaseModel):
    """A note in a list (no clinical content)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    session_id: str
    template: str
    status: str
    created_at: dt.datetime
    signed_at: dt.datetime | None
    late_entry: bool
    cosign_required: bool


class NoteUpdate(_In):
    """Autosave: the whole edited content and the version it was based on."""

    content: dict[str, Any]
    version: int = Field(ge=1)


class SignRequest(_In):
    """Sign a draft: the password again and the complexity factors the clinician confirms."""

    password: str = Field(min_length=1)
    complexity_factors: list[ComplexityFactor] = Field(default_factory=list)


class CosignRequest(_In):
    """The supervisor's co-signature: the password again."""

    password: str = Field(min_length=1)


class AddendumCreate(_In):
    """An addendum to a signed note."""

    body: str = Field(min_length=1, max_length=20_000)


class AddendumOut(BaseModel):
    """A signed addendum."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    note_id: str
    author_id: str
    body: str
    late_entry: bool
    created_at: dt.datetime
    content_hash: str


class PlanItemIn(_In):
    """A problem, goal, objective or intervention; `parent` is an earlier item's `ref`."""

    ref: str | None = Field(default=None, examples=["g1"])
    kind: PlanItemKind
    text: str = Field(min_length=1, max_length=2000)
    parent: str | None = None
    target_date: dt.date | None = None


class PlanCreate(_In):
    """A treatment plan, written by the clinician."""

    items: list[PlanItemIn] = Field(min_length=1)
    review_date: dt.date | None = None


class PlanItemOut(BaseModel):
    """A plan item; goals list the notes that touched them."""

    id: str
    plan_id: str
    parent_id: str | None
    kind: str
    text: str
    target_date: dt.date | None
    status: str
    note_ids: list[str] = Field(default_factory=list)


class PlanOut(BaseModel):
    """The client's active treatment-plan items, in order."""

    client_id: str
    items: list[PlanItemOut]
