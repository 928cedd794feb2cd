"""The style lock (one art-direction image for every sheet and keyframe) and a clip's own motion."""
from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from core import jobs
from core.errors import InputError
from core.pipeline import scenes
from core.pipeline.plan import set_style_lock
from core.pipeline.status import stale_slots
from core.store import Project
from tests.conftest import ROOT


@pytest.fixture
def film(film_copy):
    project = Project.open(film_copy)
    yield project
    project.close()


def violet() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 40, 170)).save(buf, format="PNG")
    return buf.getvalue()


def mean(project, slot) -> np.ndarray:
    return np.asarray(Image.open(project.assets.path(project.takes.head(slot).asset)).convert("RGB")).reshape(-1, 3
                                                                                                            ).mean(0)


def test_a_style_lock_makes_every_still_stale_and_pulls_their_colours_toward_it(film):
    before = {s: mean(film, s) for s in ("sheet/Ada", "keyframe/1")}
    set_style_lock(film, data=violet(), filename="violet.png")
    assert {"sheet/Ada", "sheet/Bo", "keyframe/1", "keyframe/2", "keyframe/3"} <= stale_slots(film)
    job = jobs.get(film, jobs.submit(film, "make", {}, background=False))
    assert job["status"] == "succeeded", job["message"]
    for slot, old in before.items():
        new = mean(film, slot)
        assert new[2] - new[1] > old[2] - old[1]  # more violet: blue over green
    set_style_lock(film)
    assert {"sheet/Ada", "keyframe/1"} <= stale_slots(film)


def test_a_style_lock_can_be_any_still_take_but_not_a_clip(film):
    asset = set_style_lock(film, take=film.takes.head("keyframe/2").id)
    assert asset == film.takes.head("keyframe/2").asset
    with pytest.raises(InputError, match="not a still"):
        set_style_lock(film, take=film.takes.head("clip/1").id)


def test_xai_gets_the_style_lock_as_a_reference_after_the_sheets(fake, tmp_path, faces):
    from core.pipeline.plan import add_reference
    from tests.conftest import CONCEPT

    project = Project.open(tmp_path / "film")
    for name, photo in faces.items():
        add_reference(project, name, photo.read_bytes(), filename=photo.name)
    jobs.submit(project, "plan", {"concept": CONCEPT, "scenes": 2}, provider="xai", background=False)
    set_style_lock(project, data=violet(), filename="violet.png")
    job = jobs.get(project, jobs.submit(project, "make", {}, provider="xai", background=False))
    assert job["status"] == "succeeded", job["message"]
    images = [r for r in fake.requests if r.kind == "image"]
    assert [r.image_count for r in images[:2]] == [2, 2]  # each sheet: its photo and the style lock
    assert all("art-direction reference" in r.prompt for r in images)
    assert "image 3 is the film's art-direction reference" in images[2].prompt  # two sheets, then the lock


def test_a_motion_edit_makes_only_the_clip_stale_and_remakes_only_the_clip(film):
    keyframe, clip = film.takes.head("keyframe/2"), film.takes.head("clip/2")
    scenes.set_motion(film, 2, motion="the kite dips low and soars over the masts", camera="orbit")
    assert stale_slots(film) == {"clip/2", "cut", "script"}  # of the pictures, only the clip
    since = next(film.db.query("SELECT max(id) AS n FROM calls"))["n"]
    job = jobs.get(film, jobs.submit(film, "clip", {"scene": 2}, background=False))
    assert job["status"] == "succeeded", job["message"]
    assert film.takes.head("keyframe/2").id == keyframe.id and film.takes.head("clip/2").id != clip.id
    calls = list(film.db.query("SELECT slot, operation, prompt FROM calls WHERE id > ?", [since]))
    assert {c["slot"] for c in calls} == {"clip/2"}
    assert any("the kite dips low" in (c["prompt"] or "") for c in calls if c["operation"] == "animate_clip")
    assert stale_slots(film) == set()


def test_the_cli_changes_a_clips_motion(film_copy, workspace):
    p = subprocess.run([sys.executable, "-m", "core", "motion", "a slow drift to the left", "--scene", "1",
                        "--camera", "pan left", "--project", film_copy], cwd=ROOT, capture_output=True, text=True,
                       timeout=300, env={"PATH": "/usr/bin:/bin", "DAILIES_HOME": str(workspace)})
    assert p.returncode == 0 and p.stdout.strip().endswith(".mp4"), p.stderr
    p = subprocess.run([sys.executable, "-m", "core", "motion", "--scene", "1", "--camera", "somersault",
                        "--project", film_copy], cwd=ROOT, capture_output=True, text=True, timeout=120,
                       env={"PATH": "/usr/bin:/bin", "DAILIES_HOME": str(workspace)})
    assert p.returncode == 2 and "not one of" in p.stderr
