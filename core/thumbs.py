"""Thumbnails and posters, made once per asset and size, cached by asset hash.

Pages show lists of takes (20 scenes x 10 takes is normal), so they must never
decode full images or videos on every script run. A thumbnail lives at
`cache/thumbs/<hash>-<size>.jpg` inside the project; the hash names immutable
content, so a cached file is valid forever and needs no invalidation. A video's
poster is its first frame (a clip starts on its keyframe).
"""
from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from core import media
from core.store import Project

SIZES = {"s": 240, "m": 480, "l": 960}


def thumb_path(project: Project, asset: str, size: str = "m") -> Path:
    """Path of a JPEG thumbnail (longest side SIZES[size]) for an image or video asset, made on first use."""
    out = project.path / "cache" / "thumbs" / asset[:2] / f"{asset}-{size}.jpg"
    if out.exists():
        return out
    from PIL import Image

    row = project.assets.row(asset)
    src = project.assets.path(asset)
    if row["ext"] == "mp4":
        im = Image.open(io.BytesIO(media.frame_png(src, at="first")))
    elif row["ext"] in ("png", "jpg", "webp"):
        im = Image.open(src)
    else:
        raise ValueError(f"Asset {asset[:12]} ({row['ext']}) has no picture to thumbnail.")
    with im:
        im = im.convert("RGB")
        im.thumbnail((SIZES[size], SIZES[size]))
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".tmp-", suffix=".jpg")
        with os.fdopen(fd, "wb") as f:
            im.save(f, "JPEG", quality=85)
        os.replace(tmp, out)
    return out
