"""Shared drawing plumbing for the offline provider's pictures (offline_art, offline_figures,
offline_settings).

Why it exists: sheets, drawn characters and backdrops all need the same few small pieces (the
frame geometry, palette parsing, colour arithmetic, keyword matching, fonts, the 2x ``_Pen``, and
the deterministic ``_png``/``_rng``). Keeping them in one leaf module lets the three picture
modules share them without importing each other in a circle. Two of them carry the
reproducibility promise for everything above: ``_rng`` seeds from SHA-256 (never ``hash()``),
and ``_png`` writes with fixed settings, so the same inputs give byte-identical files.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading

import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont

Palette = list[str]

SHEET_SIZE = (768, 1024)
PORTRAIT_BOX = (64, 64, 704, 784)
FRAME_SIZE = (1280, 720)

_PW, _PH = PORTRAIT_BOX[2] - PORTRAIT_BOX[0], PORTRAIT_BOX[3] - PORTRAIT_BOX[1]
_FALLBACK_PALETTE = ["#22223b", "#4a4e69", "#9a8c98", "#c9ada7", "#f2e9e4"]
_RGB = tuple[int, int, int]


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    # Level 3 is half the encode time of the default 6 for ~10% more bytes; still deterministic.
    img.save(buf, "PNG", optimize=False, compress_level=3)
    return buf.getvalue()


def _rng(*parts) -> np.random.Generator:
    # hash() is salted per process; SHA-256 keeps runs reproducible across processes.
    digest = hashlib.sha256(repr(parts).encode("utf-8")).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def _colours(palette: Palette | None) -> list[_RGB]:
    out: list[_RGB] = []
    for c in palette or []:
        try:
            out.append(tuple(ImageColor.getrgb(str(c).strip())[:3]))
        except (ValueError, AttributeError):
            continue  # an LLM-written palette may hold a stray word; skip it rather than fail
    if not out:
        out = [tuple(ImageColor.getrgb(c)) for c in _FALLBACK_PALETTE]
    return (out * 5)[:5]


def _lum(c) -> float:
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]


def _by_lum(cols: list[_RGB]) -> list[_RGB]:
    return sorted(cols, key=_lum)


def _mix(a, b, t: float) -> _RGB:
    return tuple(int(round(a[i] + (b[i] - a[i]) * t)) for i in range(3))


def _hex(c: _RGB) -> str:
    return "#%02x%02x%02x" % c


def _has(text: str, *words: str) -> bool:
    # Word-start match: "hat" must not fire on "that", nor "old" on "bold".
    return any(re.search(r"\b" + re.escape(w), text) for w in words)


def _is(text: str, *words: str) -> bool:
    # Whole word (plural allowed) for species, so "beard" is not a bear and "category" no cat.
    return any(re.search(r"\b" + re.escape(w) + r"(?:s|es)?\b", text) for w in words)


_FONTS = threading.local()


def _font(size: int) -> ImageFont.FreeTypeFont:
    # Per-thread cache: FreeType faces are not safe to share between threads.
    cache = _FONTS.__dict__.setdefault("by_size", {})
    if size not in cache:
        cache[size] = ImageFont.load_default(size=size)
    return cache[size]


def _fit_text(draw: ImageDraw.ImageDraw, text: str, max_w: int, size: int, min_size: int = 16):
    while size > min_size and draw.textlength(text, font=_font(size)) > max_w:
        size -= 2
    font = _font(size)
    while len(text) > 1 and draw.textlength(text, font=font) > max_w:
        text = text[:-2] + "…"
    return text, font


def _lum_arr(x: np.ndarray) -> np.ndarray:
    return x[..., 0] * 0.299 + x[..., 1] * 0.587 + x[..., 2] * 0.114


def _to_img(x: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(x * 255.0 + 0.5, 0, 255).astype(np.uint8))


class _Pen:
    """ImageDraw in design units, scaled by k, so shapes can be drawn at 2x for antialiasing."""

    def __init__(self, img: Image.Image, k: float):
        self.d, self.k = ImageDraw.Draw(img, "RGBA"), k

    def _s(self, pts):
        return [v * self.k for v in pts]

    def _w(self, w):
        return max(1, round(w * self.k)) if w else 0

    def poly(self, pts, fill=None, outline=None, width=0):
        self.d.polygon(self._s(pts), fill=fill, outline=outline, width=self._w(width) or 1)

    def ell(self, box, fill=None, outline=None, width=0):
        self.d.ellipse(self._s(box), fill=fill, outline=outline, width=self._w(width))

    def rect(self, box, fill=None, outline=None, width=0, r=0):
        self.d.rounded_rectangle(self._s(box), radius=r * self.k, fill=fill, outline=outline,
                                 width=self._w(width))

    def line(self, pts, fill, width=1):
        self.d.line(self._s(pts), fill=fill, width=self._w(width), joint="curve")

    def arc(self, box, a0, a1, fill, width=1):
        self.d.arc(self._s(box), a0, a1, fill=fill, width=self._w(width))

    def chord(self, box, a0, a1, fill=None, outline=None, width=0):
        self.d.chord(self._s(box), a0, a1, fill=fill, outline=outline, width=self._w(width))
