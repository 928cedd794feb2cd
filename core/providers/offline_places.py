"""Built and far-off places for the offline backdrops: sea and harbour, lighthouse and coast, city street, the
night sky over rooftops or hills, and space.

Why it exists: these are the families whose look comes from one strong structure (a quay running into the
distance, a cliff with its lighthouse and beam, a street in one-point perspective, a sky that fills the frame, a
window onto a planet) rather than from layered hills. Each keeps the lower third open (a deck, a clifftop, the
road, a roof, the lunar ground) for the characters and returns the y of their feet.
"""

from __future__ import annotations

import math

import numpy as np

from core.providers.offline_draw import _has, _mix
from core.providers.offline_scenery import (_at, _boat, _fill_below, _grass, _house, _mountains, _ridge, _sea,
                                            _tree)


def sea(S):
    pen, rng, W, H, hy = S.pen, S.rng, S.W, S.H, S.hy
    t = S.text
    kind = ("harbour" if _has(t, "harbo", "port", "dock", "quay", "wharf", "marina", "pier", "jetty", "waterfront",
                              "fishing") else
            "beach" if _has(t, "beach", "shore", "island", "lagoon", "seaside", "sand", "bay", "reef") else
            "lake" if _has(t, "lake", "river", "pond", "canal", "stream") else "open")
    water = S.P((44, 112, 140) if kind != "lake" else (60, 110, 120), 1, 0.35)
    rough = 1.0 if S.weather == "storm" else 0.45 if S.wind > 0.3 else 0.0
    side = -1 if rng.random() < 0.5 else 1
    if kind == "lake":
        _mountains(S, hy, hy - H * (0.3 if _has(t, "mountain", "alp", "peak") else 0.16), 5, 0.7,
                   snow=rng.random() < 0.6)
        S.veil(hy, H * 0.1, 0.4)
        top = _ridge(W, hy - 4, H * 0.012, rng, 3)
        _fill_below(pen, top, hy + 6, S.C((60, 94, 64), 0.6))
        for x in np.sort(rng.uniform(-20, W + 20, 50)):
            _tree(S, x, _at(top, x) + 5, rng.uniform(26, 48), 0.6, S.P((54, 96, 62), 1, 0.2), True, snow=S.snowy)
    else:
        land = _ridge(W * 0.45, hy - H * 0.03, H * 0.025, rng, 3)
        if side > 0:
            land[:, 0] = W - land[:, 0]
        pen.poly(list(land.ravel()) + [land[-1, 0], hy + 2, land[0, 0], hy + 2], fill=S.C((92, 104, 112), 0.78))
    _sea(S, hy, H, water, rough)
    if kind == "harbour":  # a quay with houses along one side, running into the distance
        x = W * 0.5 + side * W * 0.14
        base = hy + H * 0.02
        while 0 - 80 < x < W + 80:
            t_ = abs(x - W * 0.5) / (W * 0.5)
            w, h = rng.uniform(40, 70) * (0.6 + t_), rng.uniform(40, 80) * (0.6 + t_)
            by = base + H * 0.06 * t_
            depth = 0.6 * (1 - t_) + 0.1
            wall = S.P([(226, 200, 170), (200, 120, 90), (160, 180, 190), (230, 220, 196)][rng.integers(4)], 2, 0.2)
            _house(S, x - w / 2, by, w, h, depth, wall, S.P((110, 60, 50), 0, 0.3), S.lit, S.snowy)
            pen.rect((x - w / 2 - 2, by, x + w / 2 + 2, by + H * 0.03 * (0.5 + t_)), fill=S.C((120, 112, 104), depth))
            x += side * w * 1.04
    for _ in range(int(rng.integers(2, 5))):
        by = hy + (H * 0.72 - hy) * rng.uniform(0.08, 0.75)
        sc = 0.25 + (by - hy) / (H * 0.72 - hy) * 0.9
        bx = rng.uniform(40, W - 40)
        if kind == "harbour" and (bx - W / 2) * side > W * 0.1:
            bx = W / 2 - side * rng.uniform(0, W * 0.4)
        _boat(S, bx, by, sc, 0.5 * (1 - (by - hy) / (H - hy)), S.wind > 0.3)
    shore = H * 0.74
    if kind == "beach":
        sand = S.P((222, 196, 150), 3, 0.2)
        top = _ridge(W, shore, H * 0.01, rng, 2)
        _fill_below(pen, top, H, S.C(_mix(sand, (90, 80, 70), 0.3)))
        _fill_below(pen, top + [0, 14], H, S.C(sand))
        for i in range(3):
            pen.line(list((top + [0, -3 - 8 * i]).ravel()), fill=(*S.C((246, 248, 250)), 200 - 50 * i), width=3)
        _grass(S, H * 0.88, H, S.C((150, 140, 90)), 40, 18, S.wind)
    elif kind == "lake":
        top = _ridge(W, shore, H * 0.012, rng, 2)
        _fill_below(pen, top, H, S.C((236, 240, 246) if S.snowy else S.P((88, 120, 66), 2, 0.2)))
        _grass(S, shore, H, S.C((60, 84, 50)), 200, 14, S.wind)
        for _ in range(24):
            x = rng.uniform(0, W)
            y = _at(top, x) + rng.uniform(0, 10)
            pen.line([x, y, x + S.wind * 6, y - rng.uniform(30, 60)], fill=S.C((110, 104, 60)), width=2)
    else:  # a wooden deck or pier running out towards the horizon
        wood = S.P((132, 96, 66), 0, 0.25)
        pen.rect((0, shore, W, H), fill=S.C(wood))
        vx = W * 0.5
        for i in range(-16, 17):
            pen.line([vx + i * 26, shore, vx + i * 160, H], fill=S.C(_mix(wood, (0, 0, 0), 0.35)), width=2)
        y = shore
        while y < H:
            pen.line([0, y, W, y], fill=(*S.C(_mix(wood, (0, 0, 0), 0.3)), 120), width=1)
            y += 10 + (y - shore) * 0.5
        pen.rect((0, shore - 4, W, shore + 4), fill=S.C(_mix(wood, (0, 0, 0), 0.45)))
        if S.wet:
            for _ in range(30):
                x = rng.uniform(0, W)
                pen.line([x, shore + 6, x + rng.uniform(-6, 6), rng.uniform(shore + 40, H)],
                         fill=(*S.C((200, 210, 220)), 40), width=rng.uniform(3, 9))
        for x in (W * 0.05, W * 0.95):
            pen.rect((x - 18, shore - 50, x + 18, shore + 40), fill=S.C((52, 46, 44)), r=8)
            pen.rect((x - 22, shore - 56, x + 22, shore - 44), fill=S.C((70, 60, 56)), r=6)
    return H * 0.93


def lighthouse(S):
    pen, rng, W, H, hy = S.pen, S.rng, S.W, S.H, S.hy
    side = 1 if rng.random() < 0.6 else -1
    rough = 1.0 if S.weather == "storm" else 0.5 if S.wind > 0.3 else 0.15
    water = S.P((40, 100, 130), 1, 0.35)
    far = _ridge(W * 0.4, hy - H * 0.05, H * 0.03, rng, 3)
    if side > 0:
        far[:, 0] = W * 0.4 - far[:, 0]
    else:
        far[:, 0] = W - far[:, 0]
    pen.poly(list(far.ravel()) + [far[-1, 0], hy + 2, far[0, 0], hy + 2], fill=S.C((96, 104, 110), 0.8))
    _sea(S, hy, H, water, rough)
    edge, far_x = W * (0.5 + side * 0.05), (W + 40 if side > 0 else -40)
    top_y, foot = H * 0.37, hy + H * 0.12
    rock = S.P((112, 102, 96), 0, 0.25)
    ts = np.linspace(0, 1, 12)
    top = [(edge + (far_x - edge) * t, top_y - H * 0.05 * t + rng.uniform(-3, 3)) for t in ts]
    base = [(edge - side * 40 + (far_x - edge + side * 40) * t, foot + rng.uniform(-3, 5)) for t in ts]
    pen.poly([v for p in top + base[::-1] for v in p], fill=S.C(_mix(rock, (0, 0, 0), 0.2), 0.3))
    lit_face = S.light_side(edge) == side
    span = far_x - edge
    for _ in range(16):  # the rock wall as overlapping slabs, some catching the light
        u, wd = rng.uniform(-0.05, 0.95), rng.uniform(0.08, 0.2)
        xa, xb = edge + span * u, edge + span * (u + wd)
        ya = top_y - H * 0.05 * u + rng.uniform(8, 50)
        yb = min(foot, ya + rng.uniform(60, 160))
        sl = rng.uniform(-30, 30)
        tone = (255, 236, 210) if (lit_face and rng.random() < 0.55) else (10, 10, 20)
        c = S.C(_mix(rock, tone, rng.uniform(0.05, 0.28)), 0.3)
        pen.poly([xa, ya + rng.uniform(0, 20), xb, ya - (xb - xa) * 0.05 * H / abs(span) + rng.uniform(0, 20),
                  xb + sl, yb, (xa + xb) / 2 + sl, yb + rng.uniform(0, 20), xa + sl * 0.6, yb], fill=c)
        pen.line([xa, ya + 10, xa + sl * 0.3 + rng.uniform(-10, 10), (ya + yb) / 2, xa + sl * 0.6, yb],
                 fill=(*S.C(_mix(rock, (0, 0, 0), 0.45), 0.3), 160), width=2)
    prof = [edge, top_y]
    for i in range(1, 8):  # the headland's end, seen side-on
        t = i / 7
        prof += [edge - side * (40 * t + rng.uniform(0, 16) * math.sin(math.pi * t)), top_y + (foot - top_y) * t]
    pen.poly(prof + [edge + side * 30, foot, edge + side * 24, top_y + 8],
             fill=S.C(_mix(rock, (255, 236, 210) if not lit_face else (0, 0, 0), 0.22), 0.3))
    for j in range(5):  # strata
        y = top_y + (foot - top_y) * (j + 1) / 6
        pen.line([edge + side * (10 + 30 * (j + 1) / 6), y, far_x, y - H * 0.05 * 0.4 + rng.uniform(-5, 5)],
                 fill=(*S.C(_mix(rock, (0, 0, 0), 0.35), 0.3), 90), width=2)
    grass = (236, 240, 246) if S.snowy else S.P((100, 132, 72), 2, 0.2)
    cap = [v for p in top for v in p] + [v for p in reversed(top) for v in (p[0], p[1] + rng.uniform(10, 22))]
    pen.poly(cap, fill=S.C(grass, 0.3))
    pen.poly([v for p in top for v in p] + [far_x, top[-1][1] - 4, edge, top_y - 4], fill=S.C(grass, 0.3))
    foam = S.C((240, 244, 246), 0.25)
    surf = [v for p in base for v in (p[0], p[1] + 6)]
    for p in reversed(base):
        surf += [p[0] + rng.uniform(-10, 10), p[1] - rng.uniform(2, 10) * (1 + rough)]
    pen.poly(surf, fill=(*foam, 150))
    for _ in range(int(3 + 6 * rough)):  # waves breaking against the rock
        x = edge + span * rng.uniform(-0.15, 0.9)
        y, hgt, wd = foot + rng.uniform(0, 8), rng.uniform(20, 50) * (0.4 + rough), rng.uniform(20, 50)
        pts = [x - wd, y]
        for k in range(7):
            t = k / 6
            pts += [x - wd + 2 * wd * t + rng.uniform(-6, 6), y - hgt * math.sin(math.pi * t) * rng.uniform(0.6, 1.1)]
        pen.poly(pts + [x + wd, y], fill=(*foam, 190))
    for _ in range(int(20 + 60 * rough)):  # spray
        x = edge + span * rng.uniform(-0.2, 0.9)
        y, r = foot - rng.uniform(0, 70) * (0.3 + rough), rng.uniform(1, 3)
        pen.ell((x - r, y - r, x + r, y + r), fill=(*foam, int(rng.integers(90, 200))))
    lx = edge + side * W * 0.1
    ly = top_y - H * 0.05 * abs(lx - edge) / abs(far_x - edge)
    _lighthouse_tower(S, lx, ly + 6, H * 0.34)
    cx = lx + side * 80
    _house(S, cx - 30, ly - H * 0.05 * 80 / abs(far_x - edge) + 8, 60, 32, 0.25, (232, 226, 214),
           S.P((150, 60, 50), 0, 0.3), S.lit, S.snowy)
    for _ in range(3):  # rocks standing in the sea
        x, y = edge - side * rng.uniform(80, W * 0.4), rng.uniform(foot + 10, H * 0.72)
        r = rng.uniform(14, 34) * (0.6 + (y - hy) / (H - hy))
        pen.poly([x - r, y, x - r * 0.5, y - r * 0.8, x + r * 0.3, y - r, x + r, y],
                 fill=S.C(_mix(rock, (0, 0, 0), 0.3), 0.3))
        pen.poly([x - r * 0.5, y - r * 0.8, x + r * 0.3, y - r, x + r * 0.1, y - r * 0.5],
                 fill=S.C(_mix(rock, (255, 240, 220), 0.2), 0.3))
        pen.arc((x - r * 1.4, y - 5, x + r * 1.4, y + 7), 0, 180, fill=(*foam, 200), width=3)
    top = _ridge(W, H * 0.8, H * 0.012, rng, 2)  # the near headland we stand on: salt-bleached turf
    top[:, 1] += np.linspace(0, 1, 65) * (H * 0.03) * side
    grass = grass if S.snowy else _mix(grass, (196, 176, 110), 0.35)
    _fill_below(pen, top, H, S.C(grass))
    _fill_below(pen, top + [0, 22], H, S.C(_mix(grass, (0, 0, 0), 0.12)))
    _grass(S, H * 0.76, H, S.C(_mix(grass, (0, 0, 0), 0.35)), 200, 16, S.wind + 0.3)
    return H * 0.93


def _lighthouse_tower(S, x, base, ht):
    pen = S.pen
    wb, wt = ht * 0.11, ht * 0.075
    white, red = S.C((240, 236, 228), 0.22), S.C(S.P((190, 50, 44), 0, 0.15), 0.22)
    shade = S.C((150, 146, 150), 0.22)
    s = S.light_side(x)
    for i in range(5):
        y0, y1 = base - ht * 0.78 * i / 5, base - ht * 0.78 * (i + 1) / 5
        w0, w1 = wb + (wt - wb) * i / 5, wb + (wt - wb) * (i + 1) / 5
        pen.poly([x - w0, y0, x + w0, y0, x + w1, y1, x - w1, y1], fill=red if i % 2 else white)
        pen.poly([x - s * w0, y0, x - s * w0 * 0.3, y0, x - s * w1 * 0.3, y1, x - s * w1, y1],
                 fill=(*_mix(shade, (0, 0, 0), 0.4), 90))
    gy = base - ht * 0.78
    pen.rect((x - wt * 1.4, gy - 6, x + wt * 1.4, gy + 2), fill=S.C((40, 40, 44), 0.2))
    lamp_on = S.beam_on
    glass = S.E((255, 236, 170)) if lamp_on else S.C((170, 200, 210), 0.2)
    pen.rect((x - wt * 0.8, gy - ht * 0.12, x + wt * 0.8, gy - 6), fill=glass)
    for k in (-0.4, 0.0, 0.4):
        pen.line([x + wt * k, gy - ht * 0.12, x + wt * k, gy - 6], fill=S.C((40, 40, 44), 0.2), width=2)
    pen.poly([x - wt * 1.1, gy - ht * 0.12, x, gy - ht * 0.22, x + wt * 1.1, gy - ht * 0.12], fill=red)
    pen.rect((x - 6, base - 24, x + 6, base), fill=S.C((60, 50, 44), 0.2))
    if lamp_on:
        ly = gy - ht * 0.065
        a = S.rng.uniform(-0.1, 0.1)
        S.beam(x, ly, math.pi + a, 0.05, S.W * 1.0, S.E((255, 240, 190)), 0.75)
        S.beam(x, ly, -a * 0.5, 0.04, S.W * 0.45, S.E((255, 240, 190)), 0.55)
        S.glow(x, ly, ht * 0.45, S.E((255, 236, 170)), 0.9)


def city(S):
    """A street in one-point perspective: facades down both sides, lamps, the road, a far end of the street."""
    pen, rng, W, H, hy = S.pen, S.rng, S.W, S.H, S.hy
    town = _has(S.text, "town", "village", "market", "cobble", "old", "harbo", "medieval", "square")
    vx = W * rng.uniform(0.42, 0.58)
    F, e = W * 0.5, 0.34  # focal length in design units; eye height over the road

    def sx(X, z):
        return vx + F * X / z

    def sy(Y, z):
        return hy + F * (e - Y) / z

    zf = 16.0
    walls = [S.P(c, 2, 0.25) for c in ((196, 160, 130), (170, 120, 100), (150, 150, 160), (210, 190, 160),
                                        (120, 110, 120), (184, 140, 110))]
    glass = S.C(_mix(S.zen, (30, 40, 60), 0.3), 0.2)
    win_lit = S.E(_mix((255, 206, 120), S.sun_col, 0.15))
    warm = ((255, 190, 100), (255, 226, 160), (110, 150, 220))
    x = -W * 0.2
    while x < W * 1.2:  # the far end of the street
        bw, bh = rng.uniform(50, 110), rng.uniform(60, 200) * (0.6 if town else 1.0)
        y0 = sy(0, zf)
        pen.rect((x, y0 - bh, x + bw, y0 + 2), fill=S.C(walls[rng.integers(len(walls))], 0.7))
        for wy in np.arange(y0 - bh + 10, y0 - 10, 16):
            for wx in np.arange(x + 6, x + bw - 8, 14):
                if rng.random() < 0.8:
                    pen.rect((wx, wy, wx + 6, wy + 8), fill=win_lit if rng.random() < S.lit else S.C((60, 66, 84), 0.7))
        x += bw
    S.veil(sy(0, zf), H * 0.25, 0.45)
    road = S.P((88, 88, 96), 0, 0.2)
    walk = S.P((150, 144, 136), 2, 0.2)
    if S.snowy:
        road, walk = _mix(road, (236, 240, 248), 0.6), (238, 242, 250)
    pen.poly([sx(-1, zf), sy(0, zf), sx(1, zf), sy(0, zf), sx(1, 0.3), sy(0, 0.3), sx(-1, 0.3), sy(0, 0.3)],
             fill=S.C(walk))
    pen.poly([sx(-0.62, zf), sy(0, zf), sx(0.62, zf), sy(0, zf), sx(0.62, 0.3), sy(0, 0.3), sx(-0.62, 0.3), sy(0, 0.3)],
             fill=S.C(road))
    for X in (-0.62, 0.62):
        pen.poly([sx(X, zf), sy(0, zf), sx(X, 0.3), sy(0, 0.3), sx(X * 1.04, 0.3), sy(0, 0.3)],
                 fill=S.C(_mix(walk, (255, 255, 255), 0.2)))
    if S.snowy:  # tyre tracks in the snow
        for X in (-0.4, -0.22, 0.22, 0.4):
            pen.poly([sx(X - 0.03, zf), sy(0, zf), sx(X + 0.03, zf), sy(0, zf), sx(X + 0.03, 0.3), sy(0, 0.3),
                      sx(X - 0.03, 0.3), sy(0, 0.3)], fill=(*S.C((90, 92, 104)), 120))
    elif town:
        for z in np.geomspace(0.45, zf, 40):
            pen.line([sx(-0.62, z), sy(0, z), sx(0.62, z), sy(0, z)], fill=(*S.C(_mix(road, (0, 0, 0), 0.35)), 110),
                     width=max(1, 3 / z))
    else:
        for z in np.geomspace(0.5, zf, 14):
            z1 = z * 1.12
            pen.poly([sx(-0.012, z), sy(0, z), sx(0.012, z), sy(0, z), sx(0.012, z1), sy(0, z1), sx(-0.012, z1),
                      sy(0, z1)],
                     fill=S.C((226, 220, 200)))
    lamps = []
    for side in (-1, 1):
        z_cuts = [zf]
        while z_cuts[-1] > 0.55:
            z_cuts.append(z_cuts[-1] / rng.uniform(1.18, 1.4))
        for za, zb in zip(z_cuts, z_cuts[1:]):
            X = side * 1.0
            hb = rng.uniform(0.9, 1.7) if town else rng.uniform(1.2, 2.6)
            lit_here = S.lit * rng.uniform(0.2, 1.0)
            depth = min(1.0, ((za + zb) / 2) / zf) ** 0.8
            wall = walls[rng.integers(len(walls))]
            lit_side = S.light_side(vx) == side
            wcol = S.C(_mix(wall, (255, 240, 220) if lit_side else (20, 20, 40), 0.15), depth)
            pen.poly([sx(X, za), sy(hb, za), sx(X, zb), sy(hb, zb), sx(X, zb), sy(0, zb), sx(X, za), sy(0, za)],
                     fill=wcol)
            if town:  # a roof sloping away from the street
                rc = S.C(S.P((120, 60, 50), 0, 0.3), depth)
                pen.poly([sx(X, za), sy(hb, za), sx(X, zb), sy(hb, zb), sx(X * 1.5, zb), sy(hb + 0.5, zb),
                          sx(X * 1.5, za), sy(hb + 0.5, za)], fill=rc)
            else:
                pen.poly([sx(X, za), sy(hb, za), sx(X, zb), sy(hb, zb), sx(X * 0.97, zb), sy(hb - 0.06, zb),
                          sx(X * 0.97, za), sy(hb - 0.06, za)], fill=S.C(_mix(wall, (0, 0, 0), 0.3), depth))
            pen.line([sx(X, zb), sy(hb, zb), sx(X, zb), sy(0, zb)], fill=S.C(_mix(wall, (0, 0, 0), 0.35), depth),
                     width=max(1, 2 / zb))
            n = max(1, int((za - zb) / 0.28 / max(zb, 0.7) * 1.6))
            zs = np.linspace(za, zb, n + 1)
            rows = np.arange(0.42, hb - 0.2, 0.36)
            for z0, z1 in zip(zs, zs[1:]):
                zm0, zm1 = z0 - (z0 - z1) * 0.3, z1 + (z0 - z1) * 0.3
                for Y in rows:
                    on = rng.random() < lit_here
                    c = _mix(win_lit, S.E(warm[rng.integers(3)]), 0.5) if on else _mix(glass, S.C(wall, depth), 0.2)
                    pen.poly([sx(X, zm0), sy(Y + 0.17, zm0), sx(X, zm1), sy(Y + 0.17, zm1), sx(X, zm1), sy(Y, zm1),
                              sx(X, zm0), sy(Y, zm0)], fill=c)
                if rng.random() < 0.35:  # a shop awning at street level
                    aw = S.C(S.cols[rng.integers(5)], depth)
                    pen.poly([sx(X, zm0), sy(0.3, zm0), sx(X, zm1), sy(0.3, zm1), sx(X * 0.86, zm1), sy(0.22, zm1),
                              sx(X * 0.86, zm0), sy(0.22, zm0)], fill=aw)
                    pen.poly([sx(X, zm0), sy(0.2, zm0), sx(X, zm1), sy(0.2, zm1), sx(X, zm1), sy(0.02, zm1),
                              sx(X, zm0), sy(0.02, zm0)], fill=win_lit if S.lit > 0.2 else glass)
        for z in (1.0, 1.7, 2.9, 5.0, 8.6):
            lamps.append((side * 0.78, z * rng.uniform(0.92, 1.08)))
    lamp_on = S.lit > 0.2 or S.weather in ("fog", "storm", "rain")
    for X, z in sorted(lamps, key=lambda p: -p[1]):
        depth = min(1.0, z / zf) ** 0.8
        x, y0, y1 = sx(X, z), sy(0, z), sy(0.95, z)
        pole = S.C((40, 42, 48), depth)
        pen.line([x, y0, x, y1], fill=pole, width=max(1, 0.05 * F / z / 8))
        hx = sx(X * 0.86, z)
        pen.line([x, y1, hx, y1], fill=pole, width=max(1, 0.05 * F / z / 10))
        r = 0.035 * F / z
        pen.ell((hx - r, y1, hx + r, y1 + r * 1.4),
                fill=S.E((255, 220, 150), depth) if lamp_on else S.C((220, 220, 210), depth))
        if lamp_on:
            S.glow(hx, y1 + r, r * 9, S.E((255, 214, 140), depth), 0.75)
            S.glow(hx, y0, r * 14, S.E((255, 214, 150), depth), 0.35, ry=r * 3)
            if S.wet:  # its reflection on the wet road
                S.glow(hx, y0 + 0.06 * F / z, r * 1.6, S.E((255, 214, 140), depth), 0.45, ry=0.06 * F / z)
    return H * 0.93


def night_sky(S):
    pen, rng, W, H, hy = S.pen, S.rng, S.W, S.H, S.hy
    roofs = _has(S.text, "rooftop", "roof", "city", "town", "chimney", "attic")
    if roofs:  # the town falling away below, then the roof we stand on
        x = -20
        town = S.P((50, 56, 80), 0, 0.3)
        while x < W:
            w, h = rng.uniform(30, 80), rng.uniform(14, 60) * (2.2 if rng.random() < 0.12 else 1)
            c = S.C(_mix(town, (0, 0, 0), rng.uniform(0, 0.25)), 0.45)
            pen.rect((x, hy - h, x + w, H), fill=c)
            if rng.random() < 0.7:
                pen.poly([x - 4, hy - h, x + w / 2, hy - h - w * 0.4, x + w + 4, hy - h], fill=c)
            elif rng.random() < 0.4:  # a spire
                pen.poly([x + w * 0.3, hy - h, x + w / 2, hy - h - w * 1.6, x + w * 0.7, hy - h], fill=c)
            if rng.random() < 0.5:
                pen.rect((x + w * 0.7, hy - h - w * 0.45, x + w * 0.8, hy - h - w * 0.1), fill=c)
            for _ in range(int(rng.integers(0, 4))):
                wx, wy = rng.uniform(x + 4, x + w - 10), rng.uniform(hy - h + 6, hy + 30)
                pen.rect((wx, wy, wx + 5, wy + 7), fill=S.E((255, 206, 120), 0.4))
            x += w + rng.uniform(-10, 6)
        S.veil(hy + 30, H * 0.1, 0.3)
        tile = _mix(S.P((150, 96, 84), 2, 0.3), S.sun_col, 0.3)
        ridge = H * 0.7
        pen.poly([-10, ridge + 8, W + 10, ridge - 8, W + 10, H, -10, H], fill=S.C(tile))
        dark = S.C(_mix(tile, (0, 0, 0), 0.4))
        y, row = ridge + 10, 0
        while y < H + 20:  # rows of tiles, bigger as they come towards us
            sz = 18 + (y - ridge) * 0.12
            off = (row % 2) * sz / 2
            for tx in np.arange(-off, W + sz, sz):
                ty = y - 16 * (tx / W - 0.5)
                pen.arc((tx, ty - sz * 0.5, tx + sz, ty + sz * 0.4), 0, 180, fill=dark, width=max(1.5, sz * 0.08))
            y += sz * 0.55
            row += 1
        pen.line([-10, ridge + 8, W + 10, ridge - 8], fill=S.C(_mix(tile, S.sun_col, 0.5)), width=5)
        cx = W * rng.choice([0.1, 0.88])
        cy = ridge - 16 * (cx / W - 0.5)
        brick = S.C(S.P((130, 76, 62), 1, 0.2))
        pen.rect((cx - 34, cy - 120, cx + 34, cy + 4), fill=brick)
        pen.rect((cx - 34, cy - 120, cx - 34 + 20 * S.light_side(cx) + 34, cy + 4),
                 fill=S.C(_mix(tile, S.sun_col, 0.3)))
        pen.rect((cx - 40, cy - 130, cx + 40, cy - 114), fill=S.C(_mix((96, 60, 52), (0, 0, 0), 0.2)))
        for k in (-16, 12):
            pen.rect((cx + k - 8, cy - 156, cx + k + 8, cy - 130), fill=S.C((150, 100, 80)))
    else:  # hills under the sky, a lone tree, the lights of a far village
        _fill_below(pen, _ridge(W, hy, H * 0.03, rng, 4), H, S.C((40, 56, 70), 0.5))
        for _ in range(int(rng.integers(6, 16))):
            x, y = rng.uniform(0, W), hy + rng.uniform(-2, 10)
            pen.ell((x - 1.6, y - 1.6, x + 1.6, y + 1.6), fill=S.E((255, 210, 130)))
        top = _ridge(W, H * 0.74, H * 0.03, rng, 2)
        hill = (232, 236, 244) if S.snowy else S.P((60, 96, 60), 1, 0.3)
        _fill_below(pen, top, H, S.C(hill))
        tx = W * rng.choice([0.1, 0.88])
        _tree(S, tx, _at(top, tx) + 10, H * 0.42, 0.0, S.P((40, 70, 50), 0, 0.3), False, 0.2 * S.wind)
        if _has(S.text, "observatory", "telescope", "stargaz", "astronom"):
            ox = W - tx
            base = _at(top, ox) + 6
            pen.line([ox, base, ox - 14, base - 60, ox + 16, base, ox - 14, base - 60], fill=S.C((50, 50, 56)), width=3)
            pen.line([ox - 40, base - 86, ox + 30, base - 40], fill=S.C((160, 150, 140)), width=10)
        _grass(S, H * 0.74, H, S.C(_mix(hill, (0, 0, 0), 0.3)), 180)
    return H * 0.93


def space(S):
    pen, rng, W, H, hy = S.pen, S.rng, S.W, S.H, S.hy
    t = S.text
    inside = _has(t, "station", "spaceship", "spacecraft", "starship", "cockpit", "ship", "bridge", "window", "deck")
    if not inside:  # the surface of a moon: grey ground with craters; or red sand with rocks on Mars
        red = _has(t, "mars", "martian", "red planet")
        dust = S.P((150, 80, 60) if red else (150, 150, 156), 2, 0.15)
        for depth, base, amp in ((0.5, hy, H * 0.02), (0.3, hy + H * 0.06, H * 0.015)):
            _fill_below(pen, _ridge(W, base, amp, rng, 3), H,
                        S.C(_mix(dust, (0, 0, 0), 0.15 + 0.3 * depth), depth * 0.4))
        top = _ridge(W, H * 0.74, H * 0.01, rng, 2)
        _fill_below(pen, top, H, S.C(dust))
        pen.rect((0, H * 0.88, W, H), fill=(*S.C(_mix(dust, (0, 0, 0), 0.4)), 80))
        for _ in range(16):
            y = hy + (H - hy) * rng.random() ** 0.7
            s = 0.2 + (y - hy) / (H - hy)
            x, r = rng.uniform(0, W), rng.uniform(20, 80) * s
            pen.ell((x - r, y - r * 0.3, x + r, y + r * 0.3), fill=S.C(_mix(dust, (0, 0, 0), 0.4)))
            pen.ell((x - r * 0.86, y - r * 0.2, x + r * 0.9, y + r * 0.3), fill=S.C(_mix(dust, (0, 0, 0), 0.15)))
            pen.arc((x - r, y - r * 0.3, x + r, y + r * 0.3), 10, 170, fill=S.C(_mix(dust, (255, 255, 255), 0.3)),
                    width=2)
        for _ in range(10):
            x, y = rng.uniform(0, W), rng.uniform(H * 0.75, H)
            r = rng.uniform(8, 26)
            pen.poly([x - r, y, x - r * 0.5, y - r * 0.8, x + r * 0.4, y - r * 0.9, x + r, y],
                     fill=S.C(_mix(dust, (0, 0, 0), 0.3)))
        return H * 0.93
    metal = S.P((90, 96, 110), 1, 0.25)
    ox0, ox1, oy0, oy1 = W * 0.14, W * 0.86, H * 0.1, H * 0.6  # the big window onto space
    wall = S.C(metal)
    pen.poly([0, 0, W, 0, W, H, 0, H, 0, oy1, ox0, oy1, ox1, oy1, ox1, oy0, ox0, oy0, ox0, oy1, 0, oy1], fill=wall)
    pen.rect((ox0 - 16, oy0 - 16, ox1 + 16, oy1 + 16), outline=S.C(_mix(metal, (255, 255, 255), 0.25)), width=14, r=30)
    for x in np.linspace(ox0, ox1, 4)[1:-1]:
        pen.rect((x - 7, oy0, x + 7, oy1), fill=S.C(_mix(metal, (0, 0, 0), 0.25)))
    for y in np.arange(H * 0.02, H * 0.09, 14):
        pen.line([0, y, W, y], fill=S.C(_mix(metal, (0, 0, 0), 0.2)), width=2)
    floor = S.P((70, 74, 86), 0, 0.2)
    pen.poly([0, H, W * 0.08, oy1 + H * 0.05, W * 0.92, oy1 + H * 0.05, W, H], fill=S.C(floor))
    for i in range(-8, 9):
        pen.line([W / 2 + i * W * 0.055, oy1 + H * 0.05, W / 2 + i * W * 0.13, H],
                 fill=S.C(_mix(floor, (0, 0, 0), 0.3)), width=2)
    for y in np.geomspace(oy1 + H * 0.05, H, 7):
        pen.line([0, y, W, y], fill=S.C(_mix(floor, (0, 0, 0), 0.3)), width=2)
    for x in (W * 0.04, W * 0.96):
        for k in range(4):
            pen.rect((x - 8, H * 0.2 + k * 40, x + 8, H * 0.2 + k * 40 + 10),
                     fill=S.E([(255, 90, 80), (120, 255, 180), (120, 200, 255)][(k + int(x)) % 3]))
    pen.rect((W * 0.08, oy1 + H * 0.05, W * 0.92, oy1 + H * 0.07), fill=S.E((120, 200, 255), 0.0))
    return H * 0.93
