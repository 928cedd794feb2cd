"""The depth layers a keyframe can carry inside its own PNG, for clips with parallax.

Why it exists: a clip animated from a flat still can only zoom or slide the whole picture. The offline
provider composes its keyframes from parts (a backdrop, the people cut out of their sheets, and what stands
in front of them), so it can keep those parts, and the clip renderer (core.render.motion) can move each at
its own speed under the camera. They travel inside the keyframe file, in one compressed iTXt chunk that
every viewer ignores, so the take stays one immutable, hash-addressed file, cached, copied and branched like
any other; a keyframe edited by hand, upscaled or made by another provider has no chunk and gets the flat
move. A picture's note (say, that a cut-out failed and a card was used) rides in a second chunk.

This module owns the chunk's format; nothing else reads or writes it.
"""
from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass, field

from PIL import Image, PngImagePlugin

KEY = "dailies:layers"
NOTE_KEY = "dailies:note"
VERSION = 1
LIMIT = 900_000  # characters: under Pillow's MAX_TEXT_CHUNK (1 MiB), which a reader would otherwise refuse


@dataclass
class Person:
    name: str
    box: tuple[int, int, int, int]   # where the person's matte sits in the frame (may reach past its edges)
    alpha: Image.Image               # "L", the box's size
    rgb: Image.Image | None = None   # the person alone, the box's size (else read from the frame, foreground and all)


@dataclass
class Layers:
    plate: Image.Image                      # RGB: the frame with nobody in it
    people: list[Person] = field(default_factory=list)  # back to front
    fore: Image.Image | None = None         # RGBA: what stands in front of the people


def _b64(img: Image.Image, fmt: str, **kw) -> str:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _img(text: str) -> Image.Image:
    img = Image.open(io.BytesIO(base64.b64decode(text)))
    img.load()
    return img


def encode(frame: Image.Image, layers: Layers | None, note: str = "") -> bytes:
    """The PNG of `frame` with `layers` (and `note`) inside. Deterministic: the same inputs, the same bytes."""
    info = PngImagePlugin.PngInfo()
    if layers is not None:
        doc = {"v": VERSION, "size": list(frame.size),
               "plate": _b64(layers.plate.convert("RGB"), "JPEG", quality=92),
               "people": [{"name": p.name, "box": list(p.box), "alpha": _b64(p.alpha.convert("L"), "PNG"),
                           **({"rgb": _b64(p.rgb.convert("RGB"), "JPEG", quality=92)} if p.rgb is not None else {})}
                          for p in layers.people],
               "fore": _b64(layers.fore.convert("RGBA"), "PNG") if layers.fore is not None else None}
        text = json.dumps(doc, separators=(",", ":"))
        if len(text) > LIMIT and doc["fore"]:  # Pillow will not read a text chunk over 1 MiB: keep the rest
            doc["fore"] = None
            text = json.dumps(doc, separators=(",", ":"))
        if len(text) <= LIMIT:
            info.add_itxt(KEY, text, zip=True)
    if note:
        info.add_itxt(NOTE_KEY, note, zip=False)
    buf = io.BytesIO()
    frame.convert("RGB").save(buf, "PNG", optimize=False, compress_level=3, pnginfo=info)  # as offline_draw._png
    return buf.getvalue()


def _text(data: bytes) -> dict:
    try:  # `encode` writes its chunks before the image data, so opening the file reads them; no decoding
        return {k: v for k, v in Image.open(io.BytesIO(data)).info.items() if isinstance(v, str)}
    except Exception:  # noqa: BLE001 - not a PNG we can read: it simply has no layers
        return {}


def read(data: bytes) -> Layers | None:
    """The layers inside a keyframe's bytes, or None (no chunk, another version, or a damaged one)."""
    raw = _text(data).get(KEY)
    if not raw:
        return None
    try:
        doc = json.loads(raw)
        if doc.get("v") != VERSION:
            return None
        people = [Person(p["name"], tuple(int(v) for v in p["box"]), _img(p["alpha"]),
                         _img(p["rgb"]).convert("RGB") if p.get("rgb") else None) for p in doc["people"]]
        return Layers(plate=_img(doc["plate"]).convert("RGB"), people=people,
                      fore=_img(doc["fore"]).convert("RGBA") if doc.get("fore") else None)
    except (ValueError, KeyError, TypeError, OSError):
        return None


def note(data: bytes) -> str:
    """The note a picture carries about how it was made ("" when none)."""
    return str(_text(data).get(NOTE_KEY, ""))
