"""The shared stage for the offline backdrops: the light every family draws through, and the shapes they share
(ridges, trees, mountains, grass, paths, water, boats, houses).

Why it exists: ``offline_settings`` reads the words (which family of place, what time of day, what weather),
paints the sky in numpy and lays weather over the top; the families themselves live in ``offline_land``,
``offline_places`` and ``offline_rooms``. They all draw on the 2x pen through a ``Stage``, whose ``C`` lights a
colour for the hour and weather and hazes it with distance, whose ``veil`` lays mist between depth planes and
whose ``glow`` and ``beam`` add light, so a storm over the harbour and fog in the forest come from one light
model rather than per-family special cases. Every random choice comes from the stage's generator, so the same
inputs draw the same picture.
"""

from __future__ import annotations

import math
import re

import numpy as np

from core.providers.offline_draw import _Pen, _lum, _mix

_PATTERNS: dict[str, re.Pattern] = {}


def _find(text: str, words: str) -> int:
    """Where the first of `words` occurs in `text` (-1 if none): whole words, "_" for a space, "*" any ending."""
    pat = _PATTERNS.get(words)
    if pat is None:
        alts = [re.escape(w[:-1]).replace("_", r"\s+") + r"\w*" if w.endswith("*") else
                re.escape(w).replace("_", r"\s+") + r"(?:s|es)?" for w in words.split()]
        pat = _PATTERNS[words] = re.compile(r"\b(?:" + "|".join(alts) + r")\b")
    m = pat.search(text)
    return m.start() if m else -1


class Pen(_Pen):
    """The 2x pen, taking a box's corners in either order."""

    def rect(self, box, fill=None, outline=None, width=0, r=0):
        x0, y0, x1, y1 = box
        super().rect((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)), fill, outline, width, r)

    def ell(self, box, fill=None, outline=None, width=0):
        x0, y0, x1, y1 = box
        super().ell((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)), fill, outline, width)


class Stage:
    """One backdrop being drawn: pen, frame (design units), words, generator, palette and the light."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def C(self, c, depth=0.0):
        """A surface colour lit for the hour and weather, then hazed towards the horizon with distance."""
        c = _mix(c, self.tint, self.tint_amt)
        g = _lum(c)
        c = _mix(c, (g, g, g), self.desat)
        c = tuple(int(v * self.dim) for v in c)
        return _mix(c, self.haze, min(1.0, self.fog_min + depth ** self.fog_pow * self.fog))

    def E(self, c, depth=0.0):
        """A light source (a lit window, a lamp): not dimmed by night, only hazed."""
        return _mix(c, self.haze, min(1.0, depth * self.fog * 0.5))

    def P(self, c, i, t=0.25):
        """A base colour pulled towards the film's palette (`i` indexes it darkest first)."""
        return _mix(c, self.lo[i], t)

    def veil(self, y, up, a=0.5):
        """Mist lying on a depth plane: the haze colour, strongest at `y`, fading out `up` units above it."""
        a = min(0.9, a * self.mist)
        if a < 0.02:
            return
        k, d = self.pen.k, self.pen.d
        y0, y1, right = int(round((y - up) * k)), int(round(y * k)), int(self.W * k) + 2
        for py in range(max(0, y0), y1, 2):  # whole pixel rows, so bands neither overlap nor gap
            t = (py - y0) / max(1, y1 - y0)
            d.rectangle((0, py, right, py + 1), fill=(*self.haze, int(round(255 * a * t ** 1.6))))
        d.rectangle((0, max(0, y1), right, int(round((y + up * 0.25) * k))), fill=(*self.haze, int(255 * a * 0.6)))

    def glow(self, x, y, r, col, a=1.0, ry=None):
        """A soft light (screen-blended, falling off smoothly), `ry` for an oval one such as a pool on the road."""
        ry = ry or r

        def f(X, Y):
            d2 = ((X - x) / r) ** 2 + ((Y - y) / ry) ** 2
            return a * (0.55 * np.exp(-d2 * 4) + 0.45 * np.exp(-d2 * 40))
        self._light((x - r, y - ry, x + r, y + ry), f, col)

    def beam(self, x, y, ang, spread, length, col, a=1.0):
        """A cone of light from (x, y) along `ang` (radians), fading with distance."""
        ex, ey = x + math.cos(ang) * length, y + math.sin(ang) * length
        wd = length * math.tan(spread) * 1.5

        def f(X, Y):
            dx, dy = X - x, Y - y
            along = dx * math.cos(ang) + dy * math.sin(ang)
            across = -dx * math.sin(ang) + dy * math.cos(ang)
            cone = np.exp(-(across / (np.abs(along) * math.tan(spread) + 4)) ** 2)
            return a * cone * np.clip(1 - along / length, 0, 1) ** 1.2 * (along > 0)
        self._light((min(x, ex) - wd, min(y, ey) - wd, max(x, ex) + wd, max(y, ey) + wd), f, col)

    def _light(self, box, f, col):
        from PIL import Image, ImageChops

        k, img = self.pen.k, self.img
        x0, y0 = max(0, int(box[0] * k)), max(0, int(box[1] * k))
        x1, y1 = min(img.width, int(box[2] * k) + 1), min(img.height, int(box[3] * k) + 1)
        if x1 - x0 < 2 or y1 - y0 < 2:
            return
        q = 4  # the light is smooth, so work it out at a quarter of the 2x canvas and scale up
        gw, gh = max(2, (x1 - x0) // q), max(2, (y1 - y0) // q)
        X = (x0 + (np.arange(gw, dtype=np.float32) + 0.5) * (x1 - x0) / gw)[None, :] / k
        Y = (y0 + (np.arange(gh, dtype=np.float32) + 0.5) * (y1 - y0) / gh)[:, None] / k
        inten = np.clip(f(X, Y), 0, 1)[..., None] * (np.array(col, np.float32)[None, None, :])
        light = Image.fromarray(inten.astype(np.uint8)).resize((x1 - x0, y1 - y0), Image.Resampling.BILINEAR)
        region = img.crop((x0, y0, x1, y1)).convert("RGB")
        img.paste(ImageChops.screen(region, light).convert(img.mode), (x0, y0))

    def light_side(self, x):
        return 1.0 if self.sun[0] > x else -1.0


# --------------------------------------------------------------------------- shared shapes

def _ridge(w, base, amp, rng, n=4) -> np.ndarray:
    x = np.linspace(0, 1, 65)
    y = np.full_like(x, base)
    for i in range(n):
        y += amp / (i + 1) * np.sin(2 * math.pi * (rng.uniform(0.4, 1.2) * (i + 1) * x + rng.uniform(0, 1)))
    return np.stack([x * w, y], 1)


def _fill_below(pen, pts: np.ndarray, bottom, fill):
    w = pts[-1, 0]
    pen.poly(list(pts.ravel()) + [w + 4, bottom, -4, bottom], fill=fill)


def _at(pts, x):
    return float(np.interp(x, pts[:, 0], pts[:, 1]))


def _tree(S, x, base, ht, depth, fol, pine, lean=0.0, snow=False):
    """A tree lit from the sun's side: a shaded crown with a lit flank, or a layered pine; `lean` bends it."""
    pen, side = S.pen, S.light_side(x)
    col = S.C(fol, depth)
    dark, lit = S.C(_mix(fol, (10, 20, 30), 0.35), depth), S.C(_mix(fol, (255, 240, 190), 0.22), depth)
    trunk = S.C(S.P((84, 60, 44), 0, 0.3), depth)
    top = x + lean * ht * 0.35
    if pine:
        pen.poly([x - ht * 0.03, base, top - ht * 0.012, base - ht * 0.9, x + ht * 0.03, base], fill=trunk)
        for i in range(4):
            f = i / 4
            y0, wd = base - ht * (0.16 + 0.2 * i), ht * (0.3 - 0.06 * i)
            cx, tip = x + (top - x) * (f + 0.25), base - ht * (0.5 + 0.17 * i)
            pen.poly([cx - wd + lean * 8, y0, cx, tip, cx + wd + lean * 8, y0], fill=dark)
            pen.poly([cx, tip, cx + side * wd + lean * 8, y0, cx + side * wd * 0.2, y0 + ht * 0.02], fill=col)
            if snow:
                pen.poly([cx - wd * 0.55, y0 - ht * 0.08, cx, tip, cx + wd * 0.5, y0 - ht * 0.1, cx, y0 - ht * 0.05],
                         fill=S.C((240, 244, 250), depth))
        return
    tw = ht * 0.035
    pen.poly([x - tw, base, x + tw, base, top + tw * 0.6, base - ht * 0.6, top - tw * 0.6, base - ht * 0.6], fill=trunk)
    r = ht * 0.25
    blobs = [(0, 0.66, 1.0), (-0.6, 0.5, 0.72), (0.6, 0.5, 0.74), (0, 0.88, 0.72), (-0.35, 0.8, 0.6), (0.38, 0.78, 0.6)]
    for dx, dy, rr in blobs:
        cx, cy = top + dx * r, base - dy * ht
        pen.ell((cx - r * rr, cy - r * rr * 0.9, cx + r * rr, cy + r * rr * 0.9), fill=dark)
    for dx, dy, rr in blobs[:4]:
        cx, cy = top + dx * r + side * r * 0.28, base - dy * ht - r * 0.18
        pen.ell((cx - r * rr * 0.7, cy - r * rr * 0.6, cx + r * rr * 0.7, cy + r * rr * 0.6), fill=col)
    cx, cy = top + side * r * 0.55, base - ht * 0.8
    pen.ell((cx - r * 0.35, cy - r * 0.28, cx + r * 0.35, cy + r * 0.28), fill=lit)
    if snow:
        pen.ell((top - r * 0.7, base - ht * 1.05, top + r * 0.7, base - ht * 0.9), fill=S.C((240, 244, 250), depth))


def _mountains(S, base, top, n, depth, snow=True):
    """A range of peaks, each with a lit face towards the sun, a shadowed face and a jagged snowcap."""
    pen, rng, W = S.pen, S.rng, S.W
    rock = S.P((112, 116, 138), 1, 0.25)
    for px in np.sort(rng.uniform(-60, W + 60, n)):
        pk, wl, wr = base - (base - top) * rng.uniform(0.55, 1.0), rng.uniform(110, 260), rng.uniform(110, 260)
        mid = (px + rng.uniform(-0.15, 0.15) * (wl + wr), base)
        lit_left = S.sun[0] < px
        pen.poly([px - wl, base, px, pk, *mid],
                 fill=S.C(_mix(rock, (255, 250, 240), 0.18 if lit_left else -0.2), depth))
        pen.poly([*mid, px, pk, px + wr, base],
                 fill=S.C(_mix(rock, (255, 250, 240), -0.2 if lit_left else 0.18), depth))
        if snow:
            f = rng.uniform(0.22, 0.36)
            ys = pk + (base - pk) * f
            pts = [px - wl * f, ys]
            for i in range(1, 6):
                t = i / 6
                pts += [px - wl * f + (wl + wr) * f * t, ys + (base - pk) * rng.uniform(-0.08, 0.06)]
            pen.poly([px, pk] + pts[:2] + pts[2:] + [px + wr * f, ys],
                     fill=S.C((246, 248, 252) if lit_left else (214, 224, 240), depth * 0.85))
            pen.poly([px, pk, px + wr * f, ys, px + wr * f * 0.3, ys],
                     fill=S.C((200, 212, 236) if lit_left else (246, 248, 252), depth * 0.85))


def _grass(S, y0, y1, col, n=160, h=12, lean=0.0):
    pen, rng = S.pen, S.rng
    for _ in range(n):
        x, y = rng.uniform(0, S.W), rng.uniform(y0, y1)
        s = 0.5 + (y - y0) / max(1.0, y1 - y0)
        pen.line([x, y, x + (rng.uniform(-3, 3) + lean * 8) * s, y - rng.uniform(0.5, 1.0) * h * s],
                 fill=(*col, 170), width=max(1, round(1.6 * s)))


def _path(S, x_near, y_far, x_far, col, w_near=200):
    """A winding path from the bottom edge to the distance, narrowing with perspective."""
    H, rng = S.H, S.rng
    ph = rng.uniform(0, 6.3)
    left, right = [], []
    for i in range(21):
        t = i / 20
        y = H + 4 - (H + 4 - y_far) * t
        x = x_near + (x_far - x_near) * t + 60 * math.sin(ph + t * 5) * (1 - t)
        w = 6 + w_near * (1 - t) ** 1.6
        left += [x - w, y]
        right = [x + w, y] + right
    S.pen.poly(left + right, fill=col)


def _sea(S, y0, y1, sea, rough=0.0, glitter=True):
    """Water from the horizon `y0` to `y1`: bands from hazy to deep, the sun's path, and waves."""
    pen, rng, W = S.pen, S.rng, S.W
    for i in range(24):
        t = i / 24
        pen.rect((0, y0 + (y1 - y0) * t, W, y0 + (y1 - y0) * (i + 1) / 24 + 1), fill=S.C(sea, 0.85 * (1 - t) ** 1.5))
    foam = S.C((236, 242, 246), 0.2)
    sx = S.sun[0]
    show_sun = glitter and S.weather in ("clear", "cloudy", "snow") and S.sun[1] < y0
    for _ in range(int(90 + 200 * rough)):
        y = y0 + (y1 - y0) * rng.random() ** 1.3
        near = (y - y0) / (y1 - y0)
        on_path = show_sun and rng.random() < 0.5
        x = sx + rng.normal(0, 16 + 60 * near) if on_path else rng.uniform(0, W)
        ln = rng.uniform(6, 26) * (0.3 + near * 1.5)
        col = (*S.E(_mix(S.sun_col, (255, 255, 255), 0.3)), 210) if on_path else \
            (*_mix(S.C(sea, 0.3), (255, 255, 255), 0.28 + 0.3 * rough), 120)
        pen.line([x - ln, y, x + ln, y], fill=col, width=max(1, 1 + near * 2))
    for _ in range(int(160 * rough)):
        y = y0 + (y1 - y0) * rng.random() ** 0.8
        near = (y - y0) / (y1 - y0)
        x, ln = rng.uniform(0, W), rng.uniform(10, 40) * (0.3 + near)
        pen.poly([x - ln, y, x - ln * 0.2, y - ln * 0.3 * (0.5 + near), x + ln * 0.6, y], fill=(*foam, 200))


def _boat(S, x, y, sc, depth, windy=False):
    pen = S.pen
    hull = S.C(S.P((120, 64, 44), 0, 0.3), depth)
    bw = 90 * sc
    pen.poly([x - bw / 2, y, x + bw / 2, y - 4 * sc, x + bw * 0.38, y + 16 * sc, x - bw * 0.36, y + 16 * sc], fill=hull)
    pen.rect((x - bw / 2, y - 1, x + bw / 2, y + 3 * sc), fill=S.C((230, 224, 210), depth))
    pen.line([x, y, x, y - 96 * sc], fill=hull, width=max(1, 2.5 * sc))
    sail = S.C((248, 240, 224), depth)
    pen.poly([x + 3 * sc, y - 92 * sc, x + 3 * sc, y - 8 * sc, x + bw * (0.58 if windy else 0.44), y - 10 * sc],
             fill=sail)
    pen.poly([x - 3 * sc, y - 80 * sc, x - 3 * sc, y - 10 * sc, x - bw * 0.3, y - 10 * sc],
             fill=S.C(_mix((248, 240, 224), (0, 0, 0), 0.15), depth))
    for j in range(4):
        pen.line([x - bw * 0.3, y + 20 * sc + j * 5 * sc, x + bw * 0.3, y + 20 * sc + j * 5 * sc],
                 fill=(*hull, 80 - j * 18), width=max(1, 2 * sc))


def _house(S, x, base, w, h, depth, wall, roof, lit, snow=False):
    pen, rng = S.pen, S.rng
    pen.rect((x, base - h, x + w, base + 2), fill=S.C(wall, depth))
    pen.poly([x - w * 0.08, base - h, x + w / 2, base - h - w * 0.45, x + w * 1.08, base - h], fill=S.C(roof, depth))
    if snow:
        pen.poly([x - w * 0.08, base - h, x + w / 2, base - h - w * 0.45, x + w * 1.08, base - h,
                  x + w / 2, base - h - w * 0.3], fill=S.C((240, 244, 250), depth))
    pen.rect((x + w * 0.68, base - h - w * 0.42, x + w * 0.8, base - h - w * 0.18), fill=S.C(roof, depth))
    for wx in (x + w * 0.18, x + w * 0.6):
        on = rng.random() < lit
        c = S.E((255, 210, 120), depth) if on else S.C(_mix(wall, (20, 24, 40), 0.55), depth)
        pen.rect((wx, base - h * 0.7, wx + w * 0.22, base - h * 0.35), fill=c)
