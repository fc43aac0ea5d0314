"""The capture wire protocol and frame reassembly (pure: no database, no clock, no I/O).

The browser streams numbered frames of 16 kHz mono signed 16-bit little-endian PCM over a
WebSocket. Each frame decodes on its own (unlike MediaRecorder's WebM chunks), so a frame
resent after a dropped connection or a reload is simply stored if it is new and
acknowledged again if it is not.

Binary message (one frame)::

    b"HF" | version (1 byte, 1) | flags (1 byte, 0) | seq (uint32 big-endian) | PCM bytes

Text messages are JSON objects with a ``type``:

- from the page: ``hello`` {token}, ``pause``, ``resume``, ``stop`` {frames, accept_gaps},
  ``ping``;
- from the server: ``ready`` {next_seq, have_through, status}, ``ack`` {seq},
  ``missing`` {seqs}, ``state`` {status}, ``stopped``, ``error`` {code, message}.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

MAGIC = b"HF"
VERSION = 1
HEADER = struct.Struct(">2sBBI")
SAMPLE_RATE = 16_000
BYTES_PER_SAMPLE = 2
MAX_FRAME_SAMPLES = SAMPLE_RATE * 5  # at most 5 s per frame (the page sends 0.5 s)
MAX_SEQ = 2**31 - 1

# WebSocket close codes (4000-4999 are the application's own).
CLOSE_NORMAL = 1000
CLOSE_POLICY = 1008  # Origin refused
CLOSE_UNAUTHENTICATED = 4401
CLOSE_CONSENT = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_FINISHED = 4409
CLOSE_BAD_MESSAGE = 4422


class FrameError(ValueError):
    """A message that is not a valid frame or control message; says what is wrong."""


@dataclass(frozen=True)
class Frame:
    """One numbered frame of PCM."""

    seq: int
    pcm: bytes

    @property
    def samples(self) -> int:
        return len(self.pcm) // BYTES_PER_SAMPLE


def encode_frame(seq: int, pcm: bytes) -> bytes:
    """The binary message carrying frame ``seq``."""
    check_frame(seq, pcm)
    return HEADER.pack(MAGIC, VERSION, 0, seq) + pcm


def check_frame(seq: int, pcm: bytes) -> None:
    """Raise FrameError unless ``seq`` and ``pcm`` make a valid frame."""
    if not 0 <= seq <= MAX_SEQ:
        raise FrameError(f"frame number {seq} is out of range")
    if not pcm:
        raise FrameError(f"frame {seq} holds no audio")
    if len(pcm) % BYTES_PER_SAMPLE:
        raise FrameError(f"frame {seq} has an odd number of bytes ({len(pcm)})")
    if len(pcm) // BYTES_PER_SAMPLE > MAX_FRAME_SAMPLES:
        raise FrameError(f"frame {seq} is longer than {MAX_FRAME_SAMPLES // SAMPLE_RATE} s")


def decode_frame(data: bytes) -> Frame:
    """Parse a binary message into a Frame (FrameError names the problem)."""
    if len(data) < HEADER.size:
        raise FrameError(f"a frame needs a {HEADER.size}-byte header; got {len(data)} bytes")
    magic, version, _flags, seq = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise FrameError("not a Hearth audio frame (bad magic bytes)")
    if version != VERSION:
        raise FrameError(f"frame format version {version} is not supported (expected {VERSION})")
    pcm = bytes(data[HEADER.size :])
    check_frame(seq, pcm)
    return Frame(seq, pcm)


@dataclass(frozen=True)
class Control:
    """A parsed JSON control message."""

    type: str
    body: dict[str, Any]


CONTROL_TYPES = ("hello", "pause", "resume", "stop", "ping")


def decode_control(text: str) -> Control:
    """Parse a control message from the page (FrameError names the problem)."""
    try:
        body = json.loads(text)
    except json.JSONDecodeError as e:
        raise FrameError(f"control message is not JSON ({e.msg} at {e.pos})") from e
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        raise FrameError("control message must be an object with a 'type'")
    kind = body["type"]
    if kind not in CONTROL_TYPES:
        raise FrameError(f"unknown control message type {kind!r}")
    if kind == "hello" and not isinstance(body.get("token"), str):
        raise FrameError("hello needs the recording's token")
    if kind == "stop":
        frames = body.get("frames")
        if not isinstance(frames, int) or isinstance(frames, bool) or frames < 0:
            raise FrameError("stop needs 'frames', the number of frames sent (0 or more)")
    return Control(kind, body)


def message(kind: str, **fields: Any) -> str:
    """A JSON control message from the server."""
    return json.dumps({"type": kind, **fields}, separators=(",", ":"))


# --- reassembly ------------------------------------------------------------------------------


def contiguous_through(seqs: Iterable[int], start: int = -1) -> int:
    """The highest n such that every frame from 0 to n is present (``start`` if none beyond)."""
    have = set(seqs)
    n = start
    while n + 1 in have:
        n += 1
    return n


def missing(seqs: Iterable[int], total: int) -> list[int]:
    """Frame numbers below ``total`` that were never received, in order."""
    have = set(seqs)
    return [n for n in range(total) if n not in have]


def in_order(frames: Iterable[Frame]) -> bytes:
    """The frames' PCM concatenated by sequence number (duplicates kept once)."""
    by_seq: dict[int, bytes] = {}
    for f in frames:
        by_seq.setdefault(f.seq, f.pcm)
    return b"".join(by_seq[n] for n in sorted(by_seq))


def pcm_seconds(n_bytes: int, rate: int = SAMPLE_RATE) -> float:
    """Duration of ``n_bytes`` of mono int16 PCM at ``rate``."""
    return n_bytes / BYTES_PER_SAMPLE / rate
