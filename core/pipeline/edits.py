"""Changing the story by hand or by asking: edits, chat refinements, approval.

Every change is a new story take whose parent is the old head (nothing is
overwritten), and its parts (`look`, `character/NAME`, `scene/N`) move in the
same undo group, so "undo" takes back the whole edit. A refinement asks the
provider for a revised plan from an instruction ("make the owl grumpier") and
records the instruction with the answer. Approval pins the story take that the
sheets may be made from; an edit after approval needs a new approval.

A refinement's answer is checked like a fresh plan (one re-ask, then repairs);
a hand edit must already name only characters of the story, and either way the
new take's `notes` say what the check still sees (a short description).
"""
from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError

from core.errors import InputError
from core.models import NARRATOR, VOICES, Line, Scene, StoryPlan
from core.pipeline.context import Context
from core.pipeline.parts import part_moves, sync_parts
from core.pipeline.plan import checked_plan, story_of
from core.pipeline.plan_checks import fit_lines, remaining
from core.pipeline.voice_cast import choose_voices
from core.providers.base import RefineRequest
from core.store import Project, Take


def _head_story(project: Project, branch: str | None) -> Take:
    story = project.takes.head("story", branch)
    if story is None:
        raise InputError("There is no story yet: write a concept and press Plan first.")
    return story


def _commit(project: Project, old: Take, plan: StoryPlan, *, origin: str, note: str | None,
            branch: str | None, job: int | None = None, extra: dict[str, Any] | None = None,
            provider: str | None = None, cost: float = 0.0) -> Take:
    # The parts of the story being changed are in place first (an older project gets its scene links here), so
    # the change is measured against them.
    sync_parts(project, old, branch=branch, job=job)
    # What belonged to the old take alone (its instruction, its check's notes) does not carry over.
    kept = {k: v for k, v in old.payload.items() if k not in ("instruction", "notes", "asks")}
    payload = {**kept, "plan": plan.model_dump(), "notes": remaining(plan), **(extra or {})}
    take = project.takes.add("story", payload=payload, origin=origin, parent=old.id, note=note, job=job,
                             provider=provider, cost_usd=cost)
    moves = {"story": take.id, **part_moves(project, take, branch=branch, job=job)}
    # A scene that left the film takes its keyframe and clip heads with it, in the same undo group: the takes are
    # kept, and undo puts the scene back whole.
    gone = {s.scene_id for s in story_of(old).scenes} - {s.scene_id for s in plan.scenes}
    moves |= {f"{kind}/{n}": None for n in gone for kind in ("keyframe", "clip")}
    # ...and a line that is no longer in the story (its scene left, or the scene has fewer lines) its line head.
    count = {s.scene_id: len(s.lines) for s in plan.scenes}
    for slot in project.takes.head_ids(branch):
        kind, _, rest = slot.partition("/")
        sid, _, k = rest.partition("/")
        if kind == "line" and sid.isdigit() and k.isdigit() and int(k) > count.get(int(sid), 0):
            moves[slot] = None
    project.takes.set_heads(moves, branch=branch, job=job, grp=None if job else f"edit:{uuid.uuid4().hex}")
    return take


def edit_story(project: Project, changes: dict[str, Any], *, branch: str | None = None,
               note: str = "edited by hand") -> Take:
    """Apply field changes to the plan (title, logline, style, palette, characters, scenes...) as a new take."""
    old = _head_story(project, branch)
    data = {**story_of(old).model_dump(), **changes}
    data["scenes"] = with_ids(data.get("scenes") or [], first_free_scene_id(project, story_of(old)))
    try:
        plan = StoryPlan.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise InputError(f"The story edit is not valid at {where}: {first['msg']}.") from None
    names = {c.name for c in plan.characters}
    for s in plan.scenes:
        unknown = [n for n in s.characters_present if n not in names]
        if unknown:
            raise InputError(f"Scene {plan.position(s.scene_id)} lists {', '.join(unknown)}, who is not a character "
                             "of the story.")
        for i, line in enumerate(s.lines, start=1):
            if line.speaker != NARRATOR and line.speaker not in s.characters_present:
                raise InputError(f"Line {i} of scene {plan.position(s.scene_id)} is spoken by {line.speaker}, who is "
                                 f"not in the scene; add them to the scene or give the line to the {NARRATOR}.")
    plan = _long_enough(plan, story_of(old))
    if plan == story_of(old):
        return old
    return _commit(project, old, plan, origin="edited", note=note, branch=branch)


def _long_enough(plan: StoryPlan, before: StoryPlan) -> StoryPlan:
    """A scene whose lines were changed lasts at least as long as they need (up to one clip's 15 s)."""
    old = {s.scene_id: s.lines for s in before.scenes}
    scenes = []
    for n, s in enumerate(plan.scenes, start=1):
        if s.lines != old.get(s.scene_id):
            s = s.model_copy(update={"duration_seconds": fit_lines(n, s.duration_seconds, s.lines, [])})
        scenes.append(s)
    return plan.model_copy(update={"scenes": scenes})


def set_voice(project: Project, speaker: str, voice: str, *, branch: str | None = None) -> Take:
    """Give a character (or the narrator) another voice: only that speaker's lines need voicing again."""
    plan = story_of(_head_story(project, branch))
    names = [c.name for c in plan.characters]
    if speaker != NARRATOR and speaker not in names:
        raise InputError(f"{speaker} is not a character of the story; the speakers are "
                         f"{', '.join([*names, NARRATOR])}.")
    if voice not in VOICES:
        raise InputError(f"Voice {voice!r} is not one of {', '.join(VOICES)}.")
    voices = {**choose_voices(plan), speaker: voice}
    return edit_story(project, {"voices": voices}, branch=branch, note=f"{speaker} speaks as {voice}")


def edit_lines(project: Project, scene_id: int, lines: list[dict[str, Any]], *,
               branch: str | None = None) -> Take:
    """The lines of one scene (by id) as edited: rows of speaker, text, delivery; empty rows are dropped."""
    plan = story_of(_head_story(project, branch))
    try:
        scene = plan.scene(scene_id)
    except KeyError:
        raise InputError(f"Scene id {scene_id} is not in the story.") from None
    rows = [r for r in lines if " ".join(str(r.get("text") or "").split())]
    try:
        parsed = [Line.model_validate({"speaker": r.get("speaker") or NARRATOR, "text": r.get("text"),
                                       "delivery": r.get("delivery") or ""}) for r in rows]
    except ValidationError as err:
        first = err.errors()[0]
        raise InputError(f"A line of scene {plan.position(scene_id)} is not valid at "
                         f"{'.'.join(str(x) for x in first['loc'])}: {first['msg']}.") from None
    scenes = [s.model_dump() if s.scene_id != scene_id else {**scene.model_dump(),
                                                             "lines": [x.model_dump() for x in parsed]}
              for s in plan.scenes]
    return edit_story(project, {"scenes": scenes}, branch=branch,
                      note=f"lines of scene {plan.position(scene_id)} edited")


def first_free_scene_id(project: Project, plan: StoryPlan) -> int:
    """An id no scene of this project has ever had, so a new scene never inherits the takes of a removed one."""
    used = [int(slot.split("/", 1)[1]) for slot in project.takes.counts()
            if slot.startswith("scene/") and slot.split("/", 1)[1].isdigit()]
    return max([plan.next_scene_id(), *[n + 1 for n in used]])


def with_ids(scenes: list[dict[str, Any]], first_free: int) -> list[dict[str, Any]]:
    """Scene rows with their stable ids: a row that has one keeps it, a new row (or a second row claiming the same
    id, e.g. a copied table row) gets the next free id."""
    def as_id(v):  # a table widget hands whole numbers back as floats (1.0) once a row is added
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v or v % 1:
            return None
        return int(v)
    taken: set[int] = set()
    fresh = max([first_free, *[i + 1 for r in scenes if (i := as_id(r.get("scene_id"))) is not None]])
    out = []
    for row in scenes:
        sid = as_id(row.get("scene_id"))
        if sid is None or sid < 1 or sid in taken:
            sid, fresh = fresh, fresh + 1
        taken.add(sid)
        out.append({**row, "scene_id": sid})
    return out


def edit_scenes(project: Project, scenes: list[dict[str, Any]], *, branch: str | None = None) -> Take:
    """The shot list as edited in a table: each row a scene (with its `scene_id`, or none for a new row); rows
    keep their order, which is the film's order."""
    plan = story_of(_head_story(project, branch))
    rows = with_ids(scenes, first_free_scene_id(project, plan))
    # A table shows some fields of a scene; what a row leaves out (its lines, its own motion) stays as it was.
    known = {s.scene_id: s.model_dump() for s in plan.scenes}
    rows = [{**known.get(r["scene_id"], {}), **r} for r in rows]
    return edit_story(project, {"scenes": [valid_scene(r, position=i).model_dump() for i, r in enumerate(rows, 1)]},
                      branch=branch, note="shot list edited")


def valid_scene(row: dict[str, Any], *, position: int) -> Scene:
    """A scene from a table row or the CLI, or one InputError line naming the scene and the field."""
    try:
        return Scene.model_validate(row)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise InputError(f"Scene {position} is not valid at {where}: {first['msg']}.") from None


def refine_story(ctx: Context, instruction: str) -> Take:
    """Ask the provider to revise the plan; the answer is a new take recording the instruction."""
    instruction = " ".join((instruction or "").split())
    if not instruction:
        raise InputError("Say how to change the story, e.g. \"make the owl grumpier\".")
    old = _head_story(ctx.project, ctx.branch)
    plan = story_of(old)
    prompt = (f"Revise this StoryPlan. Instruction: {instruction}\nKeep everything the instruction does not touch. "
              "Keep every scene's scene_id, even when scenes move; a new scene takes the largest id plus one.")

    def ask(text: str, again: bool):
        req = RefineRequest(plan=plan, instruction=instruction, prompt=text)
        return ctx.call("refine_plan", slot="story", model_role="plan", prompt=text,
                        params={"plan": plan.model_dump(), **({"again": 1} if again else {})}, inputs=[],
                        fn=lambda: ctx.provider.refine_plan(req))

    checked, cost, asks = checked_plan(ask, prompt, scenes=None, aspect_ratio=plan.aspect_ratio, style=plan.style,
                                       what="refined story", ids_from=first_free_scene_id(ctx.project, plan),
                                       known_ids={s.scene_id for s in plan.scenes}, voices=plan.voices)
    ctx.job.step_done(f"Refined: {instruction}")
    kept = checked.plan.model_copy(update={"style_lock": plan.style_lock})  # a planner does not hold the lock
    return _commit(ctx.project, old, kept, origin="generated", note=instruction, branch=ctx.branch,
                   job=ctx.job_id, extra={"instruction": instruction, "notes": checked.notes, "asks": asks},
                   provider=ctx.provider.name, cost=cost)


def approve_story(project: Project, *, branch: str | None = None) -> Take:
    story = _head_story(project, branch)
    project.set_setting(f"approved/{branch or project.branch}", story.id)
    return story


def is_approved(project: Project, branch: str | None = None) -> bool:
    """Approved when the head is the approved take or an edit/refinement of it; a fresh plan needs approval."""
    approved = project.setting(f"approved/{branch or project.branch}")
    take = project.takes.head("story", branch)
    while take is not None and approved is not None:
        if take.id == approved:
            return True
        if take.origin == "generated" and "instruction" not in (take.payload or {}):
            return False  # a plan made from the concept starts a new line
        take = project.takes.get(take.parent) if take.parent else None
    return False
