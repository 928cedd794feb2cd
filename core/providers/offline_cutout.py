"""People cut out of their portraits, for the offline keyframes: OpenCV's GrabCut, seeded by the face.

Why it is built this way: a keyframe must show the character standing in the scene, not their photo
pasted as a card with its own wall behind them. GrabCut (graph cuts over colour models of the
foreground and background) needs no model download and runs in well under a tenth of a second at the
size it is run at here. What it needs is a good seed, and a portrait gives one: the face (found by
dlib, see core.faces) is certainly the person, a head-and-shoulders shape below and around it is
probably the person, the top border is certainly background, and the sides above the shoulders are.
For a drawn figure with no face the detector can find, the same shape is laid on the portrait's centre.

The result is checked before it is used (not too small, not the whole picture, the face inside it, the
top edge clear); a cut-out that fails is reported as such and the caller falls back to the old card,
saying so on the take. Results are cached by the portrait's bytes, so every keyframe of a character
reuses the one cut-out of its sheet.
"""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

import numpy as np
from PIL import Image

_WORK = 240  # GrabCut runs on a copy this many pixels tall (its time grows with the pixels)


@dataclass(frozen=True)
class Cutout:
    alpha: Image.Image | None   # "L", the portrait's size: 255 is the person; None when the cut failed
    face: tuple[int, int, int, int] | None  # where the face is in the portrait, if it was found
    note: str = ""              # why the cut failed, for the take's note

    @property
    def ok(self) -> bool:
        return self.alpha is not None


def cut_out(portrait: Image.Image) -> Cutout:
    """The person in `portrait` (an RGB PIL image) as a soft alpha matte."""
    rgb = portrait.convert("RGB")
    key = hashlib.sha256(rgb.tobytes() + repr(rgb.size).encode()).hexdigest()
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    found = _cut(rgb)
    with _LOCK:
        _CACHE[key] = found
        while len(_CACHE) > 64:
            _CACHE.pop(next(iter(_CACHE)))
    return found


_CACHE: dict[str, Cutout] = {}
_LOCK = threading.Lock()


def _cut(rgb: Image.Image) -> Cutout:
    import cv2

    from core import faces

    W, H = rgb.size
    k = _WORK / H
    w, h = max(8, round(W * k)), _WORK
    small = np.ascontiguousarray(np.asarray(rgb.resize((w, h), Image.Resampling.BOX))[..., ::-1])  # BGR
    found = faces.boxes_in(rgb, smallest=0.2) if faces.available() else []  # a portrait's face is a large part
    face = found[0] if found else None
    if face is not None:
        fx0, fy0, fx1, fy1 = (v * k for v in face)
    else:  # a drawn figure: its head is drawn in the upper middle of the portrait
        fx0, fy0, fx1, fy1 = 0.33 * w, 0.2 * h, 0.67 * w, 0.55 * h
    fw, fh = fx1 - fx0, fy1 - fy0
    cx = (fx0 + fx1) / 2
    mask = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    # Probably the person: the head with its hair, and shoulders widening below the chin to the bottom edge.
    head = ((xx - cx) / (0.85 * fw)) ** 2 + ((yy - (fy0 + fy1) / 2 + 0.12 * fh) / (0.85 * fh)) ** 2 <= 1
    chin = fy1 + 0.1 * fh
    spread = np.clip((yy - chin) / max(1.0, h - chin), 0, 1)
    body = (yy >= chin - 0.2 * fh) & (np.abs(xx - cx) <= fw * (0.55 + 1.45 * np.sqrt(spread)))
    mask[head | body] = cv2.GC_PR_FGD
    # Certainly the person: the inner face and a column of chest under it.
    inner = (np.abs(xx - cx) <= 0.3 * fw) & (yy >= fy0 + 0.25 * fh) & (yy <= fy1 - 0.1 * fh)
    chest = (np.abs(xx - cx) <= 0.45 * fw) & (yy >= fy1 + 0.5 * fh)
    mask[inner | chest] = cv2.GC_FGD
    # Certainly not: the top border, and the sides down to the chin (below it, shoulders may reach the edge).
    b = max(2, round(0.03 * w))
    mask[:b, :] = cv2.GC_BGD
    mask[: int(chin), :b] = cv2.GC_BGD
    mask[: int(chin), w - b:] = cv2.GC_BGD
    if face is None:  # drawn figures are drawn within the middle 84% of their portrait
        mask[:, : int(0.08 * w)] = cv2.GC_BGD
        mask[:, w - int(0.08 * w):] = cv2.GC_BGD
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    try:
        # GrabCut seeds its colour models with k-means++ from OpenCV's per-thread generator: seeded here, the same
        # portrait gives the same matte in any thread, process or order of calls.
        cv2.setRNGSeed(0)
        cv2.grabCut(small, mask, None, bgd, fgd, 3, cv2.GC_INIT_WITH_MASK)
    except cv2.error as err:
        return Cutout(None, face, f"the cut-out failed ({(getattr(err, 'err', '') or 'OpenCV error')[:80]})")
    person = np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
    person = cv2.morphologyEx(person, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(person, connectivity=8)
    if n > 1:  # the pieces holding the face or chest are the person; islands of background colour are not
        keep = np.unique(labels[inner | chest])
        keep = keep[keep > 0]
        if not keep.size:
            keep = np.array([1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))])
        person = np.isin(labels, keep).astype(np.uint8)
    # Holes inside the person (a background-coloured shirt) are filled: flood the outside from the top.
    flood = person.copy()
    cv2.floodFill(flood, np.zeros((h + 2, w + 2), np.uint8), (0, 0), 1)
    person = person | (1 - flood)
    problem = _implausible(person, (fx0, fy0, fx1, fy1) if face is not None else None)
    if problem:
        return Cutout(None, face, problem)
    matte = cv2.resize(person.astype(np.float32), (W, H), interpolation=cv2.INTER_LINEAR)
    matte = cv2.GaussianBlur(matte, (0, 0), max(1.0, 1.2 / k * 0.5))  # a soft edge of about a pixel and a half
    # Where the person runs off the portrait's sides (a shoulder cut by the photo's frame), fade them out, so the
    # photo's straight edge never shows in the scene.
    ramp = np.clip(np.minimum(np.arange(W), np.arange(W)[::-1]) / (0.08 * W), 0, 1).astype(np.float32)
    matte *= ramp[None, :] ** 0.8
    return Cutout(Image.fromarray(np.clip(matte * 255 + 0.5, 0, 255).astype(np.uint8)), face)


def _implausible(person: np.ndarray, face: tuple[float, float, float, float] | None) -> str:
    """Why this mask is not a person, or "" when it looks like one (`face`: where the found face is)."""
    h, w = person.shape
    share = float(person.mean())
    if share < 0.12:
        return f"the cut-out kept only {share:.0%} of the portrait"
    if share > 0.88:
        return "the cut-out could not tell the person from the background"
    x0, y0, x1, y1 = (int(round(v)) for v in face) if face is not None else (0, 0, 0, 0)
    inside = person[max(0, y0):max(1, y1), max(0, x0):max(1, x1)]
    if face is not None and inside.size and inside.mean() < 0.7:
        return "the cut-out lost part of the face"
    top = person[: max(2, h // 40)].astype(np.float32)
    if face is not None and y0 <= h // 20:  # a head cut by the top edge reaches it; the wall beside it must not
        top[:, max(0, int(x0 - 0.3 * (x1 - x0))):int(x1 + 0.3 * (x1 - x0))] = 0
    if top.mean() > 0.25:
        return "the cut-out ran into the top of the picture"
    return ""
