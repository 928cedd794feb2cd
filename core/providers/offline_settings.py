"""Backdrops for the offline provider: sky, sun and clouds, ridges, mountains, dunes, trees,
buildings, water and boats, interiors and weather, picked by keywords in the setting and mood.

Why it exists: every keyframe and ``draw_setting`` call starts from one of these scenes, and it
is the largest single piece of drawing code, so it lives apart from sheets and scoring.
"harbour town at sunset" gets water, boats and lit windows; "a clockmaker's workshop" gets an
interior with clocks and gears. Sky gradients and glow are done once at 1x in numpy; flat shapes
go on a 2x canvas (``_Pen``) that callers box-reduce. Every random choice comes from ``_rng``
seeded by the seed and text, so the same inputs give the same picture.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from core.providers.offline_draw import Palette, _Pen, _by_lum, _colours, _has, _mix, _rng, _to_img

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
