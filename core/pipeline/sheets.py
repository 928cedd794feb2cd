"""Step 2 — sheets: one reference sheet per character, checked and retried.

With a reference photo the provider stylizes it (a single-image edit that keeps
the face); without one it draws from the frozen description. A check scores
the result; below the threshold the next attempt carries the named problems
as a fix prompt, up to MAX_ATTEMPTS, and the best attempt becomes the take.
"""
from __future__ import annotations

from core.errors import InputError
from core.models import Character
from core.pipeline import prompts
from core.pipeline.context import MAX_ATTEMPTS, Context, StepResult
from core.pipeline.parts import part
from core.pipeline import likeness
from core.providers.base import CheckRequest, SheetRequest
from core.store import Take


def make_sheet(ctx: Context, name: str, *, regenerate: bool = False,
               fix: list[str] | None = None) -> Take:
    slot = f"sheet/{name}"
    char_take = ctx.project.takes.head(f"character/{name}", ctx.branch)
    if char_take is None:
        raise InputError(f"There is no character {name!r} in the story; plan or edit the story first.")
    character = Character.model_validate(char_take.payload)
    look = part(ctx.project, "look", ctx.branch)
    style, palette = look.payload["style"], look.payload["palette"]
    ref = ctx.project.takes.head(f"reference/{name}", ctx.branch)
    lock = look.payload.get("style_lock")  # the style lock, part of the look (and so of every image's recipe)
    inputs = {f"character/{name}": char_take.id, "look": look.id,
              **({f"reference/{name}": ref.id} if ref else {})}
    recipe = {"step": "sheet", "provider": ctx.provider.name, "models": [ctx.provider.models.get(r) for r in
                                                                         ("image", "check")],
              "character": char_take.payload, "style": style, "palette": palette,
              "photo": ref.asset if ref else None, **({"style_lock": lock} if lock else {})}

    def make(variant: int) -> StepResult:
        photo = ctx.project.assets.read(ref.asset) if ref else None
        style_image = ctx.project.assets.read(lock) if lock else None

        def attempt(a: int, fix: list[str] | None):
            prompt = prompts.sheet_prompt(style, palette, character, photo is not None, fix, style_lock=bool(lock))
            req = SheetRequest(character=character, style=style, palette=palette, photo=photo,
                               prompt=prompt, attempt=a, variant=variant, style_image=style_image)
            asset, cost = ctx.call("make_sheet", slot=slot, model_role="image", prompt=prompt,
                                   params={"variant": variant, "attempt": a},
                                   inputs=([ref.asset] if ref else []) + ([lock] if lock else []),
                                   fn=lambda: ctx.provider.make_sheet(req))
            return asset, cost, prompt

        measured: dict[str, dict] = {}

        def check(asset: str, prompt: str):
            image = ctx.project.assets.read(asset)
            creq = CheckRequest(kind="sheet", image=image, references=[photo] if photo else [],
                                reference_roles=["reference"] if photo else [],
                                prompt=f"{prompts.check_prompt('sheet', name)} {prompt}")
            result, cost, measured[asset] = likeness.checked(
                image, {name: photo} if photo else {}, kind="sheet", paid=likeness.paid(ctx.provider), gate=gate,
                provider_check=lambda: ctx.call("check", slot=slot, model_role="check", prompt=creq.prompt, params={},
                                                inputs=[asset] + ([ref.asset] if ref else []),
                                                fn=lambda: ctx.provider.check(creq)))
            return result, cost

        gate = likeness.gate_on(ctx.project)
        done = ctx.until_accepted(what=f"Sheet for {name}", max_attempts=1 if fix else MAX_ATTEMPTS,
                                  default_fix="stay closer to the reference", make=attempt, check=check,
                                  fix=fix)
        for tried in done.history:
            tried["likeness"] = measured.get(tried["asset"], {})
        return StepResult(asset=done.asset, score=done.score, cost_usd=done.cost_usd,
                          model=ctx.provider.models.get("image"),
                          payload={"character": name, "attempts": done.history, "issues": done.issues,
                                   "likeness": measured.get(done.asset, {})})

    # Offered from elsewhere only when made from the very same photo and style lock.
    reuse = ("sheet", prompts.sheet_prompt(style, palette, character, ref is not None, None, style_lock=bool(lock)),
             f"photo:{ref.asset if ref else ''}|lock:{lock or ''}")
    take = ctx.produce(slot, recipe_of=recipe, inputs=inputs, make=make, regenerate=regenerate, reuse=reuse)
    ctx.job.step_done(f"Sheet for {name} ready (score {take.score:.2f})" if take.score is not None
                      else f"Sheet for {name} ready")
    return take
