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
from core.pipeline.context import MAX_ATTEMPTS, SCORE_THRESHOLD, Context, StepResult
from core.pipeline.parts import part
from core.providers.base import CheckRequest, SheetRequest
from core.store import Take


def make_sheet(ctx: Context, name: str, *, regenerate: bool = False) -> Take:
    slot = f"sheet/{name}"
    char_take = ctx.project.takes.head(f"character/{name}", ctx.branch)
    if char_take is None:
        raise InputError(f"There is no character {name!r} in the story; plan or edit the story first.")
    character = Character.model_validate(char_take.payload)
    look = part(ctx.project, "look", ctx.branch)
    style, palette = look.payload["style"], look.payload["palette"]
    ref = ctx.project.takes.head(f"reference/{name}", ctx.branch)
    inputs = {f"character/{name}": char_take.id, "look": look.id,
              **({f"reference/{name}": ref.id} if ref else {})}
    recipe = {"step": "sheet", "provider": ctx.provider.name, "models": [ctx.provider.models.get(r) for r in
                                                                         ("image", "check")],
              "character": char_take.payload, "style": style, "palette": palette,
              "photo": ref.asset if ref else None}

    def make(variant: int) -> StepResult:
        photo = ctx.project.assets.read(ref.asset) if ref else None
        best, fix, total, history = None, None, 0.0, []
        for attempt in range(1, MAX_ATTEMPTS + 1):
            prompt = prompts.sheet_prompt(style, palette, character, photo is not None, fix)
            req = SheetRequest(character=character, style=style, palette=palette, photo=photo,
                               prompt=prompt, attempt=attempt, variant=variant)
            asset, cost = ctx.call("make_sheet", slot=slot, model_role="image", prompt=prompt,
                                   params={"variant": variant, "attempt": attempt},
                                   inputs=[ref.asset] if ref else [], fn=lambda req=req: ctx.provider.make_sheet(req))
            check_prompt = prompts.check_prompt("sheet", name)
            creq = CheckRequest(kind="sheet", image=ctx.project.assets.read(asset), references=[photo] if photo else [],
                                reference_roles=["reference"] if photo else [], prompt=f"{check_prompt} {prompt}")
            check, ccost = ctx.call("check", slot=slot, model_role="check", prompt=creq.prompt, params={},
                                    inputs=[asset] + ([ref.asset] if ref else []),
                                    fn=lambda creq=creq: ctx.provider.check(creq))
            total += cost + ccost
            history.append({"attempt": attempt, "asset": asset, "score": check.score, "issues": check.issues})
            if best is None or check.score > best[1]:
                best = (asset, check.score, check.issues)
            if check.score >= SCORE_THRESHOLD:
                break
            fix = check.issues or ["stay closer to the reference"]
            ctx.job.say(f"Sheet for {name}: attempt {attempt} scored {check.score:.2f}, retrying")
        return StepResult(asset=best[0], score=best[1], cost_usd=total, model=ctx.provider.models.get("image"),
                          payload={"character": name, "attempts": history, "issues": best[2]})

    take = ctx.produce(slot, recipe_of=recipe, inputs=inputs, make=make, regenerate=regenerate)
    ctx.job.step_done(f"Sheet for {name} ready (score {take.score:.2f})" if take.score is not None
                      else f"Sheet for {name} ready")
    return take
