"""Sign-in, server-side sessions, lockout, password change and portal magic links."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hearth.db import utcnow
from hearth.errors import Forbidden, Invalid, NotFound, Unauthenticated
from hearth.practice.models import Client, Clinician, Guardian
from hearth.security.models import AuthSession, MagicLink, User
from hearth.security.passwords import (
    WeakPassword,
    check_new_password,
    hash_password,
    needs_rehash,
    verify_password,
)
from hearth.security.permissions import STAFF_ROLES, Principal
from hearth.settings import Settings

# A fixed hash to spend the same time verifying unknown emails as known ones.
_DUMMY_HASH = hash_password("hearth-dummy-password-for-timing")


def token_digest(token: str) -> str:
    """The stored form of a cookie or link token (SHA-256 hex)."""
    return hashlib.sha256(token.encode()).hexdigest()


class LoginFailed(Unauthenticated):
    """Wrong email or password, a disabled account, or a locked one (same message)."""

    code = "login_failed"


class AccountLocked(LoginFailed):
    """Too many failed attempts; try again later."""

    code = "account_locked"


@dataclass(frozen=True)
class NewSession:
    """A session just opened: the cookie token (shown once) and its stored row."""

    token: str
    row: AuthSession


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session: Session, *, email: str, name: str, password: str, roles: list[str] | set[str]
) -> User:
    """Create a staff user with a checked password and known roles."""
    email = normalise_email(email)
    if "@" not in email:
        raise Invalid("email is not an address", where="email")
    unknown = set(roles) - set(STAFF_ROLES)
    if unknown:
        raise Invalid(f"unknown roles: {', '.join(sorted(unknown))}", where="roles")
    if not roles:
        raise Invalid("a user needs at least one role", where="roles")
    try:
        check_new_password(password, email=email)
    except WeakPassword as e:
        raise Invalid(str(e), where="password") from e
    if session.scalars(select(User).where(User.email == email)).first():
        raise Invalid(f"a user with email {email} already exists", where="email")
    user = User(
        email=email,
        name=name.strip(),
        roles=sorted(set(roles)),
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, settings: Settings, email: str, password: str) -> User:
    """Check a password sign-in, counting failures and locking after repeated ones."""
    user = session.scalars(select(User).where(User.email == normalise_email(email))).first()
    now = utcnow()
    if user is None:
        verify_password(_DUMMY_HASH, password)
        raise LoginFailed("Email or password is not right.")
    if user.locked_until is not None and user.locked_until > now:
        raise AccountLocked(
            "This account is locked after repeated failed sign-ins. Try again later."
        )
    if not verify_password(user.password_hash, password) or not user.active:
        user.failed_logins += 1
        if user.failed_logins >= settings.lockout_threshold:
            user.locked_until = now + dt.timedelta(minutes=settings.lockout_minutes)
            user.failed_logins = 0
        session.flush()
        raise LoginFailed("Email or password is not right.", record_type="user", record_id=user.id)
    user.failed_logins = 0
    user.locked_until = None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.flush()
    return user


def open_session(
    session: Session,
    settings: Settings,
    *,
    principal_kind: str,
    principal_id: str,
    purpose: str | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
) -> NewSession:
    """Open a server-side session; the returned token goes into the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = AuthSession(
        id=token_digest(token),
        principal_kind=principal_kind,
        principal_id=principal_id,
        csrf_token=secrets.token_urlsafe(32),
        purpose=purpose,
        created_at=now,
        last_seen_at=now,
        expires_at=now + dt.timedelta(hours=settings.session_max_hours),
        ip=ip,
        user_agent=(user_agent or "")[:300] or None,
    )
    session.add(row)
    session.flush()
    return NewSession(token=token, row=row)


def load_session(session: Session, settings: Settings, token: str) -> AuthSession | None:
    """The live session for a cookie token, touching its last-seen time; None if expired."""
    row = session.get(AuthSession, token_digest(token))
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    idle = dt.timedelta(minutes=settings.session_idle_minutes)
    if row.expires_at <= now or row.last_seen_at + idle <= now:
        row.revoked_at = now
        session.flush()
        return None
    if now - row.last_seen_at > dt.timedelta(seconds=30):
        row.last_seen_at = now
        session.flush()
    return row


def revoke_session(session: Session, token: str) -> None:
    """End one session (logout)."""
    row = session.get(AuthSession, token_digest(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()


def revoke_all_sessions(
    session: Session, principal_kind: str, principal_id: str, *, keep: str | None = None
) -> int:
    """End every session of a principal, except optionally the one with digest `keep`."""
    stmt = select(AuthSession).where(
        AuthSession.principal_kind == principal_kind,
        AuthSession.principal_id == principal_id,
        AuthSession.revoked_at.is_(None),
    )
    if keep is not None:
        stmt = stmt.where(AuthSession.id != keep)
    now = utcnow()
    rows = session.scalars(stmt).all()
    for row in rows:
        row.revoked_at = now
    session.flush()
    return len(rows)


def change_password(
    session: Session, user: User, current: str, new: str, *, keep_session: str | None = None
) -> None:
    """Change a password after checking the current one; other sessions are ended."""
    if not verify_password(user.password_hash, current):
        raise Invalid("The current password is not right.", where="current_password")
    try:
        check_new_password(new, email=user.email)
    except WeakPassword as e:
        raise Invalid(str(e), where="new_password") from e
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    revoke_all_sessions(session, "user", user.id, keep=keep_session)
    session.flush()


def set_user_active(session: Session, user_id: str, active: bool) -> User:
    """Enable or disable a user; disabling ends their sessions."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.", record_type="user", record_id=user_id)
    user.active = active
    if not active:
        revoke_all_sessions(session, "user", user.id)
    session.flush()
    return user


def staff_principal(session: Session, user: User, purpose: str | None = None) -> Principal:
    """Build the Principal for a staff user (clinician id and supervisees included)."""
    clinician = session.scalars(select(Clinician).where(Clinician.user_id == user.id)).first()
    supervisees: frozenset[str] = frozenset()
    if clinician is not None:
        supervisees = frozenset(
            session.scalars(
                select(Clinician.id).where(Clinician.supervisor_id == clinician.id)
            ).all()
        )
    return Principal(
        kind="user",
        id=user.id,
        roles=user.role_set,
        clinician_id=clinician.id if clinician else None,
        supervisee_ids=supervisees,
        name=user.name,
        purpose=purpose,
    )


def principal_for_session(session: Session, row: AuthSession) -> Principal | None:
    """The Principal behind a live session, or None if its account is gone or disabled."""
    if row.principal_kind == "user":
        user = session.get(User, row.principal_id)
        if user is None or not user.active:
            return None
        return staff_principal(session, user, row.purpose)
    if row.principal_kind == "client":
        client = session.get(Client, row.principal_id)
        if client is None or client.status == "discharged":
            return None
        return Principal(kind="client", id=client.id, name=client.display_name, purpose=row.purpose)
    if row.principal_kind == "guardian":
        guardian = session.get(Guardian, row.principal_id)
        if guardian is None or not guardian.active:
            return None
        return Principal(kind="guardian", id=guardian.id, name=guardian.name, purpose=row.purpose)
    return None


# --- portal magic links ----------------------------------------------------------


def issue_magic_link(
    session: Session,
    settings: Settings,
    *,
    principal_kind: str,
    principal_id: str,
    purpose: str | None = None,
    minutes: int | None = None,
) -> str:
    """Create a single-use link token for a client or guardian; returns the token."""
    if principal_kind not in ("client", "guardian"):
        raise Invalid("magic links are for clients and guardians", where="principal_kind")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        MagicLink(
            id=token_digest(token),
            principal_kind=principal_kind,
            principal_id=principal_id,
            purpose=purpose,
            created_at=now,
            expires_at=now + dt.timedelta(minutes=minutes or settings.magic_link_minutes),
        )
    )
    session.flush()
    return token


def redeem_magic_link(session: Session, token: str) -> MagicLink:
    """Use a link token once; raises Forbidden if unknown, used or expired."""
    row = session.get(MagicLink, token_digest(token))
    now = utcnow()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise Forbidden(
            "This link has expired or was already used. Ask for a new one.",
            code="link_invalid",
        )
    # Single use even under concurrency: only one UPDATE can flip used_at from NULL.
    result = session.execute(
        update(MagicLink)
        .where(MagicLink.id == row.id, MagicLink.used_at.is_(None))
        .values(used_at=now)
    )
    if not getattr(result, "rowcount", 0):
        raise Forbidden("This link was already used. Ask for a new one.", code="link_invalid")
    session.refresh(row)
    return row
