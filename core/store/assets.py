"""Content-addressed asset files: `assets/ab/<sha256>.<ext>`.

Bytes are written to a temp file in the destination folder and renamed into
place, so a crash never leaves a half-written asset under its final name; an
asset that already exists is never rewritten (same hash, same bytes). Each
asset has a row with its mime type, size and, where it applies, dimensions
and duration.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from core.errors import NotFound

MIMES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "mp4": "video/mp4",
         "m4a": "audio/mp4", "mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg",
         "md": "text/markdown", "json": "application/json", "srt": "application/x-subrip",
         "vtt": "text/vtt"}
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")
FOLDER = "assets"


def write_atomic(dst: Path, data: bytes) -> None:
    """`data` at `dst`, whole or not at all: written beside it, synced, then renamed over it."""
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def relpath(digest: str, ext: str) -> str:
    """Where an asset lives relative to the project folder, and inside a bundle: the one layout of asset files."""
    return f"{FOLDER}/{digest[:2]}/{digest}.{ext}"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class Assets:
    def __init__(self, root: Path, conns):
        self.root = root
        self._conns = conns

    def path(self, digest: str) -> Path:
        row = self.row(digest)
        return self._path(digest, row["ext"])

    def _path(self, digest: str, ext: str) -> Path:
        if not _HASH_RE.match(digest) or ext not in MIMES:
            raise NotFound(f"{digest!r}.{ext} is not an asset name.")
        return self.root.parent / relpath(digest, ext)

    def row(self, digest: str) -> dict:
        rows = list(self._conns.get().query("SELECT * FROM assets WHERE hash = ?", [digest]))
        if not rows:
            raise NotFound(f"Asset {digest[:12]} is not in this project.")
        return rows[0]

    def read(self, digest: str) -> bytes:
        p = self.path(digest)
        try:
            return p.read_bytes()
        except FileNotFoundError:
            raise NotFound(f"Asset file {p} is missing; run `verify` or restore the project folder.") from None

    def put(self, data: bytes, ext: str) -> str:
        digest = hashlib.sha256(data).hexdigest()
        dst = self._path(digest, ext)
        if not dst.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(dst, data)
        self._record(digest, ext, len(data), dst, data)
        return digest

    def put_file(self, src: Path, ext: str) -> str:
        """Move a finished file (e.g. ffmpeg output) into the store; `src` is consumed."""
        digest = sha256_file(src)
        dst = self._path(digest, ext)
        dst.parent.mkdir(parents=True, exist_ok=True)
        if dst.exists():
            src.unlink()
        else:
            tmp = dst.parent / f".tmp-{digest}-{os.getpid()}"
            shutil.move(src, tmp)  # same filesystem in practice: a rename
            os.replace(tmp, dst)
        self._record(digest, ext, dst.stat().st_size, dst, None)
        return digest

    def temp_path(self, suffix: str) -> Path:
        """A scratch file inside the store (same filesystem, so put_file is a rename)."""
        d = self.root / "tmp"
        d.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=d, suffix=suffix)
        os.close(fd)
        return Path(name)

    def _record(self, digest: str, ext: str, size: int, path: Path, data: bytes | None) -> None:
        db = self._conns.get()
        if list(db.query("SELECT 1 FROM assets WHERE hash = ?", [digest])):
            return
        width = height = duration = None
        if ext in ("png", "jpg", "webp"):
            from PIL import Image
            with Image.open(io.BytesIO(data) if data is not None else path) as im:
                width, height = im.size
        elif ext == "mp4":
            from core.media import probe_video
            info = probe_video(path)
            width, height, duration = info.width, info.height, info.duration
        elif ext in ("wav", "mp3"):  # spoken lines: their length is what the Generate page lists
            from core.media import probe_audio_seconds
            duration = probe_audio_seconds(path)
        db.execute("INSERT OR IGNORE INTO assets (hash, ext, mime, bytes, width, height, duration, created) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   [digest, ext, MIMES[ext], size, width, height, duration, now()])

    # -- as portable rows (bundles) ------------------------------------------------------------------------------
    def rows(self) -> list[dict]:
        from core.store.db import dump
        return dump(self._conns.get(), "assets", order="hash")

    def load(self, rows: list[dict]) -> None:
        from core.store.db import load
        load(self._conns.get(), "assets", rows)

    def verify(self) -> list[str]:
        """Re-hash every asset file; return the hashes whose file is missing or whose bytes changed."""
        return list(self.mismatches())

    def mismatches(self) -> dict[str, str | None]:
        """Every asset whose file is missing (None) or hashes to something else (that hash), by hash."""
        bad: dict[str, str | None] = {}
        for row in self._conns.get().query("SELECT hash, ext FROM assets ORDER BY hash"):
            try:
                found = sha256_file(self._path(row["hash"], row["ext"]))
            except FileNotFoundError:
                found = None
            if found != row["hash"]:
                bad[row["hash"]] = found
        return bad


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
