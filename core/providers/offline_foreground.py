"""What stands in front of the characters in an offline keyframe: grass, reeds and flowers at the bottom edge,
a rock, a railing or bollard, a branch, a lamp post, a doorframe, rain or snow close to the lens.

Why it exists: the parallax renderer moves this layer faster than the characters under a camera move, so it has
to be drawn apart from the backdrop, as RGBA with everything else transparent. It must never hide a face, so
every family keeps it to the edges of the frame and its bottom ~15%, and anything near the lens (rain, snow) is
dropped when it would fall inside the face box ``_FACE``. It draws through the same ``Stage`` as the backdrop
(same light, palette and weather), on a 2x canvas reduced premultiplied so its edges do not darken.
"""

from __future__ import annotations

import math

import numpy as np

from core.providers.offline_draw import _mix
from core.providers.offline_scenery import _find

_FACE = (0.12, 0.6, 0.17, 0.83)  # rows and columns (fractions) where faces are: the foreground keeps out


def _clear_of_faces(S, x, y, pad=0.0):
    W, H = S.W, S.H
    return not (H * _FACE[0] - pad < y < H * _FACE[1] + pad and W * _FACE[2] - pad < x < W * _FACE[3] + pad)


def _tufts(S, col, n=60, h=(30, 70), flowers=0, lean=0.0, reeds=False):
    rng, pen, W, H = S.rng, S.pen, S.W, S.H
    for _ in range(n):
        x = rng.uniform(-20, W + 20)
        edge = min(x, W - x) / W  # taller towards the corners
        ht = rng.uniform(*h) * (1.5 - edge * 1.4) * (1.6 if reeds else 1.0)
        base = H + 6
        top_y = max(base - ht, H * (0.86 if W * 0.15 < x < W * 0.85 else 0.64))
        for _ in range(3 if not reeds else 1):
            dx = rng.uniform(-14, 14) + (lean + S.wind) * 10
            c = _mix(col, (0, 0, 0), rng.uniform(0, 0.35))
            pen.poly([x - 3, base, x + dx, top_y + rng.uniform(0, 12), x + 3, base], fill=(*c, 255))
        if reeds and rng.random() < 0.5:
            pen.rect((x - 3 + S.wind * 6, top_y - 6, x + 3 + S.wind * 6, top_y + 18),
                     fill=(*_mix(col, (80, 50, 30), 0.6), 255), r=3)
    for _ in range(flowers):
        x, y = rng.uniform(0, W), rng.uniform(H * 0.9, H * 0.99)
        r = rng.uniform(4, 8)
        c = S.C(_mix(S.cols[rng.integers(5)], (255, 255, 255), 0.3))
        pen.line([x, y + r, x, H + 4], fill=(*S.C((60, 90, 50)), 255), width=2)
        pen.ell((x - r, y - r, x + r, y + r), fill=(*c, 255))
        pen.ell((x - r * 0.35, y - r * 0.35, x + r * 0.35, y + r * 0.35), fill=(*S.C((250, 220, 90)), 255))


def _rock(S, x, y, r, col):
    pen = S.pen
    pen.poly([x - r, y, x - r * 0.8, y - r * 0.55, x - r * 0.2, y - r * 0.85, x + r * 0.5, y - r * 0.7,
              x + r * 0.95, y - r * 0.2, x + r, y + r], fill=(*col, 255))
    pen.poly([x - r * 0.2, y - r * 0.85, x + r * 0.5, y - r * 0.7, x + r * 0.95, y - r * 0.2, x + r * 0.2, y - r * 0.3],
             fill=(*_mix(col, (255, 240, 220), 0.18), 255))


def _fore_snow(S):
    rng, pen, W, H = S.rng, S.pen, S.W, S.H
    white, blue = S.C((246, 248, 252)), S.C((190, 204, 230))
    for x in (rng.uniform(-60, W * 0.05), rng.uniform(W * 0.95, W + 60)):  # drifts at the corners
        r = rng.uniform(160, 240)
        pen.ell((x - r, H * 0.9, x + r, H + r * 0.6), fill=(*blue, 255))
        pen.ell((x - r * 0.94, H * 0.9 + 8, x + r * 0.9, H + r * 0.6), fill=(*white, 255))
    _tufts(S, S.C((120, 110, 90)), 14, (20, 50))


def _fore_meadow(S):
    grass = (236, 240, 246) if S.snowy else S.P((72, 110, 56), 1, 0.2)
    _tufts(S, S.C(_mix(grass, (0, 0, 0), 0.3)), 70, flowers=0 if S.snowy or S.family == "storm" else 14)
    if S.rng.random() < 0.6:
        _rock(S, S.W * S.rng.choice([0.05, 0.95]), S.H * 1.01, S.rng.uniform(50, 80), S.C((96, 92, 90)))


def _frond(S, x, y, ln, ang, col):
    """A fern frond: a curving stem with leaflets along it."""
    pen = S.pen
    px, py = x, y
    for i in range(12):
        t = i / 12
        a = ang + 0.9 * t * (1 if math.cos(ang) > 0 else -1)
        nx, ny = px + math.cos(a) * ln / 12, py + math.sin(a) * ln / 12
        pen.line([px, py, nx, ny], fill=(*col, 255), width=3 * (1 - t) + 1)
        leaf = ln * 0.16 * (1 - t * 0.8)
        for s_ in (-1, 1):
            la = a + s_ * 1.1
            pen.poly([nx, ny, nx + math.cos(la) * leaf, ny + math.sin(la) * leaf,
                      nx + math.cos(a) * leaf * 0.5, ny + math.sin(a) * leaf * 0.5], fill=(*col, 255))
        px, py = nx, ny


def _fore_forest(S):
    rng, pen, W, H = S.rng, S.pen, S.W, S.H
    fol = S.C(_mix((40, 70, 44) if not S.autumn else (150, 70, 30), S.lo[0], 0.3))
    side = 1 if rng.random() < 0.5 else -1
    x0 = -20 if side > 0 else W + 20
    y0 = -H * 0.03
    pts = [(x0, y0)]
    for k in range(1, 6):  # a branch reaching down and in from a top corner, heavy with leaves
        t = k / 5
        pts.append((x0 + side * t * W * 0.42, y0 + H * 0.09 * math.sin(t * 2.2) + rng.uniform(-4, 4)))
    bark = S.C((46, 34, 28))
    for i, ((a, b), (c, d)) in enumerate(zip(pts, pts[1:])):
        pen.line([a, b, c, d], fill=(*bark, 255), width=34 - i * 6)
    for x, y in pts[1:]:
        for _ in range(18):
            lx, ly = x + rng.uniform(-60, 60), y + rng.uniform(-24, H * 0.03)
            r, a = rng.uniform(10, 18), rng.uniform(0.3, 2.8)
            ly = min(ly, H * _FACE[0] - 4 - r * 1.8)  # leaves hang down, but not into the faces
            c = _mix(fol, (0, 0, 0) if rng.random() < 0.5 else (255, 240, 200), rng.uniform(0, 0.25))
            pen.poly([lx, ly, lx + math.cos(a - 0.4) * r, ly + math.sin(a - 0.4) * r, lx + math.cos(a) * r * 1.8,
                      ly + math.sin(a) * r * 1.8, lx + math.cos(a + 0.4) * r, ly + math.sin(a + 0.4) * r],
                      fill=(*c, 255))
    _tufts(S, S.C((46, 72, 40)), 40)
    green = S.C(_mix((52, 96, 50), S.lo[1], 0.2))
    for cx in (rng.uniform(-10, W * 0.08), rng.uniform(W * 0.92, W + 10)):  # ferns at the bottom corners
        for a in np.linspace(-2.7, -0.45, 6) + rng.uniform(-0.1, 0.1):
            _frond(S, cx, H + 6, rng.uniform(130, 190), a, _mix(green, (0, 0, 0), rng.uniform(0, 0.3)))


def _fore_pier(S):
    rng, pen, W, H = S.rng, S.pen, S.W, S.H
    wood, iron = S.C(_mix((110, 78, 54), S.lo[0], 0.3)), S.C((40, 40, 44))
    if _find(S.text, "lake* river* pond* canal* stream*") >= 0:
        _tufts(S, S.C((120, 124, 80)), 40, (40, 90), reeds=True)
        return
    if _find(S.text, "beach* shore* island* lagoon* seaside sand* bay reef*") >= 0:
        _tufts(S, S.C((170, 160, 100)), 30, (30, 80), lean=0.6)
        _rock(S, W * rng.choice([0.04, 0.96]), H * 1.02, rng.uniform(40, 70), S.C((120, 110, 100)))
        return
    side = 1 if rng.random() < 0.5 else -1
    px = W * (0.93 if side > 0 else 0.07)
    pen.rect((px - 26, H * 0.86, px + 26, H + 10), fill=(*iron, 255), r=10)  # a bollard with its rope
    pen.rect((px - 34, H * 0.84, px + 34, H * 0.88), fill=(*_mix(iron, (255, 255, 255), 0.1), 255), r=8)
    pen.arc((px - 90 * side - 60, H * 0.86, px - 90 * side + 60, H * 1.0), 0, 180, fill=(*S.C((190, 160, 110)), 255),
            width=8)
    rx0, rx1 = (W * 0.0, W * 0.16) if side > 0 else (W * 0.84, W)
    for x in np.linspace(rx0 + 10, rx1 - 10, 3):  # railing posts and rails at the other corner
        pen.rect((x - 8, H * 0.82, x + 8, H + 10), fill=(*wood, 255))
    for y in (H * 0.84, H * 0.92):
        pen.rect((rx0 - 10, y, rx1 + 10, y + 10), fill=(*_mix(wood, (0, 0, 0), 0.15), 255))


def _fore_city(S):
    rng, pen, W, H = S.rng, S.pen, S.W, S.H
    x = W * (0.04 if rng.random() < 0.5 else 0.96)
    iron = S.C((36, 38, 44))
    pen.rect((x - 10, 0, x + 10, H + 10), fill=(*iron, 255))  # a lamp post close to the lens
    pen.rect((x - 18, H * 0.86, x + 18, H + 10), fill=(*iron, 255), r=6)
    for k in range(3):
        pen.rect((x - 14, H * (0.7 + k * 0.04), x + 14, H * (0.71 + k * 0.04)),
                 fill=(*_mix(iron, (255, 255, 255), 0.15), 255))
    bx = W - x * 0.9 if x < W / 2 else W * 0.06
    for dx in (0, 70):  # bollards along the kerb
        pen.rect((bx + dx - 14, H * 0.9, bx + dx + 14, H + 10), fill=(*iron, 255), r=10)
    if S.wet:
        pen.rect((0, H * 0.97, W, H + 4), fill=(*S.E(_mix(S.haze, (255, 230, 180), 0.3)), 60))


def _fore_room(S):
    rng, pen, W, H = S.rng, S.pen, S.W, S.H
    wood = S.C(_mix((110, 74, 48), S.lo[0], 0.3))
    side = 1 if S.window_left else -1  # the edge of a doorframe and a curtain on the side away from the window
    x = W if side > 0 else 0
    pen.rect((x - side * W * 0.07, -10, x + side * 10, H + 10), fill=(*wood, 255))
    pen.rect((x - side * W * 0.075, -10, x - side * W * 0.06, H + 10), fill=(*_mix(wood, (255, 255, 255), 0.15), 255))
    cur = S.C(_mix(S.cols[rng.integers(5)], (80, 40, 40), 0.3))
    for k in range(5):
        cx = x - side * (W * 0.08 + k * 14)
        pen.poly([cx, -10, cx - side * 18, -10, cx - side * (22 + k * 4), H * 0.9, cx + side * 4, H * 0.9],
                 fill=(*_mix(cur, (0, 0, 0), 0.08 * (k % 2)), 255))
    if S.family == "workshop":
        ox = W * 0.12 if side > 0 else W * 0.88
        pen.rect((ox - 120, H * 0.9, ox + 120, H + 10), fill=(*_mix(wood, (255, 255, 255), 0.1), 255))
        for _ in range(5):
            tx = ox + rng.uniform(-100, 90)
            pen.rect((tx, H * 0.9 - rng.uniform(10, 30), tx + rng.uniform(14, 30), H * 0.9),
                     fill=(*S.C(S.cols[rng.integers(5)]), 255))
    else:
        px = W * 0.08 if side > 0 else W * 0.92
        pen.poly([px - 40, H * 0.9, px + 40, H * 0.9, px + 30, H + 10, px - 30, H + 10],
                 fill=(*S.C((150, 80, 50)), 255))
        for a in np.linspace(-2.8, -0.3, 7):
            pen.line([px, H * 0.9, px + math.cos(a) * 80, H * 0.9 + math.sin(a) * 70], fill=(*S.C((60, 110, 60)), 255),
                     width=8)


def _fore_space(S):
    if any(wd in S.text for wd in ("station", "ship", "craft", "cockpit", "bridge", "window", "deck")):
        pen, W, H = S.pen, S.W, S.H
        metal = S.C(_mix((70, 76, 90), S.lo[0], 0.2))
        for x0, x1 in ((-10, W * 0.06), (W * 0.94, W + 10)):
            pen.rect((x0, -10, x1, H + 10), fill=(*metal, 255))
        pen.rect((-10, H * 0.93, W + 10, H + 10), fill=(*_mix(metal, (0, 0, 0), 0.2), 255))
        return
    for x in (S.W * 0.04, S.W * 0.94):
        _rock(S, x, S.H * 1.02, S.rng.uniform(60, 100), S.C((110, 108, 112)))


def _fore_desert(S):
    rng, pen, W, H = S.rng, S.pen, S.W, S.H
    side = rng.choice([-1, 1])
    _rock(S, W * (0.5 + side * 0.46), H * 1.02, rng.uniform(60, 100), S.C((150, 86, 60)))
    x = W * (0.5 - side * 0.45)  # a dry shrub at the other corner
    twig = S.C((120, 96, 70))
    for _ in range(14):
        a, ln = rng.uniform(-2.8, -0.35), rng.uniform(60, 130)
        ex, ey = x + math.cos(a) * ln, H + 6 + math.sin(a) * ln
        pen.line([x, H + 6, ex, ey], fill=(*twig, 255), width=3)
        pen.line([ex, ey, ex + rng.uniform(-20, 20), ey - rng.uniform(6, 20)], fill=(*twig, 255), width=2)
    for _ in range(30):  # pebbles along the bottom edge
        px, py, r = rng.uniform(0, W), rng.uniform(H * 0.95, H * 1.01), rng.uniform(3, 9)
        pen.ell((px - r * 1.3, py - r, px + r * 1.3, py + r),
                fill=(*S.C(_mix((170, 130, 90), (0, 0, 0), rng.uniform(0, 0.3))), 255))
    _tufts(S, S.C((160, 140, 80)), 16, (20, 50))


def _fore_sky(S):
    grass = S.C(S.P((40, 60, 44), 0, 0.3))
    _tufts(S, grass, 60, (20, 60)) if "roof" not in S.text else \
        S.pen.rect((-10, S.H * 0.95, S.W + 10, S.H + 10), fill=(*S.C((90, 60, 56)), 255))


FORE = {"forest": _fore_forest, "sea": _fore_pier, "lighthouse": _fore_meadow, "city": _fore_city,
        "interior": _fore_room, "workshop": _fore_room, "space": _fore_space, "desert": _fore_desert,
        "night sky": _fore_sky, "snow": _fore_snow, "storm": _fore_meadow, "valley": _fore_meadow}


def _fore_weather(S):
    """Rain streaks and big soft snowflakes close to the lens, at the edges of the frame only."""
    rng, pen, W, H = S.rng, S.pen, S.W, S.H
    if S.family in ("interior", "workshop", "space"):
        return
    if S.wet:
        slant = S.wind_dir * (0.35 if S.weather == "storm" else 0.15)
        for _ in range(140 if S.weather == "storm" else 90):
            x, y, ln = rng.uniform(-40, W + 40), rng.uniform(-20, H), rng.uniform(50, 110)
            if _clear_of_faces(S, x, y, 60) and _clear_of_faces(S, x + ln * slant, y + ln, 60):
                pen.line([x, y, x + ln * slant, y + ln], fill=(226, 232, 244, int(rng.integers(60, 120))), width=2)
    if S.weather == "snow" or (S.family == "snow" and S.weather != "clear"):
        for _ in range(40):
            x, y, r = rng.uniform(0, W), rng.uniform(0, H), rng.uniform(5, 12)
            if _clear_of_faces(S, x, y, r + 40):
                for rr, a in ((r, 90), (r * 0.6, 200)):
                    pen.ell((x - rr, y - rr, x + rr, y + rr), fill=(255, 255, 255, a))


def draw(S):
    """Draw the foreground of the stage's family, then the weather near the lens."""
    FORE.get(S.family, _fore_meadow)(S)
    _fore_weather(S)
