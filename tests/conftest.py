"""Shared fixtures: a temporary workspace for every test, real face photos, a finished offline film."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from core.providers import register
from core.providers.offline import OfflineProvider
from tests.fakes.faces import draw_faces

ROOT = Path(__file__).resolve().parent.parent
CONCEPT = "Ada, a clockmaker, and Bo, a runaway kite, race the sunset across a windy harbour town"


@register("slow-offline")
class SlowOffline(OfflineProvider):
    """The offline provider with a pause before each media operation, so tests can cancel or kill mid-run."""

    name = "slow-offline"
    delay = 0.6
    blend_sheets = None  # a provider that cannot blend characters

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
