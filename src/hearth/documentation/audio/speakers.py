"""Who spoke: a voice embedding per recognised segment, spectral clustering, voice enrollment.

Embeddings come from resemblyzer (its 17 MB weights ship in the package). One embedding
per segment, not per 1.5 s window: short windows do not separate two voices of the same
gender. With an enrollment of the clinician's voice, the cluster closest to it is the
clinician.
"""

from __future__ import annotations

import functools
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from hearth.errors import Invalid

SAMPLE_RATE = 16_000
ENCODER = "resemblyzer-0.1.4"
MIN_CLUSTER_SECONDS = 1.0  # shorter segments join the nearest speaker afterwards
MIN_CLINICIAN_SIMILARITY = 0.7  # below this no speaker is taken for the enrolled clinician


class VoiceEmbedder(Protocol):
    """Anything that maps stretches of 16 kHz speech to L2-normalised vectors."""

    name: str

    def embed(self, clips: Sequence[np.ndarray]) -> np.ndarray: ...


@functools.lru_cache(maxsize=2)
def _encoder(device: str) -> Any:
    with warnings.catch_warnings():
        # resemblyzer 0.1.4 imports scipy.ndimage.morphology, deprecated in scipy 1.x
        warnings.simplefilter("ignore", DeprecationWarning)
        from resemblyzer import VoiceEncoder, audio

    encoder = VoiceEncoder(device, verbose=False)
    audio.wav_to_mel_spectrogram(np.zeros(SAMPLE_RATE, dtype=np.float32))  # librosa's JIT, once
    return encoder


class ResemblyzerEmbedder:
    """resemblyzer's voice encoder; every clip's partial windows go through in batches."""

    name = ENCODER

    def __init__(self, device: str = "cpu", *, rate: float = 1.0, max_partials: int = 1) -> None:
        import torch

        gpu = device in ("auto", "cuda") and torch.cuda.is_available()
        self.device = "cuda" if gpu else "cpu"
        self.rate = rate  # partial windows (1.6 s each) per second of speech
        self.max_partials = max_partials  # centred 1.6 s windows per segment; one suffices
        self.encoder = _encoder(self.device)

    def embed(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        """One embedding per clip (shape: clips x 256)."""
        import torch
        from resemblyzer import audio as ra
        from resemblyzer.hparams import partials_n_frames

        mels: list[np.ndarray] = []
        owners: list[int] = []
        for k, clip in enumerate(clips):
            wav = ra.normalize_volume(clip.astype(np.float32), -30, increase_only=True)
            wav_slices, mel_slices = self.encoder.compute_partial_slices(len(wav), self.rate, 0.75)
            if wav_slices[-1].stop > len(wav):
                wav = np.pad(wav, (0, wav_slices[-1].stop - len(wav)))
            mel = ra.wav_to_mel_spectrogram(wav)
            if len(mel_slices) > self.max_partials:  # evenly spread, centred windows
                n, m = len(mel_slices), self.max_partials
                mel_slices = [mel_slices[int((i + 0.5) * n / m)] for i in range(m)]
            for s in mel_slices:
                part = mel[s]
                if part.shape[0] < partials_n_frames:
                    part = np.pad(part, ((0, partials_n_frames - part.shape[0]), (0, 0)))
                mels.append(part)
                owners.append(k)
        if not mels:
            return np.zeros((0, 256), dtype=np.float32)
        parts = []
        with torch.no_grad():
            for i in range(0, len(mels), 64):
                batch = torch.from_numpy(np.stack(mels[i : i + 64])).to(self.device)
                parts.append(self.encoder(batch).cpu().numpy())
        partial = np.concatenate(parts)
        out = np.zeros((len(clips), partial.shape[1]), dtype=np.float32)
        np.add.at(out, np.asarray(owners), partial)
        return normalise(out)


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.where(norms > 0, vectors / np.maximum(norms, 1e-12), vectors).astype(np.float32)


def cluster(
    embeddings: np.ndarray, n_speakers: int, *, weights: Sequence[float] | None = None
) -> np.ndarray:
    """Spectral clustering of segment embeddings into `n_speakers` labels (0 … n-1).

    Segments shorter than MIN_CLUSTER_SECONDS (given as `weights`, in seconds) carry noisy
    embeddings: the clusters are found on the longer ones and the short ones join the
    nearest cluster centre.
    """
    n = len(embeddings)
    if n == 0:
        return np.zeros(0, dtype=int)
    k = max(1, min(n_speakers, n))
    if k == 1:
        return np.zeros(n, dtype=int)
    secs = np.asarray(weights if weights is not None else [MIN_CLUSTER_SECONDS] * n)
    core = np.flatnonzero(secs >= MIN_CLUSTER_SECONDS)
    if len(core) <= k:
        core = np.arange(n)
    labels = np.full(n, -1)
    if len(core) <= k:
        labels[core] = np.arange(len(core))
    else:
        from sklearn.cluster import SpectralClustering

        x = embeddings[core]
        affinity = np.clip(x @ x.T, 0.0, 1.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "graph is not fully connected" on tiny inputs
            labels[core] = SpectralClustering(
                n_clusters=k, affinity="precomputed", random_state=0, assign_labels="discretize"
            ).fit_predict(affinity)
    centres = centroids(embeddings, labels, k)
    rest = np.flatnonzero(labels < 0)
    if len(rest):
        labels[rest] = np.argmax(embeddings[rest] @ centres.T, axis=1)
    return labels


def centroids(embeddings: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """The normalised mean embedding of each label 0 … k-1 (labels < 0 are ignored)."""
    out = np.zeros((k, embeddings.shape[1]), dtype=np.float32)
    for i in range(k):
        members = embeddings[labels == i]
        if len(members):
            out[i] = members.mean(axis=0)
    return normalise(out)


def speaker_names(labels: Sequence[int]) -> dict[int, str]:
    """S1, S2, … in order of first appearance."""
    names: dict[int, str] = {}
    for label in labels:
        if label not in names:
            names[label] = f"S{len(names) + 1}"
    return names


def assign_roles(
    speakers: Sequence[str],
    centres: np.ndarray | None,
    clinician: VoiceProfile | None,
    *,
    min_similarity: float = MIN_CLINICIAN_SIMILARITY,
) -> tuple[dict[str, str], dict[str, float]]:
    """Speaker label → role, and each speaker's similarity to the enrolled clinician.

    Without an enrollment every role is `unknown`. With one, the closest speaker (if at
    least `min_similarity`) is the clinician, the others `client` — or `client_a`,
    `client_b`, … in order of first appearance when there are several.
    """
    if clinician is None or centres is None or not len(speakers):
        return {s: "unknown" for s in speakers}, {}
    sims = centres @ clinician.embedding
    similarity = {s: round(float(sims[i]), 3) for i, s in enumerate(speakers)}
    best = int(np.argmax(sims))
    if float(sims[best]) < min_similarity:
        return {s: "unknown" for s in speakers}, similarity
    others = [s for i, s in enumerate(speakers) if i != best]
    roles = {speakers[best]: "clinician"}
    if len(others) == 1:
        roles[others[0]] = "client"
    else:
        for j, s in enumerate(others):
            roles[s] = f"client_{chr(ord('a') + j)}"
    return roles, similarity


@dataclass(frozen=True)
class VoiceProfile:
    """An enrolled voice: one embedding, the encoder that made it, and the speech it heard."""

    embedding: np.ndarray
    encoder: str = ENCODER
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "hearth-voice-profile",
            "encoder": self.encoder,
            "seconds": round(self.seconds, 2),
            "embedding": [round(float(v), 6) for v in self.embedding],
        }

    @classmethod
    def from_json(cls, doc: Any, *, source: str = "voice profile") -> VoiceProfile:
        if not isinstance(doc, dict) or doc.get("kind") != "hearth-voice-profile":
            raise Invalid(f"{source}: not a Hearth voice profile", where=source)
        vec = doc.get("embedding")
        if not isinstance(vec, list) or not vec or not all(isinstance(v, int | float) for v in vec):
            raise Invalid(f"{source}: the profile has no embedding", where=source)
        if doc.get("encoder") != ENCODER:
            raise Invalid(
                f"{source}: made by {doc.get('encoder')!r}, this Hearth uses {ENCODER}; "
                "record the enrollment again",
                where=source,
            )
        return cls(
            normalise(np.asarray(vec, dtype=np.float32)), ENCODER, float(doc.get("seconds") or 0)
        )

    def save(self, path: Path) -> Path:
        """Write the profile as JSON (about 3 KB) or, for a .npy path, the bare vector."""
        if path.suffix == ".npy":
            np.save(path, self.embedding.astype(np.float32))
        else:
            path.write_text(json.dumps(self.to_json()) + "\n", encoding="utf-8")
        return path


def load_voice_profile(path: Path) -> VoiceProfile:
    """Read a profile saved by `VoiceProfile.save` (.json or .npy)."""
    try:
        if path.suffix == ".npy":
            vec = np.load(path, allow_pickle=False)
            if vec.ndim != 1 or vec.shape[0] != 256:
                raise Invalid(f"{path.name}: expected a 256-value voice embedding", where=str(path))
            return VoiceProfile(normalise(vec.astype(np.float32)))
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise Invalid(f"{path.name}: cannot read the voice profile ({e})", where=str(path)) from e
    return VoiceProfile.from_json(doc, source=path.name)


MIN_ENROLL_SECONDS = 3.0  # fewer seconds give too few clips for a stable mean embedding


def enroll(
    samples: np.ndarray, embedder: VoiceEmbedder, *, regions: Sequence[tuple[int, int]] = ()
) -> VoiceProfile:
    """A voice profile from a recording of one person (about 30 s is plenty)."""
    speech = np.concatenate([samples[a:b] for a, b in regions]) if regions else np.asarray(samples)
    seconds = len(speech) / SAMPLE_RATE
    if seconds < MIN_ENROLL_SECONDS:
        raise Invalid(
            f"the enrollment recording holds {seconds:.1f} s of speech; it needs at least "
            f"{MIN_ENROLL_SECONDS:g} s (about 30 s gives a reliable voice print)",
            where="clinician_voice",
        )
    window = 2 * SAMPLE_RATE  # many short clips: one embedding window each
    clips = [speech[i : i + window] for i in range(0, len(speech), window)]
    clips = [c for c in clips if len(c) >= SAMPLE_RATE] or [speech]
    vectors = embedder.embed(clips)
    return VoiceProfile(normalise(vectors.mean(axis=0)), embedder.name, seconds)
