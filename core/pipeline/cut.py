"""Step 6 — cut: normalized clips (or animatic stand-ins) rendered into the film, then exported.

Normalizing (1280x720, 24 fps, yuv420p, AAC stereo, one video timescale, a
keyframe every half second) is what lets most of the film be a stream copy. A
clip already in that form (the offline provider writes it that way) is used
as-is; any other is re-encoded once, cached in `derived` by its content hash.

A scene without a clip can stand in with an animatic: its keyframe with a camera
move, free, marked ANIMATIC on screen. `ExportSettings(animatic=True)` uses
animatics for the whole film, so the cut can be watched before video is paid for.

Each export is a take of `cut` whose recipe includes its settings, so asking
for the same export twice reuses it; its file in `exports/` is named for what it
is (title, branch, preset, aspect, take), with the subtitles as `.srt` and `.vtt`
beside it. The lines are voiced first (core.pipeline.voices): each line's take is
an input of the cut, so a changed line or voice makes the cut stale and re-mixes
it, and an unchanged one is the same cut. `stems` writes its three sound buses.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from core import media
from core.config import slugify
from core.errors import InputError
from core.models import Scene
from core.pipeline.context import Context, StepResult
from core.pipeline.plan import story_of
from core.render import film
from core.render.dialogue import Spoken
from core.render.film import render
from core.render import layers
from core.render.motion import render_move
from core.render.timeline import ExportSettings
from core.store import Project, Take

NORMAL_FORM = f"normalized-{media.CUT_WIDTH}x{media.CUT_HEIGHT}-{media.CUT_FPS}fps-v3"
ANIMATIC_FORM = "animatic-v2"  # v2: through the keyframe's depth layers


def normalized(project: Project, asset: str) -> str:
    """The asset hash of `asset` in the cut's format, normalizing it on first use."""
    hit = project.derived.get(asset, NORMAL_FORM)
    if hit:
        return hit[0]
    src = project.assets.path(asset)
    if media.is_normalized(media.probe_video(src)):
        out = asset
    else:
        tmp = project.assets.temp_path(".mp4")
        try:
            media.normalize_clip(src, tmp)
            out = project.assets.put_file(tmp, "mp4")
        finally:
            tmp.unlink(missing_ok=True)
    project.derived.put(asset, NORMAL_FORM, out)
    return out


def animatic(project: Project, keyframe: Take, scene: Scene) -> str:
    """A free stand-in clip: the keyframe with the scene's camera move, labelled ANIMATIC; cached."""
    key = f"{keyframe.asset}:{scene.camera}:{scene.duration_seconds}:{scene.mood}"
    hit = project.derived.get(key, ANIMATIC_FORM)
    if hit:
        return hit[0]
    still = project.assets.read(keyframe.asset)
    data = render_move(media.load_image(still), scene.camera, scene.duration_seconds, mood=scene.mood,
                       label="ANIMATIC", layers=layers.read(still))
    asset = project.assets.put(data, "mp4")
    project.derived.put(key, ANIMATIC_FORM, asset)
    return asset


def assemble_cut(ctx: Context, story: Take, settings: ExportSettings | None = None) -> Take:
    settings = settings or ExportSettings()
    plan = story_of(story)
    sources, stand_ins = scene_sources(ctx, plan, settings)
    if settings.music and not ctx.project.assets.path(settings.music).exists():
        raise InputError("The music track is missing from the project; upload it again.")
    from core.pipeline.voices import make_lines

    lines = make_lines(ctx, plan) if settings.dialogue else {}
    # Each scene's part and its link to the scene before: an edit of a scene or a re-cut makes the cut stale.
    scene_slots = {f"{kind}/{n}": ctx.project.takes.head(f"{kind}/{n}", ctx.branch) for n in sources
                   for kind in ("scene", "after")}
    # ...and on the story itself: a scene added at the end changes no part of the others, but the film.
    inputs = {t.slot: t.id for t in sources.values()} | {s: t.id for s, t in scene_slots.items() if t} \
        | {"story": story.id} | {t.slot: t.id for takes in lines.values() for t in takes}
    recipe = {"step": "cut", "form": NORMAL_FORM, "settings": settings.model_dump(),
              "sources": [t.asset for t in sources.values()], "animatic": stand_ins,
              "scenes": [s.model_dump(include={"transition", "transition_seconds", "subtitle", "audio",
                                               "duration_seconds"}) for s in plan.scenes],
              "title": plan.title, "characters": [(c.name, c.role) for c in plan.characters],
              # only when there are lines, so a cut made before lines existed keeps its recipe
              **({"lines": {str(n): [t.asset for t in takes] for n, takes in lines.items()}} if lines else {}),
              **({"line_text": [[(l.speaker, l.text) for l in s.lines] for s in plan.scenes]}
                 if any(s.lines for s in plan.scenes) else {})}

    def make(_variant: int) -> StepResult:
        clips = cut_clips(ctx, plan, sources, stand_ins)
        done = render(ctx.project, scenes=plan.scenes, clips=clips, settings=settings, title=plan.title,
                      logline=plan.logline, characters=[(c.name, c.role) for c in plan.characters],
                      palette=plan.palette, lines=spoken(ctx.project, lines), check_cancel=ctx.check_cancel)
        asset = ctx.project.assets.put_file(done.path, "mp4")
        srt = ctx.project.assets.put(done.srt.encode(), "srt") if done.srt else None
        vtt = ctx.project.assets.put(done.vtt.encode(), "vtt") if done.srt else None
        row = ctx.project.assets.row(asset)
        cues = [{"slot": c.spoken.slot, "scene": c.scene, "speaker": c.spoken.speaker,
                 "text": c.spoken.text, "start": round(c.start, 3), "end": round(c.end, 3)} for c in done.cues]
        notes = [f"{plan.scenes[plan.position(n) - 1].title}: its lines run {over:g} s past the end of scene "
                 f"{plan.position(n)}; lengthen it on the Shooting page or shorten a line"
                 for n, over in done.overflow.items()]
        return StepResult(asset=asset, payload={
            "title": plan.title, "settings": settings.model_dump(), "name": settings.name(), "parts": done.parts,
            "duration": row["duration"], "width": row["width"], "height": row["height"], "scenes": len(clips),
            "animatic": stand_ins, "srt": srt, "vtt": vtt, "loudness_in": done.loudness_in, "cues": cues,
            "notes": notes, "scene_starts": {str(n): span[0] for n, span in done.timeline.scene_spans.items()}})

    take = ctx.produce("cut", recipe_of=recipe, inputs=inputs, make=make)
    ctx.job.step_done("Cut assembled" + (f" (animatic for scenes {', '.join(str(plan.position(n)) for n in stand_ins)})"
                                         if stand_ins and not settings.animatic else ""))
    return take


def scene_sources(ctx: Context, plan, settings: ExportSettings) -> tuple[dict[int, Take], list[int]]:
    """Each scene's clip take, or its keyframe where an animatic stands in (the ids of those scenes)."""
    sources: dict[int, Take] = {}
    stand_ins: list[int] = []
    for position, s in enumerate(plan.scenes, start=1):
        clip = None if settings.animatic else ctx.project.takes.head(f"clip/{s.scene_id}", ctx.branch)
        if clip is None:
            keyframe = ctx.project.takes.head(f"keyframe/{s.scene_id}", ctx.branch)
            if keyframe is None:
                raise InputError(f"Scene {position} has neither a clip nor a keyframe yet; make its keyframe first.")
            stand_ins.append(s.scene_id)
            clip = keyframe
        sources[s.scene_id] = clip
    return sources, stand_ins


def cut_clips(ctx: Context, plan, sources: dict[int, Take], stand_ins: list[int]) -> dict[int, str]:
    """The normalized clip (or animatic) asset of each scene."""
    clips = {}
    for n, take in sources.items():
        ctx.check_cancel()
        if n in stand_ins:
            clips[n] = animatic(ctx.project, take, plan.scene(n))
            ctx.job.say(f"Animatic for scene {plan.position(n)}")
        else:
            clips[n] = normalized(ctx.project, take.asset)
    return clips


def film_inputs(ctx: Context, plan, settings: ExportSettings) -> tuple[dict[int, str], dict[int, list[Spoken]]]:
    """What an already-cut film is rendered from again (its stems, its hand-off): each scene's clip in the cut's
    form, and the lines voiced and placed as the renderer wants them."""
    from core.pipeline.voices import make_lines

    lines = make_lines(ctx, plan) if settings.dialogue else {}
    return cut_clips(ctx, plan, *scene_sources(ctx, plan, settings)), spoken(ctx.project, lines)


def spoken(project: Project, lines: dict[int, list[Take]]) -> dict[int, list[Spoken]]:
    """The line takes as the renderer places them: each file with where its words are."""
    out = {}
    for n, takes in lines.items():
        out[n] = [Spoken(slot=t.slot, path=project.assets.path(t.asset), speech_start=t.payload["speech_start"],
                         speech_end=t.payload["speech_end"], speaker=t.payload["speaker"], text=t.payload["text"])
                  for t in takes]
    return out


def stems(ctx: Context, story: Take, settings: ExportSettings, folder: Path, name: str) -> list[Path]:
    """The cut's dialogue, music and effects as WAV files in `folder` (`<name>-dialogue.wav`, ...)."""
    folder = Path(folder).expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise InputError(f"Cannot write stems to {folder}: it is a file, not a folder.")
    if not folder.parent.is_dir():
        raise InputError(f"Cannot write stems to {folder}: the folder {folder.parent} does not exist.")
    plan = story_of(story)
    clips, lines = film_inputs(ctx, plan, settings)
    ctx.job.say("Writing the stems")
    made = film.stems(ctx.project, plan=film.layout(ctx.project, plan.scenes, clips, settings, lines), clips=clips,
                      settings=settings)
    folder.mkdir(exist_ok=True)
    out = []
    for stem, asset in made.items():
        dst = folder / f"{name}-{stem}.wav"
        place_file(ctx.project.assets.path(asset), dst)
        out.append(dst)
    return out


def export_path(project: Project, take: Take, branch: str) -> Path:
    payload = take.payload or {}
    title = payload.get("title") or project.name
    name = payload.get("name") or "720p-16x9"
    return project.path / "exports" / f"{slugify(title)}-{slugify(branch)}-{name}-cut{take.id}.mp4"


def export_cut(project: Project, take: Take, *, branch: str, out: Path | None = None) -> Path:
    """Place the cut's file at `out` (default: exports/) with its subtitles beside it; return the path."""
    src = project.assets.path(take.asset)
    dst = Path(out).expanduser().resolve() if out else export_path(project, take, branch)
    if dst.suffix.lower() != ".mp4":
        raise InputError(f"Export to {dst.name}: the file name must end in .mp4.")
    if not dst.parent.is_dir():
        raise InputError(f"Cannot export to {dst}: the folder {dst.parent} does not exist.")
    place_file(src, dst)
    for kind in ("srt", "vtt"):
        sub = (take.payload or {}).get(kind)
        if sub:
            place_file(project.assets.path(sub), dst.with_suffix(f".{kind}"))
    return dst


def place_file(src: Path, dst: Path) -> None:
    if dst.exists() and dst.stat().st_size == src.stat().st_size:
        return  # exports are named by take, so the same size means the same file
    tmp = dst.with_name(f".{dst.name}.part")
    # A copy, not a hard link: a player or editor that writes to the export must not touch the asset.
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)
