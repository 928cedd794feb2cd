"""Background jobs: threads with durable rows, progress, cancel and resume.

A job is a row in `jobs` plus a thread in this process. The row is the truth
the UI polls (status, progress 0..1, a human message); the thread checks the
row's cancel flag at safe points (before every provider call, between steps).
When a project opens, rows still `queued` or `running` whose process is gone
become `interrupted`; resuming one starts a new job with the same parameters,
and because every step reuses finished takes and every call reuses its logged
answer, a resumed job repeats no provider call that had finished.

A run in review mode that reaches an unapproved stage ends `waiting` (with the
stage); `approve()` approves that stage and runs the *same* job again, which
goes past everything already made to the next gate or the end.
"""
from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from core.errors import Cancelled, ConfigError, DailiesError, InputError
from core.pipeline import gates
from core.pipeline.context import Context, JobHandle
from core.pipeline.tasks import KINDS
from core.projects import list_projects
from core.store.jobs import ACTIVE, RESUMABLE, STATUSES, hold  # noqa: F401 - re-exported for callers

class DurableJob(JobHandle):
    """A JobHandle whose progress and cancel flag live in the job's row."""

    def __init__(self, project, job_id: int):
        super().__init__()
        self.project = project
        self.id = job_id
        self.on_report: Callable[[float, str], None] | None = None

    def report(self, fraction: float, message: str) -> None:
        self.message = message
        self.project.jobs.progress(self.id, fraction, message)
        if self.on_report:
            self.on_report(fraction, message)

    def cancel_requested(self) -> bool:
        return self.project.jobs.cancel_requested(self.id)


def mark_interrupted(project) -> list[int]:
    return project.jobs.mark_interrupted()


def get(project, job_id: int) -> dict:
    return project.jobs.get(job_id)


def recent(project, limit: int = 20) -> list[dict]:
    return project.jobs.recent(limit)


def active(project) -> list[dict]:
    return project.jobs.active()


def submit(project, kind: str, params: dict[str, Any], *, provider: str = "offline",
           resumed_from: int | None = None, background: bool = True,
           on_report: Callable[[float, str], None] | None = None, models: dict[str, str] | None = None,
           branch: str | None = None, on_offer: Callable[[Any], bool] | None = None) -> int:
    """Record a job and run it on a thread (or in this thread with background=False); returns its id.

    `models` overrides the project's model settings for this job (and its resumes): `--model ROLE=NAME`.
    `branch` is the branch it works on (default: the current one). `on_offer(offer)` answers a re-use offer at
    once (the CLI at a terminal); without it a run in `ask` mode waits at a gate for the answer."""
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
    job_id = project.jobs.insert(kind, branch=branch, resumed_from=resumed_from,
                                 params={"provider": provider, **({"models": models} if models else {}), **params})
    if kind == "make":  # a new run replaces one that waits; an edit or a regenerate meanwhile does not
        project.jobs.supersede(branch, by=job_id)
    _start(project, job_id, background=background, on_report=on_report, on_offer=on_offer)
    return job_id


def _start(project, job_id: int, *, background: bool, on_report, on_offer=None) -> None:
    release = hold(str(project.conns.path), job_id)  # live before its thread exists: never seen as orphaned
    if not background:
        try:
            _execute(project, job_id, on_report, on_offer)
        finally:
            release()
        return

    def run():
        try:
            _execute(project, job_id, on_report)
        finally:
            release()
    threading.Thread(target=run, name=f"job-{job_id}", daemon=True).start()


def approve(project, job_id: int | None = None, *, background: bool = True,
            on_report: Callable[[float, str], None] | None = None,
            on_offer: Callable[[Any], bool] | None = None) -> int:
    """Approve the stage a run waits at and continue that same run; returns its id."""
    waiting = [j for j in project.jobs.waiting_jobs() if job_id in (None, j["id"])]
    if not waiting:
        raise InputError(f"Job {job_id} is not waiting for approval." if job_id else
                         "No run is waiting for approval; start one with Run all (or `make --review`).")
    busy = active(project)
    if busy:
        raise InputError(f"Project {project.name} is busy with job {busy[0]['id']}; wait for it or cancel it first.")
    row = waiting[0]
    low = gates.below_bar(project, row["waiting"], row["branch"])
    if low:
        raise InputError(f"{', '.join(low)} failed {'its' if len(low) == 1 else 'their'} check (below 0.80): "
                         "Fix, or Accept anyway, before approving.")
    gates.approve(project, row["waiting"], branch=row["branch"])
    project.jobs.requeue(row["id"])
    _start(project, row["id"], background=background, on_report=on_report, on_offer=on_offer)
    return row["id"]


def _execute(project, job_id: int, on_report=None, on_offer=None) -> None:
    from core.providers import get_provider

    rows = project.jobs
    job = DurableJob(project, job_id)
    job.on_report = on_report
    try:
        row = rows.get(job_id)
        params = dict(row["params"])
        name = params.pop("provider", "offline")
        models = {**(project.setting(f"models/{name}") or {}), **params.pop("models", {})}
        reuse = params.pop("reuse", None) or project.setting("reuse") or "ask"
        provider = get_provider(name, models=models or None)
        rows.started(job_id)
        job.say(f"Checking {name}: key and models")
        provider.preflight()  # a rejected key or a retired model stops the job before any paid call
        ctx = Context(project=project, provider=provider, job=job, branch=row["branch"], reuse_policy=reuse,
                      ask_reuse=on_offer, offer_sources=lambda: [p.path for p in list_projects()])
        rows.succeeded(job_id, KINDS[row["kind"]](ctx, **params))
    except gates.GateReached as gate:
        rows.wait(job_id, gate.stage, str(gate))
    except Cancelled as err:
        rows.cancelled(job_id, str(err))
    except DailiesError as err:  # bad input stays bad input: the CLI exits 2 for it, as it would before a job
        rows.failed(job_id, error=str(err), kind="input" if isinstance(err, (InputError, ConfigError)) else "failed",
                    message=f"Failed: {err}", step=job.message)
    except Exception as err:  # noqa: BLE001 - a bug: keep the trace in the row, show one line
        rows.failed(job_id, error=traceback.format_exc(), kind="bug",
                    message=f"Failed unexpectedly: {type(err).__name__}: {err}", step=job.message)


def cancel(project, job_id: int) -> None:
    project.jobs.cancel(job_id)


def resume(project, job_id: int, **kw) -> int:
    row = get(project, job_id)
    if row["status"] not in RESUMABLE:
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
