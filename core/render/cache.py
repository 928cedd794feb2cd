"""Render products cached by what they are made of.

A transition, a card or a soundtrack is a pure function of its inputs (asset
hashes, trim points, settings), so it is stored once as an asset and found
again through the `derived` table under a hash of those inputs. `meta` keeps
what making it measured (e.g. the mix's loudness before correction), so a
cache hit can report it too.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from core.store import Project
from core.store.calls import recipe_hash


def cached(project: Project, kind: str, key: dict, ext: str, make: Callable[[Path], dict | None]) -> tuple[str, dict]:
    """(asset, meta) for `key`, calling make(path) to write the file (and return its meta) on a miss."""
    source = recipe_hash(key)
    row = next(project.db.query("SELECT asset, meta FROM derived WHERE source = ? AND kind = ?", [source, kind]),
               None)
    if row and project.assets.path(row["asset"]).exists():
        return row["asset"], json.loads(row["meta"] or "{}")
    tmp = project.assets.temp_path(f".{ext}")
    try:
        meta = make(tmp) or {}
        asset = project.assets.put_file(tmp, ext)
    finally:
        tmp.unlink(missing_ok=True)
    project.db.execute("INSERT OR REPLACE INTO derived (source, kind, asset, meta) VALUES (?, ?, ?, ?)",
                       [source, kind, asset, json.dumps(meta, sort_keys=True) if meta else None])
    return asset, meta
