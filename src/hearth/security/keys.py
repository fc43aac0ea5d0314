"""Opening the keyring: unwrap the database's data keys with the master key."""

from __future__ import annotations

from sqlalchemy import select

from hearth.db import Database
from hearth.security import crypto
from hearth.security.models import DataKey


def open_keyring(db: Database, master_key: bytes) -> crypto.Keyring:
    """Load (creating on first use) the data keys into the process keyring."""
    ring = crypto.KEYRING
    with db.transaction() as session:
        rows = list(session.scalars(select(DataKey).order_by(DataKey.created_at)))
        unwrapped = [
            (row.id, crypto.unwrap_key(master_key, row.id, row.wrapped), row.active) for row in rows
        ]
        if not unwrapped:
            key_id, key = crypto.new_data_key()
            session.add(DataKey(id=key_id, wrapped=crypto.wrap_key(master_key, key_id, key)))
            unwrapped = [(key_id, key, True)]
    for key_id, key, active in unwrapped:
        ring.add(key_id, key, active=active)
    # The blind-index key derives from the first data key, so it survives master-key rotation.
    ring.index_key = crypto.derive_key(unwrapped[0][1], b"hearth blind index v1")
    return ring


def rotate_master_key(db: Database, old_master: bytes, new_master: bytes) -> int:
    """Rewrap every data key under a new master key; returns how many were rewrapped."""
    n = 0
    with db.transaction() as session:
        for row in session.scalars(select(DataKey)):
            key = crypto.unwrap_key(old_master, row.id, row.wrapped)
            row.wrapped = crypto.wrap_key(new_master, row.id, key)
            n += 1
    return n
