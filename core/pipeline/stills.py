"""Edits of a still in words, of the whole picture or only inside a region: "make the coat red".

Why this shape:

- An edit is a new take of the same slot (sheet/NAME or keyframe/<id>) whose parent
  is the take edited and whose note is the instruction, so the slot keeps its thread
  of edits, History shows each one, and undo puts the old picture back. It keeps its
  source's recipe and inputs, as a hand edit does, so Run all does not "repair" it
  back; what was made from the old picture (the clip, the next keyframe) is stale.
- The provider sees one request: the picture (or, for a region, the crop around it
  with a margin) and the instruction with what must not change (the frozen
  descriptions). The call is logged and costed like any other and replayed when the
  same edit is asked for again.
- A region is pasted back by this module, not by the provider, with a feathered
  edge that stays inside the selection: every pixel outside it is the source's pixel,
  exactly, whoever made the edit (xAI's image edits have no mask parameter).
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from core import media
from core.errors import InputError
from core.models import Character
from core.pipeline.context import Context
from core.providers.base import EditRequest
from core.store import Take

EDITABLE = ("sheet/", "keyframe/")
MARGIN = 0.15      # of the region's size, around it, so the edit sees some context
FEATHER = 0.08     # of the region's smaller side: how far inside its edge the blend fades in


@dataclass(frozen=True)
class Region:
    """A rectangle in the picture's pixels, or a mask (an asset: white = change, black = keep)."""

    box: tuple[int, int, int, int] | None = None   # x, y, width, height
    mask: str | None = None

    @classmethod
    def parse_box(cls, text: str) -> "Region":
        try:
            x, y, w, h = (int(round(float(v))) for v in text.split(","))
        except ValueError:
            raise InputError(f"--box {text!r} is not X,Y,W,H in pixels, e.g. --box 100,80,300,240.") from None
        return cls(box=(x, y, w, h))


def edit_still(ctx: Context, slot: str, instruction: str, *, region: Region | None = None) -> Take:
    from PIL import Image

    instruction = " ".join((instruction or "").split())
    if not instruction:
        raise InputError("Say what to change, e.g. \"make the coat red\" or \"brighter\".")
    if not slot.startswith(EDITABLE):
        raise InputError(f"{slot} is not a still that can be edited; edit a sheet/NAME or keyframe/<id>.")
    if not ctx.provider.can_edit:
        raise InputError(f"The {ctx.provider.name} provider cannot edit pictures; switch provider in Settings.")
    source = ctx.project.takes.head(slot, ctx.branch)
    if source is None or not source.asset:
        raise InputError(f"{slot} has no picture yet; make it first.")
    picture = media.load_image(ctx.project.assets.read(source.asset))
    mask = _mask(ctx, region, picture.size) if region else None
    crop_box = _crop_box(mask, picture.size) if mask is not None else (0, 0, *picture.size)
    crop = picture.crop(crop_box)
    buf = io.BytesIO()
    crop.save(buf, format="PNG")
    kind = slot.split("/", 1)[0]
    prompt = _prompt(ctx, slot, instruction, region is not None)
    req = EditRequest(image=buf.getvalue(), instruction=instruction, prompt=prompt, kind=kind)
    inputs = [source.asset] + ([region.mask] if region and region.mask else [])
    params = {"box": list(crop_box) if region else None, "region": list(region.box) if region and region.box else None}
    edited, cost = ctx.call("edit_image", slot=slot, model_role="image", prompt=prompt, params=params,
                            inputs=inputs, fn=lambda: ctx.provider.edit_image(req))
    result = media.load_image(ctx.project.assets.read(edited))
    if mask is None:
        out = result if result.size == picture.size else result.resize(picture.size, Image.Resampling.LANCZOS)
    else:
        out = _paste(picture, result, crop_box, mask)
    buf = io.BytesIO()
    out.save(buf, format="PNG")  # lossless: the untouched pixels stay the source's
    asset = ctx.project.assets.put(buf.getvalue(), "png")
    take = ctx.project.takes.write(
        slot, branch=ctx.branch, asset=asset, inputs=source.inputs, origin="edited", parent=source.id,
        recipe=source.recipe, variant=source.variant, provider=ctx.provider.name,
        model=ctx.provider.models.get("image"),
        cost_usd=cost, job=ctx.job_id, note=instruction,
        payload={**(source.payload or {}), "edit": instruction, "source": source.id,
                 "region": params["region"], "mask": region.mask if region else None, "edited": edited})
    ctx.job.step_done(f"Edited {slot}: {instruction}")
    return take


def thread(project, take: Take) -> list[Take]:
    """The edits that led to `take`, oldest first (the take itself included when it is an edit)."""
    out = []
    while take is not None and (take.payload or {}).get("edit"):
        out.append(take)
        take = project.takes.get(take.parent) if take.parent else None
    return out[::-1]


def _prompt(ctx: Context, slot: str, instruction: str, in_region: bool) -> str:
    """The instruction, and what must stay: the frozen description of who is in the picture."""
    heads = ctx.project.takes
    names = []
    if slot.startswith("sheet/"):
        names = [slot.split("/", 1)[1]]
    else:
        scene = heads.head(f"scene/{slot.split('/', 1)[1]}", ctx.branch)
        names = list((scene.payload or {}).get("characters_present", [])) if scene else []
    people = []
    for name in names:
        char = heads.head(f"character/{name}", ctx.branch)
        if char is not None:
            people.append(f"{name}: {Character.model_validate(char.payload).visual_description}")
    where = "Change only this part of the picture" if in_region else "Edit this picture"
    return (f"{where}: {instruction}. Keep everything else exactly as it is: the same composition, light and "
            f"style, every character recognisably the same. {' '.join(people)}").strip()


def _mask(ctx: Context, region: Region, size: tuple[int, int]):
    from PIL import Image, ImageDraw

    w, h = size
    if region.mask:
        with Image.open(io.BytesIO(ctx.project.assets.read(region.mask))) as m:
            mask = m.convert("L").resize(size, Image.Resampling.NEAREST).point(lambda v: 255 if v >= 128 else 0)
        if mask.getbbox() is None:
            raise InputError("The mask selects nothing: paint the region to change in white.")
        return mask
    x, y, bw, bh = region.box
    x0, y0, x1, y1 = max(0, x), max(0, y), min(w, x + bw), min(h, y + bh)
    if bw <= 0 or bh <= 0 or x1 - x0 < 8 or y1 - y0 < 8:
        raise InputError(f"The region {x},{y},{bw},{bh} is not inside the {w}x{h} picture (or is under 8 pixels); "
                         "select a region on the picture.")
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rectangle((x0, y0, x1 - 1, y1 - 1), fill=255)
    return mask


def _crop_box(mask, size: tuple[int, int]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = mask.getbbox()
    mx, my = round((x1 - x0) * MARGIN), round((y1 - y0) * MARGIN)
    return max(0, x0 - mx), max(0, y0 - my), min(size[0], x1 + mx), min(size[1], y1 + my)


def _paste(picture, result, crop_box: tuple[int, int, int, int], mask):
    """The edited crop over the picture through the mask, feathered inward: outside the mask nothing changes."""
    from PIL import Image, ImageChops, ImageFilter

    x0, y0, x1, y1 = crop_box
    result = result.resize((x1 - x0, y1 - y0), Image.Resampling.LANCZOS) if result.size != (x1 - x0, y1 - y0) \
        else result
    layer = picture.copy()
    layer.paste(result, (x0, y0))
    bx0, by0, bx1, by1 = mask.getbbox()
    radius = max(1, round(min(bx1 - bx0, by1 - by0) * FEATHER))
    inside = mask.filter(ImageFilter.MinFilter(2 * radius + 1)) if radius < 40 else mask
    soft = ImageChops.multiply(inside.filter(ImageFilter.GaussianBlur(radius / 2)), mask)  # zero outside the mask
    return Image.composite(layer, picture, soft)
