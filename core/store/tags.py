"""Tags on takes (keep, love, hate, rewrite) and overrides of failed checks ("Accept anyway").

Two of them are rules the pipeline obeys, not just labels: a head tagged *keep* is
never replaced by an automatic step (Run all, Regenerate stale; an explicit
regenerate still replaces it), and a take tagged *hate* is never made head by one
(a step that would reuse it makes a new variant instead). *love* and *rewrite* are
for the person: filters in the take strips and the library.
"""
from __future__ import annotations

from core.errors import InputError, NotFound
from core.store.assets import now

TAGS = ("keep", "love", "hate", "rewrite")


class Tags:
    def __init__(self, conns):
        self._conns = conns

    def _check(self, take: int, tag: str) -> None:
        if tag not in TAGS:
            raise InputError(f"Tag {tag!r} is not one of {', '.join(TAGS)}.")
        if not list(self._conns.get().query("SELECT 1 FROM takes WHERE id = ?", [take])):
            raise NotFound(f"Take {take} does not exist in this project.")

    def add(self, take: int, tag: str) -> None:
        self._check(take, tag)
        self._conns.get().execute("INSERT OR IGNORE INTO tags (take, tag, created) VALUES (?, ?, ?)",
                                  [take, tag, now()])

    def remove(self, take: int, tag: str) -> None:
        self._check(take, tag)
        self._conns.get().execute("DELETE FROM tags WHERE take = ? AND tag = ?", [take, tag])

    def of(self, take: int) -> list[str]:
        return [r["tag"] for r in self._conns.get().query("SELECT tag FROM tags WHERE take = ? ORDER BY tag", [take])]

    def has(self, take: int, tag: str) -> bool:
        return bool(list(self._conns.get().query("SELECT 1 FROM tags WHERE take = ? AND tag = ?", [take, tag])))

    def by_take(self) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for r in self._conns.get().query("SELECT take, tag FROM tags ORDER BY take, tag"):
            out.setdefault(r["take"], []).append(r["tag"])
        return out

    # -- overrides: "Accept anyway" on a take whose check scored below the bar ------------------------------------
    def accept(self, take: int, *, score: float | None, source: str) -> None:
        self._check(take, "keep")
        self._conns.get().execute("INSERT OR REPLACE INTO overrides (take, score, source, created) VALUES (?,?,?,?)",
                                  [take, score, source, now()])

    def override(self, take: int) -> dict | None:
        rows = list(self._conns.get().query("SELECT score, source, created FROM overrides WHERE take = ?", [take]))
        return rows[0] if rows else None

    def overrides(self) -> dict[int, dict]:
        return {r["take"]: {"score": r["score"], "source": r["source"], "created": r["created"]}
                for r in self._conns.get().query("SELECT * FROM overrides ORDER BY take")}

    # -- as portable rows (bundles) ---------------------------------------------------------------------------
    def rows(self) -> list[dict]:
        from core.store.db import dump
        return dump(self._conns.get(), "tags", order="take, tag")

    def load(self, rows: list[dict]) -> None:
        from core.store.db import load
        load(self._conns.get(), "tags", rows, conflict="IGNORE")

    def override_rows(self) -> list[dict]:
        from core.store.db import dump
        return dump(self._conns.get(), "overrides", order="take")

    def load_overrides(self, rows: list[dict]) -> None:
        from core.store.db import load
        load(self._conns.get(), "overrides", rows, conflict="REPLACE")
