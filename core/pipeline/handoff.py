"""Hand the cut to an editor: a timeline file (OTIO, FCP 7 XML or EDL) and a folder of its media beside it.

The same inputs as the export: each scene's clip in the cut's form (or its
animatic), the lines voiced, the title and credits cards, the three sound stems.
They are copied into `<timeline name>-media/` beside the timeline file, named for
what they are (`02-the-harbour.mp4`, `dialogue.wav`), with the subtitles as an
.srt; the timeline (core.render.handoff) points into that folder. Nothing is
paid for: every piece is a take or a cached render already.
"""
from __future__ import annotations

from pathlib import Path

from core.config import slugify
from core.pipeline.context import Context
from core.pipeline.cut import film_inputs, place_file
from core.pipeline.plan import story_of
from core.render import dialogue, film, handoff
from core.render.timeline import ExportSettings
from core.store import Take


def media_folder(target: Path) -> Path:
    return target.with_name(f"{target.stem}-media")


def hand_off(ctx: Context, story: Take, settings: ExportSettings, target: Path) -> dict:
    """Write the timeline to `target` and its media beside it: {"path", "media", "format", "clips"}."""
    target = Path(target).expanduser().resolve()
    fmt = handoff.check_target(target)
    plan = story_of(story)
    clips, lines = film_inputs(ctx, plan, settings)
    layout = film.layout(ctx.project, plan.scenes, clips, settings, lines)
    ctx.job.say("Writing the stems for the hand-off")
    stems = film.stems(ctx.project, plan=layout, clips=clips, settings=settings)
    folder = media_folder(target)
    folder.mkdir(exist_ok=True)
    ctx.check_cancel()

    def copy(asset: str, name: str) -> Path:
        dst = folder / name
        place_file(ctx.project.assets.path(asset), dst)
        return dst

    reference = next(iter(clips.values()))
    cards = {p.kind: copy(film.card(ctx.project, p, reference, plan.title, settings.subtitle_line or plan.logline,
                                    [(c.name, c.role) for c in plan.characters], plan.palette), f"00-{p.kind}.mp4"
                          if p.kind == "title" else f"99-{p.kind}.mp4")
             for p in layout.timeline.pieces if p.kind in ("title", "credits")}
    names, files, lengths = {}, {}, {}
    for position, s in enumerate(plan.scenes, start=1):
        names[s.scene_id] = f"Scene {position} · {s.title}"
        files[s.scene_id] = copy(clips[s.scene_id], f"{position:02d}-{slugify(s.title, fallback='scene')}.mp4")
        lengths[s.scene_id] = ctx.project.assets.row(clips[s.scene_id])["duration"]
    stem_files = {name: copy(asset, f"{name}.wav") for name, asset in stems.items()}
    (folder / "subtitles.srt").write_text(dialogue.srt(layout.captions))
    tl = handoff.timeline(layout, handoff.Media(clips=files, lengths=lengths, names=names, cards=cards,
                                                stems=stem_files), plan.title)
    handoff.write(tl, target)
    ctx.job.step_done(f"{fmt} timeline written")
    return {"path": str(target), "media": str(folder), "format": fmt, "clips": len(files)}
