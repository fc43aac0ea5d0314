"""Audio at rest: encrypted with the keyring, checked for order and completeness on reading."""

from __future__ import annotations

import pytest

from hearth.documentation.capture import storage
from hearth.documentation.capture.storage import AUDIO, AudioStore, StorageError
from tests.documentation.capture.conftest import pcm_tone

RID = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def store(runtime) -> AudioStore:
    return AudioStore(runtime.settings.effective_media_dir)


def test_chunked_files_round_trip_and_are_not_plaintext(store, monkeypatch):
    monkeypatch.setattr(storage, "CHUNK_BYTES", 1000)
    pcm = pcm_tone(0.4)  # 12,800 bytes: 13 chunks
    assert store.write(RID, AUDIO, [pcm[:5000], pcm[5000:]]) == len(pcm)
    assert store.read_all(RID, AUDIO) == pcm
    raw = store.path(RID, AUDIO).read_bytes()
    assert pcm[:64] not in raw
    assert oct(store.path(RID, AUDIO).stat().st_mode & 0o777) == "0o600"


def test_an_empty_file_round_trips(store):
    store.write(RID, AUDIO, [])
    assert store.read_all(RID, AUDIO) == b""


def test_tampering_and_truncation_are_detected(store, monkeypatch):
    monkeypatch.setattr(storage, "CHUNK_BYTES", 1000)
    store.write(RID, AUDIO, [pcm_tone(0.2)])
    path = store.path(RID, AUDIO)
    good = path.read_bytes()
    path.write_bytes(good[:-10])
    with pytest.raises(StorageError, match="truncated"):
        store.read_all(RID, AUDIO)
    flipped = bytearray(good)
    flipped[100] ^= 0xFF
    path.write_bytes(bytes(flipped))
    with pytest.raises(StorageError, match="cannot be decrypted"):
        store.read_all(RID, AUDIO)
    # dropping a whole chunk (records are length-prefixed) is caught by the chunk index
    first_len = int.from_bytes(good[8:12], "big")
    path.write_bytes(good[:8] + good[12 + first_len :])
    with pytest.raises(StorageError, match="out of order"):
        store.read_all(RID, AUDIO)


def test_frames_are_encrypted_one_by_one(store):
    pcm = pcm_tone(0.5)
    store.put_frame(RID, 7, pcm)
    store.put_frame(RID, 7, pcm)  # stored again: harmless
    assert store.get_frame(RID, 7) == pcm
    assert pcm[:64] not in (store.folder(RID) / "frames" / "00000007.bin").read_bytes()
    with pytest.raises(StorageError, match="frame 8"):
        store.get_frame(RID, 8)
    store.delete_frames(RID)
    assert not (store.folder(RID) / "frames").exists()


def test_ids_cannot_escape_the_media_folder(store):
    with pytest.raises(StorageError):
        store.folder("../../etc")
    assert store.recording_ids() == []
    store.put_frame(RID, 0, b"\x00\x00")
    assert store.recording_ids() == [RID]
    assert store.delete(RID) and not store.delete(RID)
