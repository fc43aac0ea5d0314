"""Checking an uploaded recording before it is kept: is it audio Hearth can decode?

The upload is probed with PyAV (the same library the audio package decodes with): it must
hold an audio stream whose first packets decode. The whole file is decoded later, in the
transcription job.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import BinaryIO

from hearth.errors import Invalid

# The formats the issue names, by the container names PyAV reports.
FORMATS = {
    "wav": "wav",
    "mp3": "mp3",
    "mov,mp4,m4a,3gp,3g2,mj2": "m4a",
    "matroska,webm": "webm",
    "ogg": "ogg",
}
EXTENSIONS = (".wav", ".mp3", ".m4a", ".mp4", ".aac", ".webm", ".weba", ".ogg", ".oga", ".opus")
MAX_UPLOAD_BYTES = 2_000_000_000


class AudioUploadInvalid(Invalid):
    """The upload is not a recording Hearth can read (422, naming the file)."""

    code = "audio_unreadable"


@dataclass(frozen=True)
class Probe:
    """What the probe found: the container format and the length, if the file says."""

    format: str
    seconds: float | None


def probe_upload(fileobj: BinaryIO, filename: str) -> Probe:
    """Open the upload with PyAV and decode its first audio packets; 422 naming the file."""
    import av

    name = PurePath(filename or "upload").name
    if not filename:
        raise AudioUploadInvalid("choose an audio file to upload", where="file")
    suffix = PurePath(name).suffix.lower()
    if suffix not in EXTENSIONS:
        raise AudioUploadInvalid(
            f"{name}: upload a WAV, MP3, M4A, WebM/Opus or OGG recording", where="file"
        )
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    if size == 0:
        raise AudioUploadInvalid(f"{name}: the file is empty", where="file")
    if size > MAX_UPLOAD_BYTES:
        raise AudioUploadInvalid(f"{name}: the file is larger than 2 GB", where="file")
    try:
        with av.open(fileobj, mode="r", metadata_errors="ignore") as container:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise AudioUploadInvalid(f"{name}: the file holds no audio", where="file")
            decoded = 0
            for frame in container.decode(stream):
                decoded += int(getattr(frame, "samples", 0))
                if decoded >= 16_000:
                    break
            if decoded == 0:
                raise AudioUploadInvalid(f"{name}: the file holds no audio samples", where="file")
            seconds = float(container.duration) / 1_000_000 if container.duration else None
            fmt = FORMATS.get(container.format.name, container.format.name.split(",")[0])
    except AudioUploadInvalid:
        raise
    except (av.FFmpegError, OSError, ValueError, EOFError) as e:
        reason = getattr(e, "strerror", None) or str(e) or type(e).__name__
        raise AudioUploadInvalid(
            f"{name}: not a readable recording ({reason})", where="file"
        ) from e
    finally:
        fileobj.seek(0)
    return Probe(fmt[:10], seconds)
