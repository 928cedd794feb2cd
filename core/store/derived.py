"""Assets made from other assets, found again by what they were made from.

A normalized clip, an animatic, a transition, a card or a soundtrack is a pure
function of its inputs, so it is stored once as an ordinary asset and recorded
here under its `source` (an asset hash, or a recipe hash of everything it
depends on) and its `kind` (the form it was made in, versioned). `meta` keeps
what making it measured, so a hit can report it too (a soundtrack's loudness).
"""
from __future__ import annotations

import json


class Derived:
    def __init__(self, conns, assets):
        self._conns, self._assets = conns, assets

    def get(self, source: str, kind: str) -> tuple[str, dict] | None:
        """(asset, meta) recorded for `source` in `kind`, if its file is still in the store."""
        row = next(self._conns.get().query("SELECT asset, meta FROM derived WHERE source = ? AND kind = ?",
                                           [source, kind]), None)
        if row is None or not self._assets.path(row["asset"]).exists():
            return None
        return row["asset"], json.loads(row["meta"] or "{}")

    def rows(self) -> list[dict]:
        from core.store.db import dump
        return dump(self._conns.get(), "derived", json_columns=("meta",), order="source, kind")

    def load(self, rows: list[dict]) -> None:
        from core.store.db import load
        load(self._conns.get(), "derived", rows, json_columns=("meta",), conflict="IGNORE")

    def put(self, source: str, kind: str, asset: str, meta: dict | None = None) -> None:
        self._conns.get().execute("INSERT OR REPLACE INTO derived (source, kind, asset, meta) VALUES (?, ?, ?, ?)",
                                  [source, kind, asset, json.dumps(meta, sort_keys=True) if meta else None])
