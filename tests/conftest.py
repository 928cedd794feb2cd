"""Shared fixtures: a temporary workspace for every test, real face photos, a finished offline film."""
from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from core import media
from core.providers import register
from core.providers.offline import OfflineProvider
from tests.fakes.faces import draw_faces

ROOT = Path(__file__).resolve().parent.parent
CONCEPT = "Ada, a clockmaker, and Bo, a runaway kite, race the sunset across a windy harbour town"
XAI_KEY = "xai-test-secret-7f3a9c"


@register("slow-offline")
class SlowOffline(OfflineProvider):
    """The offline provider with a pause before each media operation, so tests can cancel or kill mid-run."""

    name = "slow-offline"
    delay = 0.6
    can_blend = False  # a provider that cannot blend characters

    def animate_clip(self, req):
        time.sleep(self.delay)
        return super().animate_clip(req)

    def compose_keyframe(self, req):
        time.sleep(self.delay)
        return super().compose_keyframe(req)


@pytest.fixture(autouse=True)
def workspace(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("DAILIES_HOME", str(home))
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    return home


@pytest.fixture
def fake(monkeypatch):
    """The fake xAI server, with the environment pointing the xai provider at it (fast retries and polls)."""
    from tests.fakes.xai_server import FakeXai

    server = FakeXai().start()
    server.valid_keys = {XAI_KEY}
    monkeypatch.setenv("XAI_API_KEY", XAI_KEY)
    monkeypatch.setenv("DAILIES_XAI_HOST", server.host)
    monkeypatch.setenv("DAILIES_XAI_API_URL", server.http_url + "/v1")  # text-to-speech is REST, not gRPC
    monkeypatch.setenv("DAILIES_XAI_RETRY_BASE", "0.01")
    monkeypatch.setenv("DAILIES_XAI_POLL", "0.05")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def faces(tmp_path_factory) -> dict[str, Path]:
    return draw_faces(tmp_path_factory.mktemp("faces"))


@pytest.fixture(scope="session")
def finished_film(tmp_path_factory, faces) -> Path:
    """One offline film made through the core API, shared read-only; copy it (film_copy) to change it."""
    from core.jobs import submit
    from core.pipeline.plan import add_reference
    from core.store import Project

    path = tmp_path_factory.mktemp("films") / "harbour"
    project = Project.open(path)
    for name, photo in faces.items():
        add_reference(project, name, photo.read_bytes(), filename=photo.name)
    submit(project, "make", {"concept": CONCEPT, "scenes": 3}, background=False)
    project.close()
    return path


@pytest.fixture
def film_copy(finished_film, tmp_path) -> Path:
    dst = tmp_path / "film"
    shutil.copytree(finished_film, dst)
    return dst


# -- helpers shared by tests ---------------------------------------------------------------------------

def xai_film(tmp_path: Path, faces: dict[str, Path], scenes: int = 3, **job):
    """A film made with the xai provider through the job runner, in this process: (project, job row)."""
    from core import jobs
    from core.pipeline.plan import add_reference
    from core.store import Project

    project = Project.open(tmp_path / "film")
    for name, photo in faces.items():
        add_reference(project, name, photo.read_bytes(), filename=photo.name)
    job_id = jobs.submit(project, "make", {"concept": CONCEPT, "scenes": scenes}, provider="xai", background=False,
                         **job)
    return project, jobs.get(project, job_id)


def xai_kinds(server) -> dict[str, int]:
    return {k: server.count(k) for k in ("chat", "check", "image", "video")}


def cli_make(path: Path, faces: dict[str, Path], workspace: Path, *, scenes: int, provider: str | None = None):
    """The `make` command line for a film of `scenes` with both faces, and its environment: (args, env)."""
    args = [sys.executable, "-m", "core", "make", CONCEPT, "--project", str(path), "--scenes", str(scenes),
            *(["--provider", provider] if provider else []),
            "--ref", f"Ada={faces['Ada']}", "--ref", f"Bo={faces['Bo']}"]
    return args, {**os.environ, "DAILIES_HOME": str(workspace)}


def kill_when(proc: subprocess.Popen, ready: Callable[[], object], timeout: float = 120):
    """SIGKILL `proc` as soon as ready() is truthy (a locked or missing database counts as not yet); wait for it
    to die; return ready()'s last value."""
    deadline, value = time.monotonic() + timeout, None
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            value = ready()
        except sqlite3.OperationalError:
            value = None
        if value:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait()
    return value


def integrated_loudness(path) -> float:
    """EBU R128 integrated loudness measured by the ffmpeg command line: a check independent of core's own."""
    p = subprocess.run([media.ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-af",
                        "ebur128=framelog=quiet", "-f", "null", "-"], capture_output=True, text=True)
    return float(re.search(r"I:\s+(-?[\d.]+) LUFS", p.stderr.split("Summary:")[-1]).group(1))
