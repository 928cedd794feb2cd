"""Background jobs: threads with durable rows, progress, cancel and resume.

A job is a row in `jobs` plus a thread in this process. The row is the truth
the UI polls (status, progress 0..1, a human message); the thread checks the
row's cancel flag at safe points (before every provider call, between steps).
When a project opens, rows still `queued` or `running` whose process is gone
become `interrupted`; resuming one starts a new job with the same parameters,
and because every step reuses finished takes and every call reuses its logged
answer, a resumed job repeats no provider call that had finished.
"""
from __future__ import annotations

import json
import os
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from core.errors import Cancelled, ConfigError, DailiesError, InputError
from core.pipeline.context import Context, JobHandle
from core.pipeline.tasks import KINDS
from core.store.assets import now

STATUSES = ("queued", "running", "succeeded", "failed", "cancelled", "interrupted")
ACTIVE = ("queued", "running")
_live: dict[tuple[str, int], threading.Thread] = {}  # (project path, job id) -> thread, in this process
_live_lock = threading.Lock()


class DurableJob(JobHandle):
    """A JobHandle whose progress and cancel flag live in the job's row."""

    def __init__(self, project, job_id: int):
        super().__init__()
        self.project = project
        self.id = job_id
        self.on_report: Callable[[float, str], None] | None = None

    def report(self, fraction: float, message: str) -> None:
        self.message = message
        self.project.db.execute("UPDATE jobs SET progress = ?, message = ? WHERE id = ?",
                                [round(fraction, 4), message, self.id])
        if self.on_report:
            self.on_report(fraction, message)

    def cancel_requested(self) -> bool:
        row = next(self.project.db.query("SELECT cancel FROM jobs WHERE id = ?", [self.id]))
        return bool(row["cancel"])


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


def mark_interrupted(project) -> list[int]:
    """Jobs left queued/running by a process that is gone (or by this one, without a thread) are interrupted."""
    ids = []
    for row in project.db.query("SELECT id, pid FROM jobs WHERE status IN ('queued', 'running')"):
        mine = row["pid"] == os.getpid()
        with _live_lock:
            has_thread = (str(project.path), row["id"]) in _live
        if (mine and not has_thread) or (not mine and not _pid_alive(row["pid"])):
            project.db.execute("UPDATE jobs SET status = 'interrupted', finished = ?, message = ? WHERE id = ?",
                               [now(), "Interrupted: the process running it stopped. Resume to finish.", row["id"]])
            ids.append(row["id"])
    return ids


def get(project, job_id: int) -> dict:
    rows = list(project.db.query("SELECT * FROM jobs WHERE id = ?", [job_id]))
    if not rows:
        raise InputError(f"Job {job_id} does not exist in this project.")
    row = rows[0]
    row["params"] = json.loads(row["params"])
    row["result"] = json.loads(row["result"]) if row["result"] else None
    return row


def recent(project, limit: int = 20) -> list[dict]:
    return [get(project, r["id"]) for r in project.db.query("SELECT id FROM jobs ORDER BY id DESC LIMIT ?", [limit])]


def active(project) -> list[dict]:
    mark_interrupted(project)
    return [get(project, r["id"]) for r in project.db.query(
        "SELECT id FROM jobs WHERE status IN ('queued', 'running') ORDER BY id")]


def submit(project, kind: str, params: dict[str, Any], *, provider: str = "offline",
           resumed_from: int | None = None, background: bool = True,
           on_report: Callable[[float, str], None] | None = None, models: dict[str, str] | None = None,
           branch: str | None = None) -> int:
    """Record a job and run it on a thread (or in this thread with background=False); returns its id.

    `models` overrides the project's model settings for this job (and its resumes): `--model ROLE=NAME`.
    `branch` is the branch it works on (default: the current one)."""
    if kind not in KINDS:
        raise InputError(f"Unknown job kind {kind!r}.")
    busy = active(project)
    if busy:
        b = busy[0]
        raise InputError(f"Project {project.name} is busy with job {b['id']} ({b['kind']}, {b['status']}); "
                         "wait for it or cancel it first.")
    from core.providers import get_provider
    get_provider(provider)  # fail now, in the caller, on an unknown provider or a missing key
    branch = branch or project.branch
    cur = project.db.execute(
        "INSERT INTO jobs (kind, branch, status, params, pid, resumed_from, created, message) "
        "VALUES (?, ?, 'queued', ?, ?, ?, ?, 'Queued')",
        [kind, branch, json.dumps({"provider": provider, **({"models": models} if models else {}), **params}),
         os.getpid(), resumed_from, now()])
    job_id = cur.lastrowid
    key = (str(project.path), job_id)
    if not background:
        with _live_lock:
            _live[key] = threading.current_thread()
        _execute(project, job_id, on_report)
        return job_id
    t = threading.Thread(target=_execute, args=(project, job_id, on_report), name=f"job-{job_id}", daemon=True)
    with _live_lock:
        _live[key] = t
    t.start()
    return job_id


def _execute(project, job_id: int, on_report=None) -> None:
    from core.providers import get_provider

    key = (str(project.path), job_id)
    job = DurableJob(project, job_id)
    job.on_report = on_report
    try:
        row = get(project, job_id)
        params = dict(row["params"])
        name = params.pop("provider", "offline")
        models = {**(project.setting(f"models/{name}") or {}), **params.pop("models", {})}
        provider = get_provider(name, models=models or None)
        project.db.execute("UPDATE jobs SET status = 'running', started = ?, message = 'Starting' WHERE id = ?",
                           [now(), job_id])
        job.say(f"Checking {name}: key and models")
        provider.preflight()  # a rejected key or a retired model stops the job before any paid call
        ctx = Context(project=project, provider=provider, job=job, branch=row["branch"])
        result = KINDS[row["kind"]](ctx, **params)
        project.db.execute("UPDATE jobs SET status = 'succeeded', progress = 1, finished = ?, result = ?, "
                           "message = 'Done' WHERE id = ?", [now(), json.dumps(result), job_id])
    except Cancelled as err:
        project.db.execute("UPDATE jobs SET status = 'cancelled', finished = ?, message = ? WHERE id = ?",
                           [now(), str(err), job_id])
    except DailiesError as err:  # bad input stays bad input: the CLI exits 2 for it, as it would before a job
        kind = "input" if isinstance(err, (InputError, ConfigError)) else "failed"
        project.db.execute("UPDATE jobs SET status = 'failed', finished = ?, error = ?, error_kind = ?, message = ?, "
                           "step = ? WHERE id = ?", [now(), str(err), kind, f"Failed: {err}", job.message, job_id])
    except Exception as err:  # noqa: BLE001 - a bug: keep the trace in the row, show one line
        project.db.execute("UPDATE jobs SET status = 'failed', finished = ?, error = ?, message = ?, step = ? "
                           "WHERE id = ?", [now(), traceback.format_exc(),
                                            f"Failed unexpectedly: {type(err).__name__}: {err}", job.message, job_id])
    finally:
        with _live_lock:
            _live.pop(key, None)


def cancel(project, job_id: int) -> None:
    project.db.execute("UPDATE jobs SET cancel = 1 WHERE id = ? AND status IN ('queued', 'running')", [job_id])


def resume(project, job_id: int, **kw) -> int:
    row = get(project, job_id)
    if row["status"] not in ("interrupted", "failed", "cancelled"):
        raise InputError(f"Job {job_id} is {row['status']}; only interrupted, failed or cancelled jobs resume.")
    params = dict(row["params"])
    provider = params.pop("provider", "offline")
    # On the job's own branch, whatever branch is current now: a resume finishes what the job started.
    return submit(project, row["kind"], params, provider=provider, resumed_from=job_id, branch=row["branch"], **kw)


def wait(project, job_id: int, *, poll: float = 0.2, timeout: float | None = None) -> dict:
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        row = get(project, job_id)
        if row["status"] not in ACTIVE:
            return row
        if deadline is not None and time.monotonic() > deadline:
            return row
        time.sleep(poll)
