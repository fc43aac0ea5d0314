"""The running application's resources: settings, database, keyring, audit key."""

from __future__ import annotations

from dataclasses import dataclass

from hearth.db import Database
from hearth.migrate import upgrade
from hearth.security import crypto
from hearth.security.audit import AuditEntry, write_audit
from hearth.security.keys import open_keyring
from hearth.settings import Settings


@dataclass
class Runtime:
    """What a web process, worker or CLI command needs, opened once per process."""

    settings: Settings
    db: Database

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = False) -> Runtime:
        """Prepare settings, connect, optionally migrate, and open the keyring."""
        settings.prepare()
        settings.effective_media_dir.mkdir(parents=True, exist_ok=True)
        db = Database(settings.effective_database_url)
        if migrate:
            upgrade(db.engine)
        master = crypto.read_master_key(settings.effective_master_key_file)
        open_keyring(db, master)
        return cls(settings=settings, db=db)

    @property
    def audit_key(self) -> bytes:
        """The HMAC key that signs the audit checkpoint."""
        return crypto.derive_key(self.settings.secret_bytes(), b"hearth audit checkpoint v1")

    def audit(self, *entries: AuditEntry) -> list[int]:
        """Write audit rows in their own transaction."""
        return write_audit(self.db, entries, self.audit_key)

    def close(self) -> None:
        self.db.dispose()
