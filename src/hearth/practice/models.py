"""Core records of the practice. PHI columns are encrypted (security/crypto.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hearth.db import Base, UTCDateTime, utcnow
from hearth.security.crypto import EncryptedJSON, EncryptedText
from hearth.security.models import User, new_id

CLIENT_STATUSES = ("active", "inactive", "discharged", "waitlist")
CONSENT_KINDS = ("treatment", "recording", "ai_processing", "messaging")
SESSION_KINDS = (
    "intake",
    "individual",
    "couples",
    "family_with_client",
    "family_without_client",
    "group",
    "crisis",
)
MODALITIES = ("in_person", "video", "audio_only")
CLIENT_LOCATIONS = ("home", "other")
APPOINTMENT_STATUSES = ("scheduled", "confirmed", "checked_in", "completed", "cancelled", "no_show")


class Practice(Base):
    """The one practice of this install."""

    __tablename__ = "practice"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    npi: Mapped[str | None] = mapped_column(String(10), nullable=True)
    tax_id: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    address: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    policies: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    locations: Mapped[list[Location]] = relationship(
        back_populates="practice", lazy="selectin", order_by="Location.name"
    )


class Location(Base):
    """A place where the practice sees clients, with its rooms."""

    __tablename__ = "locations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    practice_id: Mapped[str] = mapped_column(ForeignKey("practice.id"))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    rooms: Mapped[list[str]] = mapped_column(JSON, default=list)
    place_of_service: Mapped[str] = mapped_column(String(2), default="11")

    practice: Mapped[Practice] = relationship(back_populates="locations", lazy="raise")


class Clinician(Base):
    """A user who provides treatment, with credentials and licences."""

    __tablename__ = "clinicians"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), unique=True)
    credentials: Mapped[str | None] = mapped_column(String(100), nullable=True)
    licence_number: Mapped[str | None] = mapped_column(String(50), nullable=True)
    licence_states: Mapped[list[str]] = mapped_column(JSON, default=list)
    npi: Mapped[str | None] = mapped_column(String(10), nullable=True)
    taxonomy_code: Mapped[str | None] = mapped_column(String(10), nullable=True)
    supervisor_id: Mapped[str | None] = mapped_column(ForeignKey("clinicians.id"), nullable=True)
    prescriber: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(lazy="joined")


class Client(Base):
    """A person in care. Identity and contact details are PHI and stored encrypted."""

    __tablename__ = "clients"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    legal_first_name: Mapped[str] = mapped_column(EncryptedText)
    legal_last_name: Mapped[str] = mapped_column(EncryptedText)
    preferred_name: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    pronouns: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    date_of_birth: Mapped[str] = mapped_column(EncryptedText)  # ISO date
    email: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    phone: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    address: Mapped[dict[str, str] | None] = mapped_column(EncryptedJSON, nullable=True)
    emergency_contact: Mapped[dict[str, str] | None] = mapped_column(EncryptedJSON, nullable=True)
    sex_on_payer_file: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)  # F | M | U
    gender_identity: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.legal_first_name
        return f"{first} {self.legal_last_name}"

    @property
    def birth_date(self) -> dt.date:
        return dt.date.fromisoformat(self.date_of_birth)

    def is_minor(self, on: dt.date) -> bool:
        b = self.birth_date
        age = on.year - b.year - ((on.month, on.day) < (b.month, b.day))
        return age < 18


class ClientNameIndex(Base):
    """Blind-index entries (HMAC of name tokens and prefixes) for searching clients."""

    __tablename__ = "client_name_index"
    __table_args__ = (Index("ix_client_name_index_term", "term"),)

    client_id: Mapped[str] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(String(64), primary_key=True)


class Guardian(Base):
    """A guardian or responsible party for a client (for minors, who signs and pays)."""

    __tablename__ = "guardians"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(EncryptedText)
    relationship_to_client: Mapped[str] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    phone: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    is_responsible_party: Mapped[bool] = mapped_column(Boolean, default=True)
    is_legal_guardian: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CareTeamMember(Base):
    """A clinician's membership of a client's care team, kept with its history."""

    __tablename__ = "care_team"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    clinician_id: Mapped[str] = mapped_column(ForeignKey("clinicians.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="primary")  # primary | secondary
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Diagnosis(Base):
    """An ICD-10-CM diagnosis entered by a clinician."""

    __tablename__ = "diagnoses"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(EncryptedText)
    description: Mapped[str] = mapped_column(EncryptedText)
    primary: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(
        String(20), default="active"
    )  # active | resolved | ruled_out
    entered_by_id: Mapped[str] = mapped_column(ForeignKey("clinicians.id"))
    entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Consent(Base):
    """A client's consent of one kind, with when and how it was given and revoked."""

    __tablename__ = "consents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    method: Mapped[str] = mapped_column(String(30))  # paper | portal | verbal | electronic
    text_version: Mapped[str] = mapped_column(String(50))
    recorded_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    given_by: Mapped[str | None] = mapped_column(String(20), nullable=True)  # client | guardian


class Appointment(Base):
    """A booked time with a clinician and one or more clients (extended by scheduling)."""

    __tablename__ = "appointments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    clinician_id: Mapped[str] = mapped_column(ForeignKey("clinicians.id"), index=True)
    start: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    end: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    session_kind: Mapped[str] = mapped_column(String(30), default="individual")
    modality: Mapped[str] = mapped_column(String(20), default="in_person")
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id"), nullable=True)
    room: Mapped[str | None] = mapped_column(String(50), nullable=True)
    client_location: Mapped[str | None] = mapped_column(String(10), nullable=True)  # home | other
    client_state: Mapped[str | None] = mapped_column(String(2), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    clinician: Mapped[Clinician] = relationship(lazy="joined")
    participants: Mapped[list[AppointmentClient]] = relationship(
        lazy="selectin", cascade="all, delete-orphan"
    )

    @property
    def client_ids(self) -> list[str]:
        return [p.client_id for p in self.participants]


class AppointmentClient(Base):
    """A client taking part in an appointment."""

    __tablename__ = "appointment_clients"
    __table_args__ = (UniqueConstraint("appointment_id", "client_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    appointment_id: Mapped[str] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
