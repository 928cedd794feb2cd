"""Step 3 — keyframes, chained: each scene's still, composed from references.

Up to three references go to the provider: the sheets of the characters
present, then the previous scene's keyframe when there is room, so lighting
and continuity carry from shot to shot. That chaining is also why changing a
keyframe makes the next one stale, and why a re-cut that gives a scene another
predecessor does too (the `after/<id>` part). A check per character drives
targeted fix prompts, as for sheets. `n` is always the scene's stable id.
"""
from __future__ import annotations

from core.errors import InputError
from core.models import Character
from core.pipeline import prompts
from core.pipeline.context import MAX_ATTEMPTS, Context, StepResult
from core.pipeline.parts import chain_part, part, scene_label, scene_part
from core.pipeline import likeness
from core.providers.base import CheckRequest, KeyframeRequest
from core.render import layers
from core.store import Take

MAX_REFERENCES = 3


class _AssetRef:
    """A reference that is an asset, not a take (the style lock), with the one attribute refs are read by."""

    def __init__(self, asset: str):
        self.asset = asset


def make_keyframe(ctx: Context, n: int, *, regenerate: bool = False,
                  fix: list[str] | None = None) -> Take:
    scene_take, scene = scene_part(ctx.project, n, ctx.branch)
    look = part(ctx.project, "look", ctx.branch)
    style, palette = look.payload["style"], look.payload["palette"]
    slot = f"keyframe/{n}"
    label = scene_label(ctx.project, n, ctx.branch)
    heads = ctx.project.takes
    characters = []
    refs: list[tuple[str, Take]] = []
    for name in scene.characters_present:
        char_take = heads.head(f"character/{name}", ctx.branch)
        sheet = heads.head(f"sheet/{name}", ctx.branch)
        if char_take is None or sheet is None:
            raise InputError(f"{scene_label(ctx.project, n, ctx.branch)} needs the sheet of {name}; "
                             "make the sheets first.")
        characters.append(char_take)
        refs.append((f"sheet/{name}", sheet))
    refs = refs[:MAX_REFERENCES]
    # The style lock (part of the look) gives way to a third character, never to a sheet; the previous keyframe
    # gives way to it.
    lock = look.payload.get("style_lock")
    if lock and len(refs) < MAX_REFERENCES:
        refs.append(("style", _AssetRef(lock)))
    chain = chain_part(ctx.project, n, ctx.branch)
    before = chain.payload["after"]
    previous = heads.head(f"keyframe/{before}", ctx.branch) if before is not None else None
    if previous is not None and len(refs) < MAX_REFERENCES:
        refs.append((f"keyframe/{before}", previous))
    roles = [r if r.startswith("sheet/") or r == "style" else "previous" for r, _ in refs]
    descriptions = [Character.model_validate(c.payload) for c in characters]
    inputs = {f"scene/{n}": scene_take.id, "look": look.id, f"after/{n}": chain.id,
              **{c.slot: c.id for c in characters}, **{r: t.id for r, t in refs if r != "style"}}
    scene_look = scene.model_dump(include={"title", "description", "characters_present", "setting", "camera",
                                           "mood", "action"})
    recipe = {"step": "keyframe", "provider": ctx.provider.name,
              "models": [ctx.provider.models.get(r) for r in ("image", "check")], "scene": scene_look,
              "style": style, "palette": palette, "aspect_ratio": look.payload["aspect_ratio"],
              "references": [t.asset for _, t in refs],
              "descriptions": [c.visual_description for c in descriptions],
              **({"style_lock": lock} if lock else {})}

    def make(variant: int) -> StepResult:
        images = [ctx.project.assets.read(t.asset) for _, t in refs]
        hashes = [t.asset for _, t in refs]

        def attempt(a: int, fix: list[str] | None):
            prompt = prompts.keyframe_prompt(style, palette, scene, descriptions, roles, fix)
            req = KeyframeRequest(scene=scene, style=style, palette=palette, references=images,
                                  reference_roles=roles, prompt=prompt, attempt=a, variant=variant,
                                  aspect_ratio=look.payload["aspect_ratio"],
                                  style_image=ctx.project.assets.read(lock) if lock else None)
            asset, cost = ctx.call("compose_keyframe", slot=slot, model_role="image", prompt=prompt,
                                   params={"variant": variant, "attempt": a}, inputs=hashes,
                                   fn=lambda: ctx.provider.compose_keyframe(req))
            return asset, cost, prompt

        measured: dict[str, dict] = {}
        photos = {c.payload["name"]: ctx.project.assets.read(r.asset) for c in characters
                  if (r := heads.head(f"reference/{c.payload['name']}", ctx.branch)) is not None}
        gate = likeness.gate_on(ctx.project)

        def check(asset: str, _prompt: str):
            image = ctx.project.assets.read(asset)
            creq = CheckRequest(kind="keyframe", image=image, references=images,
                                reference_roles=roles, prompt=prompts.check_prompt("keyframe", f"scene {n}"))
            result, cost, measured[asset] = likeness.checked(
                image, photos, kind="keyframe", paid=likeness.paid(ctx.provider), gate=gate,
                provider_check=lambda: ctx.call("check", slot=slot, model_role="check", prompt=creq.prompt,
                                                params={}, inputs=[asset, *hashes],
                                                fn=lambda: ctx.provider.check(creq)))
            return result, cost

        done = ctx.until_accepted(what=f"Keyframe of {label.lower()}", max_attempts=1 if fix else MAX_ATTEMPTS,
                                  default_fix="keep every character exactly as in their reference sheet",
                                  make=attempt, check=check, fix=fix)
        for tried in done.history:
            tried["likeness"] = measured.get(tried["asset"], {})
        return StepResult(asset=done.asset, score=done.score, cost_usd=done.cost_usd,
                          model=ctx.provider.models.get("image"), note=layers.note(ctx.project.assets.read(done.asset)) or None,
                          payload={"scene": n, "attempts": done.history, "issues": done.issues,
                                   "prompt": done.prompt, "likeness": measured.get(done.asset, {})})

    # Offered from elsewhere only when drawn around the very same pictures (sheets, style lock, previous keyframe).
    from core.pipeline.reuse import scene_words

    reuse = ("keyframe", scene_words(scene),
             f"{look.payload['aspect_ratio']}|" + ",".join(t.asset for _, t in refs))
    take = ctx.produce(slot, recipe_of=recipe, inputs=inputs, make=make, regenerate=regenerate, reuse=reuse)
    ctx.job.step_done(f"Keyframe of {label.lower()} ready" + (f" (score {take.score:.2f})"
                                                               if take.score is not None else ""))
    return take
