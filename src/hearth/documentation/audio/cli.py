"""`hearth transcribe AUDIO`: a recording to a speaker-labelled transcript (shared/CLI.md).

stdout carries only the document (JSON, WebVTT or text); the progress bar and errors go
to stderr. Heavy modules load inside the command so `hearth --help` stays fast.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from hearth.errors import HearthError


class TranscribeFmt(StrEnum):
    json = "json"
    vtt = "vtt"
    txt = "txt"


def _fail(message: str) -> None:
    typer.echo(f"hearth: {message}", err=True)
    raise typer.Exit(2)


def transcribe(
    audio: Annotated[
        Path,
        typer.Argument(
            help="A recording: WAV, MP3, M4A, WebM/Opus or OGG (stereo: a voice per channel)."
        ),
    ],
    speakers: Annotated[
        int,
        typer.Option(
            "--speakers",
            min=1,
            max=8,
            help="Voices to separate: 2, or 3 or 4 for couples and families.",
        ),
    ] = 2,
    clinician_voice: Annotated[
        Path | None,
        typer.Option(
            "--clinician-voice",
            help="About 30 s of the clinician speaking, or a saved voice profile (.json/.npy).",
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="A Whisper model folder or cached name [default: HEARTH_ASR_MODEL, tiny.en].",
        ),
    ] = None,
    device: Annotated[
        str | None,
        typer.Option("--device", help="auto, cpu or cuda [default: HEARTH_ASR_DEVICE, auto]."),
    ] = None,
    beam_size: Annotated[
        int,
        typer.Option(
            "--beam-size", min=1, max=10, help="Beam width: 1 is fastest, 5 a little more accurate."
        ),
    ] = 1,
    format: Annotated[
        TranscribeFmt, typer.Option("--format", help="json, vtt or txt.")
    ] = TranscribeFmt.json,
    save_voice: Annotated[
        Path | None,
        typer.Option(
            "--save-voice",
            help="With --clinician-voice: also save the voice profile here (.json or .npy).",
        ),
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar on stderr.")] = True,
) -> None:
    """Transcribe a session recording on this machine and tell the speakers apart."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from hearth.documentation.audio.pipeline import enroll_voice
    from hearth.documentation.audio.pipeline import transcribe as run
    from hearth.documentation.audio.render import to_document, to_text, to_vtt

    console = Console(stderr=True)
    bar = Progress(
        TextColumn("transcribing {task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not progress or not console.is_terminal,
    )
    try:
        with bar:
            task = bar.add_task(audio.name, total=1.0)
            voice = None
            if clinician_voice is not None:
                voice = enroll_voice(clinician_voice, device="cpu" if device is None else device)
                if save_voice is not None:
                    voice.save(save_voice)
            transcript = run(
                audio,
                speakers=speakers,
                clinician_voice=voice,
                model=model,
                device=device,
                beam_size=beam_size,
                progress=lambda f: bar.update(task, completed=f),
            )
    except HearthError as e:
        _fail(e.message)
        return
    if format is TranscribeFmt.json:
        sys.stdout.write(json.dumps(to_document(transcript), indent=2, ensure_ascii=False) + "\n")
    elif format is TranscribeFmt.vtt:
        sys.stdout.write(to_vtt(transcript))
    else:
        sys.stdout.write(to_text(transcript))


def register(app: typer.Typer) -> None:
    """Add `hearth transcribe` to the `hearth` command."""
    app.command("transcribe")(transcribe)
