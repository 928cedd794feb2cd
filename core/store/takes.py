"""Takes, heads, branches and the event log of head moves.

A take is immutable once written. A branch is a set of heads (slot -> take);
forking copies those rows and nothing else. Every head move is appended to
`events` with a group id, so `undo` can put a whole step back (a regenerate that
moved keyframe/2, clip/2 and cut is undone in one go) and the History page can
show the timeline. Staleness is computed, never stored: a take is stale when a
slot it was made from has a different head now.
"""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from core.errors import InputError, NotFound
from core.store.assets import now

ORIGINS = ("generated", "uploaded", "edited", "restored", "reused")
_BRANCH_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


@dataclass(frozen=True)
class Take:
    id: int
    slot: str
    parent: int | None
    payload: Any
    asset: str | None
    inputs: dict[str, int]
    origin: str
    provider: str | None
    model: str | None
    recipe: str | None
    variant: int
    score: float | None
    cost_usd: float
    job: int | None
    note: str | None
    created: str
    extra: dict = field(default_factory=dict, compare=False)

    @classmethod
    def from_row(cls, row: dict) -> "Take":
        return cls(
            id=row["id"], slot=row["slot"], parent=row["parent"],
            payload=json.loads(row["payload"]) if row["payload"] is not None else None,
            asset=row["asset"], inputs=json.loads(row["inputs"] or "{}"), origin=row["origin"],
            provider=row["provider"], model=row["model"], recipe=row["recipe"], variant=row["variant"],
            score=row["score"], cost_usd=row["cost_usd"], job=row["job"], note=row["note"], created=row["created"],
        )


class Takes:
    def __init__(self, conns):
        self._conns = conns

    # -- takes ---------------------------------------------------------------------------------
    def add(self, slot: str, *, payload: Any = None, asset: str | None = None, inputs: dict[str, int] | None = None,
            origin: str = "generated", provider: str | None = None, model: str | None = None,
            recipe: str | None = None, variant: int = 0, score: float | None = None, cost_usd: float = 0.0,
            job: int | None = None, parent: int | None = None, note: str | None = None) -> Take:
        if origin not in ORIGINS:
            raise ValueError(f"unknown origin {origin!r}")
        if payload is None and asset is None:
            raise ValueError("a take needs a payload, an asset or both")
        db = self._conns.get()
        cur = db.execute(
            "INSERT INTO takes (slot, parent, payload, asset, inputs, origin, provider, model, recipe, variant,"
            " score, cost_usd, job, note, created) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [slot, parent, json.dumps(payload, sort_keys=True) if payload is not None else None, asset,
             json.dumps(inputs or {}, sort_keys=True), origin, provider, model, recipe, variant, score,
             cost_usd, job, note, now()])
        return self.get(cur.lastrowid)

    def write(self, slot: str, *, branch: str | None = None, **fields) -> Take:
        """A new take that becomes the slot's head, in one transaction: how every step, upload, lab operation
        and carried-over result writes a slot (`add` alone leaves the heads as they are)."""
        with self._conns.transaction():
            take = self.add(slot, **fields)
            self.set_heads({slot: take.id}, branch=branch, job=fields.get("job"))
        return take

    def get(self, take_id: int) -> Take:
        rows = list(self._conns.get().query("SELECT * FROM takes WHERE id = ?", [take_id]))
        if not rows:
            raise NotFound(f"Take {take_id} does not exist in this project.")
        return Take.from_row(rows[0])

    def of_slot(self, slot: str) -> list[Take]:
        return [Take.from_row(r) for r in self._conns.get().query(
            "SELECT * FROM takes WHERE slot = ? ORDER BY id", [slot])]

    def count(self, slot: str) -> int:
        return next(self._conns.get().query("SELECT count(*) AS n FROM takes WHERE slot = ?", [slot]))["n"]

    def counts(self) -> dict[str, int]:
        return {r["slot"]: r["n"] for r in self._conns.get().query(
            "SELECT slot, count(*) AS n FROM takes GROUP BY slot")}

    def with_recipe(self, slot: str, recipe: str, variant: int | None = None) -> Take | None:
        """The newest take of `slot` made from exactly this recipe (and variant, if given)."""
        sql = "SELECT * FROM takes WHERE slot = ? AND recipe = ?"
        args: list[Any] = [slot, recipe]
        if variant is not None:
            sql += " AND variant = ?"
            args.append(variant)
        rows = list(self._conns.get().query(sql + " ORDER BY id DESC LIMIT 1", args))
        return Take.from_row(rows[0]) if rows else None

    def next_variant(self, slot: str, recipe: str) -> int:
        row = next(self._conns.get().query(
            "SELECT max(variant) AS v FROM takes WHERE slot = ? AND recipe = ?", [slot, recipe]))
        return 0 if row["v"] is None else row["v"] + 1

    # -- branches ------------------------------------------------------------------------------
    def ensure_branch(self, name: str = "main") -> None:
        self._conns.get().execute("INSERT OR IGNORE INTO branches (name, parent, created) VALUES (?, NULL, ?)",
                                  [name, now()])

    def branches(self) -> list[str]:
        return [r["name"] for r in self._conns.get().query("SELECT name FROM branches ORDER BY created, name")]

    @property
    def current(self) -> str:
        rows = list(self._conns.get().query("SELECT value FROM settings WHERE key = 'branch'"))
        return json.loads(rows[0]["value"]) if rows else "main"

    def switch(self, name: str) -> None:
        if name not in self.branches():
            raise InputError(f"There is no branch {name!r}; branches: {', '.join(self.branches())}.")
        self._conns.get().execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('branch', ?)",
                                  [json.dumps(name)])

    def fork(self, name: str, *, source: str | None = None, switch: bool = True) -> None:
        """A new branch whose heads are a copy of `source`'s heads: pointers only, no takes, no files."""
        if not _BRANCH_RE.match(name):
            raise InputError(f"Branch name {name!r} is not valid: use letters, digits, '.', '_' or '-' (max 40).")
        source = source or self.current
        with self._conns.transaction() as db:
            if list(db.query("SELECT 1 FROM branches WHERE name = ?", [name])):
                raise InputError(f"Branch {name!r} already exists; pick another name or switch to it.")
            db.execute("INSERT INTO branches (name, parent, created) VALUES (?, ?, ?)", [name, source, now()])
            db.execute("INSERT INTO heads (branch, slot, take) SELECT ?, slot, take FROM heads WHERE branch = ?",
                       [name, source])
            db.execute("INSERT INTO events (branch, slot, old_take, new_take, kind, grp, created) "
                       "VALUES (?, '*', NULL, NULL, 'fork', ?, ?)", [name, uuid.uuid4().hex, now()])
            if switch:
                db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('branch', ?)", [json.dumps(name)])

    # -- heads ---------------------------------------------------------------------------------
    def head(self, slot: str, branch: str | None = None) -> Take | None:
        rows = list(self._conns.get().query(
            "SELECT t.* FROM heads h JOIN takes t ON t.id = h.take WHERE h.branch = ? AND h.slot = ?",
            [branch or self.current, slot]))
        return Take.from_row(rows[0]) if rows else None

    def heads(self, branch: str | None = None) -> dict[str, Take]:
        return {r["slot"]: Take.from_row(r) for r in self._conns.get().query(
            "SELECT t.* FROM heads h JOIN takes t ON t.id = h.take WHERE h.branch = ? ORDER BY h.slot",
            [branch or self.current])}

    def head_ids(self, branch: str | None = None) -> dict[str, int]:
        return {r["slot"]: r["take"] for r in self._conns.get().query(
            "SELECT slot, take FROM heads WHERE branch = ?", [branch or self.current])}

    def set_heads(self, moves: dict[str, int | None], *, kind: str = "set", branch: str | None = None,
                  job: int | None = None, undoes: str | None = None, grp: str | None = None) -> str | None:
        """Point slots at takes (None removes the head) as one undoable group; no-op moves are skipped.

        Moves made by one job share the group `job:<id>`, so undo puts a whole regenerate back.
        """
        branch = branch or self.current
        grp = grp or (f"job:{job}" if job is not None and kind == "set" else uuid.uuid4().hex)
        moved = False
        with self._conns.transaction() as db:
            current = {r["slot"]: r["take"] for r in db.query("SELECT slot, take FROM heads WHERE branch = ?",
                                                              [branch])}
            for slot, take_id in moves.items():
                old = current.get(slot)
                if old == take_id:
                    continue
                if take_id is None:
                    db.execute("DELETE FROM heads WHERE branch = ? AND slot = ?", [branch, slot])
                else:
                    db.execute("INSERT OR REPLACE INTO heads (branch, slot, take) VALUES (?, ?, ?)",
                               [branch, slot, take_id])
                db.execute("INSERT INTO events (branch, slot, old_take, new_take, kind, grp, undoes, job, created)"
                           " VALUES (?,?,?,?,?,?,?,?,?)", [branch, slot, old, take_id, kind, grp, undoes, job, now()])
                moved = True
        return grp if moved else None

    def restore(self, take_id: int, *, branch: str | None = None) -> None:
        take = self.get(take_id)
        self.set_heads({take.slot: take.id}, kind="restore", branch=branch)

    def undo(self, branch: str | None = None) -> list[str]:
        """Revert the newest group of head moves on the branch that has not been undone; return its slots."""
        branch = branch or self.current
        db = self._conns.get()
        undone = {r["undoes"] for r in db.query(
            "SELECT DISTINCT undoes FROM events WHERE branch = ? AND undoes IS NOT NULL", [branch])}
        for row in db.query("SELECT grp FROM events WHERE branch = ? AND kind IN ('set', 'restore') "
                            "GROUP BY grp ORDER BY max(id) DESC", [branch]):
            if row["grp"] in undone:
                continue
            events = list(db.query("SELECT slot, old_take FROM events WHERE grp = ? ORDER BY id DESC", [row["grp"]]))
            self.set_heads({e["slot"]: e["old_take"] for e in events}, kind="undo", branch=branch,
                           undoes=row["grp"])
            return [e["slot"] for e in events]
        raise InputError(f"Nothing to undo on branch {branch!r}.")

    def events(self, branch: str | None = None, limit: int = 500) -> list[dict]:
        return list(self._conns.get().query(
            "SELECT * FROM events WHERE branch = ? ORDER BY id DESC LIMIT ?", [branch or self.current, limit]))

    # -- as portable rows (bundles) ------------------------------------------------------------------------------
    JSON = ("payload", "inputs")

    def rows(self) -> list[dict]:
        from core.store.db import dump
        return dump(self._conns.get(), "takes", json_columns=self.JSON, order="id")

    def load(self, rows: list[dict]) -> None:
        """Takes with their own ids (into a new project, so ids cannot collide); job links are not carried."""
        from core.store.db import load
        load(self._conns.get(), "takes", [{**r, "job": None} for r in rows], json_columns=self.JSON)

    def branch_rows(self) -> list[dict]:
        """Every branch with its heads: {name, parent, created, heads: {slot: take}}."""
        from core.store.db import dump
        db = self._conns.get()
        out = dump(db, "branches", order="created, name")
        for b in out:
            b["heads"] = {r["slot"]: r["take"] for r in db.query(
                "SELECT slot, take FROM heads WHERE branch = ? ORDER BY slot", [b["name"]])}
        return out

    def load_branches(self, rows: list[dict]) -> None:
        from core.store.db import load
        db = self._conns.get()
        load(db, "branches", [{k: v for k, v in b.items() if k != "heads"} for b in rows], conflict="REPLACE")
        load(db, "heads", [{"branch": b["name"], "slot": s, "take": t} for b in rows for s, t in b["heads"].items()])

    # -- staleness -----------------------------------------------------------------------------
    @staticmethod
    def stale(take: Take, head_ids: dict[str, int]) -> bool:
        return any(head_ids.get(slot) != made_from for slot, made_from in take.inputs.items())
