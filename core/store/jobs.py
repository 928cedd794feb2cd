"""Job rows: the durable half of a background job (the job runner in `core.jobs` is the other half).

The store owns the table like every other one, so opening a project needs
nothing above the store: marking the jobs that a dead process left running as
`interrupted` is a question about rows and processes, answered here. A job of
*this* process is alive while its thread is registered in `LIVE`, which the
runner does from before its thread starts until it ends (`hold()`); a job of another process
is alive while that process is.
"""
from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from typing import Any

from core.errors import InputError
from core.store.assets import now

STATUSES = ("queued", "running", "succeeded", "failed", "cancelled", "interrupted", "waiting")
ACTIVE = ("queued", "running")  # a job waiting at a review gate is not active: the person edits while it waits
RESUMABLE = ("interrupted", "failed", "cancelled")
# (database file, job id) -> how many threads of this process hold it. Counted, not a set: an approved job's
# new thread takes its hold while the thread that stopped at the gate may still be on its way out.
LIVE: dict[tuple[str, int], int] = {}
_live_lock = threading.Lock()


def hold(db_file: str, job_id: int) -> Callable[[], None]:
    """Mark a job as running in this process until the returned function is called."""
    key = (db_file, job_id)
    with _live_lock:
        LIVE[key] = LIVE.get(key, 0) + 1
    released = False

    def release() -> None:
        nonlocal released
        with _live_lock:
            if released:
                return
            released = True
            LIVE[key] -= 1
            if not LIVE[key]:
                del LIVE[key]
    return release


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class JobRows:
    def __init__(self, conns):
        self._conns = conns
        self._db_file = str(conns.path)

    def _db(self):
        return self._conns.get()

    def insert(self, kind: str, *, branch: str, params: dict[str, Any], resumed_from: int | None) -> int:
        cur = self._db().execute(
            "INSERT INTO jobs (kind, branch, status, params, pid, resumed_from, created, message) "
            "VALUES (?, ?, 'queued', ?, ?, ?, ?, 'Queued')",
            [kind, branch, json.dumps(params), os.getpid(), resumed_from, now()])
        return cur.lastrowid

    def get(self, job_id: int) -> dict:
        rows = list(self._db().query("SELECT * FROM jobs WHERE id = ?", [job_id]))
        if not rows:
            raise InputError(f"Job {job_id} does not exist in this project.")
        row = rows[0]
        row["params"] = json.loads(row["params"])
        row["result"] = json.loads(row["result"]) if row["result"] else None
        return row

    def recent(self, limit: int = 20) -> list[dict]:
        return [self.get(r["id"]) for r in self._db().query("SELECT id FROM jobs ORDER BY id DESC LIMIT ?", [limit])]

    def active(self) -> list[dict]:
        self.mark_interrupted()
        return [self.get(r["id"]) for r in self._db().query(
            "SELECT id FROM jobs WHERE status IN ('queued', 'running') ORDER BY id")]

    def is_live(self, job_id: int) -> bool:
        with _live_lock:
            return (self._db_file, job_id) in LIVE

    def mark_interrupted(self) -> list[int]:
        """Jobs left queued/running by a process that is gone (or by this one, with no thread) are interrupted."""
        ids = []
        for row in self._db().query("SELECT id, pid FROM jobs WHERE status IN ('queued', 'running')"):
            mine = row["pid"] == os.getpid()
            if (mine and not self.is_live(row["id"])) or (not mine and not _pid_alive(row["pid"])):
                self._db().execute("UPDATE jobs SET status = 'interrupted', finished = ?, message = ? WHERE id = ?",
                                   [now(), "Interrupted: the process running it stopped. Resume to finish.",
                                    row["id"]])
                ids.append(row["id"])
        return ids

    # -- the life of one job ----------------------------------------------------------------------------------
    def started(self, job_id: int) -> None:
        self._db().execute("UPDATE jobs SET status = 'running', started = ?, message = 'Starting' WHERE id = ?",
                           [now(), job_id])

    def progress(self, job_id: int, fraction: float, message: str) -> None:
        self._db().execute("UPDATE jobs SET progress = ?, message = ? WHERE id = ?",
                           [round(fraction, 4), message, job_id])

    def cancel(self, job_id: int) -> None:
        self._db().execute("UPDATE jobs SET cancel = 1 WHERE id = ? AND status IN ('queued', 'running')", [job_id])

    def cancel_requested(self, job_id: int) -> bool:
        return bool(next(self._db().query("SELECT cancel FROM jobs WHERE id = ?", [job_id]))["cancel"])

    def succeeded(self, job_id: int, result: Any) -> None:
        self._db().execute("UPDATE jobs SET status = 'succeeded', progress = 1, finished = ?, result = ?, "
                           "message = 'Done' WHERE id = ?", [now(), json.dumps(result), job_id])

    def cancelled(self, job_id: int, message: str) -> None:
        self._db().execute("UPDATE jobs SET status = 'cancelled', finished = ?, message = ? WHERE id = ?",
                           [now(), message, job_id])

    def wait(self, job_id: int, stage: str, message: str) -> None:
        """The job stopped at a review gate; it continues (the same row) when the stage is approved."""
        self._db().execute("UPDATE jobs SET status = 'waiting', waiting = ?, message = ? WHERE id = ?",
                           [stage, message, job_id])

    def waiting_jobs(self, branch: str | None = None) -> list[dict]:
        sql = ("SELECT id FROM jobs WHERE status = 'waiting'" + (" AND branch = ?" if branch else "")
               + " ORDER BY id DESC")
        return [self.get(r["id"]) for r in self._db().query(sql, [branch] if branch else [])]

    def requeue(self, job_id: int) -> None:
        """A waiting job, approved: it runs again from the top (every finished step is reused) with its own id."""
        self._db().execute("UPDATE jobs SET status = 'queued', waiting = NULL, cancel = 0, pid = ?, "
                           "message = 'Approved; continuing' WHERE id = ? AND status = 'waiting'",
                           [os.getpid(), job_id])

    def supersede(self, branch: str, by: int) -> None:
        """Runs waiting on this branch give way to a new one (its own gates will stop it where needed)."""
        self._db().execute("UPDATE jobs SET status = 'cancelled', finished = ?, message = ? "
                           "WHERE status = 'waiting' AND branch = ? AND id != ?",
                           [now(), f"Replaced by job {by}, which runs the same steps again.", branch, by])

    def failed(self, job_id: int, *, error: str, kind: str, message: str, step: str) -> None:
        """`kind`: "input" (bad input, the CLI exits 2), "failed" (a step failed) or "bug" (an unexpected error,
        whose traceback is `error`)."""
        self._db().execute("UPDATE jobs SET status = 'failed', finished = ?, error = ?, error_kind = ?, message = ?,"
                           " step = ? WHERE id = ?", [now(), error, kind, message, step, job_id])
