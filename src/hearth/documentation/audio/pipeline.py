"""Audio in, transcript out: decode → VAD → recognition → guards → speakers → roles.

Pure of databases and HTTP: the job and the CLI call `transcribe`; later layers store what
it returns. Heavy libraries (faster-whisper, torch, resemblyzer) load on first use.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from hearth.documentation.audio import vad as vadmod
from hearth.documentation.audio.asr import SpeechRecognizer, whisper
from hearth.documentation.audio.decode import SAMPLE_RATE, DecodedAudio, decode, from_channels
from hearth.documentation.audio.guards import GUARDS, GuardReport, GuardSettings, apply_guards
from hearth.documentation.audio.segments import AsrSegment, AsrWord
from hearth.documentation.audio.speakers import (
    ResemblyzerEmbedder,
    VoiceEmbedder,
    VoiceProfile,
    assign_roles,
    centroids,
    cluster,
    enroll,
    load_voice_profile,
    speaker_names,
)
from hearth.documentation.transcript import Transcript, Utterance
from hearth.errors import Invalid

Progress = Callable[[float], None]
MERGE_GAP = 2.0  # consecutive pieces of one speaker closer than this are one utterance
_EMBED_PAD = 0.1  # seconds of context on each side of a segment's embedding clip
_SENTENCE_END = (".", "?", "!")


@dataclass
class _Timer:
    stages: dict[str, float] = field(default_factory=dict)

    def add(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        self.stages[stage] = self.stages.get(stage, 0.0) + now - since
        return now


@dataclass(frozen=True)
class _Track:
    """One stream the recogniser hears: the mix, or one channel (one speaker)."""

    samples: np.ndarray
    channel: int | None = None


def _report(progress: Progress | None, start: float, span: float) -> Progress | None:
    if progress is None:
        return None
    return lambda f: progress(min(1.0, start + span * max(0.0, min(1.0, f))))


def recognise_track(
    samples: np.ndarray,
    recognizer: SpeechRecognizer,
    *,
    vad_settings: vadmod.VadSettings = vadmod.DIALOGUE,
    guards: GuardSettings = GUARDS,
    progress: Progress | None = None,
    timer: _Timer | None = None,
) -> tuple[list[AsrSegment], list[vadmod.Region], GuardReport]:
    """VAD, recognition of the joined speech, times mapped back, pieces split per region.

    The speech is recognised in groups of at most five minutes, so memory stays flat
    however long the session.
    """
    timer = timer or _Timer()
    t = time.perf_counter()
    regions = vadmod.speech_regions(samples, vad_settings)
    t = timer.add("vad", t)
    if not regions:
        return [], [], GuardReport()
    groups = vadmod.batches(regions)
    total = sum(r.end - r.start for r in regions)
    done = 0
    pieces: list[AsrSegment] = []
    for group in groups:
        speech_map = vadmod.SpeechMap(group)
        share = speech_map.speech_samples / total
        raw = recognizer.recognise(
            speech_map.join(samples), progress=_report(progress, done / total, share)
        )
        pieces.extend(split_by_region(raw, speech_map))
        done += speech_map.speech_samples
    t = timer.add("asr", t)
    kept, report = apply_guards(pieces, [(r.start_s, r.end_s) for r in regions], guards)
    timer.add("guards", t)
    return kept, regions, report


def word_region(word: AsrWord, previous: AsrWord | None, speech_map: vadmod.SpeechMap) -> int:
    """The VAD region a word belongs to.

    A word astride the join of two regions is where its midpoint is, except at a sentence
    edge: Whisper's word times stretch across the pause, so a word that ends a sentence
    stays in the earlier region and the first word of a new sentence goes to the later one
    (a new turn usually starts a new sentence).
    """
    first, last = speech_map.region_index(word.start), speech_map.region_index(word.end)
    if first == last:
        return first
    if word.text.rstrip().endswith(_SENTENCE_END):
        return first
    if previous is None or previous.text.rstrip().endswith(_SENTENCE_END):
        return last
    return speech_map.region_index(word.mid)


def split_by_region(
    segments: Sequence[AsrSegment], speech_map: vadmod.SpeechMap
) -> list[AsrSegment]:
    """Map joined-speech times back to the recording, one piece per VAD region."""
    out: list[AsrSegment] = []
    previous: AsrWord | None = None
    for s in segments:
        if not s.words:
            out.append(
                replace(s, start=speech_map.to_original(s.start), end=speech_map.to_original(s.end))
            )
            continue
        groups: dict[int, list[AsrWord]] = {}
        for w in s.words:
            i = word_region(w, previous, speech_map)
            previous = w
            groups.setdefault(i, []).append(
                replace(
                    w,
                    start=speech_map.to_original(w.start, i),
                    end=speech_map.to_original(w.end, i),
                )
            )
        out.extend(s.with_words(words) for _, words in sorted(groups.items()))
    return [s for s in out if s.text.strip()]


def _clip(samples: np.ndarray, start: float, end: float) -> np.ndarray:
    a = max(0, int((start - _EMBED_PAD) * SAMPLE_RATE))
    b = min(len(samples), int((end + _EMBED_PAD) * SAMPLE_RATE))
    return samples[a:b]


def _profile(
    clinician_voice: VoiceProfile | Path | str | None, embedder_factory: Callable[[], VoiceEmbedder]
) -> VoiceProfile | None:
    if clinician_voice is None or isinstance(clinician_voice, VoiceProfile):
        return clinician_voice
    path = Path(clinician_voice)
    if path.suffix.lower() in (".json", ".npy"):
        return load_voice_profile(path)
    audio = decode(path, channel_mode=False)
    regions = vadmod.speech_regions(audio.samples)
    return enroll(audio.samples, embedder_factory(), regions=[(r.start, r.end) for r in regions])


def enroll_voice(path: Path | str, *, device: str = "cpu") -> VoiceProfile:
    """A clinician's voice profile from an enrollment recording (about 30 s of speech)."""
    profile = _profile(Path(path), lambda: ResemblyzerEmbedder(device))
    assert profile is not None
    return profile


def transcribe(
    source: Path | str | np.ndarray | DecodedAudio,
    *,
    speakers: int = 2,
    clinician_voice: VoiceProfile | Path | str | None = None,
    model: str | None = None,
    device: str | None = None,
    beam_size: int = 1,
    channel_mode: bool | None = None,
    progress: Progress | None = None,
    recognizer: SpeechRecognizer | None = None,
    embedder: VoiceEmbedder | None = None,
    guards: GuardSettings = GUARDS,
    vad_settings: vadmod.VadSettings = vadmod.DIALOGUE,
) -> Transcript:
    """Transcribe a recording (a file, or 16 kHz float samples) into a speaker-labelled transcript.

    `speakers` is how many voices to separate (2; 3 or 4 for couples and families);
    `clinician_voice` an enrollment recording or saved profile that names the clinician;
    `model` and `device` default to HEARTH_ASR_MODEL and HEARTH_ASR_DEVICE. Timing, the
    model, the guards' report and each speaker's similarity to the enrolment are in
    `transcript.metadata`.
    """
    if not 1 <= speakers <= 8:
        raise Invalid("speakers must be between 1 and 8", where="speakers")
    if device is None or (model is None and recognizer is None):
        from hearth.settings import Settings

        configured = Settings()
        device = device or configured.asr_device
        model = model if model is not None else configured.asr_model
    timer = _Timer()
    started = t = time.perf_counter()
    if isinstance(source, DecodedAudio):
        audio = source
    elif isinstance(source, np.ndarray):
        audio = from_channels(source, channel_mode=channel_mode, source="samples")
    else:
        audio = decode(source, channel_mode=channel_mode)
    t = timer.add("decode", t)
    if progress:
        progress(0.03)

    load_started = time.perf_counter()
    recognizer = recognizer or whisper(model, device, beam_size=beam_size)
    embedders: list[VoiceEmbedder] = [embedder] if embedder is not None else []

    def get_embedder() -> VoiceEmbedder:
        if not embedders:
            embedders.append(ResemblyzerEmbedder(device or "cpu"))
        return embedders[0]

    profile = _profile(clinician_voice, get_embedder)
    # voices are compared to cluster a mixed recording, or to find the enrolled clinician
    needs_voices = profile is not None or (speakers > 1 and not audio.channel_mode)
    if needs_voices:
        get_embedder()  # loaded (and warmed up) once per process, not per recording
    load_seconds = time.perf_counter() - load_started

    tracks = (
        [_Track(c, i) for i, c in enumerate(audio.channels)]
        if audio.channel_mode
        else [_Track(audio.samples)]
    )
    report = GuardReport()
    pieces: list[AsrSegment] = []
    labels: list[int] = []
    span = 0.8 / len(tracks)
    for n, track in enumerate(tracks):
        segs, _regions, rep = recognise_track(
            track.samples,
            recognizer,
            vad_settings=vad_settings,
            guards=guards,
            progress=_report(progress, 0.05 + n * span, span),
            timer=timer,
        )
        _merge_reports(report, rep)
        pieces.extend(segs)
        labels.extend([track.channel or 0] * len(segs))

    t = time.perf_counter()
    centres: np.ndarray | None = None
    k = len(tracks) if audio.channel_mode else speakers
    if pieces and needs_voices:
        emb = get_embedder()
        if audio.channel_mode:
            vectors = emb.embed(
                [
                    _clip(tracks[lab].samples, p.start, p.end)
                    for p, lab in zip(pieces, labels, strict=True)
                ]
            )
            centres = centroids(vectors, np.asarray(labels), k)
        else:
            vectors = emb.embed([_clip(audio.samples, p.start, p.end) for p in pieces])
            label_array = cluster(vectors, k, weights=[p.end - p.start for p in pieces])
            labels = [int(x) for x in label_array]
            centres = centroids(vectors, label_array, max(labels) + 1)
    order = sorted(range(len(pieces)), key=lambda i: pieces[i].start)
    pieces = [pieces[i] for i in order]
    labels = [labels[i] for i in order]
    names = speaker_names(labels)
    speaker_list = list(names.values())
    ordered_centres = None if centres is None else np.stack([centres[lab] for lab in names])
    roles, similarity = assign_roles(speaker_list, ordered_centres, profile)
    timer.add("speakers", t)
    utterances = build_utterances(pieces, [names[lab] for lab in labels], roles, guards)
    if progress:
        progress(1.0)

    wall = time.perf_counter() - started - load_seconds
    duration = audio.duration
    seconds_by_speaker: dict[str, float] = {}
    for p, lab in zip(pieces, labels, strict=True):
        seconds_by_speaker[names[lab]] = seconds_by_speaker.get(names[lab], 0.0) + p.end - p.start
    report.low_confidence_words = sum(1 for u in utterances for w in u.words if w.get("review"))
    metadata: dict[str, Any] = {
        "duration": round(duration, 3),
        "model": recognizer.name,
        "device": getattr(recognizer, "device", None),
        "channel_mode": audio.channel_mode,
        "speakers": [
            {
                "speaker": s,
                "role": roles[s],
                "seconds": round(seconds_by_speaker.get(s, 0.0), 2),
                **({"clinician_similarity": similarity[s]} if s in similarity else {}),
            }
            for s in speaker_list
        ],
        "guards": report.to_json(),
        "timing": {
            "wall_seconds": round(wall, 3),
            "real_time_factor": round(wall / duration, 4) if duration else None,
            "model_load_seconds": round(load_seconds, 3),
            "stages": {k: round(v, 3) for k, v in timer.stages.items()},
        },
    }
    return Transcript(tuple(utterances), "audio", metadata)


def build_utterances(
    pieces: Sequence[AsrSegment],
    speakers: Sequence[str],
    roles: dict[str, str],
    guards: GuardSettings = GUARDS,
) -> list[Utterance]:
    """Join consecutive pieces of one speaker into turns; ids u1, u2, … in time order."""
    turns: list[tuple[str, list[AsrSegment]]] = []
    for piece, speaker in zip(pieces, speakers, strict=True):
        if turns and turns[-1][0] == speaker and piece.start - turns[-1][1][-1].end <= MERGE_GAP:
            turns[-1][1].append(piece)
        else:
            turns.append((speaker, [piece]))
    out = []
    for n, (speaker, parts) in enumerate(turns, 1):
        role = roles.get(speaker, "unknown")
        words = tuple(
            {
                "word": w.text.strip(),
                "start": round(w.start, 2),
                "end": round(w.end, 2),
                "probability": round(w.probability, 3),
                "review": w.probability < guards.low_confidence,
            }
            for p in parts
            for w in p.words
        )
        out.append(
            Utterance(
                id=f"u{n}",
                speaker=speaker,
                role=role,
                start=round(parts[0].start, 2),
                end=round(parts[-1].end, 2),
                text=" ".join(p.text.strip() for p in parts),
                role_source="voice" if role != "unknown" else "unknown",
                words=words,
            )
        )
    return out


def _merge_reports(into: GuardReport, other: GuardReport) -> None:
    into.dropped_segments += other.dropped_segments
    into.dropped_words_outside_speech += other.dropped_words_outside_speech
    into.collapsed_repeats += other.collapsed_repeats
    into.dropped_texts.extend(other.dropped_texts)
