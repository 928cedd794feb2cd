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
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from core.store.migrations import migrations

BUSY_TIMEOUT_MS = 30_000


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
