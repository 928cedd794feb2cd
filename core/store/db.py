"""SQLite access: one connection per thread, WAL, a busy timeout, migrations on open.

Connections are autocommit (`isolation_level=None`) and multi-statement writes go
through `transaction()`, which takes the write lock up front (`BEGIN IMMEDIATE`).
A deferred transaction that reads and then writes can fail with SQLITE_BUSY
at once when another thread committed in between; taking the lock first makes
concurrent writers (parallel sheets, clips, the job runner) wait their turn
inside the busy timeout instead.
"""
from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from core.store.migrations import migrations

BUSY_TIMEOUT_MS = 30_000


def columns(db: sqlite_utils.Database, table: str) -> list[str]:
    """The table's columns as the migrations made them (PRAGMA table_info): the one list of them."""
    return [c.name for c in db[table].columns]


def dump(db: sqlite_utils.Database, table: str, *, json_columns: tuple[str, ...] = (), where: str = "",
         args: list | None = None, order: str = "rowid", omit: tuple[str, ...] = ()) -> list[dict]:
    """Every column of every (matching) row, with JSON columns decoded: a table as portable data."""
    cols = [c for c in columns(db, table) if c not in omit]
    sql = f"SELECT {', '.join(cols)} FROM {table}" + (f" WHERE {where}" if where else "") + f" ORDER BY {order}"
    out = []
    for row in db.query(sql, args or []):
        for c in json_columns:
            if c in row and row[c] is not None:
                row[c] = json.loads(row[c])
        out.append(row)
    return out


def load(db: sqlite_utils.Database, table: str, rows: list[dict], *, json_columns: tuple[str, ...] = (),
         conflict: str = "ABORT", canonical_json=None) -> None:
    """Insert `dump`ed rows: the keys that are columns of the table are written (a column a newer migration added
    and an older bundle lacks keeps its default), JSON columns encoded again."""
    cols = set(columns(db, table))
    encode = canonical_json or (lambda v: json.dumps(v, sort_keys=True))
    for row in rows:
        keys = [k for k in row if k in cols]
        values = [encode(row[k]) if k in json_columns and row[k] is not None else row[k] for k in keys]
        db.execute(f"INSERT OR {conflict} INTO {table} ({', '.join(keys)}) VALUES ({', '.join('?' * len(keys))})",
                   values)


class Connections:
    """Hands each thread its own connection to one database file."""

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()
        db = self.get()
        db.enable_wal()
        migrations.apply(db)

    def get(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            db = sqlite_utils.Database(conn)
            self._local.db = db
        return db

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        db = self.get()
        if db.conn.in_transaction:  # nested: join the outer transaction
            yield db
            return
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.conn.execute("ROLLBACK")
            raise
        else:
            db.conn.execute("COMMIT")

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None
