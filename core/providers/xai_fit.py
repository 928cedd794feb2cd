"""Requests that fit: every image Dailies sends to xAI is shaped for the request first.

Why: images travel inside the gRPC message as base64 data URIs, and the SDK
refuses any message over 20 MiB on the client side. A phone photo within the
upload limits (25 MB, 40 megapixels) is over it on its own. The models gain
nothing from more than about 2048 pixels on the long side, so photos, sheets,
keyframes and check images are sent at most that large, as JPEG (or untouched
when they already are small JPEGs or PNGs). What is still too large after that
is refused before it is sent, in one line, and never retried: sending the same
bytes again cannot make them smaller.

The recipe and call keys are computed from the stored assets, not from these
request copies, so shaping never changes what counts as "the same call".
"""
from __future__ import annotations

import base64
import io

from core.errors import ProviderError
from core.media import load_image

MAX_SIDE = 2048                  # sheets, keyframes, edits
CHECK_SIDE = 1024                # vision checks look at "low" detail anyway
PASS_BYTES = 1_500_000           # a small JPEG/PNG goes as it is
TARGET_BYTES = 3_000_000         # what a re-encoded image aims to stay under
SDK_LIMIT = 20 * 2**20           # xai-sdk's client-side limit on one message
SAFE_LIMIT = 18 * 2**20          # ours, leaving room for the prompt and the protobuf framing


def fit_image(data: bytes, *, max_side: int | None = None) -> bytes:
    """`data` as an image within `max_side` (default MAX_SIDE) pixels and about TARGET_BYTES: EXIF rotation
    applied, RGB JPEG."""
    from PIL import Image

    max_side = max_side or MAX_SIDE
    with Image.open(io.BytesIO(data)) as im:
        rotated = (im.getexif() or {}).get(0x0112, 1) not in (None, 1)
        if (im.format in ("JPEG", "PNG") and max(im.size) <= max_side and len(data) <= PASS_BYTES
                and not rotated and im.mode in ("RGB", "L", "P", "RGBA")):
            return data
    im = load_image(data)
    if max(im.size) > max_side:
        im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    for quality in (90, 82, 72, 60):
        buf = io.BytesIO()
        im.save(buf, format="JPEG", quality=quality, optimize=True)
        if buf.tell() <= TARGET_BYTES:
            break
    return buf.getvalue()


def data_uri(data: bytes) -> str:
    mime = "image/png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def check_size(what: str, prompt: str, uris: list[str]) -> None:
    """Refuse, before sending, a request that would come near the SDK's 20 MiB limit."""
    size = len(prompt.encode()) + sum(len(u) for u in uris)
    if size > SAFE_LIMIT:
        raise ProviderError(f"The request for {what} would be {size / 2**20:.1f} MB, over what xAI accepts "
                            f"({SDK_LIMIT // 2**20} MB) even with its images made smaller; use fewer or smaller "
                            "reference images.")
