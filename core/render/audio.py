"""The film's one soundtrack, rebuilt in a single audio-only pass per export.

Each scene's own sound is kept, muted, or ducked under the music; transitions
crossfade the sound over the same seconds as the picture; title and credits are
silence (or music). One uploaded music track runs under the whole film with a
fade in and out. Loudness is normalized to EBU R128 with ffmpeg's `loudnorm` in
two passes (measure, then a linear correction), which lands within a fraction
of a LU of the target on short films where one-pass mode drifts.
"""
from __future__ import annotations

import json
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
                     settings: ExportSettings, out: Path) -> dict:
    """Write the film's AAC track to `out`; returns the loudness measured before correction."""
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
    target = f"I={settings.loudness}:TP=-1.5:LRA=11"
    measured_text = media.run_stderr([*inputs, "-filter_complex", f"{graph};[mix]loudnorm={target}:print_format=json",
                                      "-f", "null", "-"], what="measuring the film's loudness")
    m = re.search(r"\{[^{}]*\"input_i\"[^{}]*\}", measured_text, re.S)
    if not m:
        raise MediaError("ffmpeg did not report the film's loudness; the soundtrack could not be normalized.")
    measured = json.loads(m.group(0))
    if float(measured["input_i"]) == float("-inf") or measured["input_i"] == "-inf":
        norm = "anull"  # pure silence: nothing to normalize
    else:
        norm = (f"loudnorm={target}:measured_I={measured['input_i']}:measured_TP={measured['input_tp']}:"
                f"measured_LRA={measured['input_lra']}:measured_thresh={measured['input_thresh']}:"
                f"offset={measured['target_offset']}:linear=true")
    media.run([*inputs, "-filter_complex", f"{graph};[mix]{norm},aresample={media.AUDIO_RATE}[final]",
               "-map", "[final]", "-c:a", "aac", "-b:a", "192k", "-ar", str(media.AUDIO_RATE), "-ac", "2",
               "-t", f"{timeline.duration:.3f}", "-f", "mp4", str(out)], what="mixing the soundtrack")
    return measured
