"""Step 1 — plan: references in, concept to StoryPlan, labels mapped to characters.

Reference photos are stored as `reference/LABEL` takes before planning, so a
bad upload fails before anything is paid for. Their labels are hints to the
planner; when a label is not a planned character's name, one structured call
maps labels to characters and the photo is filed again under the character's
slot (same asset, no copy).

The planner's answer is checked as a whole before anything else is paid for
(`plan_checks`): what is wrong goes back to the planner once, as a logged and
costed call like any other, and what the second answer still gets wrong is
repaired or kept and recorded as notes on the story take. A plan with no
character or no scene is refused here, in one line, never later as a failed
keyframe.
"""
from __future__ import annotations

from collections.abc import Callable

from core import media
from core.errors import BadAnswer, InputError, PlanRefused
from core.models import ASPECT_RATIOS, MAX_SCENES, PlanDraft, StoryPlan
from core.pipeline import prompts
from core.pipeline.context import Context, StepResult
from core.pipeline.parts import part_moves
from core.pipeline.plan_checks import Cast, PlanCheck, check_plan, reask_prompt
from core.providers.base import PlanRequest
from core.store import Project, Take
from core.store.calls import recipe_hash


def add_reference(project: Project, label: str, data: bytes, *, filename: str = "the photo",
                  branch: str | None = None, job: int | None = None) -> Take:
    """Validate and store an uploaded photo as the head of `reference/LABEL`; the same photo again is a no-op."""
    label = " ".join(label.split())
    if not label or "/" in label:
        raise InputError(f"Reference label {label!r} is not valid: give a character name without '/'.")
    ext, _w, _h = media.image_info(data, name=filename)
    asset = project.assets.put(data, ext)
    slot = f"reference/{label}"
    recipe = recipe_hash({"upload": asset})
    take = project.takes.with_recipe(slot, recipe)
    if take is None:
        head = project.takes.head(slot, branch)
        return project.takes.write(slot, branch=branch, asset=asset, origin="uploaded", recipe=recipe, job=job,
                                   parent=head.id if head else None, note=filename)
    project.takes.set_heads({slot: take.id}, branch=branch, job=job)  # the same photo again: its take is head
    return take


def set_style_lock(project: Project, *, data: bytes | None = None, take: int | None = None,
                   filename: str = "the image", branch: str | None = None) -> str | None:
    """The film's art-direction reference (the style lock): an uploaded image, any take's still, or None to
    clear it; returns its asset. It is part of the story's look, so it goes into every sheet and keyframe
    request and recipe, changing it makes them all stale, and undo takes it back like any story edit."""
    from core.pipeline.edits import edit_story

    if take is not None:
        source = project.takes.get(take)
        if not source.asset or project.assets.row(source.asset)["ext"] not in ("png", "jpg", "webp"):
            raise InputError(f"Take {take} ({source.slot}) is not a still; use a sheet, keyframe or photo.")
        asset = source.asset
    elif data is not None:
        ext, _w, _h = media.image_info(data, name=filename)
        asset = project.assets.put(data, ext)
    else:
        asset = None
    edit_story(project, {"style_lock": asset}, branch=branch, note="style lock cleared" if asset is None
               else f"style lock: {filename if data is not None else f'take {take}'}")
    return asset


def check_scene_count(scenes: int | None) -> None:
    if scenes is not None and not 1 <= scenes <= MAX_SCENES:
        raise InputError(f"--scenes {scenes} is out of range: choose 1 to {MAX_SCENES} scenes.")


def reference_labels(project: Project, branch: str | None = None) -> list[str]:
    return sorted(s.split("/", 1)[1] for s in project.takes.head_ids(branch) if s.startswith("reference/"))


def plan_story(ctx: Context, concept: str, *, scenes: int | None = None, style: str | None = None,
               aspect_ratio: str = "16:9", labels: list[str] | None = None, regenerate: bool = False) -> Take:
    """Plan the story; `labels` are the names of the people whose photos will be uploaded (default: the
    labels of the references already uploaded)."""
    concept = " ".join((concept or "").split())
    if not concept:
        raise InputError("The concept is empty: describe the film in one line, e.g. "
                         "\"A curious fox meets a wise owl in an enchanted autumn forest\".")
    check_scene_count(scenes)
    if aspect_ratio not in ASPECT_RATIOS:
        raise InputError(f"Aspect ratio {aspect_ratio!r} is not supported; choose {', '.join(ASPECT_RATIOS)}.")
    labels = list(dict.fromkeys(" ".join(x.split()) for x in labels if x.strip())) if labels is not None \
        else reference_labels(ctx.project, ctx.branch)
    prompt = prompts.plan_prompt(concept, labels, scenes, style, aspect_ratio)
    recipe = {"step": "plan", "provider": ctx.provider.name, "model": ctx.provider.models.get("plan"),
              "prompt": prompt}

    def make(variant: int) -> StepResult:
        def ask(text: str, again: bool):
            req = PlanRequest(concept=concept, labels=labels, scenes=scenes, style=style, aspect_ratio=aspect_ratio,
                              prompt=text, variant=variant)
            return ctx.call("plan_story", slot="story", model_role="plan", prompt=text,
                            params={"variant": variant, **({"again": 1} if again else {})}, inputs=[],
                            fn=lambda: ctx.provider.plan_story(req))

        checked, cost, asks = checked_plan(ask, prompt, scenes=scenes, aspect_ratio=aspect_ratio, style=style,
                                           what="planned story")
        if checked.notes:
            ctx.job.say(f"Plan checked: {len(checked.notes)} note(s)")
        return StepResult(payload={"concept": concept, "plan": checked.plan.model_dump(), "notes": checked.notes,
                                   "asks": asks}, cost_usd=cost, model=ctx.provider.models.get("plan"))

    take = ctx.produce("story", recipe_of=recipe, inputs={}, make=make, regenerate=regenerate)
    ctx.project.takes.set_heads(part_moves(ctx.project, take, branch=ctx.branch, job=ctx.job_id),
                                branch=ctx.branch, job=ctx.job_id)
    ctx.job.step_done(f"Planned “{story_of(take).title}”")
    map_references(ctx, take)
    from core.pipeline.cast import PENDING, apply_pending

    if ctx.project.setting(PENDING):  # characters cast from the library before there was a story
        for done in apply_pending(ctx.project, branch=ctx.branch):
            ctx.job.say(f"Cast {done['name']} from the character library")
        take = ctx.project.takes.head("story", ctx.branch)
    return take


def checked_plan(ask: Callable[[str, bool], tuple[PlanDraft, float]], prompt: str, *, scenes: int | None,
                 aspect_ratio: str | None, style: str | None, what: str,
                 ids_from: int | None = None, known_ids: set[int] | None = None,
                 voices: dict[str, str] | None = None) -> tuple[PlanCheck, float, int]:
    """Ask for a plan, check it, and ask once more with the list of problems if it has any.

    `ask(prompt, again)` makes the (logged) provider call. Returns the check of the answer that is used (the
    second unless it is worse), the cost of both calls and how many were made; raises PlanRefused when neither
    answer has a character and a scene."""
    def one(text: str, again: bool) -> tuple[PlanCheck | None, PlanDraft | None, float, str | None]:
        try:
            draft, cost = ask(text, again)
        except BadAnswer as err:  # paid for, and not a plan at all: the second try is told why
            return None, None, err.cost_usd, f"The answer was not JSON in the plan's shape ({err.detail[:200]})"
        draft = PlanDraft.of(draft)
        return (check_plan(draft, scenes=scenes, aspect_ratio=aspect_ratio, style=style, ids_from=ids_from,
                           known_ids=known_ids, voices=voices), draft, cost, None)

    first, draft, cost, bad = one(prompt, False)
    problems = [bad] if bad else first.problems
    if not problems:
        return first, cost, 1
    second, _, cost2, bad2 = one(reask_prompt(prompt, draft or PlanDraft(), problems), True)
    cost += cost2
    usable = [c for c in (second, first) if c is not None and c.usable]  # the second answer first
    if not usable:
        reason = bad2 or (second.refusal if second else None) or bad or "The plan has nothing usable"
        raise PlanRefused(f"The {what} was refused: {reason}, even after asking the planner again; plan again, "
                          "perhaps with a clearer concept, or switch provider.")
    best = min(usable, key=lambda c: len(c.problems))  # the second wins a tie: min keeps the first minimum
    return best, cost, 2


def story_of(take: Take) -> StoryPlan:
    return StoryPlan.model_validate(take.payload["plan"])


def map_references(ctx: Context, story: Take) -> None:
    """File each reference under the planned character it belongs to, asking the provider when names differ."""
    plan = story_of(story)
    names = {c.name for c in plan.characters}
    labels = reference_labels(ctx.project, ctx.branch)
    cast = Cast(sorted(names))
    # A label that is plainly a character's name ("ada" or "Ada" for "Ada Lovelace") needs no provider call.
    local = {label: cast.resolve(label) for label in labels if label not in names}
    pairs = {label: name for label, name in local.items() if name}
    unmatched = [label for label, name in local.items() if not name]
    if unmatched:
        try:
            mapping, _cost = ctx.call("map_labels", slot="story", model_role="plan",
                                      prompt=f"Map reference labels {unmatched} to characters {sorted(names)}.",
                                      params={}, inputs=[], fn=lambda: ctx.provider.map_labels(unmatched, plan))
            pairs |= {k: v for k, v in mapping.mapping.items() if k in unmatched}
        except BadAnswer:  # a mapper that cannot answer in shape leaves those photos unused, not the film failed
            ctx.job.say(f"Photos {', '.join(unmatched)} could not be matched to a character")
    claimed = {label for label in labels if label in names}  # a character's own photo is never replaced
    for label, name in pairs.items():
        # A mapper may name someone not in the cast, a label nobody asked about, or one character twice.
        if name not in names or name in claimed:
            continue
        claimed.add(name)
        ref = ctx.project.takes.head(f"reference/{label}", ctx.branch)
        ctx.produce(f"reference/{name}", recipe_of={"upload": ref.asset, "label": label}, inputs={},
                    origin="uploaded",
                    make=lambda _v, ref=ref, label=label: StepResult(asset=ref.asset, note=f"mapped from {label}"))
