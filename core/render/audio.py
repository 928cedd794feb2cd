"""The film's one soundtrack, rebuilt from the clips' sound on every export.

Each scene's own sound is kept, muted, or ducked under the music; transitions
crossfade the sound over the same seconds as the picture; title and credits are
silence (or music). One uploaded music track runs under the whole film with a
fade in and out. Loudness is normalized to EBU R128 in two audio-only passes:
`ebur128` measures the mix's integrated loudness, then one gain and a peak
limiter bring it to the target. On short films that lands within a fraction of
a LU, where one-pass `loudnorm` drifts.
"""
from __future__ import annotations

import re
from pathlib import Path

from core import media
from core.errors import MediaError
from core.render.timeline import ExportSettings, Timeline

DUCKED = 0.3


def _graph(timeline: Timeline, scenes: list, clip_inputs: dict[int, int], music_input: int | None,
           settings: ExportSettings) -> str:
    """The filtergraph that builds the mix; its output is [mix]."""
    parts, chain = [], None
    modes = {s.scene_id: s.audio for s in scenes}
    n = 0

    def silence(seconds: float) -> str:
        nonlocal n
        n += 1
        parts.append(f"anullsrc=r={media.AUDIO_RATE}:cl=stereo,atrim=0:{seconds:.3f}[s{n}]")
        return f"[s{n}]"

    def append(label: str, crossfade: float) -> None:
        nonlocal chain, n
        if chain is None:
            chain = label
            return
        n += 1
        if crossfade:
            parts.append(f"{chain}{label}acrossfade=d={crossfade:.3f}:c1=tri:c2=tri[j{n}]")
        else:
            parts.append(f"{chain}{label}concat=n=2:v=0:a=1[j{n}]")
        chain = f"[j{n}]"

    incoming = {p.scene: p.length for p in timeline.pieces if p.kind == "transition"}
    for p in timeline.pieces:
        if p.kind in ("title", "credits"):
            append(silence(p.length), 0.0)
        elif p.kind == "clip" and p.scene in clip_inputs:
            i = clip_inputs[p.scene]
            gain = {"keep": 1.0, "mute": 0.0, "duck": DUCKED if music_input is not None else 1.0}[modes[p.scene]]
            n += 1
            parts.append(f"[{i}:a]aformat=sample_rates={media.AUDIO_RATE}:channel_layouts=stereo,"
                         f"volume={gain}[c{n}]")
            append(f"[c{n}]", incoming.get(p.scene, 0.0))
    n += 1
    parts.append(f"{chain}apad,atrim=0:{timeline.duration:.3f}[clips{n}]")
    out = f"[clips{n}]"
    if music_input is not None:
        fade_out = max(0.0, timeline.duration - 2.5)
        parts.append(f"[{music_input}:a]aformat=sample_rates={media.AUDIO_RATE}:channel_layouts=stereo,"
                     f"atrim=0:{timeline.duration:.3f},afade=t=in:d=1.5,afade=t=out:st={fade_out:.3f}:d=2.5,"
                     f"volume={settings.music_volume}[music]")
        parts.append(f"{out}[music]amix=inputs=2:normalize=0:duration=first[mixed]")
        out = "[mixed]"
    parts.append(f"{out}anull[mix]")
    return ";".join(parts)


def build_soundtrack(timeline: Timeline, scenes: list, clip_paths: dict[int, Path], music: Path | None,
                     settings: ExportSettings, out: Path) -> float | None:
    """Write the film's AAC track to `out`; returns its integrated loudness before correction (LUFS)."""
    inputs: list[str] = []
    clip_inputs = {}
    for scene, path in clip_paths.items():
        clip_inputs[scene] = len(inputs) // 2
        inputs += ["-i", str(path)]
    music_input = None
    if music is not None:
        music_input = len(inputs) // 2
        inputs += ["-stream_loop", "-1", "-i", str(music)]
    graph = _graph(timeline, scenes, clip_inputs, music_input, settings)
    measured = measure_loudness(inputs, graph)
    # EBU R128 by gain: measured integrated loudness -> target, then a limiter keeps peaks under -1.5 dBFS.
    gain = 0.0 if measured is None else settings.loudness - measured
    norm = f"volume={gain:.2f}dB,alimiter=limit={10 ** (-1.5 / 20):.4f}:attack=5:release=50:level=disabled"
    media.run([*inputs, "-filter_complex", f"{graph};[mix]{norm},aresample={media.AUDIO_RATE}[final]",
               "-map", "[final]", "-c:a", "aac", "-b:a", "192k", "-ar", str(media.AUDIO_RATE), "-ac", "2",
               "-t", f"{timeline.duration:.3f}", "-f", "mp4", str(out)], what="mixing the soundtrack")
    return measured


def measure_loudness(inputs: list[str], graph: str) -> float | None:
    """Integrated loudness of the mix with ffmpeg's `ebur128` (about 3x faster than loudnorm's analysis,
    which oversamples to 192 kHz for true peak); None for silence."""
    text = media.run_stderr([*inputs, "-filter_complex", f"{graph};[mix]ebur128=framelog=quiet[m]", "-map", "[m]",
                             "-f", "null", "-"], what="measuring the film's loudness")
    m = re.search(r"Integrated loudness:\s*I:\s*(-?[\d.]+|-inf) LUFS", text.split("Summary:")[-1])
    if not m:
        raise MediaError("ffmpeg did not report the film's loudness; the soundtrack could not be normalized.")
    value = float(m.group(1))
    return None if value < -70 else value  # below the absolute gate: silence
