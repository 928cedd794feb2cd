"""Putting a film together: segments, soundtrack, subtitles, and the export preset.

`render()` is what the `cut` step calls. It returns the finished MP4 (in a temp
file inside the store) and the subtitles as SRT and WebVTT text timed to the
same timeline: each spoken line's cue (core.render.dialogue), or a scene's
caption where it has no lines. `stems()` writes the soundtrack's three buses
for an editor, from the same layout.
"""
from __future__ import annotations

import concurrent.futures as cf
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from core import media
from core.render import audio, cache, cards, dialogue, segments
from core.render.dialogue import Cue, Spoken
from core.render.timeline import PRESETS, ExportSettings, Timeline, build, effective_scenes
from core.store import Project
from core.store.calls import recipe_hash


@dataclass
class Rendered:
    path: Path
    srt: str
    vtt: str
    timeline: Timeline
    cues: list[Cue]
    overflow: dict[int, float]    # scene -> seconds its lines run past its end
    parts: list[str]
    loudness_in: float | None


@dataclass
class Layout:
    scenes: list
    timeline: Timeline
    cues: list[Cue]
    overflow: dict[int, float]
    captions: list[tuple[float, float, str]]


def frame_size(settings: ExportSettings) -> tuple[int, int]:
    short = PRESETS[settings.preset]
    long = round(short * 16 / 9 / 2) * 2
    return {"16:9": (long, short), "9:16": (short, long), "1:1": (short, short)}[settings.aspect]


SOUND_FORM = "soundtrack-v2"
STEMS_FORM = "stems-v1"


def layout(project: Project, scenes: list, clips: dict[int, str], settings: ExportSettings,
           lines: dict[int, list[Spoken]] | None = None) -> Layout:
    """Where everything sits: the timeline of pictures, the cue of every line, and the subtitles."""
    scenes = effective_scenes(scenes, settings)
    # Clip lengths are whole frames; keep boundaries on the half-second keyframe grid.
    timeline = build(scenes, {n: (a, round(_duration(project, a) * 2) / 2) for n, a in clips.items()}, settings)
    cues, overflow = dialogue.place(timeline.scene_spans, lines or {})
    return Layout(scenes, timeline, cues, overflow, dialogue.captions(cues, timeline.scene_spans, scenes))


def render(project: Project, *, scenes: list, clips: dict[int, str], settings: ExportSettings, title: str,
           logline: str, characters: list[tuple[str, str]], palette: list[str],
           lines: dict[int, list[Spoken]] | None = None, check_cancel=lambda: None) -> Rendered:
    plan = layout(project, scenes, clips, settings, lines)
    scenes, timeline = plan.scenes, plan.timeline
    check_cancel()
    reference = next(iter(clips.values()))
    # The soundtrack and the encoded segments are independent: make them side by side.
    with cf.ThreadPoolExecutor(3, thread_name_prefix="render") as pool:
        sound_job = pool.submit(soundtrack, project, timeline, scenes, clips, settings, plan.cues)
        piece_jobs = [pool.submit(_piece, project, p, reference, title, settings.subtitle_line or logline,
                                  characters, palette) for p in timeline.pieces]
        pieces = [f.result() for f in piece_jobs]
        sound, loudness_in = sound_job.result()
    check_cancel()
    spans = [span for span, _ in pieces]
    out = project.assets.temp_path(".mp4")
    try:
        if settings.reframes:
            _reframe(spans, project.assets.path(sound), out, settings, plan.captions)
        else:
            segments.join(spans, project.assets.path(sound), out)
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    return Rendered(out, dialogue.srt(plan.captions), dialogue.vtt(plan.captions), timeline, plan.cues,
                    plan.overflow, [part for _, part in pieces], loudness_in)


def _mix_key(timeline: Timeline, scenes: list, settings: ExportSettings, cues: list[Cue]) -> dict:
    """Everything the soundtrack is made of: the pieces, each scene's sound, the music, and every line's file
    and place (so a changed line or voice re-mixes, and an unchanged film does not)."""
    in_film = {p.scene for p in timeline.pieces if p.scene is not None}
    return {"pieces": [(p.kind, p.scene, p.start, p.length, p.clip, p.pair, p.trim_in, p.trim_out)
                       for p in timeline.pieces],
            "audio": {s.scene_id: s.audio for s in scenes if s.scene_id in in_film},
            "music": settings.music, "music_volume": settings.music_volume if settings.music else None,
            "loudness": settings.loudness, "duration": timeline.duration,
            "lines": [(c.spoken.path.name, round(c.at, 3), round(c.start, 3), round(c.end, 3)) for c in cues]}


def soundtrack(project: Project, timeline: Timeline, scenes: list, clips: dict[int, str],
               settings: ExportSettings, cues: list[Cue] = ()) -> tuple[str, float | None]:
    """The film's AAC track (asset hash) and its loudness before correction, made once per mix."""
    music = project.assets.path(settings.music) if settings.music else None

    def make(out: Path) -> dict:
        measured = audio.build_soundtrack(timeline, scenes, {n: project.assets.path(a) for n, a in clips.items()},
                                          music, settings, out, cues)
        return {"loudness_in": measured}
    asset, meta = cache.cached(project, SOUND_FORM, _mix_key(timeline, scenes, settings, cues), "m4a", make)
    return asset, meta.get("loudness_in")


def stems(project: Project, *, plan: Layout, clips: dict[int, str], settings: ExportSettings) -> dict[str, str]:
    """The dialogue, music and effects buses of this mix (`plan`: its layout) as WAV assets, made once per mix:
    name -> hash."""
    music = project.assets.path(settings.music) if settings.music else None
    key = _mix_key(plan.timeline, plan.scenes, settings, plan.cues)
    out: dict[str, str] = {}
    for name in audio.STEMS:
        hit = project.derived.get(recipe_hash({**key, "stem": name}), STEMS_FORM)
        if hit is None:
            break
        out[name] = hit[0]
    else:
        return out
    tmp = {name: project.assets.temp_path(f".{name}.wav") for name in audio.STEMS}
    sink = project.assets.temp_path(".m4a")
    try:
        audio.build_soundtrack(plan.timeline, plan.scenes, {n: project.assets.path(a) for n, a in clips.items()},
                               music, settings, sink, plan.cues, stems=tmp)
        for name, path in tmp.items():
            out[name] = project.assets.put_file(path, "wav")
            project.derived.put(recipe_hash({**key, "stem": name}), STEMS_FORM, out[name])
    finally:
        for path in [*tmp.values(), sink]:
            path.unlink(missing_ok=True)
    return out


def _duration(project: Project, asset: str) -> float:
    """A clip's length from its asset record (measured when it was stored), probing only if it has none."""
    known = project.assets.row(asset).get("duration")
    return known if known else media.probe_video(project.assets.path(asset)).duration


def _piece(project: Project, p, reference: str, title: str, subtitle: str, characters: list[tuple[str, str]],
           palette: list[str]) -> tuple[segments.Span, str]:
    """The piece's place in the join, and what the cut take records for it."""
    if p.kind == "clip":
        return segments.body(project, p.clip, p.trim_in, p.trim_out), f"{p.clip}@{p.trim_in:g}-{p.trim_out:g}"
    if p.kind in ("title", "credits"):
        seg = card(project, p, reference, title, subtitle, characters, palette)
    else:
        seg = segments.transition(project, p.pair[0], p.trim_in, p.pair[1], p.length, p.kind_of_transition)
    return segments.Span(project.assets.path(seg)), seg


def card(project: Project, p, reference: str, title: str, subtitle: str, characters: list[tuple[str, str]],
         palette: list[str]) -> str:
    """The title or credits piece as a clip in the cut's form (asset hash; made once)."""
    png = cards.title_card(title, subtitle, palette) if p.kind == "title" else \
        cards.credits_card(title, characters, palette)
    return segments.still(project, project.assets.put(png, "png"), p.length, reference)


def _reframe(spans: list[segments.Span], sound: Path, out: Path, settings: ExportSettings,
             captions: list[tuple[float, float, str]]) -> None:
    """One re-encode for a preset that changes the frame, with subtitles burned in when asked."""
    w, h = frame_size(settings)
    if settings.fit == "crop":
        vf = f"scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},setsar=1"
    else:
        vf = f"scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:black,setsar=1"
    picture, listing = segments.concat_input(spans, out.parent)
    inputs = [*picture, "-i", str(sound)]
    graph = f"[0:v]{vf}[v0]"
    last = "[v0]"
    overlays = [(text, a, b) for a, b, text in captions] if settings.subtitles == "burn" else []
    try:
        with _subtitle_pngs(overlays, w, h, out.parent) as pngs:
            for i, (png, (_, start, end)) in enumerate(zip(pngs, overlays)):
                inputs += ["-i", str(png)]
                graph += (f";{last}[{i + 2}:v]overlay=0:0:enable='between(t,{start:.3f},{end:.3f})'"
                          f"[v{i + 1}]")
                last = f"[v{i + 1}]"
            graph += f";{last}format=yuv420p[vout]"
            args = media.h264_args()
            media.run([*inputs, "-filter_complex", graph, "-map", "[vout]", "-map", "1:a", *args[:args.index("-c:a")],
                       "-c:a", "copy", "-movflags", "+faststart", "-f", "mp4", str(out)],
                      what=f"exporting {settings.name()}")
    finally:
        listing.unlink(missing_ok=True)


class _subtitle_pngs:
    """Transparent frames with one subtitle line each, drawn with Pillow (no system fonts needed)."""

    def __init__(self, lines, w: int, h: int, folder: Path):
        self.lines, self.w, self.h, self.folder, self.paths = lines, w, h, folder, []

    def __enter__(self) -> list[Path]:
        size = max(22, self.h // 24)
        font = ImageFont.load_default(size=size)
        for i, (text, _start, _end) in enumerate(self.lines):
            im = Image.new("RGBA", (self.w, self.h), (0, 0, 0, 0))
            d = ImageDraw.Draw(im)
            words, rows, row = text.split(), [], ""
            for word in words:  # wrap to 90% of the frame width
                trial = f"{row} {word}".strip()
                if d.textlength(trial, font=font) > self.w * 0.9 and row:
                    rows.append(row)
                    row = word
                else:
                    row = trial
            rows.append(row)
            y = self.h - size * 1.4 * len(rows) - self.h * 0.06
            for r in rows:
                x = (self.w - d.textlength(r, font=font)) / 2
                d.text((x, y), r, font=font, fill=(255, 255, 255, 255), stroke_width=max(2, size // 12),
                       stroke_fill=(0, 0, 0, 255))
                y += size * 1.4
            buf = io.BytesIO()
            im.save(buf, "PNG")
            p = self.folder / f".sub-{id(self)}-{i}.png"
            p.write_bytes(buf.getvalue())
            self.paths.append(p)
        return self.paths

    def __exit__(self, *exc):
        for p in self.paths:
            p.unlink(missing_ok=True)
