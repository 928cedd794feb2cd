"""Camera moves rendered from a still: the offline provider's clips and the free animatic.

A move is a path of (centre x, centre y, zoom) over the shot; each frame is made by
core.render.parallax (the whole still under the camera, or, when the keyframe carries
depth layers, each layer at its own speed with the people breathing), piped raw into
x264 with the cut's encoder settings, so the result is already in the normalized form
and joins the cut by stream copy. A quiet room tone in the scene's mood gives the clip
a real audio track.
"""
from __future__ import annotations

import math
import subprocess
import tempfile

from PIL import Image, ImageDraw, ImageFont

from core import media
from core.errors import MediaError
from core.render.layers import Layers


def render_move(still: Image.Image, camera: str, duration: int | float, *, mood: str = "", seed: int = 0,
                amount: float = 1.0, label: str | None = None, layers: Layers | None = None) -> bytes:
    """An MP4 (1280x720, 24 fps, AAC) of `duration` seconds moving over `still` as `camera` says, through its
    depth `layers` when it has them (core.render.layers.read of the keyframe's bytes)."""
    import numpy as np

    from core.render import parallax

    size = (media.CUT_WIDTH, media.CUT_HEIGHT)
    key = still.convert("RGB")
    if key.size != size:
        key = key.resize(size, Image.Resampling.LANCZOS)
        layers = None  # the layers were drawn for the still's own size
    frames = round(duration * media.CUT_FPS)
    move = camera_path(camera, seed, amount=amount)
    badge = np.asarray(_badge(label)) if label else None
    if layers is not None and layers.plate.size == size:
        frames_of = parallax.depth_frames(key, layers, move, frames, float(duration), seed)
    else:
        frames_of = parallax.flat_frames(key, move, frames)
    cmd = [media.ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
           "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{media.CUT_WIDTH}x{media.CUT_HEIGHT}",
           "-r", str(media.CUT_FPS), "-i", "pipe:0",
           "-f", "lavfi", "-i", ambience(mood, duration, seed % 2**31),
           "-map", "0:v", "-map", "1:a", "-t", f"{duration:g}",
           "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1",
           *media.h264_args(preset="superfast"),
           # One encoder thread: clips are rendered side by side, one per core, and a threaded x264 spends about
           # as much again in the kernel synchronising its threads (2.4 s of CPU for a 5 s clip against 1.4 s).
           "-threads", "1"]
    # mp4 to a pipe cannot seek back for faststart, so write to a temp file instead.
    with tempfile.TemporaryDirectory(prefix="dailies-clip-") as tmp:
        out = f"{tmp}/clip.mp4"
        proc = subprocess.Popen([*cmd, "-f", "mp4", out], stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            for frame in frames_of:
                if badge is not None:
                    _stamp(frame, badge, 24, 24)
                proc.stdin.write(frame.tobytes())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        err = proc.stderr.read().decode(errors="replace")
        if proc.wait() != 0:
            raise MediaError(f"ffmpeg failed while animating a still: {err.strip()[-300:]}")
        with open(out, "rb") as f:
            return f.read()


def _stamp(frame, badge, x: int, y: int) -> None:
    """Blend an RGBA badge (numpy) onto an RGB frame (numpy) in place."""
    h, w = badge.shape[:2]
    roi = frame[y:y + h, x:x + w]
    a = badge[..., 3:4].astype("float32") / 255.0
    roi[...] = (roi * (1 - a) + badge[..., :3] * a + 0.5).astype("uint8")


def _badge(text: str) -> Image.Image:
    font = ImageFont.load_default(size=30)
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    w = int(probe.textlength(text, font=font)) + 36
    im = Image.new("RGBA", (w, 52), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.rounded_rectangle((0, 0, w - 1, 51), radius=10, fill=(180, 30, 30, 210))
    d.text((18, 9), text, font=font, fill=(255, 255, 255, 255))
    return im


def ambience(mood: str, duration: int, seed: int) -> str:
    """A quiet, mood-coloured room tone, so a clip has real (if modest) sound of its own."""
    mood = (mood or "").lower()
    cutoff = 400 if any(w in mood for w in ("tense", "dark", "sad")) else 900
    amp = 0.06 if "tense" in mood else 0.04
    return (f"anoisesrc=d={duration}:c=brown:r={media.AUDIO_RATE}:a={amp}:s={seed},lowpass=f={cutoff},"
            f"afade=t=in:d=0.4,afade=t=out:st={max(0, duration - 0.5)}:d=0.5,"
            f"aformat=channel_layouts=stereo")


def _ease(t: float) -> float:
    return t * t * (3 - 2 * t)


def camera_path(camera: str, seed: int, amount: float = 1.0):
    """Map a free-text camera direction to a path (cx, cy, zoom) over t in 0..1. No rotation: a per-frame
    rotate costs more than the whole crop-and-scale.

    `amount` scales the move (a drift correction asks for a smaller one)."""
    path = _camera_path((camera or "").lower(), ((seed % 1000) / 1000 - 0.5) * 0.04)
    if amount >= 1.0:
        return path

    def scaled(t):
        cx, cy, zoom = path(t)
        return 0.5 + (cx - 0.5) * amount, 0.5 + (cy - 0.5) * amount, 1 + (zoom - 1) * amount
    return scaled


def _camera_path(c: str, jitter: float):
    def lin(a, b):
        return lambda t: a + (b - a) * _ease(t)

    if "orbit" in c or "circle" in c or "arc" in c:
        # An arc around the subject, faked in 2D: an elliptical drift while easing in a little.
        return lambda t: (0.5 + 0.05 * math.sin(math.pi * (_ease(t) - 0.5)),
                          0.5 - 0.015 * math.cos(math.pi * (_ease(t) - 0.5)), 1.12 + 0.04 * _ease(t))
    if "pan left" in c or ("pan" in c and "left" in c):
        x = lin(0.57, 0.43)
        return lambda t: (x(t), 0.5 + jitter, 1.16)
    if "pan" in c or "track" in c or "truck" in c:
        x = lin(0.43, 0.57)
        return lambda t: (x(t), 0.5 + jitter, 1.16)
    if "tilt down" in c:
        y = lin(0.43, 0.57)
        return lambda t: (0.5 + jitter, y(t), 1.16)
    if "tilt" in c or "crane" in c or "rise" in c:
        y = lin(0.57, 0.43)
        return lambda t: (0.5 + jitter, y(t), 1.16)
    if "dolly out" in c or "pull" in c or "zoom out" in c or "back" in c:
        z = lin(1.22, 1.0)
        return lambda t: (0.5, 0.5 + 0.02 * (1 - t), z(t))
    if "dolly" in c or "push" in c or "zoom" in c or "in" in c.split():
        z = lin(1.0, 1.22)
        return lambda t: (0.5 + jitter * t, 0.5 - 0.02 * t, z(t))
    return lambda t: (0.5 + 0.01 * math.sin(math.pi * t), 0.5, 1.05 + 0.02 * t)  # static: a breathing hold
