"""Encrypted audio under HEARTH_MEDIA_DIR: live frames, assembled recordings and uploads.

Every byte of audio at rest goes through the keyring (AES-256-GCM with the active data key,
``security.crypto.KEYRING``). Layout, one folder per recording::

    <media>/recordings/<recording id>/frames/00000042.bin   one encrypted frame
    <media>/recordings/<recording id>/audio.pcm             assembled 16 kHz PCM (chunked)
    <media>/recordings/<recording id>/upload                the uploaded file (chunked)

A chunked file is ``MAGIC`` then records of ``length (uint32) | encrypted chunk``; each
chunk's plaintext starts with its index and a last-chunk flag, so a reordered, dropped or
truncated chunk is detected on reading. Files are written to a temporary name and renamed,
so a crash never leaves half a file under the real name. Workers on other machines read the
same files through a shared media folder.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import shutil
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path

from hearth.security.crypto import KEYRING, KeyError_

MAGIC = b"HEARTHA\x01"
CHUNK_BYTES = 1 << 20
_LEN = struct.Struct(">I")
_CHUNK_HEAD = struct.Struct(">QB")
_ID = re.compile(r"^[0-9a-f]{32}$")

AUDIO = "audio.pcm"
UPLOAD = "upload"


class StorageError(Exception):
    """Stored audio is missing, unreadable or was tampered with."""


class AudioStore:
    """Encrypted audio files of recordings under one media folder."""

    def __init__(self, media_dir: Path) -> None:
        self.root = Path(media_dir) / "recordings"

    def folder(self, recording_id: str) -> Path:
        """The recording's folder (the id is checked, so no path can escape the media folder)."""
        if not _ID.match(recording_id):
            raise StorageError(f"{recording_id!r} is not a recording id")
        return self.root / recording_id

    # --- frames ------------------------------------------------------------------------------

    def _frame_path(self, recording_id: str, seq: int) -> Path:
        return self.folder(recording_id) / "frames" / f"{seq:08d}.bin"

    def put_frame(self, recording_id: str, seq: int, pcm: bytes) -> None:
        """Store one frame, encrypted (writing the same frame again is harmless)."""
        path = self._frame_path(recording_id, seq)
        _atomic_write(path, [KEYRING.encrypt(pcm)])

    def get_frame(self, recording_id: str, seq: int) -> bytes:
        """One frame's PCM."""
        path = self._frame_path(recording_id, seq)
        try:
            blob = path.read_bytes()
        except FileNotFoundError as e:
            raise StorageError(f"frame {seq} of recording {recording_id} is missing") from e
        try:
            return KEYRING.decrypt(blob)
        except (KeyError_, ValueError) as e:
            raise StorageError(f"frame {seq} of recording {recording_id} is unreadable") from e
        except Exception as e:  # cryptography's InvalidTag: the file was changed
            raise StorageError(f"frame {seq} of recording {recording_id} was altered") from e

    def frames(self, recording_id: str, seqs: Iterable[int]) -> Iterator[bytes]:
        """The PCM of the given frames, in the order given."""
        for seq in seqs:
            yield self.get_frame(recording_id, seq)

    def delete_frames(self, recording_id: str) -> None:
        """Remove the recording's frame files (after they were assembled)."""
        shutil.rmtree(self.folder(recording_id) / "frames", ignore_errors=True)

    # --- whole files -------------------------------------------------------------------------

    def path(self, recording_id: str, name: str) -> Path:
        return self.folder(recording_id) / name

    def exists(self, recording_id: str, name: str) -> bool:
        return self.path(recording_id, name).is_file()

    def write(self, recording_id: str, name: str, chunks: Iterable[bytes]) -> int:
        """Store a stream of bytes encrypted in chunks; returns the plaintext size."""
        size = 0

        def records() -> Iterator[bytes]:
            nonlocal size
            index = 0
            pending: bytes | None = None
            for piece in _rechunk(chunks):
                if pending is not None:
                    yield _seal(index, pending, last=False)
                    index += 1
                pending = piece
                size += len(piece)
            yield _seal(index, pending or b"", last=True)

        _atomic_write(self.path(recording_id, name), records(), header=MAGIC)
        return size

    def read(self, recording_id: str, name: str) -> Iterator[bytes]:
        """The stored bytes, chunk by chunk, checked for order and completeness."""
        path = self.path(recording_id, name)
        try:
            f = path.open("rb")
        except FileNotFoundError as e:
            raise StorageError(f"{name} of recording {recording_id} is missing") from e
        with f:
            if f.read(len(MAGIC)) != MAGIC:
                raise StorageError(f"{name} of recording {recording_id} is not Hearth audio")
            index = 0
            while True:
                head = f.read(_LEN.size)
                if len(head) < _LEN.size:
                    raise StorageError(f"{name} of recording {recording_id} is truncated")
                (length,) = _LEN.unpack(head)
                blob = f.read(length)
                if len(blob) < length:
                    raise StorageError(f"{name} of recording {recording_id} is truncated")
                try:
                    plain = KEYRING.decrypt(blob)
                except Exception as e:
                    raise StorageError(
                        f"{name} of recording {recording_id} cannot be decrypted (chunk {index})"
                    ) from e
                got, last = _CHUNK_HEAD.unpack_from(plain)
                if got != index:
                    raise StorageError(f"{name} of recording {recording_id}: chunks out of order")
                yield plain[_CHUNK_HEAD.size :]
                if last:
                    if f.read(1):
                        raise StorageError(f"{name} of recording {recording_id}: trailing data")
                    return
                index += 1

    def read_all(self, recording_id: str, name: str) -> bytes:
        """The whole stored file, decrypted."""
        return b"".join(self.read(recording_id, name))

    def delete(self, recording_id: str) -> bool:
        """Delete every file of the recording; True if anything was there."""
        folder = self.folder(recording_id)
        if not folder.exists():
            return False
        shutil.rmtree(folder)
        return True

    def modified_at(self, recording_id: str) -> dt.datetime:
        """When anything in the recording's folder last changed (UTC)."""
        folder = self.folder(recording_id)
        stamps = [p.stat().st_mtime for p in folder.rglob("*")] + [folder.stat().st_mtime]
        return dt.datetime.fromtimestamp(max(stamps), dt.UTC)

    def recording_ids(self) -> list[str]:
        """Ids of every recording folder present (for the orphan sweep)."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and _ID.match(p.name))


def _seal(index: int, data: bytes, *, last: bool) -> bytes:
    blob = KEYRING.encrypt(_CHUNK_HEAD.pack(index, 1 if last else 0) + data)
    return _LEN.pack(len(blob)) + blob


def _rechunk(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Regroup a stream into pieces of CHUNK_BYTES (the last one shorter)."""
    buf = bytearray()
    for c in chunks:
        buf += c
        while len(buf) >= CHUNK_BYTES:
            yield bytes(buf[:CHUNK_BYTES])
            del buf[:CHUNK_BYTES]
    if buf:
        yield bytes(buf)


def _atomic_write(path: Path, parts: Iterable[bytes], *, header: bytes = b"") -> None:
    """Write to a temporary file beside ``path``, flush to disk, then rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(header)
            for part in parts:
                f.write(part)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
