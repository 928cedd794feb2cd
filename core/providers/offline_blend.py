"""The offline provider's character blend: two sheets made into one by image processing, no model.

An honest blend rather than an invented face: the portraits are aligned on their faces and cross-dissolved,
so what the lab's blend shows offline is visibly both characters. `core.lab.blend` reaches it through
`OfflineProvider.blend_sheets`, like any provider's blend.
"""
from __future__ import annotations

import hashlib


def offline_blend(sheet_a: bytes, sheet_b: bytes, name: str, weight: float) -> bytes:
    """An honest image blend of two character sheets into a new sheet PNG (SHEET_SIZE, like every sheet).

    The two portraits are aligned on their faces (each is warped towards the face box in between, so
    eyes and chin land on each other instead of ghosting), cross-dissolved with `weight` (the share of
    B), given a light pass of the offline sheet stylization so the two ink layers read as one drawing,
    and set on a fresh sheet labelled with `name` in the palette read from the two sheets' swatches.
    Deterministic: the same sheets, name and weight give the same bytes."""
    import numpy as np
    from PIL import Image

    from core.providers import offline_art as art
    from core.providers.offline_draw import SHEET_SIZE, _png, _rng

    weight = float(np.clip(weight, 0.0, 1.0))
    imgs = [_as_sheet(art.load_image(s)) for s in (sheet_a, sheet_b)]
    portraits = [im.crop(art.PORTRAIT_BOX) if im.size == SHEET_SIZE else art.portrait_crop(im, art.face_box(im))
                 for im in imgs]
    portraits = _align(portraits, weight)
    mixed = Image.blend(portraits[0], portraits[1], weight)
    palette = _blend_palette([_swatches(im) for im in imgs], weight)
    digest = hashlib.sha256(sheet_a + b"\x1f" + sheet_b).hexdigest()[:16]
    rng = _rng("blend", digest, name, round(weight, 3))
    portrait = art._stylize(mixed, palette, 0.3, rng)
    sheet = art._finish_sheet(art._sheet_base(palette, rng), portrait, name, palette)
    return _png(sheet)


def _as_sheet(img):
    """A sheet at the standard size: an upscaled sheet (same 3:4 layout, larger) is brought back down."""
    from PIL import Image

    from core.providers.offline_draw import SHEET_SIZE

    w, h = img.size
    if (w, h) != SHEET_SIZE and abs(w * SHEET_SIZE[1] - h * SHEET_SIZE[0]) <= max(w, h) // 100:
        return img.resize(SHEET_SIZE, Image.Resampling.LANCZOS)
    return img


def _align(portraits: list, weight: float) -> list:
    """Warp both portraits to the position in between (weighted like the dissolve) so features overlap.

    On their face boxes when the face detector finds both faces (scale and shift); otherwise on the
    translation that best correlates the two drawings (a stylized or drawn face often escapes the
    detector), ignored when it is implausibly large, since two different faces may not correlate."""
    import numpy as np
    from PIL import ImageFilter
    from skimage.registration import phase_cross_correlation

    from core.providers import offline_art as art

    a, b = portraits
    boxes = [art.face_box(p) for p in portraits]
    if all(boxes):
        target = tuple((1 - weight) * ca + weight * cb for ca, cb in zip(*boxes))
        return [_warp_to(p, box, target) for p, box in zip(portraits, boxes)]
    w, h = a.size
    k = 4  # correlate at a quarter size: the layout, not the ink

    def small(im):
        return np.asarray(im.convert("L").resize((w // k, h // k)).filter(ImageFilter.GaussianBlur(1.5)),
                          dtype=np.float32)
    (dy, dx), _, _ = phase_cross_correlation(small(a), small(b), upsample_factor=4, normalization=None)
    dx, dy = float(dx) * k, float(dy) * k   # moving b by (dx, dy) lays it on a
    if abs(dx) > 0.12 * w or abs(dy) > 0.12 * h or (abs(dx) < 1 and abs(dy) < 1):
        return portraits
    box = (0, 0, 100, 100)

    def moved(im, mx, my):
        return _warp_to(im, box, (mx, my, 100 + mx, 100 + my))
    return [moved(a, -weight * dx, -weight * dy), moved(b, (1 - weight) * dx, (1 - weight) * dy)]


def _warp_to(img, box, target):
    """Scale and shift `img` so the face `box` lands on `target`; the border is extended, never black."""
    import numpy as np
    from PIL import Image

    (x0, y0, x1, y1), (tx0, ty0, tx1, ty1) = box, target
    sx, sy = (tx1 - tx0) / max(1.0, x1 - x0), (ty1 - ty0) / max(1.0, y1 - y0)
    s = float(np.clip((sx * sy) ** 0.5, 0.6, 1.6))  # one scale: a face is not stretched
    cx, cy, tcx, tcy = (x0 + x1) / 2, (y0 + y1) / 2, (tx0 + tx1) / 2, (ty0 + ty1) / 2
    w, h = img.size
    pad = max(w, h) // 2
    big = Image.fromarray(np.pad(np.asarray(img), ((pad, pad), (pad, pad), (0, 0)), mode="edge"))
    # Output pixel (u, v) samples input (cx + (u - tcx) / s, cy + (v - tcy) / s), shifted by the padding.
    coeffs = (1 / s, 0, cx - tcx / s + pad, 0, 1 / s, cy - tcy / s + pad)
    return big.transform((w, h), Image.Transform.AFFINE, coeffs, resample=Image.Resampling.BICUBIC)


def _swatches(img) -> list[tuple[int, int, int]] | None:
    """The five palette colours printed on an offline sheet (None if it is not one)."""
    from core.providers.offline_draw import PORTRAIT_BOX, SHEET_SIZE

    if img.size != SHEET_SIZE:
        return None
    bl, _, br, _ = PORTRAIT_BOX
    gap = 14
    sw = (br - bl - 4 * gap) / 5
    return [img.getpixel((int(bl + i * (sw + gap) + sw / 2), 934))[:3] for i in range(5)]


def _blend_palette(palettes: list, weight: float) -> list[tuple[int, int, int]]:
    from core.providers.offline_draw import _colours

    pa, pb = (p or _colours(None) for p in palettes)
    return [tuple(int(round((1 - weight) * ca + weight * cb)) for ca, cb in zip(x, y)) for x, y in zip(pa, pb)]


# --------------------------------------------------------------------------- job kinds
