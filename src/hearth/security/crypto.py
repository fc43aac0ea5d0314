"""Envelope encryption for PHI columns (AES-256-GCM) and blind indexes for search.

Stored format of an encrypted value: ``version (1 byte) | key id (16 bytes) |
nonce (12 bytes) | ciphertext+tag``. Data keys are random 256-bit keys, kept in
the ``data_keys`` table wrapped (AES-GCM) by the master key, so rotating the
master key rewraps keys instead of re-encrypting data.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator

FORMAT_VERSION = 1
_HEADER = 1 + 16 + 12


class KeyError_(Exception):
    """A key is missing, malformed or cannot unwrap a value."""


def read_master_key(path: Path) -> bytes:
    """Read a 32-byte master key stored as 64 hex characters."""
    try:
        raw = path.read_text().strip()
    except OSError as e:
        raise KeyError_(f"cannot read master key file {path}: {e}") from e
    try:
        key = bytes.fromhex(raw)
    except ValueError as e:
        raise KeyError_(f"master key file {path} does not hold hex") from e
    if len(key) != 32:
        raise KeyError_(f"master key file {path} must hold 32 bytes (64 hex characters)")
    return key


def wrap_key(master: bytes, key_id: bytes, data_key: bytes) -> bytes:
    """Wrap a data key with the master key (nonce | ciphertext)."""
    nonce = os.urandom(12)
    return nonce + AESGCM(master).encrypt(nonce, data_key, b"hearth-dek:" + key_id)


def unwrap_key(master: bytes, key_id: bytes, wrapped: bytes) -> bytes:
    """Unwrap a data key; raises KeyError_ if the master key is wrong."""
    try:
        return AESGCM(master).decrypt(wrapped[:12], wrapped[12:], b"hearth-dek:" + key_id)
    except Exception as e:
        raise KeyError_(f"master key cannot unwrap data key {key_id.hex()}") from e


def new_data_key() -> tuple[bytes, bytes]:
    """A new (key id, key) pair."""
    return uuid.uuid4().bytes, AESGCM.generate_key(bit_length=256)


def derive_key(master: bytes, purpose: bytes) -> bytes:
    """A sub-key of the master key for one purpose (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


@dataclass
class Keyring:
    """The unwrapped data keys of this process and the one used for new values."""

    keys: dict[bytes, AESGCM] = field(default_factory=dict)
    active: bytes | None = None
    index_key: bytes | None = None

    def add(self, key_id: bytes, key: bytes, *, active: bool = False) -> None:
        self.keys[key_id] = AESGCM(key)
        if active or self.active is None:
            self.active = key_id

    def encrypt(self, plaintext: bytes) -> bytes:
        if self.active is None:
            raise KeyError_("no data key loaded: the database keyring was not opened")
        nonce = os.urandom(12)
        ct = self.keys[self.active].encrypt(nonce, plaintext, None)
        return bytes([FORMAT_VERSION]) + self.active + nonce + ct

    def decrypt(self, blob: bytes) -> bytes:
        if len(blob) < _HEADER + 16 or blob[0] != FORMAT_VERSION:
            raise KeyError_("value is not in Hearth's encrypted format")
        key_id, nonce, ct = blob[1:17], blob[17:29], blob[29:]
        aead = self.keys.get(key_id)
        if aead is None:
            raise KeyError_(f"data key {key_id.hex()} is not loaded")
        return aead.decrypt(nonce, ct, None)

    def clear(self) -> None:
        self.keys.clear()
        self.active = None
        self.index_key = None


KEYRING = Keyring()


class EncryptedText(TypeDecorator[str]):
    """A text column stored encrypted with the active data key."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> bytes | None:
        return None if value is None else KEYRING.encrypt(value.encode("utf-8"))

    def process_result_value(self, value: bytes | None, dialect: Any) -> str | None:
        return None if value is None else KEYRING.decrypt(bytes(value)).decode("utf-8")


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value stored encrypted with the active data key."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> bytes | None:
        if value is None:
            return None
        return KEYRING.encrypt(json.dumps(value, sort_keys=True, default=str).encode("utf-8"))

    def process_result_value(self, value: bytes | None, dialect: Any) -> Any:
        return None if value is None else json.loads(KEYRING.decrypt(bytes(value)))


_TOKEN = re.compile(r"[a-z0-9]+")


def normalise_tokens(text: str) -> list[str]:
    """Lower-case, accent-free word tokens of a name."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _TOKEN.findall(folded)


def search_terms(text: str, min_prefix: int = 3) -> set[str]:
    """Every token of a name and each of its prefixes of 3 or more letters."""
    terms: set[str] = set()
    for tok in normalise_tokens(text):
        terms.add(tok)
        for n in range(min_prefix, len(tok)):
            terms.add(tok[:n])
    return terms


def blind_index(term: str, index_key: bytes | None = None) -> str:
    """HMAC-SHA256 of a normalised term, hex (the blind index entry)."""
    key = index_key if index_key is not None else KEYRING.index_key
    if key is None:
        raise KeyError_("no blind-index key loaded")
    return hmac.new(key, term.encode(), hashlib.sha256).hexdigest()
