import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from hearth.practice.models import Client
from hearth.security import crypto
from hearth.security.keys import open_keyring, rotate_master_key


def fresh_ring() -> crypto.Keyring:
    ring = crypto.Keyring()
    key_id, key = crypto.new_data_key()
    ring.add(key_id, key)
    return ring


@settings(deadline=None, max_examples=50)
@given(st.text())
def test_round_trip_any_text(value):
    ring = fresh_ring()
    assert ring.decrypt(ring.encrypt(value.encode())).decode() == value


def test_format_is_version_keyid_nonce_ciphertext():
    ring = fresh_ring()
    blob = ring.encrypt(b"Maria")
    assert blob[0] == crypto.FORMAT_VERSION
    assert blob[1:17] == ring.active
    assert len(blob) == 1 + 16 + 12 + len(b"Maria") + 16
    # the same plaintext encrypts differently each time (random nonce)
    assert ring.encrypt(b"Maria") != blob


def test_tampered_ciphertext_is_refused():
    ring = fresh_ring()
    blob = bytearray(ring.encrypt(b"secret"))
    blob[-1] ^= 1
    with pytest.raises(Exception):
        ring.decrypt(bytes(blob))


def test_unknown_key_and_bad_format_are_clear_errors():
    ring = fresh_ring()
    blob = ring.encrypt(b"x")
    with pytest.raises(crypto.KeyError_, match="not loaded"):
        fresh_ring().decrypt(blob)
    with pytest.raises(crypto.KeyError_, match="format"):
        ring.decrypt(b"plain text")


def test_wrap_unwrap_and_wrong_master():
    master, other = bytes(32), bytes([1]) * 32
    key_id, key = crypto.new_data_key()
    wrapped = crypto.wrap_key(master, key_id, key)
    assert crypto.unwrap_key(master, key_id, wrapped) == key
    with pytest.raises(crypto.KeyError_):
        crypto.unwrap_key(other, key_id, wrapped)


def test_master_key_file_errors(tmp_path):
    bad = tmp_path / "k"
    bad.write_text("zz")
    with pytest.raises(crypto.KeyError_, match="hex"):
        crypto.read_master_key(bad)
    bad.write_text("ab" * 8)
    with pytest.raises(crypto.KeyError_, match="32 bytes"):
        crypto.read_master_key(bad)
    with pytest.raises(crypto.KeyError_, match="cannot read"):
        crypto.read_master_key(tmp_path / "missing")


def test_search_terms_and_blind_index():
    assert crypto.search_terms("María  O'Neil") >= {"maria", "mar", "mari", "o", "neil", "nei"}
    assert "ma" not in crypto.search_terms("Maria")
    key = b"k" * 32
    assert crypto.blind_index("mar", key) == crypto.blind_index("mar", key)
    assert crypto.blind_index("mar", key) != crypto.blind_index("mar", b"j" * 32)


@pytest.mark.both_backends
def test_phi_columns_are_ciphertext_in_the_database(runtime):
    with runtime.db.transaction() as s:
        c = Client(legal_first_name="Zed", legal_last_name="Testperson", date_of_birth="1990-01-02")
        s.add(c)
        s.flush()
        cid = c.id
    with runtime.db.engine.connect() as conn:
        raw = conn.execute(
            text("SELECT legal_last_name FROM clients WHERE id = :i"), {"i": cid}
        ).scalar_one()
    assert b"Testperson" not in bytes(raw)
    with runtime.db.transaction() as s:
        assert s.get(Client, cid).legal_last_name == "Testperson"


@pytest.mark.both_backends
def test_master_key_rotation_keeps_data_readable(runtime):
    with runtime.db.transaction() as s:
        c = Client(legal_first_name="Rot", legal_last_name="Ation", date_of_birth="1990-01-02")
        s.add(c)
        s.flush()
        cid = c.id
    old = crypto.read_master_key(runtime.settings.effective_master_key_file)
    new = bytes(range(32))
    assert rotate_master_key(runtime.db, old, new) == 1
    crypto.KEYRING.clear()
    with pytest.raises(crypto.KeyError_):
        open_keyring(runtime.db, old)
    crypto.KEYRING.clear()
    open_keyring(runtime.db, new)
    with runtime.db.transaction() as s:
        assert s.get(Client, cid).legal_last_name == "Ation"
