"""The film's one soundtrack, mixed from three buses (core.render.film caches it per mix).

- effects: each scene's own clip sound, kept, muted, or ducked under the music;
  transitions crossfade it over the same seconds as the picture;
- music: one uploaded track under the whole film, faded in and out;
- dialogue: every spoken line at its cue (core.render.dialogue), centred.

While a line is spoken, music and effects step down under it: a gain keyed to
the dialogue (a sidechain), computed per line so the bed sits DUCK_UNDER_DB
below that line's own level (never less than DUCK_MIN_DB of ducking), eased in
just before the words and out after them. Loudness is then normalized to EBU
R128 by one gain from the whole mix's integrated loudness, and a peak limiter
(core.render.loudness); when the limiter took off enough to miss the target
(speech peaks), the gain is corrected once from a second measurement. The same gain applies to the stems (`export --stems`),
so the three WAV files add up to the film's mix before its limiter.

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
from core.render.dialogue import Cue
from core.render.timeline import ExportSettings, Timeline

if TYPE_CHECKING:
    import av

DUCKED = 0.3
MUSIC_FADE_IN, MUSIC_FADE_OUT = 1.5, 2.5
BIT_RATE = 192_000
DUCK_UNDER_DB = 15.0     # the bed under a line, below the line's own level
DUCK_MIN_DB = 6.0        # and at least this much quieter than without the line
DUCK_ATTACK, DUCK_RELEASE = 0.15, 0.45
STEMS = ("dialogue", "music", "effects")


def build_soundtrack(timeline: Timeline, scenes: list, clip_paths: dict[int, Path], music: Path | None,
                     settings: ExportSettings, out: Path, cues: list[Cue] = (),
                     stems: dict[str, Path] | None = None) -> float | None:
    """Write the film's AAC track to `out` (and, given `stems`, each bus as a WAV file); returns the mix's
    integrated loudness before correction (LUFS)."""
    buses = mix_buses(timeline, scenes, clip_paths, music, settings, cues)
    mix = buses["dialogue"] + buses["music"] + buses["effects"]
    measured = loudness.integrated(mix)
    gain = 0.0 if measured is None else settings.loudness - measured
    frames = list(loudness.limited(mix, gain))
    if measured is not None:
        # Speech has high peaks: where the limiter holds them down, the film comes out quieter than the gain
        # aimed for. Measured once more, the shortfall is made up (the limiter keeps the peaks where they are).
        done = loudness.integrated(np.concatenate([f.to_ndarray() for f in frames], axis=1))
        if done is not None and abs(settings.loudness - done) > 0.2:
            gain += settings.loudness - done
            frames = list(loudness.limited(mix, gain))
    _encode(iter(frames), out)
    for name, path in (stems or {}).items():
        write_wav(buses[name] * np.float32(10 ** (gain / 20)), path)
    return measured


def mix_buses(timeline: Timeline, scenes: list, clip_paths: dict[int, Path], music: Path | None,
              settings: ExportSettings, cues: list[Cue] = ()) -> dict[str, np.ndarray]:
    """The three buses on the film's timeline, music and effects already ducked under the dialogue."""
    effects = _clips(timeline, scenes, clip_paths, ducked=DUCKED if music is not None else 1.0)
    tracks = {"effects": effects,
              "music": _music(music, timeline.duration, settings.music_volume) if music is not None
              else np.zeros_like(effects),
              "dialogue": _dialogue(cues, effects.shape[1])}
    duck = _ducking(cues, tracks["dialogue"], tracks["music"] + tracks["effects"])
    tracks["music"] *= duck
    tracks["effects"] *= duck
    return tracks


def _dialogue(cues: list[Cue], n: int) -> np.ndarray:
    """Every line at its place, the same in both channels."""
    bus = np.zeros((2, n), np.float32)
    for cue in cues:
        voice = decode_mono(cue.spoken.path, f"The audio of the line “{cue.spoken.text[:40]}”", "regenerate the line")
        at = _samples(cue.at)
        if at < 0:
            voice, at = voice[-at:], 0
        voice = voice[:max(0, n - at)]
        bus[:, at:at + voice.size] += voice
    return bus


def _ducking(cues: list[Cue], dialogue: np.ndarray, bed: np.ndarray) -> np.ndarray:
    """The bed's gain over the film: 1, except under each line, where it eases down to what that line needs."""
    n = dialogue.shape[1]
    gain = np.ones(n, np.float32)
    for cue in cues:
        a, b = max(0, _samples(cue.start)), min(n, _samples(cue.end))
        if b <= a:
            continue
        voice = _rms(dialogue[:, a:b])
        under = _rms(bed[:, a:b])
        if voice <= 0:
            continue
        g = min(10 ** (-DUCK_MIN_DB / 20), voice * 10 ** (-DUCK_UNDER_DB / 20) / under if under > 0 else 1.0)
        t = np.arange(n, dtype=np.float32) / AUDIO_RATE
        down = np.clip((t - (cue.start - DUCK_ATTACK)) / DUCK_ATTACK, 0, 1)   # 0 -> 1 before the words
        up = np.clip(((cue.end + DUCK_RELEASE) - t) / DUCK_RELEASE, 0, 1)      # 1 -> 0 after them
        depth = np.minimum(down, up)                                            # 1 under the line
        gain = np.minimum(gain, 1 - depth * (1 - g))
    return gain


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0


def decode_mono(path: Path, what: str, fix: str) -> np.ndarray:
    """A file's sound as float32 mono at 48 kHz (a spoken line)."""
    pcm = _plain_wav(path)
    if pcm is not None:
        return pcm
    stereo = _decode(path, what, fix)
    return stereo.mean(axis=0).astype(np.float32) if stereo.size else np.zeros(0, np.float32)


def _plain_wav(path: Path) -> np.ndarray | None:
    """A 48 kHz 16-bit PCM WAV (every offline line) read directly, ten times faster than through a decoder and
    resampler; None for anything else, which `_decode` reads (and names when it is broken)."""
    import wave

    if path.suffix.lower() != ".wav":
        return None
    try:
        with wave.open(str(path)) as w:
            if w.getframerate() != AUDIO_RATE or w.getsampwidth() != 2 or w.getcomptype() != "NONE":
                return None
            channels = w.getnchannels()
            pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    except (OSError, EOFError, wave.Error):
        return None
    if pcm.size % channels:
        return None
    mono = pcm.reshape(-1, channels).mean(axis=1) if channels > 1 else pcm
    return (mono.astype(np.float32) / 32768).astype(np.float32)


def write_wav(bus: np.ndarray, path: Path) -> None:
    """A stereo bus as a 48 kHz 24-bit WAV file (what editors import)."""
    import wave

    pcm = np.clip(bus.T, -1.0, 1.0 - 2 ** -23)
    ints = (pcm * 2 ** 23).astype("<i4").reshape(-1)
    raw = ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()  # little-endian: the three low bytes
    try:
        with wave.open(str(path), "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(3)
            w.setframerate(AUDIO_RATE)
            w.writeframes(raw)
    except OSError as err:
        raise MediaError(f"The stem {path.name} could not be written ({err.strerror or err}).") from None


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
