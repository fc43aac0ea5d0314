import pytest

from hearth.security.audit import AuditEntry, verify_audit


@pytest.mark.both_backends
def test_runtime_opens_and_audits(runtime):
    runtime.audit(AuditEntry(action="test"))
    with runtime.db.transaction() as s:
        assert verify_audit(s, runtime.audit_key).ok
