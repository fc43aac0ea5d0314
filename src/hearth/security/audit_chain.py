"""Pure hash-chain logic of the audit log: row hashes, checkpoint MACs, verification."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
HASHED_FIELDS = (
    "seq",
    "at",
    "actor_kind",
    "actor_id",
    "action",
    "outcome",
    "method",
    "path",
    "status",
    "record_type",
    "record_ids",
    "ip",
    "detail",
)


def row_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    """SHA-256 over the previous hash and the row's canonical JSON."""
    body = {k: row.get(k) for k in HASHED_FIELDS}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + "|" + canonical).encode()).hexdigest()


def checkpoint_mac(key: bytes, seq: int, hash_: str) -> str:
    """HMAC-SHA256 that signs the checkpoint (latest sequence number and hash)."""
    return hmac.new(key, f"{seq}:{hash_}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """What `hearth audit verify` found: ok, or the first bad row and why."""

    ok: bool
    rows: int
    first_bad_seq: int | None = None
    reason: str | None = None


def verify_chain(
    rows: Iterable[Mapping[str, Any]], checkpoint: Mapping[str, Any] | None, key: bytes
) -> ChainReport:
    """Check sequence, links and hashes of rows (ordered by seq) and the signed checkpoint."""
    prev_hash = GENESIS
    expected_seq = 1
    count = 0
    for row in rows:
        count += 1
        seq = int(row["seq"])
        if seq != expected_seq:
            bad = expected_seq if seq > expected_seq else seq
            return ChainReport(False, count, bad, f"row {expected_seq} is missing or out of order")
        if row["prev_hash"] != prev_hash:
            return ChainReport(False, count, seq, f"row {seq} does not link to row {seq - 1}")
        if row_hash(prev_hash, row) != row["hash"]:
            return ChainReport(False, count, seq, f"row {seq} was changed after it was written")
        prev_hash = row["hash"]
        expected_seq += 1
    last_seq = expected_seq - 1
    if checkpoint is None:
        if last_seq == 0:
            return ChainReport(True, 0)
        return ChainReport(False, count, 1, "the audit checkpoint is missing")
    if not hmac.compare_digest(
        checkpoint_mac(key, int(checkpoint["seq"]), str(checkpoint["hash"])), str(checkpoint["mac"])
    ):
        return ChainReport(False, count, last_seq + 1, "the audit checkpoint signature is invalid")
    cp_seq = int(checkpoint["seq"])
    if cp_seq > last_seq:
        return ChainReport(
            False, count, last_seq + 1, f"rows {last_seq + 1} to {cp_seq} were deleted"
        )
    if cp_seq < last_seq:
        return ChainReport(
            False, count, cp_seq + 1, f"rows after {cp_seq} were added outside the audit writer"
        )
    if checkpoint["hash"] != prev_hash:
        return ChainReport(False, count, last_seq, f"row {last_seq} does not match the checkpoint")
    return ChainReport(True, count)
