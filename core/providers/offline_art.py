"""Image making for the built-in offline provider: character sheets, backdrops, keyframes.

Why it is built this way:

* No network, no weights, no GPU, no cost: everything is drawn procedurally with Pillow and
  numpy (scikit-image only for face detection and the two scores). Every random choice comes
  from a generator seeded by a SHA-256 of the caller's seed and text, never from ``hash()`` or
  global state, and PNGs are written with ``optimize=False`` at a fixed compress level, so the
  same inputs give byte-identical files. The pipeline's caches and tests rely on that.
* Characters must stay recognisable, because the pipeline scores them with ``similarity`` and
  ``locate`` and retries below 0.80. So the illustrated look mostly changes *colour* and *fine
  texture* (Kuwahara smoothing, soft cel shading, a luminance-preserving palette tint, thin
  ink, a faint watercolour wash) and leaves the coarse light/dark layout those scores compare.
  In keyframes the characters are rectangular "standees" with rounded corners rather than
  cut-outs, so the whole portrait stays visible to template matching, and their grading is a
  per-channel gain, which normalised cross-correlation does not see.
* ``similarity`` adds a luminance-layout term to SSIM and the colour histogram: without it two
  people drawn alike but with different skin and hair scored above the retry threshold.
* Drawn characters and settings are picked by keywords in the text, so "a wise old owl" gets
  an owl with spectacles and "harbour town at sunset" gets water, boats and lit windows.
* Flat shapes are drawn at 2x and box-reduced, which is the cheapest antialiasing Pillow has;
  gradients and grading are done once at 1x in numpy. Each call stays well under a second.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import threading

import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFilter, ImageFont, ImageOps
from scipy.ndimage import uniform_filter

Palette = list[str]

SHEET_SIZE = (768, 1024)
PORTRAIT_BOX = (64, 64, 704, 784)
FRAME_SIZE = (1280, 720)

_PW, _PH = PORTRAIT_BOX[2] - PORTRAIT_BOX[0], PORTRAIT_BOX[3] - PORTRAIT_BOX[1]
_FALLBACK_PALETTE = ["#22223b", "#4a4e69", "#9a8c98", "#c9ada7", "#f2e9e4"]
_RGB = tuple[int, int, int]


# --------------------------------------------------------------------------- small helpers

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


# --------------------------------------------------------------------------- photos and faces

def load_image(data: bytes) -> Image.Image:
    img = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        # Transparent pixels would turn black in a plain convert; a cut-out reads better on white.
        rgba = img.convert("RGBA")
        img = Image.new("RGB", rgba.size, (255, 255, 255))
        img.paste(rgba, mask=rgba.getchannel("A"))
    return img.convert("RGB")


_CASCADE = None
_CASCADE_LOCK = threading.Lock()


def face_box(img: Image.Image) -> tuple[int, int, int, int] | None:
    from skimage.data import lbp_frontal_face_cascade_filename
    from skimage.feature import Cascade

    global _CASCADE
    gray = img.convert("L")
    scale = min(1.0, 400.0 / max(gray.size))
    if scale < 1.0:
        gray = gray.resize((max(1, round(gray.width * scale)), max(1, round(gray.height * scale))),
                           Image.Resampling.BOX)
    arr = np.asarray(gray, dtype=np.float64) / 255.0
    # Faces under ~12% of the short side are background people; skipping them is also faster.
    m = max(24, int(0.12 * min(arr.shape)))
    if min(arr.shape) < m:
        return None
    with _CASCADE_LOCK:
        if _CASCADE is None:
            _CASCADE = Cascade(lbp_frontal_face_cascade_filename())
        found = _CASCADE.detect_multi_scale(arr, scale_factor=1.25, step_ratio=1,
                                            min_size=(m, m), max_size=arr.shape)
    if not found:
        return None
    d = max(found, key=lambda f: (f["width"] * f["height"], -f["r"], -f["c"]))
    x0, y0 = d["c"] / scale, d["r"] / scale
    x1, y1 = x0 + d["width"] / scale, y0 + d["height"] / scale
    w, h = img.size
    return (max(0, round(x0)), max(0, round(y0)), min(w, round(x1)), min(h, round(y1)))


def portrait_crop(img: Image.Image, box: tuple[int, int, int, int] | None) -> Image.Image:
    img = img.convert("RGB")
    W, H = img.size
    aspect = _PW / _PH
    if box is None:
        # No face: people in photos sit high in the frame, so keep the top and lose the bottom.
        ch = min(H, W / aspect)
        cw = ch * aspect
        left, top = (W - cw) / 2, (H - ch) * 0.2
    else:
        x0, y0, x1, y1 = box
        fh = max(1.0, y1 - y0)
        cx, eye_y = (x0 + x1) / 2, y0 + 0.42 * fh  # LBP boxes put the eyes ~42% down
        ch = fh / 0.45
        # Slightly tighter framing beats padding when the photo is only a bit too small.
        ch = max(min(ch, H, W / aspect), ch * 0.8)
        cw = ch * aspect
        left, top = cx - cw / 2, eye_y - 0.40 * ch
    # Shift inside the photo; if the crop is bigger than the photo, keep the photo fully inside.
    left = min(max(left, 0.0), W - cw) if cw <= W else min(max(left, W - cw), 0.0)
    top = min(max(top, 0.0), H - ch) if ch <= H else min(max(top, H - ch), 0.0)
    if cw <= W + 1e-6 and ch <= H + 1e-6:
        return img.resize((_PW, _PH), Image.Resampling.LANCZOS, box=(left, top, left + cw, top + ch))
    s = _PW / cw
    part = img.resize((max(1, round(W * s)), max(1, round(H * s))), Image.Resampling.LANCZOS)
    ox, oy = round(-left * s), round(-top * s)
    # Extend the photo's own border outwards and blur it (a cover-fit blurred copy was tried but
    # ghosts the face into the padding), then feather the sharp photo in so there is no seam.
    pad = ((max(0, oy), max(0, _PH - oy - part.height)), (max(0, ox), max(0, _PW - ox - part.width)), (0, 0))
    fill = Image.fromarray(np.pad(np.asarray(part), pad, mode="edge")[max(0, -oy):, max(0, -ox):][:_PH, :_PW])
    fill = fill.filter(ImageFilter.GaussianBlur(20))
    mask = Image.new("L", part.size, 0)
    pw, ph = part.size  # feather each side by no more than the padding it borders
    pads = [min(14, max(0, p)) for p in (ox, oy, _PW - ox - pw, _PH - oy - ph)]
    ImageDraw.Draw(mask).rectangle((pads[0], pads[1], pw - 1 - pads[2], ph - 1 - pads[3]), fill=255)
    fill.paste(part, (ox, oy), mask.filter(ImageFilter.GaussianBlur(max(1, max(pads) // 2))))
    return fill


# --------------------------------------------------------------------------- sheets

def _kuwahara(x: np.ndarray, r: int) -> np.ndarray:
    """Kuwahara filter: each pixel takes the mean of its least-varied quadrant, which flattens
    skin and cloth into painted patches while keeping edges sharp. Integral images keep it O(1)
    per pixel."""
    h, w = x.shape[:2]
    lum = _lum_arr(x)
    stack = np.concatenate([x, lum[..., None], (lum * lum)[..., None]], axis=2)
    p = np.pad(stack, ((r, r), (r, r), (0, 0)), mode="edge").astype(np.float32)
    n = r + 1
    # Mean of the n x n window whose top-left corner is each pixel (scipy comes with skimage).
    box = uniform_filter(p, size=(n, n, 1), origin=(-(n // 2), -(n // 2), 0), mode="nearest")
    quads = np.stack([box[0:h, 0:w], box[0:h, r:r + w], box[r:r + h, 0:w], box[r:r + h, r:r + w]])
    pick = (quads[..., 4] - quads[..., 3] ** 2).argmin(0)
    return np.take_along_axis(quads[..., :3], pick[None, ..., None], 0)[0]


def _sobel(lum: np.ndarray) -> np.ndarray:
    p = np.pad(lum, 1, mode="edge")
    gx = (p[:-2, 2:] + 2 * p[1:-1, 2:] + p[2:, 2:]) - (p[:-2, :-2] + 2 * p[1:-1, :-2] + p[2:, :-2])
    gy = (p[2:, :-2] + 2 * p[2:, 1:-1] + p[2:, 2:]) - (p[:-2, :-2] + 2 * p[:-2, 1:-1] + p[:-2, 2:])
    return np.hypot(gx, gy)


def _stylize(crop: Image.Image, cols: list[_RGB], s: float, rng: np.random.Generator) -> Image.Image:
    x = np.asarray(crop, dtype=np.float32) / 255.0
    art = _kuwahara(x, 2 + int(round(3 * s)))
    lum = _lum_arr(art)
    # Ink comes from the painted (not cel-shaded) image, lightly blurred, so lines follow real
    # contours rather than shading bands or leftover texture.
    soft = Image.fromarray((lum * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.2))
    mag = _sobel(np.asarray(soft, dtype=np.float32) / 255.0)
    t0 = max(0.22, float(np.percentile(mag[::3, ::3], 92)))  # a strided sample is plenty
    ink_img = Image.fromarray((np.clip((mag - t0) / t0, 0, 1) * 255).astype(np.uint8))
    if rng.random() < 0.5:
        ink_img = ink_img.filter(ImageFilter.MaxFilter(3))  # the seed picks a heavier pen
    ink = np.asarray(ink_img.filter(ImageFilter.GaussianBlur(0.6)), dtype=np.float32)[..., None] / 255.0
    # Soft cel shading: luminance pulled towards a few bands with wide ramps between them.
    f = lum * 5.0
    snapped = (np.floor(f) + np.clip((f - np.floor(f) - 0.25) / 0.5, 0, 1)) / 5.0
    cel = lum + 0.5 * s * (snapped - lum)
    art = art * ((cel + 1e-3) / (lum + 1e-3))[..., None]
    lum = cel
    # Palette tint as a gradient map with its own luminance removed, so it recolours without
    # moving the light/dark structure that makes the face recognisable.
    ramp = np.array(_by_lum(cols), dtype=np.float32) / 255.0
    lo, hi = np.percentile(lum[::3, ::3], [2, 98])
    t = np.clip((lum - lo) / max(hi - lo, 1e-3), 0, 1)
    grad = np.stack([np.interp(t, np.linspace(0, 1, 5), ramp[:, c]) for c in range(3)], axis=-1)
    tinted = grad - _lum_arr(grad)[..., None] + lum[..., None]
    # Saturated pixels (skin, clothes) keep more of their own colour: a teal palette washing a
    # face grey-green reads as illness, not style. Neutral backdrops take the full tint.
    sat = (art.max(-1) - art.min(-1)) / (art.max(-1) + 1e-3)
    keep = 1.0 - 0.65 * np.clip(sat / 0.5, 0, 1)
    art = art + (0.42 * s * keep)[..., None] * (tinted - art)
    art = lum[..., None] + (art - lum[..., None]) * (1 + 0.2 * s)
    # Watercolour-paper blotches: low-frequency, so flat areas look painted while the 64 px
    # comparison in similarity() averages them away.
    h, w = lum.shape
    blot = sum(wt * (np.asarray(Image.fromarray((rng.random((h // f, w // f)) * 255).astype(np.uint8))
                                .resize((w, h), Image.Resampling.BICUBIC), dtype=np.float32) / 255.0 - 0.5)
               for f, wt in ((64, 1.0), (24, 0.4)))
    art = art * (1.0 + 0.08 * s * blot)[..., None]
    ink_col = np.array(_mix(_by_lum(cols)[0], (0, 0, 0), 0.6), dtype=np.float32) / 255.0
    art = art + 0.85 * s * ink * (ink_col - art)
    return _to_img(art)


def _sheet_base(cols: list[_RGB], rng: np.random.Generator) -> Image.Image:
    w, h = SHEET_SIZE
    ang = rng.uniform(0, 2 * math.pi)
    xx, yy = np.arange(w, dtype=np.float32)[None, :], np.arange(h, dtype=np.float32)[:, None]
    t = ((xx / w - 0.5) * math.cos(ang) + (yy / h - 0.5) * math.sin(ang)) / 1.42 + 0.5
    grey = np.array([232, 231, 228], np.float32)
    tint = np.array(_by_lum(cols)[2], np.float32)
    out = grey + (tint - grey) * (0.05 + 0.16 * t)[..., None]
    return Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8))


def _finish_sheet(sheet: Image.Image, portrait: Image.Image, name: str, cols: list[_RGB]) -> Image.Image:
    bl, bt, br, bb = PORTRAIT_BOX
    dark = _by_lum(cols)[0]
    if _lum(dark) > 70:  # the label must stay readable whatever the palette
        dark = _mix(dark, (0, 0, 0), 0.55)
    shadow = Image.new("L", SHEET_SIZE, 0)
    ImageDraw.Draw(shadow).rectangle((bl + 2, bt + 8, br + 2, bb + 10), fill=90)
    sheet.paste((40, 38, 36), (0, 0), shadow.filter(ImageFilter.GaussianBlur(9)))
    sheet.paste(portrait.convert("RGB").resize((_PW, _PH)), (bl, bt))
    d = ImageDraw.Draw(sheet)
    d.rectangle((bl - 4, bt - 4, br + 3, bb + 3), outline=dark, width=2)
    d.rounded_rectangle((bl, 804, br, 878), radius=12, fill=dark)
    text, font = _fit_text(d, (name or "").strip() or "Untitled", br - bl - 48, 46)
    light = (250, 247, 240) if _lum(_by_lum(cols)[-1]) < 200 else _by_lum(cols)[-1]
    d.text(((bl + br) / 2, 841), text, font=font, fill=light, anchor="mm")
    gap, sw = 14, (br - bl - 4 * 14) / 5
    for i, c in enumerate(cols):
        x0 = bl + i * (sw + gap)
        d.rounded_rectangle((x0, 902, x0 + sw, 966), radius=10, fill=c,
                            outline=_mix(c, (0, 0, 0), 0.35), width=2)
        d.text((x0 + sw / 2, 976), _hex(c), font=_font(16), fill=(90, 88, 84), anchor="mt")
    return sheet


def stylize_sheet(photo: bytes, name: str, palette: Palette, strength: float, seed: int) -> bytes:
    img = load_image(photo)
    cols = _colours(palette)
    rng = _rng("sheet", seed, name, tuple(cols))
    s = float(np.clip(np.nan_to_num(strength), 0.0, 1.0))
    if max(img.size) > 2048:  # phone photos: a fast box reduce first, nothing needs 12 MP here
        img = img.reduce(math.ceil(max(img.size) / 2048))
    art = _stylize(portrait_crop(img, face_box(img)), cols, s, rng)
    return _png(_finish_sheet(_sheet_base(cols, rng), art, name, cols))


def sheet_portrait(sheet_png: bytes) -> Image.Image:
    return load_image(sheet_png).crop(PORTRAIT_BOX)


# --------------------------------------------------------------------------- drawn characters

_SKINS = [(255, 224, 196), (241, 194, 160), (224, 172, 130), (198, 134, 96), (141, 85, 54), (96, 62, 42)]
_HAIRS = [(40, 30, 25), (90, 56, 32), (160, 100, 50), (215, 170, 90), (120, 40, 25), (30, 30, 38)]
_IRISES = [(92, 60, 35), (60, 110, 160), (70, 120, 70), (130, 100, 50)]
_FURS = {"fox": (214, 110, 40), "wolf": (130, 130, 140), "cat": (150, 150, 155), "dog": (170, 120, 70),
         "bear": (120, 80, 50), "rabbit": (215, 205, 195), "mouse": (160, 150, 150)}
_CREATURES = [("owl", ("owl", "bird")), ("robot", ("robot", "android", "automaton", "machine", "mech")),
              ("fox", ("fox",)), ("wolf", ("wolf",)), ("cat", ("cat", "kitten")), ("dog", ("dog", "puppy")),
              ("bear", ("bear",)), ("rabbit", ("rabbit", "bunny", "hare")), ("mouse", ("mouse", "rat"))]


def _ell_pts(cx, cy, rx, ry, a0, a1, n=24) -> list[float]:
    pts: list[float] = []
    for a in np.linspace(math.radians(a0), math.radians(a1), n):
        pts += [cx + rx * math.cos(a), cy + ry * math.sin(a)]
    return pts


def _silhouette(pen: _Pen, shapes, fill, line, width=5):
    """Outline the union of several shapes: all outlined first, then all filled on top, so the
    inner seams vanish and only the outer contour keeps its line."""
    for kind, geo in shapes:
        getattr(pen, kind)(geo, fill=fill, outline=line, width=width)
    for kind, geo in shapes:
        getattr(pen, kind)(geo, fill=fill)


def _draw_eye(pen: _Pen, cx, cy, rx, ry, iris, line, look=0.0):
    pen.ell((cx - rx, cy - ry, cx + rx, cy + ry), fill=(252, 250, 245), outline=line, width=3)
    ir = min(rx, ry) * 0.85
    ix = cx + look * rx * 0.3
    pen.ell((ix - ir, cy - ir, ix + ir, cy + ir), fill=iris)
    pen.ell((ix - ir * 0.5, cy - ir * 0.5, ix + ir * 0.5, cy + ir * 0.5), fill=(20, 16, 14))
    pen.ell((ix - ir * 0.55, cy - ir * 0.6, ix - ir * 0.05, cy - ir * 0.1), fill=(255, 255, 255))


def _draw_person(pen, text, cols, h, s, line):
    skin = _SKINS[h.integers(len(_SKINS))]
    hair = (205, 205, 210) if _has(text, "old", "elder", "grey", "gray", "wise", "grand") else \
        _mix(_HAIRS[h.integers(len(_HAIRS))], _by_lum(cols)[0], 0.2)
    cloth, accent = _by_lum(cols)[1 + h.integers(3)], cols[h.integers(5)]
    shade = _mix(skin, (60, 30, 30), 0.18)
    style = ["short", "long", "bun", "curly", "bob"][h.integers(5)]
    if _has(text, "long hair", "princess", "witch"):
        style = "long"
    if style in ("long", "bob"):
        pen.rect((186, 170, 454, 560 if style == "long" else 440), fill=hair, outline=line, width=5, r=90)
    pen.ell((80, 530, 560, 1010), fill=cloth, outline=line, width=5)
    pen.rect((284, 410, 356, 560), fill=shade, outline=line, width=4, r=18)
    pen.poly([262, 536, 320, 620, 378, 536], fill=shade)
    pen.poly([250, 530, 320, 612, 290, 640, 232, 560], fill=_mix(cloth, (255, 255, 255), 0.25), outline=line, width=3)
    pen.poly([390, 530, 320, 612, 350, 640, 408, 560], fill=_mix(cloth, (255, 255, 255), 0.25), outline=line, width=3)
    if _has(text, "scarf", "cloak", "cape"):
        pen.rect((246, 500, 394, 556), fill=accent, outline=line, width=4, r=26)
    for ex in (200, 440):
        pen.ell((ex - 24, 284, ex + 24, 350), fill=skin, outline=line, width=4)
    pen.ell((208, 160, 432, 452), fill=skin, outline=line, width=5)
    if _has(text, "beard", "bearded", "wizard"):
        pen.poly(_ell_pts(320, 330, 112, 125, 0, 180) + [216, 330, 250, 390, 320, 402, 390, 390, 424, 330],
                 fill=hair, outline=line, width=4)
    cap = _ell_pts(320, 300, 124, 152, 180, 360)
    fringe = {"short": [430, 268, 400, 228, 330, 214, 262, 236, 214, 292],
              "long": [434, 300, 420, 244, 320, 236, 220, 244, 206, 300],
              "bob": [434, 290, 420, 240, 320, 232, 220, 240, 206, 290],
              "bun": [430, 262, 380, 212, 320, 204, 260, 212, 210, 262]}.get(style, [432, 262, 320, 226, 208, 262])
    pen.poly(cap + fringe, fill=hair, outline=line, width=5)
    if style == "bun":
        pen.ell((276, 92, 364, 176), fill=hair, outline=line, width=5)
    if style == "curly":
        for a in range(185, 360, 22):
            x, y = 320 + 122 * math.cos(math.radians(a)), 290 + 140 * math.sin(math.radians(a))
            pen.ell((x - 34, y - 34, x + 34, y + 34), fill=hair, outline=line, width=4)
        pen.poly(cap + [432, 262, 320, 232, 208, 262], fill=hair)
    brow = _mix(hair, (0, 0, 0), 0.35)
    look, iris = float(s.uniform(-0.6, 0.6)), _IRISES[h.integers(len(_IRISES))]
    for ex, sgn in ((272, 1), (368, -1)):
        pen.line([ex - 24, 286 - sgn * 2, ex + 24, 286 + sgn * 2], fill=brow, width=7)
        _draw_eye(pen, ex, 316, 24, 15, iris, line, look)
    pen.line([322, 330, 310, 370, 328, 374], fill=shade, width=5)
    for cx in (250, 390):
        pen.ell((cx - 24, 364, cx + 24, 388), fill=(240, 110, 110, 70))
    if s.random() < 0.5:
        pen.arc((284, 372, 356, 418), 20, 160, fill=(150, 55, 55), width=6)
    else:
        pen.chord((290, 380, 350, 420), 0, 180, fill=(150, 55, 55), outline=line, width=3)
    if _has(text, "glasses", "spectacles", "scholar", "professor"):
        for ex in (272, 368):
            pen.ell((ex - 36, 288, ex + 36, 346), outline=(70, 60, 50), width=5)
        pen.line([308, 312, 332, 312], fill=(70, 60, 50), width=5)
    if _has(text, "hat", "wizard", "captain", "sailor"):
        pen.ell((170, 186, 470, 236), fill=accent, outline=line, width=5)
        pen.poly([232, 212, 270, 70, 380, 70, 408, 212] if not _has(text, "wizard") else
                 [228, 212, 350, -10, 412, 212], fill=accent, outline=line, width=5)


def _draw_animal(pen, kind, text, cols, h, s, line):
    fur = _mix(_FURS[kind], cols[h.integers(5)], 0.25 if kind == "fox" else 0.35)
    light = _mix(fur, (255, 250, 240), 0.75)
    dark = _mix(fur, (30, 20, 20), 0.45)
    inner = (236, 160, 160) if kind in ("cat", "rabbit", "mouse") else dark
    if kind in ("fox", "wolf", "cat"):
        tall = 90 if kind != "cat" else 130
        ears = [("poly", [196, 250, 214, tall, 300, 196]), ("poly", [444, 250, 426, tall, 340, 196])]
    elif kind == "rabbit":
        ears = [("ell", (226, 0, 292, 250)), ("ell", (348, 0, 414, 250))]
    else:
        ears = [("ell", (180, 130, 280, 230)), ("ell", (360, 130, 460, 230))]
    body = [("ell", (110, 500, 530, 1000))]
    head = [("ell", (186, 170, 454, 440))]
    if kind in ("fox", "wolf", "cat"):
        head += [("poly", [200, 330, 150, 410, 262, 410]), ("poly", [440, 330, 490, 410, 378, 410])]
    _silhouette(pen, ears + body + head, fur, line)
    pen.ell((226, 520, 414, 780), fill=light)
    if h.random() < 0.6:
        sc = cols[h.integers(5)]
        pen.poly([200, 470, 440, 470, 420, 540, 320, 600, 220, 540], fill=sc, outline=line, width=4)
    for kind_, geo in ears:
        if kind_ == "poly":
            g = list(geo)
            pen.poly([g[0] * 0.7 + g[2] * 0.3 + (8 if g[0] < 320 else -8), g[1] - 10, g[2], g[3] + 40,
                      g[4] * 0.8 + g[2] * 0.2, g[5]], fill=inner)
        else:
            cx, cy = (geo[0] + geo[2]) / 2, (geo[1] + geo[3]) / 2
            rx, ry = (geo[2] - geo[0]) * 0.25, (geo[3] - geo[1]) * 0.3
            pen.ell((cx - rx, cy - ry, cx + rx, cy + ry), fill=inner)
    if kind in ("fox", "wolf"):
        pen.poly([232, 350, 320, 322, 408, 350, 420, 394, 320, 446, 220, 394], fill=light)
    else:
        pen.ell((262, 340, 378, 430), fill=light)
    look = float(s.uniform(-0.5, 0.5))
    for ex in (266, 374):
        pen.ell((ex - 21, 282, ex + 21, 330), fill=(30, 24, 22))
        pen.ell((ex - 10 + look * 8, 290, ex + 2 + look * 8, 304), fill=(255, 255, 255))
    pen.ell((300, 350, 340, 376), fill=(40, 30, 30))
    pen.arc((290, 362, 322, 398), 10, 150, fill=line, width=4)
    pen.arc((318, 362, 350, 398), 30, 170, fill=line, width=4)
    if kind in ("cat", "mouse", "rabbit"):
        for dy in (-8, 8):
            pen.line([240, 380 + dy, 170, 372 + dy * 2], fill=line, width=3)
            pen.line([400, 380 + dy, 470, 372 + dy * 2], fill=line, width=3)


def _draw_owl(pen, text, cols, h, s, line):
    feather = _mix((140, 100, 70), cols[h.integers(5)], 0.4)
    dark, light = _mix(feather, (30, 20, 15), 0.4), _mix(feather, (255, 248, 235), 0.7)
    iris = _mix((240, 170, 40), _by_lum(cols)[-2], 0.3)
    for x0 in (100, 390):
        pen.ell((x0, 380, x0 + 150, 720), fill=dark, outline=line, width=5)
    body = [("ell", (140, 150, 500, 780)), ("poly", [180, 250, 150, 100, 270, 190]),
            ("poly", [460, 250, 490, 100, 370, 190])]
    _silhouette(pen, body, feather, line)
    pen.ell((210, 420, 430, 770), fill=light)
    for row, y in enumerate(range(470, 740, 42)):
        for x in range(240 + (row % 2) * 22, 410, 44):
            pen.arc((x - 14, y - 10, x + 14, y + 12), 20, 160, fill=dark, width=4)
    for ex in (258, 382):
        pen.ell((ex - 76, 230, ex + 76, 382), fill=light, outline=_mix(light, line, 0.3), width=3)
    look = float(s.uniform(-0.4, 0.4))
    for ex in (258, 382):
        pen.ell((ex - 48, 258, ex + 48, 354), fill=iris, outline=line, width=4)
        pen.ell((ex - 26 + look * 10, 280, ex + 26 + look * 10, 332), fill=(20, 16, 14))
        pen.ell((ex - 18 + look * 10, 286, ex - 4 + look * 10, 300), fill=(255, 255, 255))
    pen.line([190, 232, 300, 262], fill=dark, width=8)
    pen.line([450, 232, 340, 262], fill=dark, width=8)
    pen.poly([300, 340, 340, 340, 320, 392], fill=(232, 160, 50), outline=line, width=3)
    if _has(text, "wise", "glasses", "spectacles", "scholar", "professor"):
        for ex in (258, 382):
            pen.ell((ex - 56, 250, ex + 56, 362), outline=(190, 150, 60), width=5)
        pen.arc((300, 280, 340, 320), 200, 340, fill=(190, 150, 60), width=5)
    for fx in (270, 370):
        for dx in (-18, 0, 18):
            pen.ell((fx + dx - 9, 690, fx + dx + 9, 730), fill=(232, 160, 50), outline=line, width=3)


def _draw_robot(pen, text, cols, h, s, line):
    metal = _mix((172, 180, 190), cols[h.integers(5)], 0.35)
    dark, shine = _mix(metal, (20, 24, 30), 0.45), _mix(metal, (255, 255, 255), 0.45)
    glow = _mix((120, 230, 255), _by_lum(cols)[-1], 0.3)
    accent = cols[h.integers(5)]
    pen.line([320, 150, 320, 92], fill=line, width=6)
    pen.ell((300, 64, 340, 104), fill=accent, outline=line, width=4)
    pen.rect((130, 450, 510, 900), fill=metal, outline=line, width=5, r=50)
    pen.rect((286, 396, 354, 460), fill=dark, outline=line, width=4)
    for y in (412, 428, 444):
        pen.line([290, y, 350, y], fill=line, width=3)
    for x0 in (160, 446):
        pen.rect((x0, 226, x0 + 34, 330), fill=dark, outline=line, width=4, r=10)
    pen.rect((186, 146, 454, 404), fill=metal, outline=line, width=5, r=34)
    pen.rect((206, 160, 300, 176), fill=shine, r=8)
    pen.rect((216, 222, 424, 310), fill=(28, 34, 44), outline=line, width=4, r=22)
    for ex in (270, 370):
        pen.ell((ex - 30, 238, ex + 30, 294), fill=_mix(glow, (28, 34, 44), 0.5))
        pen.ell((ex - 20, 246, ex + 20, 286), fill=glow)
        pen.ell((ex - 12, 252, ex - 2, 262), fill=(255, 255, 255))
    pen.rect((262, 334, 378, 372), fill=dark, outline=line, width=4, r=10)
    for x in range(280, 370, 16):
        pen.line([x, 340, x, 366], fill=line, width=3)
    for bx, by in ((206, 166), (434, 166), (206, 384), (434, 384)):
        pen.ell((bx - 7, by - 7, bx + 7, by + 7), fill=dark)
    pen.rect((220, 500, 420, 650), fill=dark, outline=line, width=4, r=16)
    for i, bx in enumerate((262, 320, 378)):
        pen.ell((bx - 18, 528, bx + 18, 564), fill=cols[(h.integers(5) + i) % 5], outline=line, width=3)
    pen.ell((276, 580, 364, 640), fill=shine, outline=line, width=3)
    a = math.radians(200 + s.uniform(0, 140))
    pen.line([320, 612, 320 + 34 * math.cos(a), 612 + 24 * math.sin(a)], fill=line, width=4)


def figure_sheet(name: str, description: str, palette: Palette, seed: int) -> bytes:
    cols = _colours(palette)
    text = f"{name} {description}".lower()
    # Identity (species, colours, hair) follows the text so every seed draws the same
    # character; the seed only moves small things (gaze, mouth, background light).
    h, s = _rng("figure", name, description, tuple(cols)), _rng("figure-seed", seed, name, description)
    kind = next((k for k, words in _CREATURES if _is(text, *words)), "person")
    k = 2
    yy, xx = np.mgrid[0:_PH, 0:_PW].astype(np.float32)
    top, bottom = np.array(_by_lum(cols)[-1], np.float32), np.array(_by_lum(cols)[2], np.float32)
    cx, cy = s.uniform(0.3, 0.7) * _PW, s.uniform(0.25, 0.45) * _PH
    halo = np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * (0.35 * _PW) ** 2)))[..., None]
    t = (yy / _PH)[..., None]
    bg = top * (1 - 0.45 * t) + bottom * 0.45 * t
    bg = bg * (0.9 + 0.1 * halo) + 255 * 0.08 * halo
    canvas = _to_img(bg / 255.0).resize((_PW * k, _PH * k), Image.Resampling.BILINEAR)
    pen = _Pen(canvas, k)
    line = _mix(_by_lum(cols)[0], (0, 0, 0), 0.5)
    if kind == "person":
        _draw_person(pen, text, cols, h, s, line)
    elif kind == "owl":
        _draw_owl(pen, text, cols, h, s, line)
    elif kind == "robot":
        _draw_robot(pen, text, cols, h, s, line)
    else:
        _draw_animal(pen, kind, text, cols, h, s, line)
    portrait = canvas.reduce(k)
    return _png(_finish_sheet(_sheet_base(cols, s), portrait, name, cols))


# --------------------------------------------------------------------------- backdrops

_SKY = {  # (zenith, horizon, sun or moon) per time of day
    "day": ((92, 148, 208), (210, 228, 236), (255, 250, 228)),
    "dusk": ((56, 50, 108), (248, 170, 112), (255, 214, 150)),
    "night": ((8, 12, 34), (40, 54, 94), (236, 234, 218)),
}
_INDOOR = ("room", "interior", "workshop", "kitchen", "library", "inside", "office", "studio",
           "shop", "attic", "bedroom", "hall", "cabin", "tavern", "inn", "cellar", "study", "lab")


def _time_of_day(text: str) -> str:
    if _has(text, "night", "midnight", "moon", "dark", "star", "nocturn"):
        return "night"
    if _has(text, "dusk", "sunset", "dawn", "sunrise", "evening", "twilight", "golden", "autumn", "fall"):
        return "dusk"
    return "day"


def _ridge(w, base, amp, rng, n=4) -> np.ndarray:
    x = np.linspace(0, 1, 65)
    y = np.full_like(x, base)
    for i in range(n):
        y += amp / (i + 1) * np.sin(2 * math.pi * (rng.uniform(0.4, 1.2) * (i + 1) * x + rng.uniform(0, 1)))
    return np.stack([x * w, y], 1)


def _fill_below(pen, pts: np.ndarray, bottom, fill):
    w = pts[-1, 0]
    pen.poly(list(pts.ravel()) + [w + 4, bottom, -4, bottom], fill=fill)


def _tree(pen, x, base, ht, col, conifer, trunk):
    pen.rect((x - ht * 0.04, base - ht * 0.3, x + ht * 0.04, base), fill=trunk)
    if conifer:
        for i in range(3):
            y0, wd = base - ht * (0.22 + 0.26 * i), ht * (0.36 - 0.08 * i)
            pen.poly([x - wd, y0, x, y0 - ht * 0.42, x + wd, y0], fill=col)
    else:
        r = ht * 0.26
        for dx, dy, rr in ((0, 0.62, 1.0), (-0.55, 0.45, 0.75), (0.55, 0.45, 0.75), (0, 0.85, 0.7)):
            cx, cy = x + dx * r, base - dy * ht
            pen.ell((cx - r * rr, cy - r * rr, cx + r * rr, cy + r * rr), fill=col)


def _buildings(pen, w, base, hmin, hmax, col, win, rng, k, pitched, lit):
    x = -rng.uniform(0, 40)
    while x < w:
        bw, bh = rng.uniform(56, 130) * k, rng.uniform(hmin, hmax)
        c = _mix(col, (255, 255, 255), rng.uniform(-0.05, 0.08)) if k > 0.8 else col
        pen.rect((x, base - bh, x + bw, base + 2), fill=c)
        if pitched:
            pen.poly([x - 6 * k, base - bh, x + bw / 2, base - bh - bw * 0.45, x + bw + 6 * k, base - bh], fill=c)
        elif rng.random() < 0.3:
            pen.rect((x + bw * 0.6, base - bh - 22 * k, x + bw * 0.7, base - bh), fill=c)
        if win is not None:
            for wy in np.arange(base - bh + 18 * k, base - 24 * k, 34 * k):
                for wx in np.arange(x + 12 * k, x + bw - 20 * k, 26 * k):
                    on = rng.random() < lit
                    pen.rect((wx, wy, wx + 12 * k, wy + 18 * k), fill=win if on else _mix(c, (20, 20, 30), 0.35))
        x += bw + rng.uniform(-4, 14) * k


def _interior(pen, text, tod, cols, W, H, rng, sky_cols):
    lo = _by_lum(cols)
    wall = _mix((214, 196, 170), lo[3], 0.3)
    floor_y = H * 0.70
    pen.rect((0, 0, W, floor_y), fill=wall)
    for x in np.arange(0, W, 44):
        pen.rect((x, 0, x + 20, floor_y), fill=(*_mix(wall, (90, 60, 40), 0.5), 18))
    pen.rect((0, H * 0.48, W, floor_y), fill=_mix(wall, lo[1], 0.45))
    pen.rect((0, H * 0.47, W, H * 0.49), fill=_mix(wall, (60, 40, 30), 0.5))
    wood = _mix((120, 78, 48), lo[1], 0.3)
    pen.rect((0, floor_y, W, H), fill=wood)
    for i in range(-12, 13):
        pen.line([W / 2 + i * 60, floor_y, W / 2 + i * 260, H], fill=_mix(wood, (0, 0, 0), 0.25), width=2)
    y = floor_y
    while y < H:
        pen.line([0, y, W, y], fill=_mix(wood, (0, 0, 0), 0.2), width=2)
        y += 8 + (y - floor_y) * 0.35
    pen.rect((0, floor_y - 6, W, floor_y + 4), fill=_mix(wood, (0, 0, 0), 0.35))
    wx = W * (0.08 if rng.random() < 0.5 else 0.72)
    ww, wt, wb = W * 0.2, H * 0.1, H * 0.42
    for i in range(12):
        pen.rect((wx, wt + (wb - wt) * i / 12, wx + ww, wt + (wb - wt) * (i + 1) / 12 + 1),
                 fill=_mix(sky_cols[0], sky_cols[1], i / 11))
    _fill_below(pen, _ridge(ww, wb - 30, 10, rng) + [wx, 0], wb, _mix(sky_cols[1], (40, 60, 40), 0.5))
    frame = _mix(wood, (255, 255, 255), 0.15)
    pen.rect((wx, wt, wx + ww, wb), outline=frame, width=10)
    pen.line([wx + ww / 2, wt, wx + ww / 2, wb], fill=frame, width=7)
    pen.line([wx, (wt + wb) / 2, wx + ww, (wt + wb) / 2], fill=frame, width=7)
    pen.rect((wx - 16, wb, wx + ww + 16, wb + 14), fill=frame)
    if tod != "night":
        pen.poly([wx, wb, wx + ww, wb, wx + ww * 1.7, H, wx + ww * 0.3, H], fill=(255, 240, 200, 26))
    else:
        pen.line([W * 0.5, 0, W * 0.5, H * 0.12], fill=(40, 30, 25), width=3)
        for r, a in ((260, 10), (160, 18), (70, 40)):
            pen.ell((W * 0.5 - r, H * 0.14 - r, W * 0.5 + r, H * 0.14 + r), fill=(255, 210, 140, a))
        pen.chord((W * 0.5 - 40, H * 0.1, W * 0.5 + 40, H * 0.18), 180, 360, fill=(60, 45, 35))
    busy = 2 if _has(text, "clutter", "messy", "crowded", "busy") else 1
    sx = W * 0.38 if wx < W * 0.5 else W * 0.08
    for sy in (H * 0.18, H * 0.33)[:1 + (busy > 1)]:
        pen.rect((sx, sy, sx + W * 0.22, sy + 10), fill=_mix(wood, (0, 0, 0), 0.2))
        bx = sx + 8
        while bx < sx + W * 0.22 - 30:
            bw, bh = rng.uniform(12, 26), rng.uniform(40, 70)
            pen.rect((bx, sy - bh, bx + bw, sy), fill=cols[rng.integers(5)], outline=(40, 30, 25), width=1)
            bx += bw + rng.uniform(1, 6)
    brass = _mix((190, 150, 70), lo[2], 0.2)
    if _has(text, "clock", "watch", "workshop", "tinker", "inventor", "mechanic", "gear"):
        for _ in range(3 * busy + 1):
            r = rng.uniform(26, 58)
            cx, cy = rng.uniform(r + 10, W - r - 10), rng.uniform(H * 0.08, H * 0.42)
            if (wx - r < cx < wx + ww + r and cy < wb + r) or sx - r < cx < sx + W * 0.22 + r:
                continue  # keep the window and the shelves clear
            pen.ell((cx - r, cy - r, cx + r, cy + r), fill=brass, outline=(60, 40, 20), width=3)
            pen.ell((cx - r * 0.8, cy - r * 0.8, cx + r * 0.8, cy + r * 0.8), fill=(246, 238, 218))
            for t in range(12):
                a = t * math.pi / 6
                pen.line([cx + r * 0.62 * math.cos(a), cy + r * 0.62 * math.sin(a),
                          cx + r * 0.74 * math.cos(a), cy + r * 0.74 * math.sin(a)], fill=(50, 40, 30), width=2)
            for ln, a in ((0.45, rng.uniform(0, 6.3)), (0.65, rng.uniform(0, 6.3))):
                pen.line([cx, cy, cx + r * ln * math.cos(a), cy + r * ln * math.sin(a)], fill=(30, 24, 20), width=3)
        for _ in range(2 * busy):
            r, cx, cy = rng.uniform(20, 44), rng.uniform(0, W), rng.uniform(H * 0.5, H * 0.66)
            teeth = []
            for t in range(32):
                a, rr = t * math.pi / 16, r * (1.0 if t % 4 < 2 else 0.78)
                teeth += [cx + rr * math.cos(a), cy + rr * math.sin(a)]
            pen.poly(teeth, fill=_mix(brass, (0, 0, 0), 0.15), outline=(60, 40, 20), width=2)
            pen.ell((cx - r * 0.3, cy - r * 0.3, cx + r * 0.3, cy + r * 0.3), fill=_mix(wall, lo[1], 0.45))
        bx0 = W * 0.74 if wx < W * 0.5 else W * 0.02
        pen.rect((bx0, H * 0.66, bx0 + W * 0.24, H * 0.7), fill=_mix(wood, (255, 255, 255), 0.1),
                 outline=(40, 25, 15), width=2)
        for lx in (bx0 + 12, bx0 + W * 0.24 - 24):
            pen.rect((lx, H * 0.7, lx + 12, H * 0.95), fill=_mix(wood, (0, 0, 0), 0.3))
        for _ in range(3 * busy):
            tx = bx0 + rng.uniform(10, W * 0.22)
            pen.rect((tx, H * 0.66 - rng.uniform(10, 40), tx + rng.uniform(14, 40), H * 0.66),
                     fill=cols[rng.integers(5)])
    else:
        pen.ell((W * 0.25, H * 0.8, W * 0.75, H * 0.97), fill=(*lo[1], 200))
    return H * 0.93


def _scene(setting: str, mood: str, palette: Palette, seed: int, size) -> tuple[Image.Image, float]:
    """Backdrop at 2x `size`, and the y (in 1280-wide design units) where characters stand."""
    w, h = int(size[0]), int(size[1])
    W, H = 1280.0, 1280.0 * h / w  # design units: element sizes are tuned for a 1280-wide frame
    text, place = f"{setting} {mood}".lower(), (setting or "").lower()
    cols = _colours(palette)
    lo = _by_lum(cols)
    rng = _rng("scene", seed, setting, mood, tuple(cols))
    tod = _time_of_day(text)
    zen, hor, sun = _SKY[tod]
    zen, hor = _mix(zen, lo[1], 0.25), _mix(hor, lo[-1], 0.3)
    hy = H * rng.uniform(0.52, 0.58)
    sx, sy = W * rng.uniform(0.15, 0.85), {"day": 0.18, "dusk": 0.45, "night": 0.16}[tod] * H
    # Sky and sun glow in numpy at 1x; shapes go on a 2x canvas and are box-reduced.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) * np.float32(W / w)
    t = np.clip(yy / hy, 0, 1)[..., None] ** 1.4
    sky = np.array(zen, np.float32) * (1 - t) + np.array(hor, np.float32) * t
    d2 = ((xx - sx) ** 2 + (yy - sy) ** 2) / (W * W)
    glow = (0.55 * np.exp(-d2 / 0.004) + (0.35 if tod == "dusk" else 0.15) * np.exp(-d2 / 0.05))[..., None]
    sky = sky + (np.array(sun, np.float32) - sky) * np.clip(glow, 0, 1)
    img = _to_img(sky / 255.0).resize((w * 2, h * 2), Image.Resampling.BILINEAR)
    pen = _Pen(img, 2 * w / W)
    night_dim = {"day": 1.0, "dusk": 0.8, "night": 0.4}[tod]

    def C(c, depth=0.0):  # object colour lit for the time of day, then hazed with distance
        c = _mix(c, (40, 50, 90) if tod == "night" else (255, 150, 90), 0.25 if tod != "day" else 0)
        return _mix(tuple(int(v * night_dim) for v in c), hor, depth)

    if tod == "night" and not _has(text, "rain", "storm", "cloud", "fog"):
        for _ in range(int(rng.integers(60, 110))):
            x, y, r = rng.uniform(0, W), rng.uniform(0, hy * 0.8), rng.uniform(0.6, 1.8)
            pen.ell((x - r, y - r, x + r, y + r), fill=(255, 250, 235, int(rng.integers(120, 255))))
    sr = 26 if tod == "night" else 38
    pen.ell((sx - sr, sy - sr, sx + sr, sy + sr), fill=sun)
    if tod != "night":
        for _ in range(int(rng.integers(2, 5))):
            cx, cy, cw = rng.uniform(0, W), rng.uniform(H * 0.06, hy * 0.6), rng.uniform(90, 200)
            for dx, dy, r in ((0, 0, 0.35), (-0.3, 0.08, 0.25), (0.3, 0.06, 0.28), (0.12, -0.1, 0.24)):
                pen.ell((cx + dx * cw - r * cw, cy + dy * cw - r * cw * 0.5, cx + dx * cw + r * cw,
                         cy + dy * cw + r * cw * 0.5), fill=(*_mix((255, 255, 255), sun, 0.3), 110))
    if _has(place, *_INDOOR):
        return img, _interior(pen, text, tod, cols, W, H, rng, (zen, hor))
    green = _mix((86, 120, 70), lo[2], 0.25)
    autumn = _has(text, "autumn", "fall")
    water = _has(place, "harbour", "harbor", "sea", "ocean", "lake", "port", "bay", "beach", "river", "dock", "coast")
    town = _has(place, "town", "city", "street", "village", "market", "alley", "harbour", "harbor", "port")
    forest = _has(place, "forest", "tree", "wood", "jungle", "grove", "orchard")
    mountain = _has(place, "mountain", "peak", "alp", "cliff", "snow", "glacier")
    desert = _has(place, "desert", "dune", "sand", "canyon")
    ground = green
    for cond, col in ((autumn, _mix((170, 110, 50), lo[2], 0.3)), (water, _mix((120, 96, 70), lo[1], 0.3)),
                      (town and not water, _mix((150, 140, 128), lo[1], 0.2)), (desert, (214, 178, 120)),
                      (_has(place, "snow", "ice", "winter"), (236, 240, 246))):
        ground = col if cond else ground  # later entries win: snow beats desert beats town...
    _fill_below(pen, _ridge(W, hy - H * 0.05, H * 0.03, rng), H, C(_mix(green, lo[1], 0.4), 0.8))
    if mountain:
        for depth, top, n in ((0.6, 0.22, 4), (0.35, 0.32, 3)):
            for px in np.sort(rng.uniform(0, W, n)):
                pk, wd = H * rng.uniform(top, top + 0.1), rng.uniform(120, 260)
                pen.poly([px - wd, hy, px, pk, px + wd, hy], fill=C((110, 112, 130), depth))
                pen.poly([px - wd * 0.28, pk + (hy - pk) * 0.28, px, pk, px + wd * 0.28, pk + (hy - pk) * 0.28,
                          px + wd * 0.1, pk + (hy - pk) * 0.2, px - wd * 0.05, pk + (hy - pk) * 0.3],
                         fill=C((245, 245, 250), depth * 0.8))
        _fill_below(pen, _ridge(W, hy + H * 0.03, H * 0.025, rng, 3), H, C(ground, 0.35))
    if desert:
        for depth, base in ((0.55, hy), (0.3, hy + H * 0.06)):
            mx, mw, mh = rng.uniform(0, W), rng.uniform(120, 260), rng.uniform(70, 130) * (1.2 - depth)
            pen.poly([mx - mw, base + 20, mx - mw * 0.75, base - mh, mx + mw * 0.65, base - mh, mx + mw,
                      base + 20], fill=C((176, 84, 50), depth))
            pen.rect((mx - mw * 0.75, base - mh, mx + mw * 0.65, base - mh + 8), fill=C((206, 120, 80), depth))
            _fill_below(pen, _ridge(W, base, H * 0.035, rng, 2), H, C((226, 180, 120), depth))
    lit = {"day": 0.0, "dusk": 0.35, "night": 0.6}[tod]
    win = _mix((255, 214, 120), sun, 0.2) if tod != "day" else None
    shore = H * 0.8 if water else H * 0.74
    if town:
        base = hy + 4 if water else shore
        _buildings(pen, W, base - (0 if water else H * 0.05), 60, 160, C(lo[1], 0.55), None, rng, 0.7,
                   not _has(place, "city"), 0)
        _buildings(pen, W, base, 80, 220 if water else 260, C(_mix(lo[1], (120, 100, 90), 0.4), 0.25),
                   win or C((200, 220, 230), 0.2), rng, 1.0, not _has(place, "city"), lit or 0.15)
    if forest:
        fol = [(200, 90, 30), (222, 140, 40), (170, 52, 30), (230, 178, 60)] if autumn else \
              [(60, 110, 60), (40, 90, 60), (90, 130, 70)]
        for depth, n, hmin, hmax, by in ((0.7, 34, 50, 90, hy + 4), (0.5, 26, 80, 140, hy + H * 0.05),
                                         (0.3, 16, 130, 210, hy + H * 0.11)):
            for x in np.sort(rng.uniform(-30, W + 30, n)):
                _tree(pen, x, by + rng.uniform(-4, 8), rng.uniform(hmin, hmax),
                      C(_mix(fol[rng.integers(len(fol))], lo[2], 0.2), depth), rng.random() < 0.45,
                      C((70, 50, 40), depth))
    if not (town or forest or mountain or desert or water):
        for depth, base in ((0.6, hy + H * 0.02), (0.4, hy + H * 0.08), (0.2, hy + H * 0.14)):
            _fill_below(pen, _ridge(W, base, H * 0.03, rng, 3), H, C(_mix(green, lo[2], 0.3), depth))
    if water:
        sea = _mix((40, 110, 140), lo[1], 0.35)
        n = 24
        for i in range(n):
            y0 = hy + (shore - hy) * i / n
            pen.rect((0, y0, W, hy + (shore - hy) * (i + 1) / n + 1), fill=C(_mix(hor, sea, 0.5 + 0.5 * i / n), 0))
        windy = _has(text, "wind", "storm", "gale")
        for _ in range(140 if windy else 80):
            y = rng.uniform(hy + 4, shore)
            near = (y - hy) / (shore - hy)
            x = sx + rng.normal(0, W * 0.08) if rng.random() < 0.4 else rng.uniform(0, W)
            ln = rng.uniform(10, 40) * (0.4 + near)
            pen.line([x - ln, y, x + ln, y], fill=(*_mix(hor, (255, 255, 255), 0.4), 150), width=2)
        for _ in range(int(rng.integers(2, 5))):
            by = rng.uniform(hy + 12, shore - 20)
            sc = 0.4 + (by - hy) / (shore - hy)
            bx, bw = rng.uniform(40, W - 40), 90 * sc
            hull = C(_mix((120, 60, 40), lo[0], 0.3), 0.2)
            pen.poly([bx - bw / 2, by, bx + bw / 2, by, bx + bw * 0.36, by + 16 * sc, bx - bw * 0.36, by + 16 * sc],
                     fill=hull)
            pen.line([bx, by, bx, by - 90 * sc], fill=hull, width=max(1, 2 * sc))
            pen.poly([bx + 3, by - 86 * sc, bx + 3, by - 8 * sc, bx + bw * (0.45 if not windy else 0.55), by - 10 * sc],
                     fill=C((246, 238, 222), 0.15))
            for j in range(4):
                pen.line([bx - bw * 0.3, by + 20 * sc + j * 5, bx + bw * 0.3, by + 20 * sc + j * 5],
                         fill=(*hull, 90 - j * 20), width=2)
    top = _ridge(W, shore, H * 0.008 if (water or town) else H * 0.02, rng, 2)
    _fill_below(pen, top, H, C(ground))
    if water:
        for y in np.arange(shore + 18, H, 22):
            pen.line([0, y, W, y], fill=C(_mix(ground, (0, 0, 0), 0.25)), width=2)
        for x in (W * 0.06, W * 0.94):
            pen.rect((x - 16, shore - 40, x + 16, shore + 30), fill=C((50, 45, 45)), r=8)
    elif town:
        for y in np.arange(shore + 14, H, 26):
            off = rng.uniform(0, 40)
            for x in np.arange(-off, W, 52):
                pen.rect((x, y, x + 46, y + 20), outline=C(_mix(ground, (0, 0, 0), 0.2)), width=2, r=4)
        lx = W * (0.05 if rng.random() < 0.5 else 0.95)
        pen.rect((lx - 5, H * 0.3, lx + 5, shore + 40), fill=C((40, 40, 45)))
        pen.ell((lx - 16, H * 0.3 - 26, lx + 16, H * 0.3 + 6), fill=win or C((230, 230, 220)))
    else:
        for _ in range(160):
            x, y = rng.uniform(0, W), rng.uniform(shore + 10, H)
            pen.line([x, y, x + rng.uniform(-4, 4), y - rng.uniform(6, 14)],
                     fill=(*C(_mix(ground, (0, 0, 0), 0.3)), 160), width=2)
        for _ in range(0 if (forest or desert or mountain) else 50):
            x, y, r = rng.uniform(0, W), rng.uniform(shore + 16, H), rng.uniform(3, 6)
            pen.ell((x - r, y - r, x + r, y + r), fill=C(_mix(cols[rng.integers(5)], (255, 255, 255), 0.3)))
    if forest:
        for x in (rng.uniform(-60, 90), rng.uniform(W - 90, W + 60)):
            _tree(pen, x, H + 20, rng.uniform(520, 680), C(_mix(fol[rng.integers(len(fol))], lo[0], 0.45)),
                  rng.random() < 0.5, C((60, 40, 30)))
    _weather(pen, text, W, H, rng)
    return img, H * 0.93


def _weather(pen, text, W, H, rng):
    if _has(text, "rain", "storm", "drizzle"):
        for _ in range(260):
            x, y, ln = rng.uniform(-40, W), rng.uniform(-20, H), rng.uniform(14, 30)
            pen.line([x, y, x + ln * 0.25, y + ln], fill=(210, 220, 240, 70), width=1)
    if _has(text, "snow", "blizzard", "winter"):
        for _ in range(160):
            x, y, r = rng.uniform(0, W), rng.uniform(0, H), rng.uniform(1.2, 3.2)
            pen.ell((x - r, y - r, x + r, y + r), fill=(255, 255, 255, 190))
    if _has(text, "enchant", "magic", "fairy", "mystic", "spell"):
        for _ in range(60):
            x, y, r = rng.uniform(0, W), rng.uniform(H * 0.3, H * 0.9), rng.uniform(2, 4)
            for rr, a in ((r * 4, 30), (r, 230)):
                pen.ell((x - rr, y - rr, x + rr, y + rr), fill=(255, 236, 150, a))


def _finish_frame(img: Image.Image, tod_dark: bool) -> Image.Image:
    x = np.asarray(img, dtype=np.float32) / 255.0
    h, w = x.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) * 2
    return _to_img(x * (1 - (0.28 if tod_dark else 0.18) * r2)[..., None])


def draw_setting(setting: str, mood: str, palette: Palette, seed: int, size=FRAME_SIZE) -> Image.Image:
    img, _ = _scene(setting, mood, palette, seed, tuple(size))
    img = img.reduce(2)
    return _finish_frame(img, _time_of_day(f"{setting} {mood}".lower()) == "night")


# --------------------------------------------------------------------------- keyframes

def _grade_towards(x: np.ndarray, ref: np.ndarray, amount: float) -> np.ndarray:
    """Move per-channel mean and spread of x a fraction of the way to ref's."""
    mx, sx = x.reshape(-1, 3).mean(0), x.reshape(-1, 3).std(0) + 1e-4
    mr, sr = ref.reshape(-1, 3).mean(0), ref.reshape(-1, 3).std(0) + 1e-4
    return (x - mx) / sx * (sx + amount * (sr - sx)) + mx + amount * (mr - mx)


def compose_keyframe(setting: str, mood: str, palette: Palette, sheets: list[bytes],
                     previous: bytes | None, seed: int, strength: float = 1.0) -> bytes:
    W, H = FRAME_SIZE
    rng = _rng("keyframe", seed, setting, mood)
    img, ground = _scene(setting, mood, palette, seed, FRAME_SIZE)
    tod = _time_of_day(f"{setting} {mood}".lower())
    frame = _finish_frame(img.reduce(2), tod == "night")
    n = len(sheets)
    if n:
        aspect = _PW / _PH
        ph = int(round(H * (0.6 if n <= 2 else 0.55)))
        ph = min(ph, int((W * 0.94 / n - 16) / aspect))  # crowds shrink rather than overlap
        pw = int(round(ph * aspect))
        centres = {1: [rng.choice([0.38, 0.62])], 2: [0.27, 0.73], 3: [0.2, 0.5, 0.8]}.get(n) or \
            list(np.linspace(0.5 / n, 1 - 0.5 / n, n))
        bg = np.asarray(frame, dtype=np.float32) / 255.0
        # Scene light as a per-channel gain (not a mean shift), so faces keep their contrast and
        # normalised cross-correlation in locate() barely notices the grade.
        light = bg[: int(ground)].reshape(-1, 3).mean(0)
        gain = np.clip(light / max(float(_lum_arr(light)), 1e-3), 0.6, 1.5) * \
            np.clip(float(_lum_arr(light)) / 0.55, 0.45, 1.1)
        gain = 1.0 + 0.7 * float(np.clip(np.nan_to_num(strength), 0.0, 1.0)) * (gain - 1.0)
        r = int(pw * 0.1)
        outline = _mix((248, 244, 234), tuple(int(v * 255) for v in light), 0.25)
        for i, sheet in enumerate(sheets):
            por = sheet_portrait(sheet).resize((pw, ph), Image.Resampling.LANCZOS)
            x0 = int(round(W * centres[i] - pw / 2))
            y0 = int(round(ground - ph + rng.uniform(-6, 6)))
            shadow = Image.new("L", (pw + 120, 90), 0)
            ImageDraw.Draw(shadow).ellipse((20, 30, pw + 100, 62), fill=150)
            frame.paste((20, 18, 24), (x0 - 60 + int(rng.uniform(-20, 20)), y0 + ph - 45),
                        shadow.filter(ImageFilter.GaussianBlur(12)))
            graded = _to_img(np.asarray(por, dtype=np.float32) / 255.0 * gain)
            mask = Image.new("L", (pw, ph), 0)
            ImageDraw.Draw(mask).rounded_rectangle((1, 1, pw - 2, ph - 2), radius=r, fill=255)
            frame.paste(graded, (x0, y0), mask.filter(ImageFilter.GaussianBlur(1.2)))
            d = ImageDraw.Draw(frame)
            d.rounded_rectangle((x0, y0, x0 + pw - 1, y0 + ph - 1), radius=r, outline=outline, width=3)
            # A little foot so the card reads as a standee on the ground, not a pasted photo.
            base = tuple(int(v * 255 * 0.3) for v in light)
            d.polygon([(x0 + pw * 0.3, y0 + ph - 4), (x0 + pw * 0.7, y0 + ph - 4),
                       (x0 + pw * 0.76, y0 + ph + 12), (x0 + pw * 0.24, y0 + ph + 12)], fill=base)
    if previous:
        # Continuity: carry a little of the previous shot's grade into this one.
        x = np.asarray(frame, dtype=np.float32) / 255.0
        ref = np.asarray(load_image(previous).resize((W // 4, H // 4), Image.Resampling.BOX),
                         dtype=np.float32) / 255.0
        frame = _to_img(_grade_towards(x, ref, 0.12))
    return _png(frame)


# --------------------------------------------------------------------------- scores

def similarity(a: Image.Image, b: Image.Image) -> float:
    from skimage.metrics import structural_similarity

    # BOX (area) resampling: at 64 px, fine ink and noise should average out, not alias.
    xa = np.asarray(a.convert("RGB").resize((64, 64), Image.Resampling.BOX)).astype(np.float64)
    xb = np.asarray(b.convert("RGB").resize((64, 64), Image.Resampling.BOX)).astype(np.float64)
    ga, gb = _lum_arr(xa), _lum_arr(xb)
    ssim01 = (float(structural_similarity(ga, gb, data_range=255.0)) + 1.0) / 2.0

    def hist(x: np.ndarray) -> np.ndarray:
        q = x.astype(np.int64) >> 5
        h = np.bincount((q[..., 0] * 64 + q[..., 1] * 8 + q[..., 2]).ravel(), minlength=512)
        return h / h.sum()

    inter = float(np.minimum(hist(xa), hist(xb)).sum())
    # SSIM barely notices a region changing brightness when it stays flat, and the histogram
    # is dominated by a shared backdrop, so two people drawn alike but with different skin and
    # hair scored ~0.8 on those two alone. The correlation of 16x16 luminance layouts tells
    # them apart (~0.85 for such a pair, >0.97 for a photo and its own luminance-preserving
    # stylisation) and ignores any global grade.
    la = ga.reshape(16, 4, 16, 4).mean((1, 3)).ravel()
    lb = gb.reshape(16, 4, 16, 4).mean((1, 3)).ravel()
    if la.std() < 1e-6 or lb.std() < 1e-6:
        corr = 1.0 if la.std() < 1e-6 and lb.std() < 1e-6 and abs(la.mean() - lb.mean()) < 8 else 0.0
    else:
        corr = float(np.corrcoef(la, lb)[0, 1])
    layout = float(np.clip((corr - 0.85) / 0.15, 0.0, 1.0))
    return round(float(np.clip(0.5 * ssim01 + 0.15 * inter + 0.35 * layout, 0.0, 1.0)), 6)


def locate(haystack: Image.Image, needle: Image.Image) -> float:
    from skimage.feature import match_template

    hay = haystack.convert("L")
    hh = max(1, round(hay.height * 320 / hay.width))
    hay_a = np.asarray(hay.resize((320, hh), Image.Resampling.BOX), dtype=np.float64)
    nd = needle.convert("L")
    aspect = nd.width / max(1, nd.height)
    best = 0.0
    # 0.05 steps: keyframe standees are 55-65% of the frame, so one scale always lands close.
    for frac in np.linspace(0.35, 0.75, 9):
        nh = int(round(frac * hh))
        nw = int(round(nh * aspect))
        if nh < 8 or nw < 8 or nh > hh or nw > 320:
            continue
        t = np.asarray(nd.resize((nw, nh), Image.Resampling.BOX), dtype=np.float64)
        if t.std() < 1e-6:
            continue  # a flat template has no correlation to measure
        res = match_template(hay_a, t)
        best = max(best, float(np.nanmax(res)))
    return round(float(np.clip(best, 0.0, 1.0)), 6)
