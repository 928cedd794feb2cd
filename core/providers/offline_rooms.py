"""Rooms for the offline backdrops: an interior (sitting room, library, kitchen...) and a workshop.

Why it exists: indoor scenes share one box (back wall, side walls, ceiling and a planked floor in perspective)
with a window that shows the hour and weather outside, and differ in what fills it: books, an armchair and a
rug; or a pegboard of tools, clocks, a bench and gears. The floor in the lower third is where the characters
stand.
"""

from __future__ import annotations

import math

import numpy as np

from core.providers.offline_draw import _has, _mix
from core.providers.offline_scenery import _fill_below, _ridge


def _room(S, dark=0.0, wood_walls=False):
    """The box of a room: back wall, side walls, ceiling and a planked floor in perspective."""
    pen, W, H, rng = S.pen, S.W, S.H, S.rng
    x0, x1, y0, y1 = W * 0.15, W * 0.85, H * 0.1, H * 0.62
    wall = S.P((214, 196, 170) if not wood_walls else (150, 108, 72), 3 if not wood_walls else 1, 0.3)
    wall = _mix(wall, (20, 16, 14), dark)
    s = -1 if S.window_left else 1
    pen.rect((x0, y0, x1, y1), fill=S.C(wall))
    pen.poly([0, 0, x0, y0, x0, y1, 0, H], fill=S.C(_mix(wall, (0, 0, 0), 0.18 if s < 0 else 0.3)))
    pen.poly([W, 0, x1, y0, x1, y1, W, H], fill=S.C(_mix(wall, (0, 0, 0), 0.18 if s > 0 else 0.3)))
    pen.poly([0, 0, W, 0, x1, y0, x0, y0], fill=S.C(_mix(wall, (0, 0, 0), 0.4)))
    if wood_walls:
        for x in np.arange(x0, x1, 36):
            pen.line([x, y0, x, y1], fill=S.C(_mix(wall, (0, 0, 0), 0.25)), width=2)
        for t in np.linspace(0.1, 0.9, 5):
            pen.poly([W * t - 14, 0, W * t + 14, 0, x0 + (x1 - x0) * t + 5, y0, x0 + (x1 - x0) * t - 5, y0],
                     fill=S.C(_mix(wall, (0, 0, 0), 0.5)))
    else:
        pen.rect((x0, y0 + (y1 - y0) * 0.62, x1, y1), fill=S.C(_mix(wall, S.lo[1], 0.4)))
        pen.rect((x0, y0 + (y1 - y0) * 0.61, x1, y0 + (y1 - y0) * 0.64), fill=S.C(_mix(wall, (60, 40, 30), 0.5)))
        for x in np.arange(x0, x1, 40):
            pen.rect((x, y0, x + 18, y0 + (y1 - y0) * 0.6), fill=(*S.C(_mix(wall, (90, 60, 40), 0.5)), 16))
    wood = S.P((126, 84, 52), 1, 0.3)
    pen.poly([0, H, x0, y1, x1, y1, W, H], fill=S.C(wood))
    vx, vy = W / 2, y0 + (y1 - y0) * 0.3
    for i in range(-10, 11):
        fx = W / 2 + i * (x1 - x0) / 20
        t = (H - vy) / (y1 - vy)
        pen.line([fx, y1, vx + (fx - vx) * t, H], fill=S.C(_mix(wood, (0, 0, 0), 0.3)), width=2)
    y = y1
    while y < H:
        pen.line([0, y, W, y], fill=(*S.C(_mix(wood, (0, 0, 0), 0.3)), 90), width=1)
        y += 6 + (y - y1) * 0.4
    pen.rect((x0, y1 - 6, x1, y1 + 2), fill=S.C(_mix(wood, (0, 0, 0), 0.4)))
    # the window, on the back wall towards one side, showing the hour and the weather outside
    wx = x0 + 40 if S.window_left else x1 - 40 - W * 0.17
    ww, wt, wb = W * 0.17, y0 + H * 0.06, y0 + H * 0.3
    for i in range(12):
        pen.rect((wx, wt + (wb - wt) * i / 12, wx + ww, wt + (wb - wt) * (i + 1) / 12 + 1),
                 fill=_mix(S.zen, S.hor, i / 11))
    if S.tod == "night":
        pen.ell((wx + ww * 0.7 - 12, wt + 20, wx + ww * 0.7 + 12, wt + 44), fill=S.sun_col)
    _fill_below(pen, _ridge(ww, wb - 26, 8, rng) + [wx, 0], wb, S.C((70, 96, 70), 0.5))
    if S.wet:
        for _ in range(40):
            x, y = rng.uniform(wx, wx + ww), rng.uniform(wt, wb - 10)
            pen.line([x, y, x + 2, y + rng.uniform(6, 14)], fill=(220, 230, 240, 120), width=1)
    if S.snowy:
        for _ in range(30):
            x, y, r = rng.uniform(wx, wx + ww), rng.uniform(wt, wb), rng.uniform(1, 2.5)
            pen.ell((x - r, y - r, x + r, y + r), fill=(255, 255, 255, 210))
    frame = S.C(_mix(wood, (255, 255, 255), 0.2))
    pen.rect((wx, wt, wx + ww, wb), outline=frame, width=9)
    pen.line([wx + ww / 2, wt, wx + ww / 2, wb], fill=frame, width=6)
    pen.line([wx, (wt + wb) / 2, wx + ww, (wt + wb) / 2], fill=frame, width=6)
    pen.rect((wx - 14, wb, wx + ww + 14, wb + 12), fill=frame)
    if S.tod in ("day", "dawn", "dusk") and S.weather in ("clear", "cloudy", "snow"):
        d = 1 if wx + ww / 2 < W / 2 else -1
        pen.poly([wx, wb + 12, wx + ww, wb + 12, wx + ww + d * ww * 1.2, H, wx + d * ww * 1.2 - ww * 0.2, H],
                 fill=(*S.E(_mix(S.sun_col, (255, 240, 210), 0.5)), 30))
    return dict(x0=x0, x1=x1, y0=y0, y1=y1, wx=wx, ww=ww, wt=wt, wb=wb, wood=wood, wall=wall)


def _lamp(S, x, y, r=26):
    pen = S.pen
    pen.line([x, 0, x, y - r * 0.4], fill=S.C((40, 30, 25)), width=3)
    pen.chord((x - r * 1.4, y - r * 0.6, x + r * 1.4, y + r * 0.8), 180, 360, fill=S.C(S.P((60, 80, 60), 0, 0.3)))
    if S.lamps:
        S.glow(x, y + r * 0.3, r * 9, S.E((255, 210, 140)), 0.8)
        S.beam(x, y + r * 0.1, math.pi / 2, 0.5, S.H * 0.8, S.E((255, 214, 150)), 0.25)


def _books(S, x, y, w):
    pen, rng = S.pen, S.rng
    pen.rect((x, y, x + w, y + 8), fill=S.C((90, 60, 40)))
    bx = x + 6
    while bx < x + w - 22:
        bw, bh = rng.uniform(9, 20), rng.uniform(32, 54)
        pen.rect((bx, y - bh, bx + bw, y), fill=S.C(_mix(S.cols[rng.integers(5)], (60, 40, 30), 0.25)))
        bx += bw + rng.uniform(0.5, 4)


def interior(S):
    pen, rng, W, H = S.pen, S.rng, S.W, S.H
    R = _room(S)
    t = S.text
    other = R["x1"] - W * 0.3 if S.window_left else R["x0"] + 30
    if _has(t, "library", "study", "book"):
        for sy_ in np.arange(R["y0"] + H * 0.1, R["y1"] - 10, H * 0.09):
            _books(S, other, sy_, W * 0.28)
    elif _has(t, "kitchen", "bakery", "cafe", "tavern", "inn"):
        cx0, cx1 = R["x0"] + 10, R["x1"] - 10
        pen.rect((cx0, R["y1"] - H * 0.14, cx1, R["y1"] - 2), fill=S.C(_mix(R["wood"], (255, 255, 255), 0.1)))
        pen.rect((cx0, R["y1"] - H * 0.15, cx1, R["y1"] - H * 0.135), fill=S.C((200, 196, 190)))
        for x in np.arange(other, other + W * 0.26, 40):
            pen.line([x, R["y0"] + H * 0.05, x, R["y0"] + H * 0.1], fill=S.C((60, 50, 40)), width=2)
            pen.ell((x - 16, R["y0"] + H * 0.1, x + 16, R["y0"] + H * 0.14), fill=S.C((150, 90, 60)))
    else:
        _books(S, other, R["y0"] + H * 0.14, W * 0.24)
        px, py = other + W * 0.06, R["y0"] + H * 0.2
        pen.rect((px, py, px + W * 0.12, py + H * 0.12), fill=S.C((120, 90, 50)))
        pen.rect((px + 6, py + 6, px + W * 0.12 - 6, py + H * 0.12 - 6), fill=S.C(_mix(S.hor, S.lo[2], 0.4)))
        _fill_below(pen, _ridge(W * 0.12 - 12, py + H * 0.09, 6, rng) + [px + 6, 0], py + H * 0.12 - 6,
                    S.C(_mix(S.lo[1], (80, 120, 80), 0.5)))
    cx = W * 0.78 if S.window_left else W * 0.22  # an armchair by the wall and a side table with a plant
    chair = S.C(S.P((140, 70, 60), 1, 0.4))
    pen.rect((cx - 70, H * 0.5, cx + 70, H * 0.72), fill=chair, r=18)
    pen.rect((cx - 86, H * 0.6, cx + 86, H * 0.76), fill=_mix(chair, (0, 0, 0), 0.15), r=14)
    pen.rect((cx - 60, H * 0.76, cx - 50, H * 0.8), fill=S.C((50, 34, 24)))
    pen.rect((cx + 50, H * 0.76, cx + 60, H * 0.8), fill=S.C((50, 34, 24)))
    rug = S.C(S.P(S.cols[rng.integers(5)], 1, 0.3))
    pen.ell((W * 0.2, H * 0.8, W * 0.8, H * 1.02), fill=(*rug, 220))
    pen.ell((W * 0.24, H * 0.83, W * 0.76, H * 0.99), outline=(*_mix(rug, (255, 255, 255), 0.3), 200), width=4)
    _lamp(S, W * 0.5, H * 0.16)
    return H * 0.93


def workshop(S):
    pen, rng, W, H = S.pen, S.rng, S.W, S.H
    R = _room(S, dark=0.1, wood_walls=True)
    busy = 2 if _has(S.text, "clutter", "messy", "crowded", "busy") else 1
    wood = R["wood"]
    brass = S.P((196, 156, 72), 2, 0.2)
    px0 = R["x1"] - W * 0.34 if S.window_left else R["x0"] + 20  # a pegboard of tools
    py0, py1 = R["y0"] + H * 0.08, R["y0"] + H * 0.3
    pen.rect((px0, py0, px0 + W * 0.3, py1), fill=S.C(_mix(R["wall"], (255, 240, 210), 0.2)))
    steel = S.C((150, 154, 160))
    for i in range(int(rng.integers(6, 10))):
        x = px0 + 16 + i * W * 0.3 / 10
        kind = rng.integers(4)
        if kind == 0:  # hammer
            pen.line([x, py0 + 20, x, py0 + 70], fill=S.C((120, 80, 50)), width=4)
            pen.rect((x - 10, py0 + 14, x + 10, py0 + 24), fill=steel)
        elif kind == 1:  # saw
            pen.poly([x - 4, py0 + 16, x + 10, py0 + 16, x + 14, py0 + 80, x - 2, py0 + 70], fill=steel)
        elif kind == 2:  # wrench
            pen.line([x, py0 + 24, x, py0 + 74], fill=steel, width=5)
            pen.ell((x - 8, py0 + 12, x + 8, py0 + 28), outline=steel, width=4)
        else:  # coil of wire
            pen.ell((x - 12, py0 + 20, x + 12, py0 + 44), outline=brass, width=4)
    for _ in range(3 * busy + 2):  # clocks on the walls
        r = rng.uniform(20, 44)
        cx, cy = rng.uniform(R["x0"] + r, R["x1"] - r), rng.uniform(R["y0"] + r + 8, R["y0"] + H * 0.34)
        if R["wx"] - r < cx < R["wx"] + R["ww"] + r or px0 - r < cx < px0 + W * 0.3 + r:
            continue  # keep the window and the pegboard clear
        pen.ell((cx - r, cy - r, cx + r, cy + r), fill=S.C(brass), outline=S.C((60, 40, 20)), width=3)
        pen.ell((cx - r * 0.8, cy - r * 0.8, cx + r * 0.8, cy + r * 0.8), fill=S.C((246, 238, 218)))
        for k in range(12):
            a = k * math.pi / 6
            pen.line([cx + r * 0.62 * math.cos(a), cy + r * 0.62 * math.sin(a),
                      cx + r * 0.74 * math.cos(a), cy + r * 0.74 * math.sin(a)], fill=S.C((50, 40, 30)), width=2)
        for ln, a in ((0.45, rng.uniform(0, 6.3)), (0.65, rng.uniform(0, 6.3))):
            pen.line([cx, cy, cx + r * ln * math.cos(a), cy + r * ln * math.sin(a)], fill=S.C((30, 24, 20)), width=3)
    by = R["y1"] - H * 0.12  # the long bench along the back wall
    pen.rect((R["x0"] + 6, by, R["x1"] - 6, by + 14), fill=S.C(_mix(wood, (255, 255, 255), 0.12)))
    pen.rect((R["x0"] + 6, by + 14, R["x1"] - 6, R["y1"] - 4), fill=S.C(_mix(wood, (0, 0, 0), 0.35)))
    for _ in range(6 * busy):
        tx = rng.uniform(R["x0"] + 20, R["x1"] - 60)
        k = rng.integers(3)
        if k == 0:
            pen.rect((tx, by - rng.uniform(12, 40), tx + rng.uniform(16, 40), by), fill=S.C(S.cols[rng.integers(5)]))
        elif k == 1:
            r = rng.uniform(10, 22)
            teeth = []
            for j in range(24):
                a, rr = j * math.pi / 12, r * (1.0 if j % 2 else 0.8)
                teeth += [tx + rr * math.cos(a), by - r + rr * math.sin(a)]
            pen.poly(teeth, fill=S.C(_mix(brass, (0, 0, 0), 0.1)), outline=S.C((60, 40, 20)), width=1)
        else:
            pen.ell((tx, by - 24, tx + 22, by), fill=S.C((110, 150, 170)))
    for _ in range(2 * busy):  # big gears leaning on the floor
        r, cx = rng.uniform(26, 48), rng.choice([rng.uniform(W * 0.02, W * 0.16), rng.uniform(W * 0.84, W * 0.98)])
        cy = H * 0.86 - r
        teeth = []
        for j in range(32):
            a, rr = j * math.pi / 16, r * (1.0 if j % 4 < 2 else 0.8)
            teeth += [cx + rr * math.cos(a), cy + rr * math.sin(a)]
        pen.poly(teeth, fill=S.C(_mix(brass, (0, 0, 0), 0.15)), outline=S.C((60, 40, 20)), width=2)
        pen.ell((cx - r * 0.3, cy - r * 0.3, cx + r * 0.3, cy + r * 0.3), fill=S.C(_mix(wood, (0, 0, 0), 0.3)))
    for x in (W * 0.36, W * 0.64):
        _lamp(S, x, H * 0.2, 22)
    pen.ell((W * 0.12, H * 0.84, W * 0.88, H * 1.04), fill=(*S.C((30, 22, 18)), 50))
    return H * 0.93
