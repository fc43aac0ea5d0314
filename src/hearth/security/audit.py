"""The audit log writer: one row per request and action, in its own transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from hearth.db import Database, utcnow
from hearth.security.audit_chain import GENESIS, ChainReport, checkpoint_mac, row_hash, verify_chain
from hearth.security.models import AuditCheckpoint, AuditEvent

ADVISORY_LOCK_KEY = 0x4845415254  # "HEART"


@dataclass
class AuditEntry:
    """What happened, by whom, to which records (ids only, never PHI)."""

    action: str
    outcome: str = "ok"
    actor_kind: str = "anonymous"
    actor_id: str | None = None
    record_type: str | None = None
    record_ids: list[str] = field(default_factory=list)
    method: str | None = None
    path: str | None = None
    status: int | None = None
    ip: str | None = None
    detail: str | None = None
    at: dt.datetime | None = None


def write_audit(db: Database, entries: Sequence[AuditEntry], key: bytes) -> list[int]:
    """Append entries to the chain and move the signed checkpoint, in one own transaction."""
    if not entries:
        return []
    with db.transaction() as session:
        return _append(session, entries, key, postgres=db.is_postgres)


def _append(
    session: Session, entries: Sequence[AuditEntry], key: bytes, *, postgres: bool
) -> list[int]:
    if postgres:
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK_KEY})
    # Take the write lock first (SQLite) by touching the checkpoint row before reading it.
    session.execute(update(AuditCheckpoint).where(AuditCheckpoint.id == 1).values(id=1))
    cp = session.get(AuditCheckpoint, 1)
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0], last[1]) if last else (0, GENESIS)
    written = []
    for e in entries:
        seq += 1
        at = (e.at or utcnow()).astimezone(dt.UTC).replace(microsecond=0)
        row: dict[str, object] = {
            "seq": seq,
            "at": at.isoformat(),
            "actor_kind": e.actor_kind,
            "actor_id": e.actor_id,
            "action": e.action,
            "outcome": e.outcome,
            "method": e.method,
            "path": e.path,
            "status": e.status,
            "record_type": e.record_type,
            "record_ids": list(e.record_ids),
            "ip": e.ip,
            "detail": e.detail,
        }
        h = row_hash(prev, row)
        session.add(
            AuditEvent(
                seq=seq,
                at=at,
                actor_kind=e.actor_kind,
                actor_id=e.actor_id,
                action=e.action,
                outcome=e.outcome,
                method=e.method,
                path=e.path,
                status=e.status,
                record_type=e.record_type,
                record_ids=list(e.record_ids),
                ip=e.ip,
                detail=e.detail,
                prev_hash=prev,
                hash=h,
            )
        )
        prev = h
        written.append(seq)
    mac = checkpoint_mac(key, seq, prev)
    if cp is None:
        session.add(AuditCheckpoint(id=1, seq=seq, hash=prev, mac=mac))
    else:
        cp.seq, cp.hash, cp.mac, cp.updated_at = seq, prev, mac, utcnow()
    session.flush()
    return written


def _row_dict(ev: AuditEvent) -> dict[str, object]:
    return {
        "seq": ev.seq,
        "at": ev.at.astimezone(dt.UTC).replace(microsecond=0).isoformat(),
        "actor_kind": ev.actor_kind,
        "actor_id": ev.actor_id,
        "action": ev.action,
        "outcome": ev.outcome,
        "method": ev.method,
        "path": ev.path,
        "status": ev.status,
        "record_type": ev.record_type,
        "record_ids": list(ev.record_ids or []),
        "ip": ev.ip,
        "detail": ev.detail,
        "prev_hash": ev.prev_hash,
        "hash": ev.hash,
    }


def verify_audit(session: Session, key: bytes) -> ChainReport:
    """Verify the whole chain and its checkpoint; names the first bad row."""
    rows = (_row_dict(ev) for ev in session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    cp = session.get(AuditCheckpoint, 1)
    cp_dict = None if cp is None else {"seq": cp.seq, "hash": cp.hash, "mac": cp.mac}
    return verify_chain(rows, cp_dict, key)
