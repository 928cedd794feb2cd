"""Open country for the offline backdrops: valley (the default), forest, desert, snow and storm.

Why it exists: these five are drawn from hills, trees, dunes and sky rather than buildings, and share the
layered-ridge way of building depth (far planes hazed by ``Stage.C`` and misted by ``Stage.veil``). Each keeps
the lower third of the frame open (a meadow, a path, a snowfield) for the characters and returns the y of
their feet.
"""

from __future__ import annotations

import math

import numpy as np

from core.providers.offline_draw import _has, _mix
from core.providers.offline_scenery import _at, _fill_below, _grass, _house, _mountains, _path, _ridge, _sea, _tree


def valley(S):
    pen, rng, W, H, hy = S.pen, S.rng, S.W, S.H, S.hy
    green = (236, 240, 246) if S.snowy else S.P((98, 138, 74), 2, 0.2)
    if S.autumn and not S.snowy:
        green = S.P((170, 130, 60), 2, 0.2)
    fields = [(120, 156, 78), (156, 172, 84), (206, 184, 98), (180, 150, 84), (96, 128, 70), (140, 104, 72)]
    if S.snowy:
        fields = [(236, 240, 246), (226, 232, 242), (244, 246, 250)]
    if rng.random() < 0.75 or _has(S.text, "mountain"):
        _mountains(S, hy - H * 0.01, hy - H * 0.24, 5, 0.72)
    S.veil(hy, H * 0.12, 0.5)
    layers = [(hy - H * 0.015, 0.6), (hy + H * 0.045, 0.42), (hy + H * 0.1, 0.26)]
    for li, (base, depth) in enumerate(layers):
        top = _ridge(W, base, H * 0.028, rng, 3)
        _fill_below(pen, top, H, S.C(green, depth))
        _fields(S, top, H * (0.022 + 0.012 * li), 2 + li, depth, fields, 2 + li)
        for x in rng.uniform(0, W, 5 + 4 * li):
            _tree(S, x, _at(top, x) + 4, rng.uniform(26, 44) * (1 + li * 0.6), depth,
                  S.P((64, 104, 60), 2, 0.2) if not S.autumn else (190, 110, 40), False, snow=S.snowy)
        if li == 0 and (_has(S.text, "castle", "kingdom", "palace", "tower") or rng.random() < 0.3):
            _castle(S, rng.uniform(W * 0.15, W * 0.85), _at(top, W / 2) + 2, depth)
        if li == 1 and (_has(S.text, "town", "village", "farm", "cottage", "home") or rng.random() < 0.5):
            x0 = rng.uniform(W * 0.05, W * 0.7)
            for k in range(int(rng.integers(2, 6))):
                x = x0 + k * rng.uniform(34, 50)
                _house(S, x, _at(top, x) + 6, 30, 22, depth, (226, 214, 190), S.P((150, 70, 50), 0, 0.3), S.lit,
                       S.snowy)
        S.veil(base + H * 0.02, H * 0.05, 0.22)
    near = S.C(green)
    top = _ridge(W, H * 0.74, H * 0.012, rng, 2)
    _fill_below(pen, top, H, near)
    pen.rect((0, H * 0.86, W, H), fill=(*S.C(_mix(green, (0, 0, 0), 0.2)), 90))
    _path(S, W * rng.uniform(0.4, 0.6), layers[2][0] + H * 0.05, W * rng.uniform(0.3, 0.7),
          S.C(S.P((196, 172, 128), 3, 0.2) if not S.snowy else (214, 222, 236)))
    _grass(S, H * 0.74, H, S.C(_mix(green, (0, 0, 0), 0.35)), 220, lean=S.wind)
    for _ in range(0 if S.snowy else 70):
        x, y, r = rng.uniform(0, W), rng.uniform(H * 0.76, H), rng.uniform(2.5, 5)
        pen.ell((x - r, y - r, x + r, y + r), fill=S.C(_mix(S.cols[rng.integers(5)], (255, 255, 255), 0.35)))
    return H * 0.93


def _fields(S, top, th, rows, depth, fields, hedge):
    """A patchwork of fields over a hill: bands following its curve, cut into skewed plots, hedges between."""
    pen, rng = S.pen, S.rng
    hedge_c = S.C(S.P((54, 82, 50), 0, 0.2), depth)
    lit = S.C(_mix(S.sun_col, (255, 255, 255), 0.3), depth)
    prev = top
    cuts = [0] + sorted(set(int(c) for c in rng.uniform(2, 62, 9))) + [64]
    for j in range(rows):
        wob = rng.uniform(0, 6.3)
        nxt = top + np.stack([np.zeros(65), (j + 1) * th + 5 * np.sin(wob + np.linspace(0, 6, 65))], 1)
        shift = [0] + [int(v) for v in rng.integers(-2, 3, len(cuts) - 2)] + [0]
        low = [min(64, max(0, c + d)) for c, d in zip(cuts, shift)]
        for k in range(len(cuts) - 1):
            a0, a1, b0, b1 = cuts[k], cuts[k + 1], low[k], low[k + 1]
            if a1 <= a0 or b1 <= b0:
                continue
            poly = list(prev[a0:a1 + 1].ravel()) + list(nxt[b0:b1 + 1][::-1].ravel())
            pen.poly(poly, fill=S.C(S.P(fields[rng.integers(len(fields))], 2, 0.15), depth))
            if rng.random() < 0.3:  # furrows
                for f in np.linspace(0.2, 0.8, 4):
                    i0, i1 = int(a0 + (b0 - a0) * f), int(a1 + (b1 - a1) * f)
                    pen.line([*prev[a0], *(prev[a0] + (nxt[b0] - prev[a0]) * f),
                              *(prev[a1] + (nxt[b1] - prev[a1]) * f)][2:],
                             fill=(*hedge_c, 50), width=1)
        pen.line(list(prev.ravel()), fill=(*lit, 70), width=1)
        for c, d in zip(cuts[1:-1], low[1:-1]):
            pen.line([*prev[c], *nxt[d]], fill=hedge_c, width=hedge * 0.8)
        pen.line(list(nxt.ravel()), fill=hedge_c, width=hedge)
        prev = nxt
        cuts = sorted(set(low + [int(c) for c in rng.uniform(2, 62, 3)]))


def _castle(S, x, base, depth):
    pen, c = S.pen, S.C(S.P((150, 146, 150), 1, 0.2), depth)
    roof = S.C(S.P((90, 70, 110), 0, 0.3), depth)
    pen.rect((x - 50, base - 46, x + 50, base), fill=c)
    for tx, th in ((x - 56, 80), (x + 44, 80), (x - 8, 110)):
        pen.rect((tx, base - th, tx + 14, base), fill=c)
        pen.poly([tx - 4, base - th, tx + 7, base - th - 26, tx + 18, base - th], fill=roof)
        pen.rect((tx + 5, base - th + 14, tx + 9, base - th + 22),
                 fill=S.E((255, 210, 120), depth) if S.lit > 0.2 else S.C((40, 40, 60), depth))
    for i in range(8):
        pen.rect((x - 48 + i * 13, base - 52, x - 42 + i * 13, base - 45), fill=c)


def forest(S):
    pen, rng, W, H, hy = S.pen, S.rng, S.W, S.H, S.hy
    pine = _has(S.text, "pine", "fir", "conifer", "spruce", "taiga", "snow", "winter", "boreal")
    fol = ([(196, 96, 36), (222, 146, 48), (170, 60, 34), (228, 180, 70)] if S.autumn else
           [(58, 104, 62), (44, 90, 64), (84, 124, 70), (70, 112, 80)])
    fol = [S.P(f, 1, 0.2) for f in fol]
    bark = S.P((92, 70, 56), 0, 0.3)
    floor = (232, 236, 244) if S.snowy else S.P((118, 104, 62) if S.autumn else (74, 96, 58), 1, 0.2)
    if not S.snowy:  # the air between the trees takes their colour
        S.haze = _mix(S.haze, S.C(_mix(fol[0], (255, 255, 255), 0.3)), 0.45)
    for depth, n, hmin, hmax, base in ((0.82, 46, 110, 180, hy), (0.66, 34, 160, 250, hy + H * 0.03)):
        for x in np.sort(rng.uniform(-40, W + 40, n)):
            _tree(S, x, base + rng.uniform(-4, 8), rng.uniform(hmin, hmax), depth, fol[rng.integers(len(fol))],
                  pine or rng.random() < 0.3, S.wind * 0.4, S.snowy)
        S.veil(base, H * 0.22, 0.55)
    _fill_below(pen, _ridge(W, hy + H * 0.05, H * 0.01, rng, 2), H, S.C(floor, 0.5))
    for depth, n, w0, w1, base in ((0.52, 14, 9, 16, hy + H * 0.07), (0.34, 8, 18, 30, hy + H * 0.12)):
        for x in rng.uniform(0, W, n):
            w = rng.uniform(w0, w1)
            lean = S.wind * rng.uniform(0, 14)
            pen.poly([x - w, base, x + w, base, x + w * 0.7 + lean, -10, x - w * 0.7 + lean, -10],
                     fill=S.C(bark, depth))
            s = S.light_side(x)
            pen.poly([x + s * w * 0.2, base, x + s * w, base,
                      x + s * w * 0.7 + lean, -10, x + s * w * 0.15 + lean, -10],
                     fill=S.C(_mix(bark, (255, 230, 180), 0.18), depth))
            by = rng.uniform(H * 0.1, H * 0.3)
            pen.line([x, by, x + s * rng.uniform(40, 90), by - rng.uniform(20, 50)], fill=S.C(bark, depth),
                     width=w * 0.4)
            pen.ell((x - w * 2.2, base - 6, x + w * 2.2, base + 6), fill=S.C(_mix(floor, (0, 0, 0), 0.3), depth))
        S.veil(base, H * 0.25, 0.35)
    for i in range(60):  # the canopy overhead
        x, y, r = rng.uniform(-60, W + 60), rng.uniform(-H * 0.08, H * 0.09), rng.uniform(50, 120)
        f = fol[rng.integers(len(fol))]
        pen.ell((x - r, y - r * 0.6, x + r, y + r * 0.6), fill=S.C(_mix(f, (0, 0, 0), 0.35 if i < 36 else 0.15), 0.12))
    if S.tod != "night" and S.weather in ("clear", "fog", "cloudy"):
        sx = min(max(S.sun[0], W * 0.2), W * 0.8)
        for _ in range(6):
            x0, sp = sx + rng.uniform(-W * 0.3, W * 0.3), rng.uniform(20, 60)
            dx = (x0 - sx) * 0.5 + rng.uniform(-40, 40)
            pen.poly([x0 - sp * 0.3, 0, x0 + sp * 0.3, 0, x0 + dx + sp, H * 0.8, x0 + dx - sp, H * 0.8],
                     fill=(*S.E(_mix(S.sun_col, (255, 255, 255), 0.3)), 22 if S.weather == "clear" else 30))
    top = _ridge(W, H * 0.76, H * 0.01, rng, 2)
    _fill_below(pen, top, H, S.C(floor))
    _path(S, W * rng.uniform(0.4, 0.6), hy + H * 0.08, W * rng.uniform(0.4, 0.6),
          S.C(_mix(floor, (210, 180, 130), 0.45) if not S.snowy else (214, 222, 236)), 180)
    for _ in range(22):  # bushes along the floor
        x, y = rng.uniform(0, W), rng.uniform(hy + H * 0.08, H * 0.8)
        s_ = 0.4 + (y - hy) / (H - hy)
        f = fol[rng.integers(len(fol))]
        depth = 0.35 * (1.2 - s_)
        for k in range(5):
            bx, r = x + (k - 2) * 16 * s_, rng.uniform(14, 26) * s_
            pen.ell((bx - r, y - r * 1.4, bx + r, y + 2), fill=S.C(_mix(f, (0, 0, 0), 0.4), depth))
        for k in range(3):
            bx, r = x + (k - 1) * 16 * s_ + S.light_side(x) * 6, rng.uniform(8, 16) * s_
            pen.ell((bx - r, y - r * 2.4, bx + r, y - r * 0.6), fill=S.C(_mix(f, (0, 0, 0), 0.1), depth))
    _grass(S, H * 0.76, H, S.C(_mix(floor, (0, 0, 0), 0.35)), 140)
    if S.autumn:
        for _ in range(90):
            x, y, r = rng.uniform(0, W), rng.uniform(H * 0.77, H), rng.uniform(2, 4.5)
            pen.ell((x - r * 1.4, y - r, x + r * 1.4, y + r), fill=S.C(fol[rng.integers(len(fol))]))
    for x in (rng.uniform(-50, 40), rng.uniform(W - 40, W + 50)):  # two great trunks close to us
        w = rng.uniform(44, 64)
        pen.poly([x - w * 1.3, H, x + w * 1.3, H, x + w * 0.8, -10, x - w * 0.8, -10],
                 fill=S.C(_mix(bark, (0, 0, 0), 0.45)))
    return H * 0.93


def desert(S):
    pen, rng, W, H, hy = S.pen, S.rng, S.W, S.H, S.hy
    sand = S.P((222, 178, 118), 3, 0.2)
    red = S.P((178, 88, 54), 1, 0.25)
    for depth, n in ((0.62, 3), (0.45, 2)):  # mesas and buttes: sheer cliffs over slopes of scree
        for mx in rng.uniform(0, W, n):
            mw, mh = rng.uniform(80, 220), rng.uniform(70, 150) * (1.4 - depth)
            base = hy + 6
            top, foot = base - mh, base - mh * rng.uniform(0.3, 0.45)
            cl, cr = mx - mw * rng.uniform(0.55, 0.7), mx + mw * rng.uniform(0.5, 0.65)
            s = S.light_side(mx)
            pen.poly([mx - mw, base, cl - mw * 0.08, foot, cl, top, cr, top, cr + mw * 0.08, foot, mx + mw, base],
                     fill=S.C(red, depth))
            lit_x = cr if s > 0 else cl  # the cliff face towards the sun catches the light
            pen.poly([lit_x, top, lit_x + s * mw * 0.08, foot, lit_x - s * mw * 0.25, foot, lit_x - s * mw * 0.2, top],
                     fill=S.C(_mix(red, (255, 220, 170), 0.25), depth))
            pen.poly([mx - mw, base, cl - mw * 0.08, foot, cr + mw * 0.08, foot, mx + mw, base],
                     fill=S.C(_mix(red, sand, 0.45), depth))
            for k in range(2):
                y = top + (foot - top) * (0.35 + 0.3 * k)
                pen.line([cl + 2, y, cr - 2, y + rng.uniform(-2, 2)], fill=S.C(_mix(red, (0, 0, 0), 0.18), depth),
                         width=2)
            pen.rect((cl, top, cr, top + 5), fill=S.C(_mix(red, (255, 230, 190), 0.25), depth))
        S.veil(hy + 6, H * 0.06, 0.25)
    lee = -S.light_side(W / 2)  # slip faces look away from the sun
    for li, (depth, base) in enumerate(((0.55, hy + H * 0.025), (0.4, hy + H * 0.08), (0.25, hy + H * 0.14),
                                        (0.08, H * 0.78))):
        _dunes(S, base, depth, li, sand, red, lee)
        if li == 1 and (_has(S.text, "canyon", "cactus", "west", "mesa", "ranch") or rng.random() < 0.5):
            for _ in range(int(rng.integers(2, 5))):
                _cactus(S, rng.uniform(0, W), base + rng.uniform(10, 30), rng.uniform(40, 80), depth)
    for _ in range(50):
        y = rng.uniform(H * 0.78, H)
        x, ln = rng.uniform(0, W), rng.uniform(30, 90)
        pen.arc((x - ln, y - 6, x + ln, y + 6), 200, 340, fill=(*S.C(_mix(sand, red, 0.4)), 140), width=2)
    for _ in range(5):  # stones half sunk in the sand, each with its shadow
        x, y, r = rng.uniform(0, W), rng.uniform(H * 0.8, H), rng.uniform(8, 20)
        pen.ell((x - r * 1.4 - S.light_side(x) * r * 0.6, y - r * 0.15, x + r * 1.4 - S.light_side(x) * r * 0.6,
                 y + r * 0.3), fill=(*S.C(_mix(red, (0, 0, 0), 0.4)), 90))
        pen.chord((x - r, y - r * 0.8, x + r, y + r * 0.4), 180, 360, fill=S.C(_mix(red, sand, 0.3)))
        pen.chord((x - r * 0.7 + S.light_side(x) * r * 0.2, y - r * 0.7, x + r * 0.5 + S.light_side(x) * r * 0.2,
                   y - r * 0.1), 180, 360, fill=S.C(_mix(red, (255, 236, 200), 0.35)))
    return H * 0.93


def _dunes(S, base, depth, li, sand, red, lee):
    """A row of dunes: one ridge of crests, lit sand below it, and a crescent of shadow on each slip face."""
    pen, rng, W = S.pen, S.rng, S.W
    xs = np.linspace(-40, W + 40, 161)
    ys = np.full_like(xs, base + 40.0)
    crests = []
    x = -rng.uniform(0, 300)
    while x < W + 300:
        cx, hgt = x, rng.uniform(24, 60) * (1 + li * 0.5)
        ww, lw = rng.uniform(180, 340) * (1 + li * 0.3), rng.uniform(60, 130) * (1 + li * 0.3)
        u = (xs - cx) * -lee  # >0 on the windward side, <0 on the slip face
        prof = np.where(u >= 0, hgt * np.clip(1 - u / ww, 0, 1) ** 1.7, hgt * np.clip(1 + u / lw, 0, 1) ** 0.7)
        ys = np.minimum(ys, base - prof)
        crests.append((cx, base - hgt, lw))
        x += rng.uniform(200, 380) * (1 + li * 0.3)
    lit_c, dark_c = S.C(_mix(sand, (255, 244, 220), 0.12), depth), S.C(_mix(sand, red, 0.42), depth)
    _fill_below(pen, np.stack([xs, ys], 1), S.H + 10, lit_c)
    for cx, cy, lw in crests:
        if abs(float(np.interp(cx, xs, ys)) - cy) > 2:
            continue  # this crest is hidden behind a taller one
        pts = []
        for k in range(11):
            xx = cx + lee * lw * 1.3 * k / 10
            pts += [xx, float(np.interp(xx, xs, ys))]
        for k in range(10, -1, -1):
            xx = cx + lee * lw * 1.3 * k / 10
            pts += [xx, float(np.interp(xx, xs, ys)) + (base + 30 - cy) * 0.7 * math.sin(math.pi * k / 10) ** 0.6]
        pen.poly(pts, fill=dark_c)
        pen.line([cx - lee * 60, float(np.interp(cx - lee * 60, xs, ys)), cx, cy],
                 fill=S.C(_mix(sand, (255, 250, 235), 0.4), depth),
                 width=2)


def _cactus(S, x, base, h, depth):
    c = S.C(S.P((70, 120, 70), 1, 0.2), depth)
    w = h * 0.09
    S.pen.rect((x - w, base - h, x + w, base), fill=c, r=w)
    for s, y in ((-1, 0.55), (1, 0.4)):
        S.pen.rect((x + s * w * 0.5, base - h * y - w * 0.9, x + s * w * 3, base - h * y + w * 0.9), fill=c, r=w * 0.8)
        ax = x + s * w * 3
        S.pen.rect((ax - w * 0.9, base - h * (y + 0.28), ax + w * 0.9, base - h * y + w * 0.9), fill=c, r=w * 0.8)


def snow(S):
    pen, rng, W, H, hy = S.pen, S.rng, S.W, S.H, S.hy
    white, blue = (244, 246, 252), S.P((184, 200, 228), 2, 0.25)
    _mountains(S, hy, hy - H * 0.3, 5, 0.7)
    S.veil(hy, H * 0.14, 0.5)
    for li, (depth, base) in enumerate(((0.55, hy + H * 0.02), (0.38, hy + H * 0.08), (0.22, hy + H * 0.14))):
        top = _ridge(W, base, H * 0.03, rng, 3)
        _fill_below(pen, top, H, S.C(white, depth))
        shade = top + [0, 10 + 8 * li]
        lit_right = S.sun[0] > W / 2
        pts = shade if lit_right else shade[::-1]
        pen.poly(list(pts.ravel()) + [pts[-1, 0], base + H * 0.2, pts[0, 0], base + H * 0.2],
                 fill=(*S.C(blue, depth), 70))
        xs = np.sort(rng.uniform(-20, W + 20, 16 + 8 * li))
        for x in xs:
            if li == 2 and W * 0.25 < x < W * 0.75:
                continue
            _tree(S, x, _at(top, x) + 6, rng.uniform(50, 80) * (1 + 0.7 * li), depth, S.P((40, 84, 70), 0, 0.2),
                  True, S.wind * 0.3, True)
        if li == 1 and (rng.random() < 0.6 or _has(S.text, "cabin", "cottage", "village")):
            x = rng.uniform(W * 0.1, W * 0.8)
            _house(S, x, _at(top, x) + 8, 60, 36, depth, S.P((130, 80, 56), 1, 0.2), (80, 60, 50), max(S.lit, 0.6),
                   True)
        S.veil(base + 6, H * 0.06, 0.3)
    top = _ridge(W, H * 0.75, H * 0.014, rng, 2)
    _fill_below(pen, top, H, S.C(white))
    for _ in range(14):  # soft drifts with blue shadows
        x, y, r = rng.uniform(0, W), rng.uniform(H * 0.77, H), rng.uniform(40, 140)
        pen.ell((x - r, y - r * 0.12, x + r, y + r * 0.12), fill=(*S.C(blue), 90))
        pen.ell((x - r * 0.9, y - r * 0.16, x + r * 0.9, y + r * 0.06), fill=S.C(white))
    x = W * rng.uniform(0.3, 0.7)
    for i in range(18):  # footprints wandering off
        t = i / 18
        y = H - (H - hy - H * 0.12) * t
        fx = x + 40 * math.sin(t * 5) * (1 - t) + (i % 2 - 0.5) * 12 * (1 - t)
        r = 7 * (1 - t) + 1
        pen.ell((fx - r, y - r * 0.5, fx + r, y + r * 0.5), fill=(*S.C(blue), 150))
    return H * 0.93


def storm(S):
    pen, rng, W, H, hy = S.pen, S.rng, S.W, S.H, S.hy
    moor = S.P((96, 108, 70), 1, 0.25)
    sea_edge = rng.random() < 0.5
    if sea_edge:
        _sea(S, hy - H * 0.02, hy + H * 0.06, S.P((50, 80, 96), 0, 0.3), 1.0, glitter=False)
    for li, (depth, base) in enumerate(((0.6, hy), (0.42, hy + H * 0.05), (0.25, hy + H * 0.11))):
        top = _ridge(W, base, H * 0.035, rng, 3)
        _fill_below(pen, top, H, S.C(_mix(moor, (60, 50, 40), 0.15 * li), depth))
        for x in rng.uniform(0, W, 2 + 2 * li):
            _tree(S, x, _at(top, x) + 4, rng.uniform(40, 70) * (1 + li * 0.6), depth, S.P((60, 84, 56), 1, 0.2),
                  False, lean=0.8 * S.wind_dir)
        S.veil(base + 10, H * 0.08, 0.35)
    top = _ridge(W, H * 0.76, H * 0.012, rng, 2)
    _fill_below(pen, top, H, S.C(_mix(moor, (50, 40, 30), 0.2)))
    d = S.wind_dir
    tx = W * (0.1 if d > 0 else 0.9)  # the great tree, bent by the wind into the frame
    base = _at(top, tx) + 10
    _windswept(S, tx, base, H * 0.5, d, S.P((56, 76, 50), 0, 0.25))
    for _ in range(40):  # leaves torn off and carried by the wind
        x, y = rng.uniform(0, W), rng.uniform(H * 0.1, H * 0.8)
        a, r = rng.uniform(0, 6.3), rng.uniform(2, 5)
        pen.poly([x, y, x + math.cos(a) * r * 2, y + math.sin(a) * r, x + math.cos(a + 2) * r, y + math.sin(a + 2) * r],
                 fill=S.C((70, 90, 50), 0.2))
    _grass(S, H * 0.76, H, S.C(_mix(moor, (0, 0, 0), 0.3)), 260, 18, 1.6 * S.wind_dir)
    return H * 0.93


def _windswept(S, x, base, ht, d, fol):
    """A tree bent over by a gale: a curving trunk, its crown streaming out downwind."""
    pen, rng = S.pen, S.rng
    trunk = S.C((52, 42, 36))
    pts = [(x + d * ht * 0.5 * (k / 8) ** 2, base - ht * 0.75 * (k / 8)) for k in range(9)]
    for k, ((x0, y0), (x1, y1)) in enumerate(zip(pts, pts[1:])):
        pen.line([x0, y0, x1, y1], fill=trunk, width=max(3.0, 26 - k * 3))
    for k in (3, 5, 7):  # branches swept downwind
        bx, by = pts[k]
        pen.line([bx, by, bx + d * ht * 0.35, by + ht * 0.05, bx + d * ht * 0.5, by + ht * 0.1], fill=trunk,
                 width=6 - k * 0.5)
    dark, lit = S.C(_mix(fol, (0, 0, 0), 0.25)), S.C(_mix(fol, (220, 230, 200), 0.15))
    tx, ty = pts[-1]
    for i in range(22):  # the crown, combed out downwind in tufts
        f = i / 22
        cx = tx + d * ht * rng.uniform(-0.05, 0.45) * (0.5 + f)
        cy = ty + ht * rng.uniform(-0.1, 0.14)
        rx, ry = rng.uniform(0.07, 0.13) * ht, rng.uniform(0.05, 0.08) * ht
        pen.ell((cx - rx, cy - ry, cx + rx, cy + ry), fill=dark if i < 14 else lit)
        if i < 14:
            pen.poly([cx + d * rx * 0.6, cy - ry * 0.8, cx + d * rx * 1.9, cy + ry * 0.2, cx + d * rx * 0.6,
                      cy + ry * 0.7],
                     fill=dark)
