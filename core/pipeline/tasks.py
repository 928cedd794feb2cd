"""The pipeline's entry points as job kinds: name -> function(ctx, **params) -> JSON-able result.

The job runner knows nothing about films; the UI and the CLI submit these by
name with JSON parameters, which is also what makes a job resumable: its row
holds everything needed to run it again.
"""
from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable

from core import lab
from core.pipeline import run
from core.pipeline.context import Context
from core.pipeline.edits import refine_story
from core.pipeline.keyframes import make_keyframe
from core.pipeline.plan import plan_story, story_of
from core.pipeline.sheets import make_sheet


def plan(ctx: Context, concept: str, scenes: int | None = None, style: str | None = None,
         aspect_ratio: str = "16:9", labels: list[str] | None = None, regenerate: bool = False) -> dict:
    ctx.job.plan_units(1)
    take = plan_story(ctx, concept, scenes=scenes, style=style, aspect_ratio=aspect_ratio, labels=labels,
                      regenerate=regenerate)
    return {"story": take.id}


def refine(ctx: Context, instruction: str) -> dict:
    ctx.job.plan_units(1)
    return {"story": refine_story(ctx, instruction).id}


def sheets(ctx: Context, names: list[str] | None = None, regenerate: bool = False) -> dict:
    """Make (or regenerate) the sheets of `names` (default: every character), in parallel."""
    story = run.current_story(ctx)
    names = names or [c.name for c in story_of(story).characters]
    ctx.job.plan_units(len(names))
    with cf.ThreadPoolExecutor(run.SHEET_WORKERS, thread_name_prefix="sheet") as pool:
        futures = [pool.submit(make_sheet, ctx, n, regenerate=regenerate) for n in names]
        takes = [f.result() for f in futures]
    return {"sheets": {t.slot: t.id for t in takes}}


def edit(ctx: Context, slot: str, instruction: str, box: list[int] | None = None, mask: str | None = None) -> dict:
    """An edit of a still in words, of the whole picture or of a region (a box, or a mask asset)."""
    from core.pipeline.stills import Region, edit_still

    ctx.job.plan_units(1)
    region = Region(box=tuple(box), mask=None) if box else Region(mask=mask) if mask else None
    return {"take": edit_still(ctx, slot, instruction, region=region).id}


def fix(ctx: Context, slot: str) -> dict:
    """One more attempt at a take that failed its check, told the problems the check named."""
    from core.errors import InputError
    from core.pipeline.clips import make_clip

    head = ctx.project.takes.head(slot, ctx.branch)
    if head is None:
        raise InputError(f"{slot} has no take to fix; make it first.")
    attempts = (head.payload or {}).get("attempts") or []
    issues = next((a["issues"] for a in reversed(attempts) if a.get("issues")), None) or \
        (head.payload or {}).get("issues") or ["match the references more closely"]
    ctx.job.plan_units(1)
    kind, _, name = slot.partition("/")
    steps = {"sheet": lambda: make_sheet(ctx, name, regenerate=True, fix=issues),
             "keyframe": lambda: make_keyframe(ctx, int(name), regenerate=True, fix=issues),
             "clip": lambda: make_clip(ctx, int(name), regenerate=True, fix=issues)}
    if kind not in steps or (kind != "sheet" and not name.isdigit()):
        raise InputError(f"{slot} has no check to fix; Fix works on sheets, keyframes and clips.")
    return {"take": steps[kind]().id}


def clip(ctx: Context, scene: int, regenerate: bool = True) -> dict:
    """A new clip for one scene (by id) from its keyframe as it is, then the cut: a motion edit's run."""
    from core.pipeline.clips import make_clip

    from core.pipeline.script import write_script

    story = run.current_story(ctx)
    ctx.job.plan_units(3)
    take = make_clip(ctx, scene, regenerate=regenerate)
    write_script(ctx, story)
    return {"clip": take.id, **run._cut_and_export(ctx, story, run.export_settings(ctx.project))}


def keyframe(ctx: Context, scene: int, regenerate: bool = False) -> dict:
    ctx.job.plan_units(1)
    return {"keyframe": make_keyframe(ctx, scene, regenerate=regenerate).id}


def line(ctx: Context, scene: int, line: int, regenerate: bool = True) -> dict:
    """A new take of one spoken line (scene by id, line from 1), then the cut with it."""
    from core.pipeline.voices import make_line

    story = run.current_story(ctx)
    ctx.job.plan_units(2)
    take = make_line(ctx, scene, line, regenerate=regenerate)
    ctx.job.step_done(f"Line {line} voiced")
    return {"line": take.id, **run._cut_and_export(ctx, story, run.export_settings(ctx.project))}


def lines(ctx: Context) -> dict:
    """Every line voiced (what is unchanged is found again, free), then the cut with them."""
    story = run.current_story(ctx)
    ctx.job.plan_units(2)
    from core.pipeline.voices import make_lines

    made = make_lines(ctx, story_of(story))
    ctx.job.step_done("Lines voiced")
    return {"lines": {t.slot: t.id for takes in made.values() for t in takes},
            **run._cut_and_export(ctx, story, run.export_settings(ctx.project))}


def voice_preview(ctx: Context, speaker: str, voice: str) -> dict:
    """A sample of how `speaker` would sound in `voice` (a logged call; the same sample again is free)."""
    from core.pipeline.voices import preview_voice

    ctx.job.plan_units(1)
    asset = preview_voice(ctx, speaker, voice)
    ctx.job.step_done(f"{speaker} as {voice}")
    return {"asset": asset}


KINDS: dict[str, Callable[..., dict]] = {
    "plan": plan, "refine": refine, "sheets": sheets, "keyframe": keyframe, "edit": edit, "fix": fix, "clip": clip,
    "make": run.run_film, "regenerate": run.regenerate_scene, "regenerate_stale": run.regenerate_stale,
    "export": run.export, "line": line, "lines": lines, "voice_preview": voice_preview,
    **lab.JOB_KINDS,  # upscale, interpolate, blend
}
