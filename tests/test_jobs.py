"""Background jobs: durable rows, progress, cancel, interrupted-then-resumed, SIGKILL mid-run."""
from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from core import jobs
from core.errors import InputError
from core.pipeline.plan import add_reference
from core.pipeline.status import status
from core.store import Project
from tests.conftest import CONCEPT, ROOT, cli_make, kill_when


def _project_with_refs(path, faces):
    project = Project.open(path)
    for name, photo in faces.items():
        add_reference(project, name, photo.read_bytes(), filename=photo.name)
    return project


def _ok_keys(project):
    return [r["key"] for r in project.db.query("SELECT key FROM calls WHERE outcome = 'ok'")]


def test_a_background_job_reports_progress_and_succeeds(tmp_path, faces):
    project = _project_with_refs(tmp_path / "p", faces)
    seen = []
    job_id = jobs.submit(project, "make", {"concept": CONCEPT, "scenes": 2}, on_report=lambda f, m: seen.append(f))
    with pytest.raises(InputError, match="busy"):
        jobs.submit(project, "make", {"concept": CONCEPT, "scenes": 2})
    row = jobs.wait(project, job_id, timeout=300)
    assert row["status"] == "succeeded", row["error"]
    assert row["progress"] == 1 and row["result"]["path"].endswith(".mp4")
    assert seen == sorted(seen) and len(seen) >= 8  # monotonic progress, one report per step at least


def test_cancel_stops_at_a_safe_point_and_keeps_finished_takes(tmp_path, faces):
    project = _project_with_refs(tmp_path / "p", faces)
    job_id = jobs.submit(project, "make", {"concept": CONCEPT, "scenes": 3}, provider="slow-offline")
    deadline = time.monotonic() + 120
    while project.takes.head("keyframe/1") is None and time.monotonic() < deadline:
        time.sleep(0.05)
    jobs.cancel(project, job_id)
    row = jobs.wait(project, job_id, timeout=120)
    assert row["status"] == "cancelled"
    assert project.takes.head("keyframe/1") is not None  # kept
    assert project.takes.head("cut") is None
    kept_calls = _ok_keys(project)
    resumed = jobs.resume(project, job_id, background=False)
    assert jobs.get(project, resumed)["status"] == "succeeded"
    assert jobs.get(project, resumed)["resumed_from"] == job_id
    keys = _ok_keys(project)
    assert len(keys) == len(set(keys))  # nothing that finished before the cancel was called again
    assert set(kept_calls) <= set(keys)


def test_a_job_left_running_by_a_dead_process_becomes_interrupted_and_resumes(tmp_path, faces):
    project = _project_with_refs(tmp_path / "p", faces)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    project.db.execute(
        "INSERT INTO jobs (kind, branch, status, params, pid, created) VALUES ('make', 'main', 'running', ?, ?, ?)",
        [json.dumps({"provider": "offline", "concept": CONCEPT, "scenes": 2}), dead.pid, "2026-01-01"])
    project.close()
    project = Project.open(tmp_path / "p")
    (row,) = jobs.recent(project, 1)
    assert row["status"] == "interrupted"
    new = jobs.resume(project, row["id"], background=False)
    assert jobs.get(project, new)["status"] == "succeeded"


def test_make_after_sigkill_finishes_and_repeats_no_finished_call(tmp_path, faces, workspace):
    film = tmp_path / "film"
    args, env = cli_make(film, faces, workspace, scenes=3)
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def clips_done():
        with sqlite3.connect(film / "project.db", timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM calls WHERE operation = 'animate_clip'").fetchone()[0]
    kill_when(proc, clips_done)
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    project = Project.open(film)
    before = set(_ok_keys(project))
    assert jobs.recent(project, 1)[0]["status"] == "interrupted"
    project.close()
    p = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    assert "Resuming interrupted job" in p.stderr
    project = Project.open(film)
    keys = _ok_keys(project)
    assert len(keys) == len(set(keys)) and before <= set(keys)
    st = status(project)
    assert st["cut"]["path"] == p.stdout.strip().splitlines()[-1]
    assert all(s["head"] is not None for s in st["slots"])
