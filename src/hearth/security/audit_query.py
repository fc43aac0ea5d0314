"""Reading the audit log, scoped: the owner reads every row, other staff only their own."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import Select, String, cast, func, select
from sqlalchemy.orm import Session

from hearth.security.models import AuditEvent
from hearth.security.permissions import PermissionDenied, Principal, Scope, can_read_audit

OUTCOMES = ("ok", "denied", "error")
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class AuditFilter:
    """What to look for; every field is optional and they combine with AND."""

    actor_id: str | None = None
    action: str | None = None  # exact, or a prefix ending in "." or "*" ("client." / "auth*")
    outcome: str | None = None
    record_id: str | None = None
    since: dt.datetime | None = None  # inclusive
    until: dt.datetime | None = None  # exclusive


@dataclass(frozen=True)
class AuditPage:
    """One page of audit rows, newest first."""

    items: list[AuditEvent]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


def audit_scope(principal: Principal) -> Scope:
    """ALL for the owner, CARE_TEAM meaning "own rows only" for other staff, else refused."""
    scope = can_read_audit(principal)
    if scope is Scope.NONE:
        raise PermissionDenied("audit.read_own")
    return scope


def _filtered(principal: Principal, f: AuditFilter) -> Select[AuditEvent]:
    stmt = select(AuditEvent)
    if audit_scope(principal) is not Scope.ALL:
        stmt = stmt.where(
            AuditEvent.actor_kind == principal.kind, AuditEvent.actor_id == principal.id
        )
    if f.actor_id:
        stmt = stmt.where(AuditEvent.actor_id == f.actor_id)
    if f.action:
        action = f.action.strip()
        if action.endswith("*"):
            stmt = stmt.where(AuditEvent.action.startswith(action[:-1], autoescape=True))
        elif action.endswith("."):
            stmt = stmt.where(AuditEvent.action.startswith(action, autoescape=True))
        else:
            stmt = stmt.where(AuditEvent.action == action)
    if f.outcome:
        stmt = stmt.where(AuditEvent.outcome == f.outcome)
    if f.record_id:
        # record_ids is a JSON list; its text holds each id in double quotes on every backend.
        needle = '"' + f.record_id.strip().replace('"', "") + '"'
        stmt = stmt.where(cast(AuditEvent.record_ids, String).contains(needle, autoescape=True))
    if f.since:
        stmt = stmt.where(AuditEvent.at >= f.since)
    if f.until:
        stmt = stmt.where(AuditEvent.at < f.until)
    return stmt


def search_audit(
    session: Session, principal: Principal, f: AuditFilter, *, page: int = 1, page_size: int = 50
) -> AuditPage:
    """Audit rows the principal may read that match f, newest first, one page at a time."""
    page = max(1, page)
    page_size = min(max(1, page_size), MAX_PAGE_SIZE)
    stmt = _filtered(principal, f)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(
        session.scalars(
            stmt.order_by(AuditEvent.seq.desc()).offset((page - 1) * page_size).limit(page_size)
        )
    )
    return AuditPage(items=items, total=int(total), page=page, page_size=page_size)
