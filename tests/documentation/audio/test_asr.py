"""Which model and device: bundled tiny.en, a folder, a cached name; never a download."""

from __future__ import annotations

import numpy as np
import pytest
from huggingface_hub import constants

from hearth.documentation.audio import asr
from hearth.documentation.audio.asr import SpeechModelMissing, resolve_device, resolve_model
from hearth.errors import Invalid, Unavailable
from hearth.settings import Settings


def test_default_is_the_bundled_tiny_en():
    choice = resolve_model(None)
    assert choice.name == "tiny.en" and choice.source == "bundled"
    assert (choice.path / "model.bin").is_file()
    assert resolve_model("tiny.en") == choice


def test_a_model_folder(tmp_path):
    folder = tmp_path / "small.en"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"")
    choice = resolve_model(str(folder))
    assert choice.source == "folder" and choice.name == "small.en" and choice.path == folder


def test_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(SpeechModelMissing, match="does not exist"):
        resolve_model(str(tmp_path / "nope"))


def test_a_folder_without_a_model_is_refused(tmp_path):
    with pytest.raises(SpeechModelMissing, match=r"no model\.bin"):
        resolve_model(str(tmp_path))


def fake_cache(root, repo: str) -> None:
    """A Hugging Face cache entry as `hf download` leaves it."""
    entry = root / ("models--" + repo.replace("/", "--"))
    snap = entry / "snapshots" / "0123abcd"
    snap.mkdir(parents=True)
    for name in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt"):
        (snap / name).write_text("{}")
    (entry / "refs").mkdir()
    (entry / "refs" / "main").write_text("0123abcd")


def test_a_name_in_the_local_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    fake_cache(tmp_path, "Systran/faster-whisper-small.en")
    choice = resolve_model("small.en")
    assert choice.source == "cache" and choice.name == "small.en"
    assert (choice.path / "model.bin").is_file()
    fake_cache(tmp_path, "someone/whisper-ct2")
    assert resolve_model("someone/whisper-ct2").source == "cache"


def test_a_name_not_in_the_cache_says_how_to_fetch_it(tmp_path, monkeypatch):
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # belt and braces: the test never downloads
    with pytest.raises(SpeechModelMissing) as e:
        resolve_model("large-v3")
    assert "not in the local model cache" in e.value.message
    assert "never downloads" in e.value.message and "docs/speech.md" in e.value.message


def test_an_unknown_name_is_refused():
    with pytest.raises(SpeechModelMissing, match="unknown speech model"):
        resolve_model("gigantic-v9")


def test_devices(monkeypatch):
    monkeypatch.setattr(asr, "cuda_devices", lambda: 0)
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == "cpu"
    with pytest.raises(Unavailable, match="no CUDA device"):
        resolve_device("cuda")
    monkeypatch.setattr(asr, "cuda_devices", lambda: 1)
    assert resolve_device("auto") == "cuda"
    assert resolve_device("cuda") == "cuda"
    with pytest.raises(Invalid):
        resolve_device("tpu")


def test_settings_read_the_environment(monkeypatch):
    monkeypatch.setenv("HEARTH_ASR_MODEL", "/models/small.en")
    monkeypatch.setenv("HEARTH_ASR_DEVICE", "cpu")
    s = Settings()
    assert s.asr_model == "/models/small.en" and s.asr_device == "cpu"
    monkeypatch.delenv("HEARTH_ASR_MODEL")
    monkeypatch.delenv("HEARTH_ASR_DEVICE")
    assert Settings().asr_model is None and Settings().asr_device == "auto"


class _FakeWhisper:
    """Stands in for faster_whisper.WhisperModel: a GPU that cannot run the model."""

    loads: list[tuple[str, str]] = []

    def __init__(self, path, *, device, compute_type, cpu_threads):
        type(self).loads.append((device, compute_type))
        if device == "cuda" and compute_type != "float32":
            raise ValueError(f"Requested {compute_type} compute type is not supported")
        self.device = device

    def transcribe(self, samples, **kwargs):
        if self.device == "cuda":
            raise RuntimeError("Library libcudnn_ops.so.9 is not found")
        return iter(()), None


@pytest.fixture
def fake_gpu(monkeypatch):
    import ctranslate2
    import faster_whisper

    asr._load.cache_clear()
    _FakeWhisper.loads = []
    monkeypatch.setattr(asr, "cuda_devices", lambda: 1)
    monkeypatch.setattr(faster_whisper, "WhisperModel", _FakeWhisper)
    yield monkeypatch, ctranslate2
    asr._load.cache_clear()


def test_the_gpu_gets_a_compute_type_it_supports(fake_gpu):
    monkeypatch, ctranslate2 = fake_gpu
    monkeypatch.setattr(ctranslate2, "get_supported_compute_types", lambda d: {"float32"})
    assert asr.compute_type_for("cuda") == "float32"
    assert asr.compute_type_for("cpu") == "int8"
    monkeypatch.setattr(
        ctranslate2, "get_supported_compute_types", lambda d: {"float32", "float16", "int8"}
    )
    assert asr.compute_type_for("cuda") == "float16"


def test_auto_falls_back_to_the_cpu_when_the_gpu_cannot_load_the_model(fake_gpu):
    monkeypatch, ctranslate2 = fake_gpu
    monkeypatch.setattr(ctranslate2, "get_supported_compute_types", lambda d: {"int8_float16"})
    r = asr.whisper(None, "auto")
    assert r.device == "cpu"
    assert _FakeWhisper.loads == [("cuda", "int8_float16"), ("cpu", "int8")]


def test_auto_falls_back_when_the_gpu_fails_while_recognising(fake_gpu):
    monkeypatch, ctranslate2 = fake_gpu
    monkeypatch.setattr(ctranslate2, "get_supported_compute_types", lambda d: {"float32"})
    r = asr.whisper(None, "auto")
    assert r.device == "cuda"
    assert r.recognise(np.zeros(16_000, dtype=np.float32)) == []
    assert r.device == "cpu"


def test_cuda_asked_for_by_name_fails_plainly(fake_gpu):
    monkeypatch, ctranslate2 = fake_gpu
    monkeypatch.setattr(ctranslate2, "get_supported_compute_types", lambda d: {"int8_float16"})
    with pytest.raises(Unavailable, match="could not be loaded on cuda"):
        asr.whisper(None, "cuda")
    monkeypatch.setattr(ctranslate2, "get_supported_compute_types", lambda d: {"float32"})
    r = asr.whisper(None, "cuda")
    with pytest.raises(RuntimeError, match="libcudnn"):
        r.recognise(np.zeros(16_000, dtype=np.float32))
