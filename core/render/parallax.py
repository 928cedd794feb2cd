"""Frames of a camera move over a still, flat or in depth: what core.render.motion encodes.

Why it is built this way: the offline clip is the most expensive thing the offline film makes (a frame
costs what the encoder spends on it plus what Python spends making it), so each frame is a few affine
warps in OpenCV (SIMD, sub-pixel, a millisecond or two each) rather than PIL resizes, and the layers are
blended only inside the rectangle each one covers.

With depth layers (core.render.layers) the backdrop moves at about half the camera's speed, the people
at its speed and what stands in front of them faster, so a pan or a push opens the space up; each person
also breathes (a slow, small scale about their base) and sways a little, out of step with each other. A
still without layers gets the same camera path over the whole picture.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np

from core.render.layers import Layers

BACK, PEOPLE, FRONT = 0.55, 1.0, 1.6  # how far each layer moves for the camera's one


def _window(path_point: tuple[float, float, float], factor: float, w: int, h: int) -> np.ndarray:
    """The 2x3 affine map from a layer to the frame, for the camera at `path_point` seen at depth `factor`."""
    cx, cy, zoom = path_point
    z = max(1.0, 1.0 + (max(zoom, 1.0) - 1.0) * factor)
    cx, cy = 0.5 + (cx - 0.5) * factor, 0.5 + (cy - 0.5) * factor
    vw, vh = w / z, h / z
    x0 = min(max(cx * w - vw / 2, 0.0), w - vw)  # the window never leaves the layer
    y0 = min(max(cy * h - vh / 2, 0.0), h - vh)
    return np.array([[z, 0.0, -x0 * z], [0.0, z, -y0 * z]], dtype=np.float64)


def flat_frames(still, path: Callable[[float], tuple[float, float, float]], frames: int) -> Iterator[np.ndarray]:
    """RGB frames (H x W x 3 uint8) of the camera moving over the whole still."""
    import cv2

    key = np.ascontiguousarray(np.asarray(still.convert("RGB")))
    h, w = key.shape[:2]
    for i in range(frames):
        m = _window(path(i / max(1, frames - 1)), 1.0, w, h)
        yield cv2.warpAffine(key, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


class _Sprite:
    """A premultiplied RGBA piece of the frame (a person, or the foreground) and where it sits."""

    def __init__(self, rgb: np.ndarray, alpha: np.ndarray, origin: tuple[int, int]):
        a = alpha.astype(np.uint16)[..., None]
        premultiplied = ((rgb.astype(np.uint16) * a + 127) // 255).astype(np.uint8)
        self.rgba = np.ascontiguousarray(np.concatenate([premultiplied, alpha[..., None].astype(np.uint8)], axis=2))
        self.x, self.y = origin
        self.h, self.w = alpha.shape

    def draw(self, out: np.ndarray, m: np.ndarray) -> None:
        """Blend into `out` through the map `m` (sprite pixels to frame pixels), only where it lands."""
        import cv2

        H, W = out.shape[:2]
        corners = np.array([[self.x, self.y, 1], [self.x + self.w, self.y, 1], [self.x, self.y + self.h, 1],
                            [self.x + self.w, self.y + self.h, 1]], dtype=np.float64) @ m.T
        x0, y0 = max(0, int(math.floor(corners[:, 0].min())) - 1), max(0, int(math.floor(corners[:, 1].min())) - 1)
        x1, y1 = min(W, int(math.ceil(corners[:, 0].max())) + 1), min(H, int(math.ceil(corners[:, 1].max())) + 1)
        if x1 <= x0 or y1 <= y0:
            return
        # From sprite-local pixels: shift to its frame origin, map, then shift to the region's origin.
        local = m.copy()
        local[:, 2] = m[:, 2] + m[:, 0] * self.x + m[:, 1] * self.y - (x0, y0)
        piece = cv2.warpAffine(self.rgba, local, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
        # Premultiplied "over", on contiguous arrays (OpenCV is several times slower on strided views).
        keep = cv2.cvtColor(255 - piece[..., 3], cv2.COLOR_GRAY2RGB)
        under = np.ascontiguousarray(out[y0:y1, x0:x1])
        out[y0:y1, x0:x1] = cv2.add(cv2.multiply(under, keep, scale=1 / 255),
                                    cv2.cvtColor(piece, cv2.COLOR_RGBA2RGB))


def depth_frames(still, layers: Layers, path: Callable[[float], tuple[float, float, float]], frames: int,
                 duration: float, seed: int = 0) -> Iterator[np.ndarray]:
    """RGB frames of the camera moving through the keyframe's depth layers, with the people breathing."""
    import cv2

    key = np.asarray(still.convert("RGB"))
    h, w = key.shape[:2]
    plate = np.ascontiguousarray(np.asarray(layers.plate.convert("RGB").resize((w, h))))
    people = []
    for i, p in enumerate(layers.people):
        x0, y0, x1, y1 = p.box
        cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        if cx1 <= cx0 or cy1 <= cy0:
            continue
        alpha = np.asarray(p.alpha.convert("L"))[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0]
        # The person's own pixels when the keyframe kept them; else the frame's (with the foreground on them).
        own = np.asarray(p.rgb.convert("RGB"))[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0] if p.rgb is not None \
            and p.rgb.size == p.alpha.size else key[cy0:cy1, cx0:cx1]
        sprite = _Sprite(own, alpha, (cx0, cy0))
        phase = ((seed >> (3 * i)) % 97) / 97 * 2 * math.pi + i * 2.1
        people.append((sprite, ((x0 + x1) / 2, y1), phase))
    fore = None
    if layers.fore is not None:
        fa = np.asarray(layers.fore.convert("RGBA").resize((w, h)))
        ys, xs = np.nonzero(fa[..., 3] > 2)
        if ys.size:
            y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
            fore = _Sprite(fa[y0:y1, x0:x1, :3], fa[y0:y1, x0:x1, 3], (int(x0), int(y0)))
    for i in range(frames):
        t = i / max(1, frames - 1)
        point = path(t)
        out = cv2.warpAffine(plate, _window(point, BACK, w, h), (w, h), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REPLICATE)
        cam = _window(point, PEOPLE, w, h)
        seconds = t * duration
        for sprite, (bx, by), phase in people:
            # Breathing about the base (a 3-4 s cycle, under 1%) and a sway of a couple of pixels.
            s = 1.0 + 0.007 * math.sin(2 * math.pi * seconds / 3.4 + phase)
            dx = 2.5 * math.sin(2 * math.pi * seconds / 4.6 + phase * 1.7)
            idle = np.array([[s, 0.0, bx * (1 - s) + dx], [0.0, s, by * (1 - s)], [0, 0, 1]])
            sprite.draw(out, (np.vstack([cam, [0, 0, 1]]) @ idle)[:2])
        if fore is not None:
            fore.draw(out, _window(point, FRONT, w, h))
        yield out
