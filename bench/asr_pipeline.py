"""Real-time factor, peak memory, WER and speaker accuracy of the offline speech pipeline.

The whole pipeline (decode + VAD + recognition + guards + speakers) runs on espeak-ng
dialogue made by concatenating everyday therapy-like turns, written as WAV files to a
scratch folder outside the repository. Each run is its own process, so its peak memory
(ru_maxrss) is its own. Targets (issue 4): real-time factor <= 0.06 on 2 CPU cores,
peak memory <= 1.5 GB.

    .venv/bin/python bench/asr_pipeline.py                      # 10, 30, 60 min female/male
                                                                #  + 10 min male/male
    .venv/bin/python bench/asr_pipeline.py --minutes 10 --pairs female_male

Needs the Debian packages espeak-ng and sox.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PAIRS = {"female_male": ("en-us+f3", "en-us+m3"), "male_male": ("en-us+m3", "en-us+m7")}


def make_audio(folder: Path, minutes: float, pair: str) -> tuple[Path, Path]:
    """Write the dialogue WAV and its ground truth (turns) once; reuse them afterwards."""
    from hearth.documentation.audio import synthetic

    wav = folder / f"dialogue_{pair}_{minutes:g}min.wav"
    truth = wav.with_suffix(".json")
    if wav.exists() and truth.exists():
        return wav, truth
    d = synthetic.dialogue(synthetic.long_session_lines(minutes), PAIRS[pair])
    synthetic.write_wav(wav, d.samples)
    truth.write_text(
        json.dumps(
            {"voices": list(d.voices), "turns": [t.__dict__ for t in d.turns]}, ensure_ascii=False
        )
    )
    return wav, truth


def run_one(wav: Path, truth_path: Path, beam: int, device: str) -> dict[str, object]:
    """Transcribe one file in this process and score it (called in a child process)."""
    import numpy as np

    from hearth.documentation.audio import synthetic
    from hearth.documentation.audio.evaluation import (
        speaker_accuracy,
        transcript_text,
        word_error_rate,
    )
    from hearth.documentation.audio.pipeline import transcribe

    doc = json.loads(truth_path.read_text())
    turns = tuple(synthetic.Turn(**t) for t in doc["turns"])
    cpu0 = time.process_time()
    wall0 = time.perf_counter()
    t = transcribe(wav, speakers=2, device=device, beam_size=beam)
    total = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    truth = synthetic.Dialogue(np.zeros(0, dtype=np.float32), turns, tuple(doc["voices"]))
    reference = " ".join(x.text for x in turns)
    score = speaker_accuracy(t, truth)
    timing = t.metadata["timing"]
    return {
        "audio_minutes": round(t.metadata["duration"] / 60, 2),
        "real_time_factor": timing["real_time_factor"],
        "wall_seconds": timing["wall_seconds"],
        "model_load_seconds": timing["model_load_seconds"],
        "wall_with_loading_seconds": round(total, 2),
        "cpu_seconds": round(cpu, 2),
        "stages": timing["stages"],
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "wer": round(word_error_rate(reference, transcript_text(t)), 4),
        "speaker_accuracy": round(score.accuracy, 4),
        "words": score.words,
        "utterances": len(t.utterances),
        "guards": t.metadata["guards"],
    }


def run_bare(wav: Path, beam: int, device: str) -> dict[str, object]:
    """The bare model as ARCHITECTURE.md measured it: faster-whisper, no words, no speakers."""
    from faster_whisper import WhisperModel

    from hearth.documentation.audio.asr import bundled_model
    from hearth.documentation.audio.decode import decode

    model = WhisperModel(str(bundled_model().path), device=device, compute_type="int8")
    wall0 = time.perf_counter()
    samples = decode(wav).samples
    segments, _ = model.transcribe(samples, beam_size=beam, vad_filter=True)
    text = " ".join(s.text for s in segments)
    wall = time.perf_counter() - wall0
    return {
        "audio_minutes": round(len(samples) / 16_000 / 60, 2),
        "bare_real_time_factor": round(wall / (len(samples) / 16_000), 4),
        "bare_wall_seconds": round(wall, 2),
        "words": len(text.split()),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, nargs="+", default=[10, 30, 60])
    ap.add_argument("--pairs", nargs="+", choices=sorted(PAIRS), default=["female_male"])
    ap.add_argument(
        "--male-male-minutes",
        type=float,
        default=10,
        help="also run the male/male pair at this length (0: skip)",
    )
    ap.add_argument("--beam", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "hearth-asr-bench"
    )
    ap.add_argument(
        "--bare",
        action="store_true",
        help="also time the bare model on each file (a yardstick for a busy machine)",
    )
    ap.add_argument("--one", nargs=2, metavar=("WAV", "TRUTH"), help=argparse.SUPPRESS)
    ap.add_argument("--one-bare", metavar="WAV", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(run_one(Path(a.one[0]), Path(a.one[1]), a.beam, a.device)))
        return 0
    if a.one_bare:
        print(json.dumps(run_bare(Path(a.one_bare), a.beam, a.device)))
        return 0

    a.workdir.mkdir(parents=True, exist_ok=True)
    plan = [(m, p) for p in a.pairs for m in a.minutes]
    if a.male_male_minutes and "male_male" not in a.pairs:
        plan.append((a.male_male_minutes, "male_male"))
    print(f"# {os.cpu_count()} CPUs; load average at start {os.getloadavg()}", flush=True)
    rows = []
    for minutes, pair in plan:
        made = time.perf_counter()
        wav, truth = make_audio(a.workdir, minutes, pair)
        print(f"# {pair} {minutes:g} min audio ready in {time.perf_counter() - made:.1f} s")
        load_before = os.getloadavg()[0]
        child = [sys.executable, __file__, "--one", str(wav), str(truth)]
        out = subprocess.run(  # noqa: S603 - this script, run again on our own files
            [*child, "--beam", str(a.beam), "--device", a.device],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            return 1
        row = json.loads(out.stdout.strip().splitlines()[-1])
        row.update(pair=pair, load_average=round((load_before + os.getloadavg()[0]) / 2, 2))
        if a.bare:
            bare = subprocess.run(  # noqa: S603
                [*child[:2], "--one-bare", str(wav), "--beam", str(a.beam), "--device", a.device],
                capture_output=True,
                text=True,
                check=True,
            )
            row["bare_real_time_factor"] = json.loads(bare.stdout.strip().splitlines()[-1])[
                "bare_real_time_factor"
            ]
        rows.append(row)
        print(json.dumps(row), flush=True)
    print()
    print("| audio | voices | RTF | bare model RTF | wall s | CPU s | peak MB | WER | speakers |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['audio_minutes']} min | {r['pair']} | {r['real_time_factor']} | "
            f"{r.get('bare_real_time_factor', '-')} | {r['wall_seconds']} | {r['cpu_seconds']} | "
            f"{r['peak_memory_mb']} | {r['wer']:.1%} | {r['speaker_accuracy']:.1%} |"
        )
    print(f"\nload average during the runs: {[r['load_average'] for r in rows]}")
    print(f"\ncommand: {' '.join([Path(sys.executable).name, *sys.argv])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
