"""The dependency graph, scheduled: plan → sheets ∥ → keyframes (chained) → clips ∥ → script, cut.

Sheets run in parallel. Keyframe N waits for the sheets of its characters and
for keyframe N-1 (it is chained to it). Each clip is submitted the moment its
keyframe is accepted, to a small pool, so clips overlap the rest of the
keyframe chain instead of waiting for all of it. The cut waits for every clip.
If a step fails, running steps finish (their takes are kept), nothing new
starts, and the first error is raised for the job to record.

`run_film` brings everything up to date, the whole chain: a new keyframe makes
the next one stale, so it is made again too, to the end of the film.
`regenerate_stale` does what the person sees listed as "needs regen" when they
press it, and nothing further: each stale (or missing) sheet, keyframe and clip
once, the clip of any keyframe it remakes, then the script and the cut. A
keyframe that becomes stale only because of this run's work is left flagged for
the person to decide. Scenes are named by their stable ids throughout.
"""
from __future__ import annotations

import concurrent.futures as cf
import threading
from pathlib import Path

from pydantic import ValidationError

from core.errors import InputError
from core.pipeline import gates
from core.pipeline.clips import make_clip
from core.pipeline.context import Context
from core.pipeline.cut import assemble_cut, export_cut
from core.pipeline.keyframes import make_keyframe
from core.pipeline.parts import sync_parts
from core.pipeline.plan import plan_story, story_of
from core.pipeline.script import write_script
from core.pipeline.sheets import make_sheet
from core.render.timeline import ExportSettings
from core.store import Take

SHEET_WORKERS = 4


def current_story(ctx: Context) -> Take:
    story = ctx.project.takes.head("story", ctx.branch)
    if story is None:
        raise InputError("This project has no story yet: plan one first (`make CONCEPT`).")
    return story


def run_film(ctx: Context, *, concept: str | None = None, scenes: int | None = None, style: str | None = None,
             aspect_ratio: str = "16:9", review: bool | None = None) -> dict:
    """Plan (if a concept is given) and bring every slot up to date; returns the cut take and export path.

    `review` (default: the project's mode) stops the run at each stage not yet approved (gates.GateReached);
    without it each stage is approved as it is done, and clips overlap the keyframe chain."""
    review = gates.review_mode(ctx.project) if review is None else review
    if concept is not None:
        ctx.job.plan_units(1 + 2 + 2 * (scenes or 3) + 2)  # an estimate until the plan says how many
        story = plan_story(ctx, concept, scenes=scenes, style=style, aspect_ratio=aspect_ratio)
    else:
        story = current_story(ctx)
    sync_parts(ctx.project, story, branch=ctx.branch, job=ctx.job_id)
    plan = story_of(story)
    n = len(plan.scenes)
    ctx.job.plan_units(1 + len(plan.characters) + 2 * n + 2)
    at_gate = lambda stage: gates.gate(ctx.project, stage, review=review, branch=ctx.branch)  # noqa: E731
    at_gate("plan")
    if review:  # one stage at a time, each seen before the next is paid for
        with cf.ThreadPoolExecutor(SHEET_WORKERS, thread_name_prefix="sheet") as pool:
            for f in [pool.submit(make_sheet, ctx, c.name) for c in plan.characters]:
                f.result()
        at_gate("sheets")
        for s in plan.scenes:
            ctx.check_cancel()
            make_keyframe(ctx, s.scene_id)
        at_gate("keyframes")
        with cf.ThreadPoolExecutor(ctx.provider.parallel_clips, thread_name_prefix="clip") as pool:
            for f in [pool.submit(make_clip, ctx, s.scene_id) for s in plan.scenes]:
                f.result()
        at_gate("clips")
    else:
        _make_media(ctx, story)
        for stage in ("sheets", "keyframes", "clips"):
            at_gate(stage)
    write_script(ctx, story)
    return _cut_and_export(ctx, story, export_settings(ctx.project))


def regenerate_scene(ctx: Context, scene: int) -> dict:
    """New keyframe and clip takes for one scene (by its id), then a new cut; nothing else moves."""
    story = current_story(ctx)
    plan = story_of(story)
    if scene not in {s.scene_id for s in plan.scenes}:
        raise InputError(f"Scene id {scene} is not in the story (its scenes have ids "
                         f"{', '.join(str(s.scene_id) for s in plan.scenes)}).")
    sync_parts(ctx.project, story, branch=ctx.branch, job=ctx.job_id)
    ctx.job.plan_units(3)
    make_keyframe(ctx, scene, regenerate=True)
    make_clip(ctx, scene, regenerate=True)
    return _cut_and_export(ctx, story, export_settings(ctx.project))


def regenerate_stale(ctx: Context) -> dict:
    """Remake what needs regen now (see the module docstring), then the script and the cut."""
    from core.pipeline.status import missing_media, stale_slots

    story = current_story(ctx)
    sync_parts(ctx.project, story, branch=ctx.branch, job=ctx.job_id)
    plan = story_of(story)
    todo = stale_slots(ctx.project, ctx.branch) | missing_media(ctx.project, ctx.branch)
    sheets = [c.name for c in plan.characters if f"sheet/{c.name}" in todo]
    scenes = [s.scene_id for s in plan.scenes if {f"keyframe/{s.scene_id}", f"clip/{s.scene_id}"} & todo]
    ctx.job.plan_units(len(sheets) + 2 * len(scenes) + 2)
    with cf.ThreadPoolExecutor(SHEET_WORKERS, thread_name_prefix="sheet") as pool:
        for f in [pool.submit(make_sheet, ctx, name) for name in sheets]:
            f.result()
    for n in scenes:
        remade = False
        if f"keyframe/{n}" in todo:
            before = ctx.project.takes.head(f"keyframe/{n}", ctx.branch)
            remade = make_keyframe(ctx, n).id != (before.id if before else None)  # the clip follows (free if same)
        if f"clip/{n}" in todo or remade:
            make_clip(ctx, n)
    write_script(ctx, story)
    result = _cut_and_export(ctx, story, export_settings(ctx.project))
    return {**result, "regenerated": sorted(todo & {f"{k}/{n}" for n in scenes for k in ("keyframe", "clip")}
                                            | {f"sheet/{s}" for s in sheets})}


def _make_media(ctx: Context, story: Take) -> None:
    """Sheets, the keyframe chain and the clips, overlapped; the lines are voiced alongside (they need only the
    story), so the cut does not wait for them at the end."""
    from core import faces
    from core.pipeline.voices import make_lines

    plan = story_of(story)
    errors: list[BaseException] = []
    # The models the first sheets wait for load in the background meanwhile: the face encoder (for a film with
    # photos) and the embedding model that indexes each take for re-use.
    if any(ctx.project.takes.head(f"reference/{c.name}", ctx.branch) for c in plan.characters):
        threading.Thread(target=faces.available, name="faces-warm-up", daemon=True).start()
    threading.Thread(target=_warm_embeddings, name="embeddings-warm-up", daemon=True).start()
    with cf.ThreadPoolExecutor(SHEET_WORKERS, thread_name_prefix="sheet") as sheet_pool, \
            cf.ThreadPoolExecutor(ctx.provider.parallel_clips, thread_name_prefix="clip") as clip_pool, \
            cf.ThreadPoolExecutor(1, thread_name_prefix="lines") as line_pool:
        sheets = {c.name: sheet_pool.submit(make_sheet, ctx, c.name) for c in plan.characters}
        lines = [line_pool.submit(make_lines, ctx, plan)] if export_settings(ctx.project).dialogue else []
        clips = []
        try:
            for scene in plan.scenes:
                for name in scene.characters_present:
                    if name in sheets:
                        sheets[name].result()
                ctx.check_cancel()
                make_keyframe(ctx, scene.scene_id)
                clips.append(clip_pool.submit(make_clip, ctx, scene.scene_id))
            for f in sheets.values():  # characters that appear in no scene still get their sheet
                f.result()
        except BaseException as err:  # stop starting work; let running steps finish and keep their takes
            errors.append(err)
            for f in [*sheets.values(), *clips, *lines]:
                f.cancel()
        for f in [*clips, *lines]:
            if f.cancelled():
                continue
            try:
                f.result()
            except BaseException as err:  # noqa: BLE001 - collected and re-raised below
                errors.append(err)
    if errors:
        raise errors[0]


def _warm_embeddings() -> None:
    from core.pipeline import reuse

    try:
        reuse.embed(["warm up"])
    except Exception:  # noqa: BLE001 - the step that needs it says what is wrong, in its own words
        pass


def export_settings(project, overrides: dict | None = None) -> ExportSettings:
    """The project's saved export settings (Generate page), with one export's overrides on top."""
    try:
        return ExportSettings.model_validate({**(project.setting("export_settings") or {}), **(overrides or {})})
    except ValidationError as err:
        first = err.errors()[0]
        raise InputError(f"Export setting {'.'.join(map(str, first['loc']))} is not valid: {first['msg']}.") from None


def export(ctx: Context, out: str | None = None, settings: dict | None = None, stems: str | None = None,
           otio: str | None = None) -> dict:
    """Export the current cut with these settings, rendering it first unless an identical export exists;
    `stems`: a folder for the dialogue, music and effects as WAV files, named like the MP4; `otio`: a timeline
    file (.otio, .xml or .edl) for an editor, with its media in a folder beside it."""
    from core.pipeline.cut import stems as write_stems
    from core.pipeline.handoff import hand_off

    story = current_story(ctx)
    chosen = export_settings(ctx.project, settings)
    ctx.job.plan_units(1 + bool(stems) + bool(otio))
    done = _cut_and_export(ctx, story, chosen, out=Path(out) if out else None)
    if stems:
        paths = write_stems(ctx, story, chosen, Path(stems), Path(done["path"]).stem)
        ctx.job.step_done(f"{len(paths)} stems written")
        done["stems"] = [str(p) for p in paths]
    if otio:
        done["handoff"] = hand_off(ctx, story, chosen, Path(otio))
    return done


def _cut_and_export(ctx: Context, story: Take, settings: ExportSettings, out: Path | None = None) -> dict:
    cut = assemble_cut(ctx, story, settings)
    path = export_cut(ctx.project, cut, branch=ctx.branch, out=out)
    return {"cut": cut.id, "asset": cut.asset, "path": str(path)}
