"""Face identity, measured: dlib's ResNet face encoder, packaged, on the CPU.

Why it exists: the consistency checks were either a language model's opinion (xai) or template
matching (offline); neither measures whether a picture shows the same *person* as the photo. dlib's
face recognition network gives a 128-d descriptor per face, and the Euclidean distance between two
descriptors is a likeness with a known meaning: under 0.6 is dlib's "same person" line (99.38% on
LFW). The wheels come from PyPI (`dlib-bin`), the weights from `face_recognition_models` (inside the
package, nothing downloaded at run time).

Faces are found with dlib's HOG detector (no model file) on a copy scaled so a face is large enough
for it, aligned with the 5-point landmark model, and encoded. Everything is cached: the models load
once per process, and the descriptors of a picture are kept by its bytes' hash, so a reference photo
compared with ten keyframes is encoded once.

This is a lower layer: it knows pictures and faces, not takes or providers.
"""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

import numpy as np

SAME_PERSON = 0.6      # dlib's line: descriptors of one person are closer than this
CLEARLY_OTHER = 0.7    # a gate that skips a paid check must not fire on a borderline face
_MAX_SIDE = 1600       # detection runs on a copy no larger than this
# dlib does not promise that its detector and networks may be shared between threads (the network keeps
# buffers of its own), and making one per thread costs a third of a second: one of each, one call at a time.
_LOCK = threading.Lock()
_DETECT_LOCK = threading.Lock()


@dataclass(frozen=True)
class Face:
    box: tuple[int, int, int, int]   # left, top, right, bottom in the picture's own pixels
    vector: np.ndarray               # 128 floats


@dataclass(frozen=True)
class Likeness:
    """How close a picture's nearest face is to a reference photo's face. `distance` is None when it
    could not be measured, and `note` says why (no face in the photo, or none in the picture)."""
    distance: float | None
    note: str = ""

    @property
    def same_person(self) -> bool | None:
        return None if self.distance is None else self.distance < SAME_PERSON

    def label(self) -> str:
        return f"likeness {self.distance:.2f}" if self.distance is not None else self.note

    def as_dict(self) -> dict:
        return {"distance": None if self.distance is None else round(self.distance, 4), "note": self.note}


def score_of(distance: float) -> float:
    """A distance on the checks' 0..1 scale, so that dlib's same-person line (0.6) lands on the pipeline's
    acceptance threshold (0.8): 1 - d/3."""
    return float(np.clip(1.0 - distance / 3.0, 0.0, 1.0))


_LOADED: tuple | None = None
_LOAD_LOCK = threading.Lock()


def _models():
    """dlib's detector, 5-point landmarks and encoder, loaded once (a warm-up thread and a step may ask at once)."""
    global _LOADED
    if _LOADED is None:
        with _LOAD_LOCK:
            if _LOADED is None:
                import dlib
                import face_recognition_models as frm

                _LOADED = (dlib.get_frontal_face_detector(),
                           dlib.shape_predictor(frm.pose_predictor_five_point_model_location()),
                           dlib.face_recognition_model_v1(frm.face_recognition_model_location()))
    return _LOADED


def available() -> bool:
    """Whether the encoder loads here (it ships with the app; False only in a broken install)."""
    try:
        _models()
        return True
    except Exception:  # noqa: BLE001 - any failure to load means the same: no likeness measured
        return False


_CACHE: dict[tuple[str, float], tuple[Face, ...]] = {}
_CACHE_LOCK = threading.Lock()


def faces(data: bytes, *, smallest: float = 0.08) -> tuple[Face, ...]:
    """Every face dlib finds in image bytes, largest first (cached by the bytes' hash; the bytes are not kept)."""
    from core.media import load_image

    key = (hashlib.sha256(data).hexdigest(), smallest)
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
    found = faces_in(load_image(data), smallest=smallest)
    with _CACHE_LOCK:
        _CACHE[key] = found
        while len(_CACHE) > 512:
            _CACHE.pop(next(iter(_CACHE)))
    return found


def boxes_in(img, *, smallest: float = 0.08) -> list[tuple[int, int, int, int]]:
    """Where the faces at least `smallest` of the picture's short side tall are, largest first (no encoding).

    Found on a copy scaled so that such a face is about 80 px, the HOG detector's own size: its time grows with
    the pixels, so a portrait is searched at a few hundred pixels."""
    from PIL import Image

    rgb = img.convert("RGB")
    scale = min(84.0 / max(1.0, smallest * min(rgb.size)), _MAX_SIDE / max(rgb.size))
    small = rgb.resize((max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale))),
                       Image.Resampling.BILINEAR if scale < 1 else Image.Resampling.BICUBIC)
    arr = np.ascontiguousarray(np.asarray(small, dtype=np.uint8))
    detector = _models()[0]
    with _DETECT_LOCK:
        found = sorted(detector(arr, 0), key=lambda r: -r.area())
    return [(max(0, round(r.left() / scale)), max(0, round(r.top() / scale)),
             min(rgb.width, round(r.right() / scale)), min(rgb.height, round(r.bottom() / scale))) for r in found]


def faces_in(img, *, smallest: float = 0.08) -> tuple[Face, ...]:
    """Every face in a PIL image at least `smallest` of its short side tall, largest first: found as
    `boxes_in` finds them, encoded from the picture at its own resolution, where the landmarks and the
    150 px face chip are sharpest."""
    import dlib

    rgb = img.convert("RGB")
    boxes = boxes_in(rgb, smallest=smallest)
    if not boxes:
        return ()
    full = np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))
    _, landmarks, encoder = _models()
    out = []
    with _LOCK:
        for box in boxes:
            shape = landmarks(full, dlib.rectangle(*box))
            out.append(Face(box=box, vector=np.asarray(encoder.compute_face_descriptor(full, shape), dtype=np.float64)))
    return tuple(out)


def likeness(photo: bytes, picture: bytes, *, region: tuple[int, int, int, int] | None = None,
             smallest: float = 0.08) -> Likeness:
    """The distance from the photo's largest face to the nearest face in `picture` at least `smallest` of its
    short side tall (inside `region` of it when given: the faces whose centre falls in that box)."""
    ref = faces(photo)
    if not ref:
        return Likeness(None, "no face found in the reference photo")
    found = faces(picture, smallest=smallest)
    if region is not None:
        x0, y0, x1, y1 = region
        found = tuple(f for f in found if x0 <= (f.box[0] + f.box[2]) / 2 <= x1 and y0 <= (f.box[1] + f.box[3]) / 2 <= y1)
    if not found:
        return Likeness(None, "no face found")
    return Likeness(min(float(np.linalg.norm(f.vector - ref[0].vector)) for f in found))


def likenesses(photos: dict[str, bytes], picture: bytes, *, smallest: float = 0.08) -> dict[str, Likeness]:
    """Each character's likeness in a picture of several: the faces found are shared out one to one, the
    closest pair first, so two characters are never both scored against one face, and a character whose face
    is not there (turned away, too small) gets "no face found" instead of the distance to somebody else's."""
    refs = {name: faces(photo) for name, photo in photos.items()}
    out = {name: Likeness(None, "no face found in the reference photo") for name, r in refs.items() if not r}
    wanted = {name: r[0].vector for name, r in refs.items() if r}
    found = list(faces(picture, smallest=smallest)) if wanted else []
    pairs = sorted((float(np.linalg.norm(f.vector - v)), name, i) for name, v in wanted.items()
                   for i, f in enumerate(found))
    used: set[int] = set()
    for d, name, i in pairs:
        if name in out or i in used:
            continue
        out[name] = Likeness(d)
        used.add(i)
    for name in wanted:
        out.setdefault(name, Likeness(None, "no face found"))
    return {name: out[name] for name in photos}
