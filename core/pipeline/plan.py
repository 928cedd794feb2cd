"""Step 1 — plan: references in, concept to StoryPlan, labels mapped to characters.

Reference photos are stored as `reference/LABEL` takes before planning, so a
bad upload fails before anything is paid for. Their labels are hints to the
planner; when a label is not a planned character's name, one structured call
maps labels to characters and the photo is filed again under the character's
slot (same asset, no copy).
"""
from __future__ import annotations

from core import media
from core.errors import InputError
from core.models import ASPECT_RATIOS, MAX_SCENES, StoryPlan
from core.pipeline import prompts
from core.pipeline.context import Context, StepResult
from core.pipeline.parts import part_moves
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
        take = project.takes.add(slot, asset=asset, origin="uploaded", recipe=recipe, job=job,
                                 parent=head.id if head else None, note=filename)
    project.takes.set_heads({slot: take.id}, branch=branch, job=job)
    return take


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
        req = PlanRequest(concept=concept, labels=labels, scenes=scenes, style=style, aspect_ratio=aspect_ratio,
                          prompt=prompt, variant=variant)
        plan, cost = ctx.call("plan_story", slot="story", model_role="plan", prompt=prompt,
                              params={"variant": variant}, inputs=[], fn=lambda: ctx.provider.plan_story(req))
        if scenes is not None and len(plan.scenes) != scenes:
            plan = plan.model_copy(update={"scenes": plan.scenes[:scenes]}) if len(plan.scenes) > scenes else plan
        return StepResult(payload={"concept": concept, "plan": plan.model_dump()}, cost_usd=cost,
                          model=ctx.provider.models.get("plan"))

    take = ctx.produce("story", recipe_of=recipe, inputs={}, make=make, regenerate=regenerate)
    ctx.project.takes.set_heads(part_moves(ctx.project, take, branch=ctx.branch, job=ctx.job_id),
                                branch=ctx.branch, job=ctx.job_id)
    ctx.job.step_done(f"Planned “{story_of(take).title}”")
    map_references(ctx, take)
    return take


def story_of(take: Take) -> StoryPlan:
    return StoryPlan.model_validate(take.payload["plan"])


def map_references(ctx: Context, story: Take) -> None:
    """File each reference under the planned character it belongs to, asking the provider when names differ."""
    plan = story_of(story)
    names = {c.name for c in plan.characters}
    labels = reference_labels(ctx.project, ctx.branch)
    unmatched = [label for label in labels if label not in names]
    if not unmatched:
        return
    mapping, _cost = ctx.call("map_labels", slot="story", model_role="plan",
                              prompt=f"Map reference labels {unmatched} to characters {sorted(names)}.",
                              params={}, inputs=[],
                              fn=lambda: ctx.provider.map_labels(unmatched, plan))
    for label, name in mapping.mapping.items():
        if name not in names or label not in unmatched:
            continue
        ref = ctx.project.takes.head(f"reference/{label}", ctx.branch)
        ctx.produce(f"reference/{name}", recipe_of={"upload": ref.asset, "label": label}, inputs={},
                    origin="uploaded",
                    make=lambda _v, ref=ref, label=label: StepResult(asset=ref.asset, note=f"mapped from {label}"))
