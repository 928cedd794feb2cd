"""Title card and end credits, drawn in the film's palette and style.

They are stills rendered by Pillow and turned into video segments once (cached
by the image's hash), so a re-export with the same title costs nothing.
"""
from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from core.media import CUT_HEIGHT, CUT_WIDTH


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))


def _background(palette: list[str]) -> Image.Image:
    cols = sorted((_rgb(c) for c in palette), key=sum) or [(20, 20, 30), (60, 60, 80)]
    dark, mid = cols[0], cols[min(1, len(cols) - 1)]
    im = Image.new("RGB", (CUT_WIDTH, CUT_HEIGHT), dark)
    d = ImageDraw.Draw(im)
    for y in range(CUT_HEIGHT):  # a soft vertical gradient from the darkest colours of the palette
        t = y / CUT_HEIGHT
        d.line([(0, y), (CUT_WIDTH, y)], fill=tuple(round(a + (b - a) * t * 0.6) for a, b in zip(dark, mid)))
    glow = Image.new("L", im.size, 0)
    ImageDraw.Draw(glow).ellipse((CUT_WIDTH * 0.2, CUT_HEIGHT * 0.15, CUT_WIDTH * 0.8, CUT_HEIGHT * 0.85), fill=60)
    light = Image.new("RGB", im.size, _rgb(palette[-1]) if palette else (240, 240, 240))
    return Image.composite(light, im, glow.filter(ImageFilter.GaussianBlur(120)))


def _centered(d: ImageDraw.ImageDraw, y: float, text: str, size: int, fill) -> float:
    font = ImageFont.load_default(size=size)
    while d.textlength(text, font=font) > CUT_WIDTH * 0.86 and size > 18:
        size -= 2
        font = ImageFont.load_default(size=size)
    w = d.textlength(text, font=font)
    d.text(((CUT_WIDTH - w) / 2, y), text, font=font, fill=fill)
    return y + size * 1.35


def title_card(title: str, subtitle: str, palette: list[str]) -> bytes:
    im = _background(palette)
    d = ImageDraw.Draw(im)
    y = CUT_HEIGHT * 0.38
    y = _centered(d, y, title, 84, (250, 246, 238))
    if subtitle:
        _centered(d, y + 8, subtitle, 34, (220, 214, 200))
    return _png(im)


def credits_card(title: str, characters: list[tuple[str, str]], palette: list[str]) -> bytes:
    im = _background(palette)
    d = ImageDraw.Draw(im)
    y = CUT_HEIGHT * 0.18
    y = _centered(d, y, title, 56, (250, 246, 238)) + 24
    for name, role in characters[:8]:
        y = _centered(d, y, f"{name}, {role}" if role else name, 32, (225, 220, 208))
    _centered(d, CUT_HEIGHT * 0.84, "made with Dailies", 26, (200, 195, 185))
    return _png(im)


def _png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG", compress_level=3)
    return buf.getvalue()
