"""Drawn characters for the offline provider: a person, an owl, a robot or an animal, picked by
keywords in the character's name and description.

Why it exists: a character with no reference photo still needs a sheet, and the pipeline scores
sheets and keyframes by resemblance, so each drawing must be recognisable and stable. Identity
(species, colours, hair, accessories) comes from a generator seeded by the text alone, so every
seed draws the same character; the seed's generator only moves small things (gaze, mouth).
Drawings are made in 640x720 design units (the sheet's portrait box) on a 2x canvas and
box-reduced. ``offline_art.figure_sheet`` frames the result as a sheet.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from core.providers.offline_draw import _PH, _PW, _RGB, _Pen, _by_lum, _has, _is, _mix, _to_img

_SKINS = [(255, 224, 196), (241, 194, 160), (224, 172, 130), (198, 134, 96), (141, 85, 54), (96, 62, 42)]
_HAIRS = [(40, 30, 25), (90, 56, 32), (160, 100, 50), (215, 170, 90), (120, 40, 25), (30, 30, 38)]
_IRISES = [(92, 60, 35), (60, 110, 160), (70, 120, 70), (130, 100, 50)]
_FURS = {"fox": (214, 110, 40), "wolf": (130, 130, 140), "cat": (150, 150, 155), "dog": (170, 120, 70),
         "bear": (120, 80, 50), "rabbit": (215, 205, 195), "mouse": (160, 150, 150)}
_CREATURES = [("owl", ("owl", "bird", "gull", "seagull", "pigeon", "sparrow", "robin", "parrot", "raven", "crow",
                       "puffin", "heron", "hawk", "eagle")),  # any bird is drawn as the one bird there is ("robot", ("robot", "android", "automaton", "machine", "mech")),
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



def _draw_figure(text: str, cols: list[_RGB], h: np.random.Generator, s: np.random.Generator) -> Image.Image:
    """The portrait (``_PW`` x ``_PH``) of the character ``text`` describes. ``h`` (seeded by the
    text) fixes identity; ``s`` (seeded by the seed) moves details and is left advanced, because
    the caller draws the sheet's background from it next."""
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
    return canvas.reduce(k)
