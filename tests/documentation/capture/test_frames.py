"""The frame protocol and reassembly (pure)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.documentation.capture import frames as wire


def test_a_frame_round_trips():
    pcm = b"\x01\x00\xff\x7f" * 100
    data = wire.encode_frame(42, pcm)
    assert data[:4] == b"HF\x01\x00"
    frame = wire.decode_frame(data)
    assert frame == wire.Frame(42, pcm)
    assert frame.samples == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"HF\x01", "8-byte header"),
        (b"XX\x01\x00\x00\x00\x00\x01\x00\x00", "bad magic"),
        (b"HF\x02\x00\x00\x00\x00\x01\x00\x00", "version 2"),
        (b"HF\x01\x00\x00\x00\x00\x01", "holds no audio"),
        (b"HF\x01\x00\x00\x00\x00\x01\x00", "odd number of bytes"),
        (b"HF\x01\x00\x00\x00\x00\x01" + b"\x00" * (2 * 16_000 * 6), "longer than 5 s"),
    ],
)
def test_bad_frames_are_named(data, message):
    with pytest.raises(wire.FrameError, match=message):
        wire.decode_frame(data)


def test_control_messages_are_checked():
    assert wire.decode_control('{"type": "stop", "frames": 3}').body["frames"] == 3
    with pytest.raises(wire.FrameError, match="not JSON"):
        wire.decode_control("stop")
    with pytest.raises(wire.FrameError, match="unknown control"):
        wire.decode_control('{"type": "explode"}')
    with pytest.raises(wire.FrameError, match="token"):
        wire.decode_control('{"type": "hello"}')
    with pytest.raises(wire.FrameError, match="frames"):
        wire.decode_control('{"type": "stop", "frames": -1}')
    assert json.loads(wire.message("ack", seq=3)) == {"type": "ack", "seq": 3}


def test_missing_and_contiguous():
    assert wire.missing([0, 1, 3, 5], 6) == [2, 4]
    assert wire.contiguous_through([0, 1, 3]) == 1
    assert wire.contiguous_through([], -1) == -1
    assert wire.contiguous_through([5, 6], 4) == 6


@given(
    st.lists(st.binary(min_size=2, max_size=40).map(lambda b: b[: len(b) // 2 * 2]), min_size=1),
    st.randoms(use_true_random=False),
    st.integers(min_value=0, max_value=3),
)
def test_any_order_with_resends_reassembles_to_what_was_recorded(parts, rnd, resends):
    parts = [p or b"\x00\x00" for p in parts]
    sent = [wire.Frame(i, p) for i, p in enumerate(parts)]
    arrived = sent + [rnd.choice(sent) for _ in range(resends)]
    rnd.shuffle(arrived)
    decoded = [wire.decode_frame(wire.encode_frame(f.seq, f.pcm)) for f in arrived]
    assert wire.in_order(decoded) == b"".join(parts)
    assert wire.missing([f.seq for f in decoded], len(parts)) == []
