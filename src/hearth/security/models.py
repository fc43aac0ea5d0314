"""Tables of the security core: users, sessions, data keys, audit chain, sign-in links."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, Boolean, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hearth.db import Base, UTCDateTime, utcnow
from hearth.security.crypto import EncryptedText


def new_id() -> str:
    """A random, URL-safe record id."""
    return uuid.uuid4().hex


class User(Base):
    """A staff member who signs in with a password (clients are portal principals)."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    password_hash: Mapped[str] = mapped_column(String(255))
    mfa_secret: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    password_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(self.roles or ())


class AuthSession(Base):
    """A server-side sign-in session; the cookie holds only a random id (stored hashed)."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie token
    principal_kind: Mapped[str] = mapped_column(String(16))  # user | client | guardian
    principal_id: Mapped[str] = mapped_column(String(32), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(300), nullable=True)


class MagicLink(Base):
    """A single-use, short-lived sign-in or purpose link for a portal principal."""

    __tablename__ = "magic_links"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token
    principal_kind: Mapped[str] = mapped_column(String(16))  # client | guardian
    principal_id: Mapped[str] = mapped_column(String(32), index=True)
    purpose: Mapped[str | None] = mapped_column(String(200), nullable=True)  # None = sign in
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DataKey(Base):
    """A data-encryption key, wrapped by the master key."""

    __tablename__ = "data_keys"

    id: Mapped[bytes] = mapped_column(LargeBinary(16), primary_key=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEvent(Base):
    """One row per request and action, chained by hash (see security/audit.py)."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor_kind: Mapped[str] = mapped_column(
        String(16)
    )  # user | client | guardian | system | anonymous
    actor_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    action: Mapped[str] = mapped_column(String(100), index=True)
    outcome: Mapped[str] = mapped_column(String(16))  # ok | denied | error
    method: Mapped[str | None] = mapped_column(String(10), nullable=True)
    path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    record_type: Mapped[str | None] = mapped_column(String(50), nullable=True)
    record_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """The latest sequence number and hash of the audit chain, HMAC-signed (one row)."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobRecord(Base):
    """A record that a job with a given id ran (makes jobs safe to run twice)."""

    __tablename__ = "job_records"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    task: Mapped[str] = mapped_column(String(100))
    finished_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    result: Mapped[str | None] = mapped_column(Text, nullable=True)


__all__ = [
    "AuditCheckpoint",
    "AuditEvent",
    "AuthSession",
    "DataKey",
    "JobRecord",
    "MagicLink",
    "User",
    "new_id",
]
