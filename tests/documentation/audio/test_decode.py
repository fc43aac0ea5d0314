"""Upload formats decode to 16 kHz mono; stereo with a voice per channel stays apart."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from hearth.documentation.audio import synthetic
from hearth.documentation.audio.decode import (
    SAMPLE_RATE,
    AudioUnreadable,
    decode,
    from_channels,
    separate_speakers,
)
from tests.conftest import need_service

# (file suffix, PyAV container format, PyAV encoder, encoder sample rate)
PYAV_FORMATS = {
    "mp3": ("mp3", "libmp3lame", 16_000),
    "m4a": ("ipod", "aac", 16_000),
    "webm": ("webm", "libopus", 48_000),
    "ogg": ("ogg", "libopus", 48_000),  # Ogg/Opus, as phones and browsers record it
}


def can_encode(codec: str) -> bool:
    try:
        av.codec.Codec(codec, "w")
    except Exception:  # an FFmpeg build without this encoder
        return False
    return True


def encode_with_pyav(samples: np.ndarray, path: Path, fmt: str, codec: str, rate: int) -> Path:
    """Encode mono 16 kHz samples with PyAV (it resamples for the encoder)."""
    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        for i in range(0, len(pcm), 4096):
            frame = av.AudioFrame.from_ndarray(pcm[None, i : i + 4096], format="s16", layout="mono")
            frame.sample_rate = SAMPLE_RATE
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def envelope(samples: np.ndarray, start: int = 0) -> np.ndarray:
    """30 ms RMS envelope of 16 kHz samples."""
    n = (len(samples) - start) // 480 * 480
    return np.sqrt((samples[start : start + n].reshape(-1, 480) ** 2).mean(axis=1))


def same_sound(a: np.ndarray, b: np.ndarray) -> float:
    """Best envelope correlation over small encoder delays (codecs pad the start)."""
    best = 0.0
    for shift in range(0, 2000, 80):
        x, y = envelope(a), envelope(b, shift)
        n = min(len(x), len(y))
        best = max(best, float(np.corrcoef(x[:n], y[:n])[0, 1]))
    return best


@pytest.fixture(scope="module")
def speech(female_male) -> np.ndarray:
    return female_male.dialogue.samples[: 12 * SAMPLE_RATE]


@pytest.mark.parametrize("suffix", sorted(PYAV_FORMATS))
def test_upload_formats_decode(speech, tmp_path, suffix):
    fmt, codec, rate = PYAV_FORMATS[suffix]
    need_service(f"a PyAV that encodes {codec}", can_encode(codec), "reinstall the av wheel")
    path = encode_with_pyav(speech, tmp_path / f"session.{suffix}", fmt, codec, rate)
    audio = decode(path)
    assert not audio.channel_mode
    assert audio.samples.dtype == np.float32
    assert abs(audio.duration - len(speech) / SAMPLE_RATE) < 0.2
    assert same_sound(speech, audio.samples) > 0.95


def test_ogg_vorbis_made_by_sox_decodes(female_male, tmp_path):
    need_service("sox", shutil.which("sox") is not None, "install the Debian package sox")
    ogg = tmp_path / "session.ogg"
    subprocess.run(["sox", str(female_male.wav), "-r", "22050", str(ogg)], check=True)
    audio = decode(ogg)
    assert abs(audio.duration - female_male.dialogue.duration) < 0.2
    assert same_sound(female_male.dialogue.samples, audio.samples) > 0.95


def test_wav_at_another_rate_is_resampled(speech, tmp_path):
    path = synthetic.write_wav(tmp_path / "44k.wav", np.repeat(speech, 3), rate=48_000)
    audio = decode(path)
    assert abs(audio.duration - len(speech) / SAMPLE_RATE) < 0.05


def test_stereo_with_a_voice_per_channel_is_kept_apart(female_male, tmp_path):
    d = female_male.dialogue
    path = synthetic.write_wav(tmp_path / "two_mics.wav", d.channel(0), d.channel(1))
    audio = decode(path)
    assert audio.channel_mode and len(audio.channels) == 2
    assert same_sound(d.channel(0), audio.channels[0]) > 0.95
    assert decode(path, channel_mode=False).channel_mode is False


def test_stereo_with_the_same_sound_on_both_channels_is_mixed(speech, tmp_path):
    path = synthetic.write_wav(tmp_path / "dual_mono.wav", speech, speech * 0.8)
    assert not decode(path).channel_mode


def test_one_silent_channel_is_not_channel_mode(speech):
    assert not separate_speakers(np.stack([speech, np.zeros_like(speech)]))
    assert not from_channels(np.stack([speech, np.zeros_like(speech)])).channel_mode


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(AudioUnreadable, match=r"nowhere\.wav: no such audio file"):
        decode(tmp_path / "nowhere.wav")


def test_not_audio_names_the_file(tmp_path):
    bad = tmp_path / "notes.mp3"
    bad.write_text("these are my session notes, not audio\n" * 20)
    with pytest.raises(AudioUnreadable, match=r"notes\.mp3: not a readable audio file"):
        decode(bad)


def test_empty_file_names_the_file(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(AudioUnreadable, match=r"empty\.wav"):
        decode(empty)


def test_wav_without_samples_is_refused(tmp_path):
    path = synthetic.write_wav(tmp_path / "nothing.wav", np.zeros(0, dtype=np.float32))
    with pytest.raises(AudioUnreadable, match=r"nothing\.wav: the file holds no audio samples"):
        decode(path)


def test_video_without_audio_is_refused(tmp_path):
    need_service("a PyAV that encodes VP8", can_encode("libvpx"), "reinstall the av wheel")
    path = tmp_path / "camera.webm"
    with av.open(str(path), "w", format="webm") as out:
        stream = out.add_stream("libvpx", rate=5)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for _ in range(3):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    with pytest.raises(AudioUnreadable, match=r"camera\.webm: the file holds no audio stream"):
        decode(path)
