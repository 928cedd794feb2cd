"""Render products cached by what they are made of.

A transition, a card or a soundtrack is a pure function of its inputs (asset
hashes, trim points, settings), so it is stored once as an asset and found
again through the project's derived records (core.store.derived) under a hash
of those inputs.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core.store import Project
from core.store.calls import recipe_hash


def cached(project: Project, kind: str, key: dict, ext: str, make: Callable[[Path], dict | None]) -> tuple[str, dict]:
    """(asset, meta) for `key`, calling make(path) to write the file (and return its meta) on a miss."""
    source = recipe_hash(key)
    hit = project.derived.get(source, kind)
    if hit is not None:
        return hit
    tmp = project.assets.temp_path(f".{ext}")
    try:
        meta = make(tmp) or {}
        asset = project.assets.put_file(tmp, ext)
    finally:
        tmp.unlink(missing_ok=True)
    project.derived.put(source, kind, asset, meta)
    return asset, meta
