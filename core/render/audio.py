"""The film's one soundtrack, mixed from the clips' sound (core.render.film caches it per mix).

Each scene's own sound is kept, muted, or ducked under the music; transitions
crossfade the sound over the same seconds as the picture; title and credits are
silence (or music). One uploaded music track runs under the whole film with a
fade in and out. Loudness is normalized to EBU R128 by one gain from the mix's
measured integrated loudness, then a peak limiter (core.render.loudness).

Why in-process: the ffmpeg CLI took two processes that each decoded every clip
and rebuilt the mix (one to measure, one to encode). Here each input is decoded
once with PyAV, the mix is summed sample-exactly in numpy from the timeline
(every boundary falls on a half second, a whole number of samples), and ffmpeg's
own `ebur128` and `alimiter` run on it in memory through PyAV filter graphs, so
the measurements are ffmpeg's. Most of what time remains is the AAC encode.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.errors import MediaError
from core.media import AUDIO_RATE
from core.render import loudness
from core.render.timeline import ExportSettings, Timeline

if TYPE_CHECKING:
    import av

DUCKED = 0.3
MUSIC_FADE_IN, MUSIC_FADE_OUT = 1.5, 2.5
BIT_RATE = 192_000


def build_soundtrack(timeline: Timeline, scenes: list, clip_paths: dict[int, Path], music: Path | None,
                     settings: ExportSettings, out: Path) -> float | None:
    """Write the film's AAC track to `out`; returns its integrated loudness before correction (LUFS)."""
    mix = _clips(timeline, scenes, clip_paths, ducked=DUCKED if music is not None else 1.0)
    if music is not None:
        mix += _music(music, timeline.duration, settings.music_volume)
    measured = loudness.integrated(mix)
    gain = 0.0 if measured is None else settings.loudness - measured
    _encode(loudness.limited(mix, gain), out)
    return measured


def _samples(seconds: float) -> int:
    return round(seconds * AUDIO_RATE)


def _clips(timeline: Timeline, scenes: list, clip_paths: dict[int, Path], ducked: float) -> np.ndarray:
    """The clips' sound laid out on the timeline: bodies at their scene's gain, transitions crossfaded."""
    gains = {s.scene_id: {"keep": 1.0, "mute": 0.0, "duck": ducked}[s.audio] for s in scenes}
    before = {s.scene_id: prev.scene_id for prev, s in zip(scenes, scenes[1:])}
    sound = {n: _decode(path, f"The sound of scene {n}'s clip", "regenerate the clip")
             for n, path in clip_paths.items() if gains.get(n)}
    mix = np.zeros((2, _samples(timeline.duration)), np.float32)
    for p in timeline.pieces:
        at, n = _samples(p.start), _samples(p.length)
        if p.kind == "clip":
            mix[:, at:at + n] += _part(sound.get(p.scene), _samples(p.trim_in), n) * gains[p.scene]
        elif p.kind == "transition":
            # acrossfade c1=tri:c2=tri: the outgoing sound falls linearly as the incoming one rises.
            rise = np.arange(n, dtype=np.float32) / n
            fall = (n - 1 - np.arange(n, dtype=np.float32)) / n
            out_scene = before[p.scene]
            mix[:, at:at + n] += _part(sound.get(out_scene), _samples(p.trim_in), n) * (fall * gains[out_scene])
            mix[:, at:at + n] += _part(sound.get(p.scene), 0, n) * (rise * gains[p.scene])
    return mix


def _part(sound: np.ndarray | None, start: int, n: int) -> np.ndarray:
    """`n` samples of `sound` from `start`, padded with silence where it runs out."""
    part = np.zeros((2, n), np.float32)
    if sound is not None:
        got = sound[:, start:start + n]
        part[:, :got.shape[1]] = got
    return part


def _music(path: Path, duration: float, volume: float) -> np.ndarray:
    """The music looped to the film's length, faded in and out, at `volume`."""
    n = _samples(duration)
    what, fix = "The music track", "upload an MP3, WAV, M4A or OGG file"
    track = _decode(path, what, fix, limit=n)
    if not track.shape[1]:
        raise MediaError(f"{what} could not be read ({path.name} has no sound); {fix}.")
    track = np.tile(track, -(-n // track.shape[1]))[:, :n]
    t = np.arange(n, dtype=np.float32) / AUDIO_RATE
    fade_out = max(0.0, duration - MUSIC_FADE_OUT)
    envelope = np.clip(t / MUSIC_FADE_IN, 0, 1) * np.clip(1 - (t - fade_out) / MUSIC_FADE_OUT, 0, 1)
    return track * (envelope * np.float32(volume))


def _decode(path: Path, what: str, fix: str, limit: int | None = None) -> np.ndarray:
    """The audio of `path` as float32 planar stereo at 48 kHz (at least `limit` samples when given);
    empty when it has no audio stream. Any failure is a MediaError that says `what` and `fix`."""
    import av

    try:
        with av.open(str(path)) as container:
            chunks = _decoded(container, limit) if container.streams.audio else []
    except Exception as err:  # noqa: BLE001 - PyAV raises many error types for bad files
        reason = " ".join(str(getattr(err, "strerror", None) or err).split())
        raise MediaError(f"{what} could not be read ({path.name}: {reason}); {fix}.") from None
    return np.concatenate(chunks, axis=1) if chunks else np.zeros((2, 0), np.float32)


def _decoded(container, limit: int | None) -> list[np.ndarray]:
    """Decode the first audio stream only, resampled; stop once `limit` samples are in."""
    import av
    from av.stream import Discard

    stream = container.streams.audio[0]
    for other in container.streams:
        if other is not stream:
            other.discard = Discard.all
    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
    chunks, total = [], 0
    for frame in container.decode(stream):
        for out in resampler.resample(frame):
            chunks.append(out.to_ndarray())
            total += out.samples
        if limit is not None and total >= limit:
            return chunks
    return chunks + [f.to_ndarray() for f in resampler.resample(None)]


def _encode(frames: Iterable[av.AudioFrame], out: Path) -> None:
    """AAC 192 kbit/s, 48 kHz stereo, in an MP4 container (whatever `out`'s suffix). ffmpeg's default coder
    (twoloop): the `fast` one saves a quarter on noise-like sound but takes twice as long on tonal music."""
    import av

    try:
        with av.open(str(out), "w", format="mp4") as container:
            stream = container.add_stream("aac", rate=AUDIO_RATE, layout="stereo", bit_rate=BIT_RATE)
            for frame in frames:
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
    except (av.FFmpegError, OSError) as err:
        raise MediaError(f"The soundtrack could not be written to {out.name} ({err}).") from None
