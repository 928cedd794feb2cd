"""The offline provider's picture edits in words: a small set it really does, and an honest no for the rest.

Without a model, "make the coat red" cannot find a coat, so the edits are the ones
plain image processing can do well, read from the instruction:

- a colour word ("red", "teal", "golden"...) recolours a region: the region of the
  colour named before it ("the blue scarf red") or else the dominant non-background
  colour of the picture (or of the selected region), keeping its light and shade;
- brighter / darker, warmer / cooler, more or less saturated ("vivid", "muted");
- zoom in / zoom out (a tighter or a looser frame, same size);
- mirror (flip left to right).

Several can be combined ("brighter and warmer"). Anything else raises `CannotEdit`,
which names what this provider understands; nothing is written. Same instruction,
same image: same bytes.
"""
from __future__ import annotations

import colorsys
import re

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

COLOURS = {
    "red": (200, 40, 40), "crimson": (170, 20, 50), "scarlet": (230, 40, 20), "orange": (240, 140, 30),
    "amber": (245, 175, 40), "yellow": (240, 215, 50), "golden": (215, 170, 50), "gold": (215, 170, 50),
    "green": (50, 160, 70), "emerald": (20, 150, 100), "olive": (120, 130, 50), "teal": (20, 140, 140),
    "turquoise": (50, 200, 190), "cyan": (40, 200, 220), "blue": (40, 90, 210), "navy": (25, 40, 110),
    "purple": (130, 60, 170), "violet": (150, 90, 210), "magenta": (210, 50, 160), "pink": (240, 140, 180),
    "brown": (120, 75, 40), "tan": (200, 165, 120), "white": (240, 240, 235), "black": (25, 25, 28),
    "grey": (128, 128, 128), "gray": (128, 128, 128), "silver": (190, 192, 198),
}
UNDERSTOOD = ("a colour word (\"make the coat red\", \"the blue scarf green\"), brighter, darker, warmer, cooler, "
              "more vivid, muted, zoom in, zoom out, mirror")


class CannotEdit(Exception):
    """The instruction asks for something this provider cannot do offline."""


def _ops(instruction: str) -> list[tuple[str, object]]:
    text = " ".join(instruction.lower().split())
    words = re.findall(r"[a-z]+", text)
    ops: list[tuple[str, object]] = []
    named = [w for w in words if w in COLOURS]
    if named:
        target = named[-1]
        source = named[-2] if len(named) > 1 else None  # "the blue scarf red": blue -> red
        ops.append(("recolour", (source, target)))
    for pattern, op in ((r"\b(brighter|lighter|brighten|more light)\b", ("light", 1.25)),
                        (r"\b(darker|darken|dimmer|moodier|less light)\b", ("light", 0.78)),
                        (r"\b(warmer|warm it|golden hour)\b", ("warmth", 1)),
                        (r"\b(cooler|colder|cool it)\b", ("warmth", -1)),
                        (r"\b(more vivid|vivid|more saturated|more colou?rful|punchier)\b", ("colour", 1.35)),
                        (r"\b(muted|desaturated|less saturated|washed out|paler)\b", ("colour", 0.6)),
                        (r"\bzoom(ed)? in\b|\bcloser\b|\btighter\b|\bcrop in\b", ("zoom", 0.8)),
                        (r"\bzoom(ed)? out\b|\bwider\b|\blooser\b|\bpull back\b", ("zoom", 1.25)),
                        (r"\b(mirror|flip|mirrored|flipped)\b", ("mirror", None))):
        if re.search(pattern, text) and op not in ops:
            ops.append(op)
    if not ops:
        raise CannotEdit(f"The offline provider cannot do “{instruction.strip()}” offline; it understands "
                         f"{UNDERSTOOD}. Switch to the xai provider for other edits.")
    return ops


def understands(instruction: str) -> bool:
    try:
        _ops(instruction)
        return True
    except CannotEdit:
        return False


def edit(img: Image.Image, instruction: str) -> Image.Image:
    """`img` (RGB) edited as the instruction says; the same size."""
    out = img.convert("RGB")
    for op, arg in _ops(instruction):
        if op == "recolour":
            out = _recolour(out, *arg)
        elif op == "light":
            out = ImageEnhance.Brightness(out).enhance(arg)
        elif op == "colour":
            out = ImageEnhance.Color(out).enhance(arg)
        elif op == "warmth":
            a = np.asarray(out).astype(np.float32)
            shift = np.array([18, 6, -18]) * arg
            out = Image.fromarray(np.clip(a + shift, 0, 255).astype(np.uint8))
        elif op == "zoom":
            out = _zoom(out, arg)
        elif op == "mirror":
            out = ImageOps.mirror(out)
    return out


def _zoom(img: Image.Image, factor: float) -> Image.Image:
    w, h = img.size
    if factor < 1:  # a tighter frame: the centre, enlarged
        cw, ch = round(w * factor), round(h * factor)
        box = ((w - cw) // 2, (h - ch) // 2, (w - cw) // 2 + cw, (h - ch) // 2 + ch)
        return img.crop(box).resize((w, h), Image.Resampling.LANCZOS)
    small = img.resize((round(w / factor), round(h / factor)), Image.Resampling.LANCZOS)
    canvas = img.resize((max(1, w // 16), max(1, h // 16)), Image.Resampling.BOX).resize((w, h),
                                                                                       Image.Resampling.BILINEAR)
    canvas.paste(small, ((w - small.width) // 2, (h - small.height) // 2))  # the frame widens onto its own blur
    return canvas


def _hsv(a: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(a).convert("HSV")).astype(np.float32)


def _region(img: np.ndarray, source: str | None) -> np.ndarray:
    """A boolean mask of the region to recolour: pixels near the named colour, or the dominant colour cluster
    that is not the background (the cluster touching the border most)."""
    hsv = _hsv(img)
    if source is not None:
        ref = np.array(COLOURS[source], dtype=np.float32)
        dist = np.linalg.norm(img.astype(np.float32) - ref, axis=2)
        mask = dist < 90
        if mask.mean() > 0.002:
            return mask
    q = np.asarray(Image.fromarray(img).quantize(colors=6, method=Image.Quantize.MEDIANCUT, dither=0))
    counts = np.bincount(q.ravel(), minlength=6)
    border = np.concatenate([q[0], q[-1], q[:, 0], q[:, -1]])
    background = np.bincount(border, minlength=6).argmax()
    vivid = np.array([hsv[..., 1][q == k].mean() if counts[k] else 0 for k in range(6)])
    order = [k for k in np.argsort(-counts) if k != background and counts[k] > 0]
    # among the large clusters, prefer a coloured one: "the coat", not a grey shadow
    big = [k for k in order if counts[k] >= 0.3 * counts[order[0]]] if order else []
    pick = max(big, key=lambda k: vivid[k]) if big else background
    return q == pick


def _recolour(img: Image.Image, source: str | None, target: str) -> Image.Image:
    a = np.asarray(img).copy()
    mask = _region(a, source)
    r, g, b = (c / 255 for c in COLOURS[target])
    th, ts, tv = colorsys.rgb_to_hsv(r, g, b)
    hsv = _hsv(a)
    if ts < 0.15:  # white, black, grey: take the colour out and move the light toward it
        hsv[..., 1][mask] *= 0.15
        hsv[..., 2][mask] = hsv[..., 2][mask] * 0.4 + tv * 255 * 0.6
    else:
        hsv[..., 0][mask] = th * 255
        hsv[..., 1][mask] = np.maximum(hsv[..., 1][mask], ts * 255 * 0.85)
    hsv8 = hsv.clip(0, 255).astype(np.uint8)
    out = np.asarray(Image.merge("HSV", [Image.fromarray(hsv8[..., i]) for i in range(3)]).convert("RGB"))
    a[mask] = out[mask]
    return Image.fromarray(a)
