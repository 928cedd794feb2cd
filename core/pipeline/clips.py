"""Step 5 — clips: each keyframe animated with a motion-only prompt.

After the provider returns a clip, its last frame is compared with the
keyframe; if the shot drifted, up to two corrections ask for steadier motion.
A clip depends only on its own keyframe, so the scheduler starts it as soon as
that keyframe is accepted.
"""
from __future__ import annotations

from dataclasses import replace

from core import media
from core.errors import InputError
from core.pipeline import prompts
from core.pipeline.context import MAX_CLIP_ATTEMPTS, Context, StepResult
from core.pipeline.cut import normalized
from core.pipeline.parts import motion_part, part, scene_label, scene_part
from core.providers.base import CheckRequest, ClipRequest
from core.store import Take


def make_clip(ctx: Context, n: int, *, regenerate: bool = False,
              fix: list[str] | None = None) -> Take:
    scene_take, scene = scene_part(ctx.project, n, ctx.branch)
    motion = motion_part(ctx.project, n, ctx.branch)
    scene = scene.model_copy(update=motion.payload)
    camera = scene.clip_camera or scene.camera
    look = part(ctx.project, "look", ctx.branch)
    aspect_ratio = look.payload["aspect_ratio"]
    slot = f"clip/{n}"
    label = scene_label(ctx.project, n, ctx.branch)
    keyframe = ctx.project.takes.head(f"keyframe/{n}", ctx.branch)
    if keyframe is None:
        raise InputError(f"{label} has no keyframe yet; make the keyframe first.")
    inputs = {f"scene/{n}": scene_take.id, "look": look.id, f"keyframe/{n}": keyframe.id, f"motion/{n}": motion.id}
    recipe = {"step": "clip", "provider": ctx.provider.name,
              "models": [ctx.provider.models.get(r) for r in ("video", "check")],
              "motion": scene.model_dump(include={"camera", "action", "mood", "duration_seconds"}),
              "aspect_ratio": aspect_ratio, "keyframe": keyframe.asset,
              # only when set, so a clip made before motion edits existed keeps its recipe
              **({"own_motion": motion.payload} if any(motion.payload.values()) else {})}

    def make(variant: int) -> StepResult:
        still = ctx.project.assets.read(keyframe.asset)

        def attempt(a: int, fix: list[str] | None):
            prompt = prompts.motion_prompt(scene, fix)
            req = ClipRequest(keyframe=still, prompt=prompt, camera=camera, mood=scene.mood,
                              duration=scene.duration_seconds, aspect_ratio=aspect_ratio, variant=variant, attempt=a)
            asset, cost = ctx.call("animate_clip", slot=slot, model_role="video", prompt=prompt,
                                   params={"variant": variant, "attempt": a,
                                           "duration": scene.duration_seconds, "aspect_ratio": aspect_ratio},
                                   inputs=[keyframe.asset], deferred=True,
                                   fn=lambda ticket: ctx.provider.animate_clip(replace(req, ticket=ticket)))
            return asset, cost, prompt

        def check(asset: str, _prompt: str):
            last = media.frame_png(ctx.project.assets.path(asset), at="last")
            creq = CheckRequest(kind="clip", image=last, references=[still], reference_roles=["keyframe"],
                                prompt=prompts.check_prompt("clip", f"scene {n}"))
            return ctx.call("check", slot=slot, model_role="check", prompt=creq.prompt, params={},
                            inputs=[asset, keyframe.asset], fn=lambda: ctx.provider.check(creq))

        done = ctx.until_accepted(what=f"Clip of {label.lower()}", max_attempts=1 if fix else MAX_CLIP_ATTEMPTS,
                                  default_fix="keep the shot closer to the keyframe", make=attempt, check=check,
                                  fix=fix)
        return StepResult(asset=done.asset, score=done.score, cost_usd=done.cost_usd,
                          model=ctx.provider.models.get("video"),
                          payload={"scene": n, "attempts": done.history, "prompt": done.prompt,
                                   "duration": scene.duration_seconds})

    # Offered from elsewhere only when it animates the very same keyframe, as long and in the same shape.
    reuse = ("clip", prompts.motion_prompt(scene), f"{keyframe.asset}|{scene.duration_seconds}|{aspect_ratio}")
    take = ctx.produce(slot, recipe_of=recipe, inputs=inputs, make=make, regenerate=regenerate, reuse=reuse)
    normalized(ctx.project, take.asset)  # now, in the clip's own worker, not later on the cut's critical path
    ctx.job.step_done(f"Clip of {label.lower()} ready")
    return take
