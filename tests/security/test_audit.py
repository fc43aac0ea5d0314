import pytest
from sqlalchemy import text

from hearth.security.audit import AuditEntry, verify_audit
from hearth.security.audit_chain import GENESIS, checkpoint_mac, row_hash, verify_chain

pytestmark = pytest.mark.both_backends


def write_rows(runtime, n=5):
    for i in range(n):
        runtime.audit(
            AuditEntry(action=f"test.{i}", actor_kind="user", actor_id="u1", record_ids=[f"c{i}"])
        )


def report(runtime):
    with runtime.db.transaction() as s:
        return verify_audit(s, runtime.audit_key)


def test_intact_chain_verifies(runtime):
    write_rows(runtime)
    r = report(runtime)
    assert r.ok and r.rows == 5


def test_several_entries_in_one_write_share_one_transaction(runtime):
    seqs = runtime.audit(AuditEntry(action="a"), AuditEntry(action="b"))
    assert seqs == [1, 2]
    assert report(runtime).ok


def test_edited_row_is_named(runtime):
    write_rows(runtime)
    with runtime.db.engine.begin() as c:
        c.execute(text("UPDATE audit_events SET action = 'forged' WHERE seq = 3"))
    r = report(runtime)
    assert not r.ok and r.first_bad_seq == 3 and "changed" in r.reason


def test_deleted_middle_row_is_named(runtime):
    write_rows(runtime)
    with runtime.db.engine.begin() as c:
        c.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    r = report(runtime)
    assert not r.ok and r.first_bad_seq == 2


def test_deleted_newest_rows_are_detected_by_the_checkpoint(runtime):
    write_rows(runtime)
    with runtime.db.engine.begin() as c:
        c.execute(text("DELETE FROM audit_events WHERE seq >= 4"))
    r = report(runtime)
    assert not r.ok and r.first_bad_seq == 4 and "deleted" in r.reason


def test_reordered_rows_are_detected(runtime):
    write_rows(runtime, 4)
    with runtime.db.engine.begin() as c:
        c.execute(text("UPDATE audit_events SET seq = 100 WHERE seq = 2"))
        c.execute(text("UPDATE audit_events SET seq = 2 WHERE seq = 3"))
        c.execute(text("UPDATE audit_events SET seq = 3 WHERE seq = 100"))
    r = report(runtime)
    assert not r.ok and r.first_bad_seq == 2


def test_forged_checkpoint_is_detected(runtime):
    write_rows(runtime, 3)
    with runtime.db.engine.begin() as c:
        c.execute(text("UPDATE audit_checkpoint SET seq = 2"))
    r = report(runtime)
    assert not r.ok and "signature" in r.reason


def test_rows_added_behind_the_writer_are_detected(runtime):
    write_rows(runtime, 2)
    with runtime.db.engine.begin() as c:
        last = c.execute(text("SELECT hash FROM audit_events WHERE seq = 2")).scalar_one()
    row = {
        "seq": 3,
        "at": "2026-01-01T00:00:00+00:00",
        "actor_kind": "user",
        "action": "x",
        "outcome": "ok",
        "record_ids": [],
    }
    h = row_hash(last, row)
    with runtime.db.engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO audit_events (seq, at, actor_kind, action, outcome, record_ids,"
                " prev_hash, hash) VALUES (3, :at, 'user', 'x', 'ok', '[]', :p, :h)"
            ),
            {"at": "2026-01-01 00:00:00", "p": last, "h": h},
        )
    r = report(runtime)
    assert not r.ok and r.first_bad_seq == 3


def test_pure_chain_checks():
    key = b"k" * 32
    r1 = {"seq": 1, "action": "a"}
    h1 = row_hash(GENESIS, r1)
    rows = [{**r1, "prev_hash": GENESIS, "hash": h1}]
    cp = {"seq": 1, "hash": h1, "mac": checkpoint_mac(key, 1, h1)}
    assert verify_chain(rows, cp, key).ok
    assert not verify_chain(rows, None, key).ok
    assert verify_chain([], None, key).ok
    assert not verify_chain(rows, cp, b"j" * 32).ok
