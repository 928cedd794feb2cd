"""Real media for the fake xAI server: labelled PNGs (Pillow) and H.264 + AAC MP4s (ffmpeg).

Images are drawn fresh for every call (a different background hue and shapes per call
number, the call number and the prompt's first words written on a banner), so two takes
never have the same bytes. Videos are `testsrc2` + a sine tone, made once per
(duration, width, height) per process and then copied, because encoding is the slow part.
"""
from __future__ import annotations

import atexit
import colorsys
import io
import os
import random
import shutil
import subprocess
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

# Aspect ratio (as the SDK spells it) -> output size; unset/auto is square.
IMAGE_SIZES = {
    "1:1": (1024, 1024), "16:9": (1280, 720), "9:16": (720, 1280), "4:3": (1024, 768), "3:4": (768, 1024),
    "3:2": (1024, 768), "2:3": (768, 1024), "2:1": (1280, 640), "1:2": (640, 1280), "20:9": (1280, 576),
    "9:20": (576, 1280), "19.5:9": (1280, 590), "9:19.5": (590, 1280),
}
VIDEO_SHORT_SIDE = {"480p": 480, "720p": 720, "1080p": 1080}


def image_size(aspect_ratio: str | None) -> tuple[int, int]:
    return IMAGE_SIZES.get(aspect_ratio or "", (1024, 1024))


def video_size(aspect_ratio: str | None, resolution: str | None) -> tuple[int, int]:
    short = VIDEO_SHORT_SIDE.get(resolution or "", 720)
    a, b = (float(x) for x in (aspect_ratio or "16:9").split(":"))
    if a >= b:
        return _even(short * a / b), short
    return short, _even(short * b / a)


def _even(x: float) -> int:
    return int(round(x / 2)) * 2


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has only the small bitmap font
        return ImageFont.load_default()


def make_png(prompt: str, n: int, size: tuple[int, int], *, references: int = 0, variant: int = 0) -> bytes:
    """A PNG that is visibly call number `n` (image `variant` of it): its own colours and shapes, and a
    banner with the prompt's first words."""
    w, h = size
    rng = random.Random(f"{n}:{variant}:{prompt}")
    hue = (n * 0.618034 + variant * 0.37) % 1.0
    bg = tuple(int(c * 255) for c in colorsys.hsv_to_rgb(hue, 0.35, 0.9))
    im = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(im)
    for _ in range(7):
        c = tuple(int(x * 255) for x in colorsys.hsv_to_rgb((hue + rng.uniform(0.2, 0.8)) % 1, 0.6, 0.7))
        x0, y0 = rng.randrange(0, w * 3 // 4), rng.randrange(0, h * 3 // 4)
        x1, y1 = x0 + rng.randrange(w // 10, w // 3), y0 + rng.randrange(h // 10, h // 3)
        (d.ellipse if rng.random() < 0.5 else d.rectangle)((x0, y0, x1, y1), fill=c)
    words = " ".join(prompt.split()[:7]) or "(no prompt)"
    label = f"#{n}{'.' + str(variant + 1) if variant else ''}  {words}" + (f"  [{references} ref{'s' if references != 1 else ''}]" if references else "")
    fs = max(16, h // 22)
    font = _font(fs)
    band = fs * 2
    d.rectangle((0, h - band, w, h), fill=(20, 20, 24))
    d.text((fs // 2, h - band + fs // 2), label, fill=(250, 250, 250), font=font)
    buf = io.BytesIO()
    im.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


# -- video --------------------------------------------------------------------------------------------
_lock = threading.Lock()
_videos: dict[tuple[int, int, int], Future] = {}
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="fake-xai-ffmpeg")
_cache_dir: Path | None = None


def _cache() -> Path:
    global _cache_dir
    if _cache_dir is None:
        _cache_dir = Path(tempfile.mkdtemp(prefix="fake-xai-videos-"))
        atexit.register(shutil.rmtree, _cache_dir, True)
    return _cache_dir


def _encode(duration: int, w: int, h: int, out: Path) -> Path:
    import imageio_ffmpeg

    tmp = out.with_suffix(".part.mp4")
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
           "-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate=24:duration={duration}",
           "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={duration}",
           "-c:v", "libx264", "-preset", "ultrafast", "-crf", "32", "-pix_fmt", "yuv420p",
           "-c:a", "aac", "-b:a", "64k", "-shortest", "-movflags", "+faststart", str(tmp)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    os.replace(tmp, out)
    return out


def video_file(duration: int, size: tuple[int, int]) -> Future:
    """A future for the cached MP4 of that duration and size; the first request starts the encode."""
    key = (int(duration), *size)
    with _lock:
        fut = _videos.get(key)
        if fut is None or (fut.done() and fut.exception() is not None):
            out = _cache() / f"testsrc-{key[0]}s-{key[1]}x{key[2]}.mp4"
            fut = _pool.submit(_encode, key[0], key[1], key[2], out)
            _videos[key] = fut
        return fut
