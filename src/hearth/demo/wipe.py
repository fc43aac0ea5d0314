"""Removing the demo practice: its people, places and every record that depends on them.

The demo's roots are found by what the seed knows about them (the practice's
name, the staff e-mail addresses, the clients' surnames via the blind index).
Dependent rows are found through the foreign keys of every table in
``hearth.models`` — so records that later slices add for demo clients (notes,
claims, …) go with them without this module knowing their tables. A nullable
reference to a demo row is set to NULL rather than deleting the row that holds
it. Rows that name a demo person in a ``principal_id`` or ``client_id`` column
without a foreign key (sessions, sign-in links, the contact index, outgoing
messages) are deleted too. The audit log is never touched: its rows name ids
only and its chain must stay intact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import Table, delete, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from hearth.demo import data
from hearth.models import metadata
from hearth.practice.models import ClientNameIndex, Guardian, Practice
from hearth.security import crypto
from hearth.security.models import JobRecord, User

DEMO_STEP_PREFIX = "demo:"


def demo_client_ids(session: Session) -> dict[str, str]:
    """Demo clients present in the database, by surname key (found by blind index)."""
    found: dict[str, str] = {}
    for client in data.CLIENTS:
        term = crypto.blind_index(crypto.normalise_tokens(client.last)[0])
        client_id = session.scalars(
            select(ClientNameIndex.client_id).where(ClientNameIndex.term == term).limit(1)
        ).first()
        if client_id is not None:
            found[client.key] = client_id
    return found


def demo_user_ids(session: Session) -> dict[str, str]:
    """Demo staff users present in the database, by staff key."""
    by_email = {s.email: s.key for s in data.STAFF}
    rows = session.execute(select(User.email, User.id).where(User.email.in_(list(by_email))))
    return {by_email[email]: user_id for email, user_id in rows}


def wipe(session: Session) -> int:
    """Delete the demo practice and everything that depends on it; returns rows deleted."""
    user_ids = set(demo_user_ids(session).values())
    client_ids = set(demo_client_ids(session).values())
    practice_ids = set(
        session.scalars(select(Practice.id).where(Practice.name == data.DEMO_PRACTICE_NAME))
    )
    guardian_ids = (
        set(session.scalars(select(Guardian.id).where(Guardian.client_id.in_(client_ids))))
        if client_ids
        else set()
    )
    deleted = _delete_loose_references(session, user_ids | client_ids | guardian_ids, client_ids)
    deleted += _count(
        session.execute(delete(JobRecord).where(JobRecord.id.startswith(DEMO_STEP_PREFIX)))
    )
    roots: dict[Table, set[str]] = {
        _table("users"): user_ids,
        _table("clients"): client_ids,
        _table("practice"): practice_ids,
    }
    deleted += delete_with_dependents(session, roots)
    session.expire_all()
    return deleted


def _delete_loose_references(
    session: Session, principal_ids: set[str], client_ids: set[str]
) -> int:
    """Rows that name a demo person without a foreign key: sessions, links, contacts, messages."""
    deleted = 0
    for t in metadata.sorted_tables:
        for column, ids in (("principal_id", principal_ids), ("client_id", client_ids)):
            col = t.c.get(column)
            if col is None or col.foreign_keys or not ids:
                continue
            deleted += _count(session.execute(delete(t).where(col.in_(sorted(ids)))))
    return deleted


def delete_with_dependents(session: Session, roots: Mapping[Table, Collection[str]]) -> int:
    """Delete rows by id and, through non-null foreign keys, every row that needs them."""
    tables = metadata.sorted_tables
    referenced: dict[str, set[str]] = defaultdict(set)
    for t in tables:
        for fk in t.foreign_keys:
            referenced[fk.column.table.name].add(fk.column.name)
    doomed: dict[tuple[str, str], set[Any]] = defaultdict(set)
    root_ids = {t.name: set(ids) for t, ids in roots.items() if ids}

    def conditions(t: Table) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = []
        if t.name in root_ids:
            conds.append(t.c.id.in_(sorted(root_ids[t.name])))
        for fk in t.foreign_keys:
            values = doomed.get((fk.column.table.name, fk.column.name))
            if values and not fk.parent.nullable:
                conds.append(fk.parent.in_(sorted(values, key=str)))
        return conds

    changed = True
    while changed:
        changed = False
        for t in tables:
            cols = sorted(referenced.get(t.name, ()))
            conds = conditions(t)
            if not cols or not conds:
                continue
            for row in session.execute(select(*(t.c[c] for c in cols)).where(or_(*conds))):
                for col, value in zip(cols, row, strict=True):
                    if value is not None and value not in doomed[(t.name, col)]:
                        doomed[(t.name, col)].add(value)
                        changed = True

    for t in tables:
        for fk in t.foreign_keys:
            values = doomed.get((fk.column.table.name, fk.column.name))
            if values and fk.parent.nullable:
                stmt = update(t).where(fk.parent.in_(sorted(values, key=str)))
                session.execute(stmt.values({fk.parent: None}))
    deleted = 0
    for t in reversed(tables):
        conds = conditions(t)
        if conds:
            deleted += _count(session.execute(delete(t).where(or_(*conds))))
    return deleted


def _table(name: str) -> Table:
    return metadata.tables[name]


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
