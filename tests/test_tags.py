"""Tags on takes: keep holds a head against automatic steps, hate keeps a take from becoming head again."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core import jobs
from core.errors import InputError
from core.pipeline.edits import edit_story
from core.pipeline.plan import story_of
from core.pipeline.status import status
from core.store import Project
from tests.conftest import ROOT


@pytest.fixture
def film(film_copy):
    project = Project.open(film_copy)
    yield project
    project.close()


def slot_row(project, slot):
    return next(s for s in status(project)["slots"] if s["slot"] == slot)


def edit_action(project, position, action):
    scenes = [s.model_dump() for s in story_of(project.takes.head("story")).scenes]
    scenes[position - 1]["action"] = action
    edit_story(project, {"scenes": scenes})


def test_a_kept_head_survives_run_all_after_an_upstream_edit_and_shows_kept_and_stale(film):
    kept = film.takes.head("keyframe/2")
    film.tags.add(kept.id, "keep")
    edit_action(film, 2, "Bo does a cartwheel on the quay")
    job = jobs.get(film, jobs.submit(film, "make", {}, background=False))
    assert job["status"] == "succeeded", job["message"]
    assert film.takes.head("keyframe/2").id == kept.id
    row = slot_row(film, "keyframe/2")
    assert row["stale"] is True and row["tags"] == ["keep"]


def test_regenerate_stale_leaves_a_kept_head_too_but_an_explicit_regenerate_replaces_it(film):
    kept = film.takes.head("keyframe/2")
    film.tags.add(kept.id, "keep")
    edit_action(film, 2, "Bo does a cartwheel on the quay")
    jobs.submit(film, "regenerate_stale", {}, background=False)
    assert film.takes.head("keyframe/2").id == kept.id
    jobs.submit(film, "regenerate", {"scene": 2}, background=False)
    assert film.takes.head("keyframe/2").id != kept.id


def test_a_hated_head_is_replaced_by_a_new_variant_and_never_made_head_again(film):
    hated = film.takes.head("keyframe/1")
    film.tags.add(hated.id, "hate")
    job = jobs.get(film, jobs.submit(film, "make", {}, background=False))
    assert job["status"] == "succeeded", job["message"]
    new = film.takes.head("keyframe/1")
    assert new.id != hated.id and new.asset != hated.asset and new.variant > hated.variant
    film.takes.restore(hated.id)  # a person may still choose it by hand...
    jobs.submit(film, "make", {}, background=False)
    assert film.takes.head("keyframe/1").id != hated.id  # ...but no automatic step keeps it


def test_tags_are_checked_and_listed_in_status(film):
    take = film.takes.head("clip/1")
    film.tags.add(take.id, "love")
    film.tags.add(take.id, "love")  # twice is once
    assert status(film)["tags"] == {str(take.id): ["love"]}
    with pytest.raises(InputError, match="not one of"):
        film.tags.add(take.id, "meh")
    with pytest.raises(InputError, match="does not exist"):
        film.tags.add(99999, "keep")
    film.tags.remove(take.id, "love")
    assert status(film)["tags"] == {}


def test_the_cli_tags_and_untags_a_take(film_copy, workspace):
    def core(*args):
        return subprocess.run([sys.executable, "-m", "core", *map(str, args), "--project", film_copy], cwd=ROOT,
                              capture_output=True, text=True, timeout=120,
                              env={"PATH": "/usr/bin:/bin", "DAILIES_HOME": str(workspace)})
    head = json.loads(core("status", "--json").stdout)
    take = next(s["head"] for s in head["slots"] if s["slot"] == "sheet/Ada")
    p = core("tag", "--take", take, "keep")
    assert p.returncode == 0 and "keep" in p.stderr
    st = json.loads(core("status", "--json").stdout)
    assert next(s for s in st["slots"] if s["slot"] == "sheet/Ada")["tags"] == ["keep"]
    assert core("tag", "--take", take, "keep", "--remove").returncode == 0
    assert json.loads(core("status", "--json").stdout)["tags"] == {}
    for bad in (["--take", take, "meh"], ["--take", 99999, "keep"]):
        p = core("tag", *bad)
        assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1
