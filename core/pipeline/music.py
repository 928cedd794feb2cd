"""The film's music track: one uploaded audio file, validated before it is stored.

It becomes an asset; the export settings name it by hash, so the same track
uploaded twice is one file, and changing the track is an ordinary settings change.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from core.errors import InputError
from core.media import MAX_UPLOAD_BYTES
from core.store import Project

AUDIO_EXTS = {"m4a": "m4a", "mp4": "m4a", "aac": "m4a", "mp3": "mp3", "wav": "wav", "ogg": "ogg", "oga": "ogg"}
MAX_MUSIC_SECONDS = 20 * 60


def add_music(project: Project, data: bytes, *, filename: str) -> str:
    """Store a music track and return its asset hash; refuses what is not playable audio."""
    import av

    ext = AUDIO_EXTS.get(Path(filename).suffix.lower().lstrip("."))
    if ext is None:
        raise InputError(f"{filename} is not a music file Dailies reads; use M4A/AAC, MP3, WAV or OGG.")
    if len(data) > MAX_UPLOAD_BYTES * 4:
        raise InputError(f"{filename} is {len(data) / 2**20:.0f} MB; the limit for music is "
                         f"{MAX_UPLOAD_BYTES * 4 // 2**20} MB.")
    with tempfile.NamedTemporaryFile(suffix=f".{ext}") as f:
        f.write(data)
        f.flush()
        try:
            with av.open(f.name) as c:
                if not c.streams.audio:
                    raise InputError(f"{filename} has no sound in it; choose an audio file.")
                seconds = (c.duration or 0) / 1_000_000
        except InputError:
            raise
        except Exception:  # noqa: BLE001 - PyAV raises many error types for bad files
            raise InputError(f"{filename} is not a readable audio file (corrupt, or not {ext.upper()}).") from None
    if not 0 < seconds <= MAX_MUSIC_SECONDS:
        raise InputError(f"{filename} lasts {seconds:.0f}s; use a track between 1 second and 20 minutes.")
    return project.assets.put(data, ext)
