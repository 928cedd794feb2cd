"""Image making for the built-in offline provider: character sheets, backdrops, keyframes.

Why it is built this way:

* No network, no weights, no GPU, no cost: everything is drawn procedurally with Pillow and
  numpy (scikit-image only for face detection and the two scores). Every random choice comes
  from a generator seeded by a SHA-256 of the caller's seed and text, never from ``hash()`` or
  global state, and PNGs are written with ``optimize=False`` at a fixed compress level, so the
  same inputs give byte-identical files. The pipeline's caches and tests rely on that.
* Characters must stay recognisable, because the pipeline scores them (``similarity`` for sheets,
  ``locate`` for keyframes) and retries below 0.80, and measures their face against the photo
  (core.faces). So the illustrated look mostly changes *colour* and *fine texture* (Kuwahara
  smoothing, soft cel shading, a luminance-preserving palette tint, thin ink, a faint watercolour
  wash) and leaves the coarse light/dark layout those scores compare. In keyframes each person is
  cut out of their sheet (offline_cutout), lit by the scene with a per-channel gain, and set into
  a medium shot with a cast shadow; ``locate`` compares them under their matte.
* ``similarity`` adds a luminance-layout term to SSIM and the colour histogram: without it two
  people drawn alike but with different skin and hair scored above the retry threshold.
* Drawn characters and settings are picked by keywords in the text, so "a wise old owl" gets
  an owl with spectacles and "harbour town at sunset" gets water, boats and lit windows.
* Flat shapes are drawn at 2x and box-reduced, which is the cheapest antialiasing Pillow has;
  gradients and grading are done once at 1x in numpy. Each call stays well under a second.

This module holds the public API (photos and faces, sheets, keyframes, scores, and the sizes).
The drawing lives in modules it imports from, split by concept to keep files short:
``offline_figures`` (drawn characters), ``offline_settings`` (backdrops: the words read, light,
sky and weather; the families drawn in ``offline_land``, ``offline_places`` and ``offline_rooms``
on the shapes of ``offline_scenery``; what stands in front in ``offline_foreground``),
``offline_cutout`` (people out of their portraits) and ``offline_draw`` (shared plumbing:
geometry, colours, fonts, ``_Pen``, ``_png``, ``_rng``). A keyframe's depth layers are written
by core.render.layers.
"""

from __future__ import annotations

import math
import threading

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from scipy.ndimage import uniform_filter

from core.providers.offline_draw import (FRAME_SIZE, PORTRAIT_BOX, SHEET_SIZE, Palette, _PH, _PW, _RGB,
                                         _by_lum, _colours, _fit_text, _font, _hex, _lum, _lum_arr, _mix,
                                         _png, _rng, _to_img)
from core.media import load_image  # noqa: F401 - part of this module's API (see __all__)
from core.providers.offline_figures import _draw_figure
from core.providers.offline_settings import _finish_frame, _foreground, _scene, _time_of_day

__all__ = ["FRAME_SIZE", "PORTRAIT_BOX", "SHEET_SIZE", "Palette", "compose_keyframe", "draw_setting",
           "face_box", "figure_sheet", "load_image", "locate", "portrait_crop", "sheet_portrait",
           "similarity", "stylize_sheet"]


# --------------------------------------------------------------------------- photos and faces

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
    sheet = load_image(sheet_png)
    if sheet.size != SHEET_SIZE:  # an upscaled (or otherwise resized) sheet: same layout, other scale
        sheet = sheet.resize(SHEET_SIZE, Image.Resampling.LANCZOS)
    return sheet.crop(PORTRAIT_BOX)


def figure_sheet(name: str, description: str, palette: Palette, seed: int) -> bytes:
    cols = _colours(palette)
    text = f"{name} {description}".lower()
    # Identity (species, colours, hair) follows the text so every seed draws the same
    # character; the seed only moves small things (gaze, mouth, background light).
    h, s = _rng("figure", name, description, tuple(cols)), _rng("figure-seed", seed, name, description)
    portrait = _draw_figure(text, cols, h, s)
    return _png(_finish_sheet(_sheet_base(cols, s), portrait, name, cols))


# --------------------------------------------------------------------------- backdrops

def draw_setting(setting: str, mood: str, palette: Palette, seed: int, size=FRAME_SIZE) -> Image.Image:
    img, _ = _scene(setting, mood, palette, seed, tuple(size))
    img = img.reduce(2)
    return _finish_frame(img, _time_of_day(f"{setting} {mood}".lower()) == "night")


# --------------------------------------------------------------------------- keyframes

def _grade_towards(x: np.ndarray, ref: np.ndarray, amount: float):
    """The per-channel map that moves x's mean and spread a fraction of the way to ref's (apply it to x, and to
    any layer of x that must keep the same grade)."""
    mx, sx = x.reshape(-1, 3).mean(0), x.reshape(-1, 3).std(0) + 1e-4
    mr, sr = ref.reshape(-1, 3).mean(0), ref.reshape(-1, 3).std(0) + 1e-4
    return lambda y: (y - mx) / sx * (sx + amount * (sr - sx)) + mx + amount * (mr - mx)


def compose_keyframe(setting: str, mood: str, palette: Palette, sheets: list[bytes],
                     previous: bytes | None, seed: int, strength: float = 1.0,
                     names: list[str] | None = None) -> bytes:
    """A keyframe PNG: the drawn setting, the characters cut out of their sheets standing in it (a card where a
    cut-out fails, said in the picture's note), what stands in front of them, and the depth layers inside the
    PNG for the clip's parallax (core.render.layers)."""
    from core.render import layers as depth

    W, H = FRAME_SIZE
    rng = _rng("keyframe", seed, setting, mood)
    img, ground = _scene(setting, mood, palette, seed, FRAME_SIZE)
    tod = _time_of_day(f"{setting} {mood}".lower())
    plate = _finish_frame(img.reduce(2), tod == "night")
    fore = _foreground(setting, mood, palette, seed, FRAME_SIZE)
    names = list(names or []) + [f"character {i + 1}" for i in range(len(names or []), len(sheets))]
    frame, people, notes = _stage(plate, ground, sheets, names, rng, strength)
    if fore is not None:
        frame = Image.alpha_composite(frame.convert("RGBA"), fore).convert("RGB")
    if previous:
        # Continuity: carry a little of the previous shot's grade into this one (the plate takes the same grade).
        ref = np.asarray(load_image(previous).resize((W // 4, H // 4), Image.Resampling.BOX),
                         dtype=np.float32) / 255.0
        grade = _grade_towards(np.asarray(frame, dtype=np.float32) / 255.0, ref, 0.12)
        frame, plate = _to_img(grade(np.asarray(frame, dtype=np.float32) / 255.0)), \
            _to_img(grade(np.asarray(plate, dtype=np.float32) / 255.0))
        if fore is not None:
            rgb = _to_img(grade(np.asarray(fore.convert("RGB"), dtype=np.float32) / 255.0))
            fore = Image.merge("RGBA", (*rgb.split(), fore.getchannel("A")))
        for person in people:
            person.rgb = _to_img(grade(np.asarray(person.rgb, dtype=np.float32) / 255.0))
    return depth.encode(frame, depth.Layers(plate=plate, people=people, fore=fore), "; ".join(notes))


def _stage(plate: Image.Image, ground: float, sheets: list[bytes], names: list[str], rng: np.random.Generator,
           strength: float):
    """The characters set into the plate, back to front: (frame, their layers, notes on any that fell back).
    Their shadows (and a fallback card's rim) go into `plate` too, which is changed in place.

    A medium shot: each person cut out of the sheet, from the chest up, the frame's bottom edge crossing
    them; the one further back a little smaller and hazier; each casts a soft shadow onto the scene behind,
    away from the light; and each is lit by the scene (a per-channel gain from its sky and ground)."""
    from core.providers.offline_cutout import cut_out
    from core.render.layers import Person

    W, H = FRAME_SIZE
    frame = plate.copy()
    n = len(sheets)
    if not n:
        return frame, [], []
    bg = np.asarray(plate, dtype=np.float32) / 255.0
    light = bg[: int(ground)].reshape(-1, 3).mean(0)
    gain = np.clip(light / max(float(_lum_arr(light)), 1e-3), 0.6, 1.5) * \
        np.clip(float(_lum_arr(light)) / 0.55, 0.45, 1.1)
    gain = 1.0 + 0.7 * float(np.clip(np.nan_to_num(strength), 0.0, 1.0)) * (gain - 1.0)
    haze = bg[int(H * 0.45):int(H * 0.6)].reshape(-1, 3).mean(0)
    aspect = _PW / _PH
    tall = {1: 0.8, 2: 0.78, 3: 0.68}.get(n, 0.6)
    ph = min(int(round(H * tall)), int((W * 1.1 / n) / aspect))  # crowds shrink rather than pile up
    centres = {1: [rng.choice([0.36, 0.64])], 2: [0.29, 0.71], 3: [0.19, 0.5, 0.81]}.get(n) or \
        list(np.linspace(0.5 / n, 1 - 0.5 / n, n))
    # Depth: alternate people stand a step back; those are drawn first, smaller, a touch hazier.
    depth = [0.0 if i % 2 == 0 else 1.0 for i in range(n)] if n > 1 else [0.0]
    order = sorted(range(n), key=lambda i: (-depth[i], i))
    light_x = 1.0 if float(bg[: int(H * 0.5), : W // 2].mean()) > float(bg[: int(H * 0.5), W // 2:].mean()) else -1.0
    people, notes = [], []
    for i in order:
        scale = 1.0 - 0.1 * depth[i]
        h_i = int(round(ph * scale))
        w_i = int(round(h_i * aspect))
        x0 = int(round(W * centres[i] - w_i / 2 + rng.uniform(-8, 8)))
        y0 = int(round(H - h_i + h_i * 0.06 + rng.uniform(-6, 6)))  # the bottom edge crosses the chest
        portrait = sheet_portrait(sheets[i])
        cut = cut_out(portrait)
        por = portrait.resize((w_i, h_i), Image.Resampling.LANCZOS)
        graded = np.asarray(por, dtype=np.float32) / 255.0 * gain
        graded = graded + (haze - graded) * 0.08 * depth[i]
        person = _to_img(graded)
        if cut.ok:
            alpha = cut.alpha.resize((w_i, h_i), Image.Resampling.BILINEAR)
            shadow = alpha.filter(ImageFilter.GaussianBlur(16)).point(lambda v: int(v * 0.42))
            for target in (plate, frame):  # the shadow falls on the scene behind: it moves with the plate
                target.paste((12, 10, 16), (x0 - int(light_x * 22), y0 + 10), shadow)
        else:
            notes.append(f"{names[i]}: {cut.note}; shown as a card")
            alpha = _card(plate, x0, y0, w_i, h_i, light)
            _card(frame, x0, y0, w_i, h_i, light)
        frame.paste(person, (x0, y0), alpha)
        people.append(Person(names[i], (x0, y0, x0 + w_i, y0 + h_i), alpha, person))
    return frame, people, notes


def _card(frame: Image.Image, x0: int, y0: int, pw: int, ph: int, light: np.ndarray) -> Image.Image:
    """The fallback when a cut-out fails: the portrait as a rounded card with a rim and a shadow (drawn into
    `frame`); returns the card's matte."""
    r = int(pw * 0.1)
    shadow = Image.new("L", (pw + 120, 90), 0)
    ImageDraw.Draw(shadow).ellipse((20, 30, pw + 100, 62), fill=150)
    frame.paste((20, 18, 24), (x0 - 60, y0 + ph - 45), shadow.filter(ImageFilter.GaussianBlur(12)))
    outline = _mix((248, 244, 234), tuple(int(v * 255) for v in light), 0.25)
    ImageDraw.Draw(frame).rounded_rectangle((x0 - 3, y0 - 3, x0 + pw + 2, y0 + ph + 2), radius=r + 3, fill=outline)
    mask = Image.new("L", (pw, ph), 0)
    ImageDraw.Draw(mask).rounded_rectangle((1, 1, pw - 2, ph - 2), radius=r, fill=255)
    return mask.filter(ImageFilter.GaussianBlur(1.2))


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


def locate(haystack: Image.Image, needle: Image.Image, mask: Image.Image | None = None) -> float:
    """How well `needle` (a sheet's portrait) appears somewhere in `haystack` (a keyframe), 0..1: the best
    normalised cross-correlation over the scales a character is drawn at. With `mask` (the portrait's cut-out
    matte) only the person is compared, not the sheet's backdrop; and since the person's outline alone then
    matches anyone drawn alike, the colour of the person where it matched counts too (their hues, with
    lightness and the scene's grade largely divided out). The portrait's lowest part, which a keyframe's
    bottom edge crosses, is left out."""
    import cv2

    rgb = haystack.convert("RGB")
    hh = max(1, round(rgb.height * 320 / rgb.width))
    hay_rgb = np.asarray(rgb.resize((320, hh), Image.Resampling.BOX), dtype=np.float32)
    hay_a = np.ascontiguousarray(_lum_arr(hay_rgb))
    nd = needle.convert("RGB")
    aspect = nd.width / max(1, nd.height)
    best, at = 0.0, None
    # 0.05 steps: cards are 55-65% of the frame, cut-outs 60-80%, so one scale always lands close.
    for frac in np.linspace(0.35, 0.9, 12):
        nh = int(round(frac * hh))
        nw = int(round(nh * aspect))
        if nh < 8 or nw < 8 or nh > hh or nw > 320:
            continue
        t_rgb = np.asarray(nd.resize((nw, nh), Image.Resampling.BOX), dtype=np.float32)
        seen = int(nh * 0.86)
        t = np.ascontiguousarray(_lum_arr(t_rgb)[:seen])
        if mask is None:
            if t.std() < 1e-6:
                continue  # a flat template has no correlation to measure
            res = cv2.matchTemplate(hay_a, t, cv2.TM_CCOEFF_NORMED)
            m = None
        else:
            m = np.asarray(mask.convert("L").resize((nw, nh), Image.Resampling.BILINEAR), dtype=np.float32)[:seen]
            m = np.ascontiguousarray(m / 255.0)
            if t[m > 0.5].std() < 1e-3:
                continue
            res = cv2.matchTemplate(hay_a, t, cv2.TM_CCOEFF_NORMED, mask=m)
        res = np.nan_to_num(res, nan=0.0, posinf=0.0, neginf=0.0)
        score = float(res.max())
        if score > best:
            y, x = np.unravel_index(int(res.argmax()), res.shape)
            best, at = score, (x, y, t_rgb[:seen], m)
    if mask is not None and at is not None:
        x, y, t_rgb, m = at
        region = hay_rgb[y:y + t_rgb.shape[0], x:x + t_rgb.shape[1]]
        best *= _hue_agreement(region, t_rgb, m)
    return round(float(np.clip(best, 0.0, 1.0)), 6)


def _hue_agreement(a: np.ndarray, b: np.ndarray, weight: np.ndarray) -> float:
    """1.0 when two pictures of a person have the same colours, less as their chromaticities part: compared
    cell by cell (an 8x8 grid of weighted mean chromaticity, each cell's own mean removed over the grid, so a
    scene's overall tint does not count against it)."""
    # Chromaticity is noise in the dark (and a scene's haze moves it most there): dark pixels count less.
    weight = weight * np.clip(np.minimum(_lum_arr(a), _lum_arr(b)) / 70.0, 0.0, 1.0)

    def cells(x: np.ndarray) -> np.ndarray:
        s = x.sum(-1, keepdims=True) + 1e-3
        chroma = (x / s)[..., :2] * weight[..., None]
        h, w = weight.shape
        ys, xs = np.linspace(0, h, 9).astype(int), np.linspace(0, w, 9).astype(int)
        out, wts = np.zeros((8, 8, 2)), np.zeros((8, 8))
        for i in range(8):
            for j in range(8):
                wsum = weight[ys[i]:ys[i + 1], xs[j]:xs[j + 1]].sum()
                wts[i, j] = wsum
                if wsum > 1e-3:
                    out[i, j] = chroma[ys[i]:ys[i + 1], xs[j]:xs[j + 1]].reshape(-1, 2).sum(0) / wsum
        return out, wts
    ca, wa = cells(a)
    cb, wb = cells(b)
    w = np.minimum(wa, wb)
    if w.sum() < 1e-3:
        return 1.0
    mean_a = (ca * w[..., None]).sum((0, 1)) / w.sum()
    mean_b = (cb * w[..., None]).sum((0, 1)) / w.sum()
    diff = np.linalg.norm((ca - mean_a) - (cb - mean_b), axis=-1)
    d = float((diff * w).sum() / w.sum())
    return float(np.exp(-max(0.0, d - 0.02) / 0.1))
