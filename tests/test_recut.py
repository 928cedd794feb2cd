"""Re-cutting a film: scenes keep their identity (and their takes) when they are inserted, moved or removed.

A finished 3-scene offline film is re-cut; what is asserted is which takes each
scene keeps (by asset hash), what status reports as needing regen, which provider
calls a regeneration makes, and that undo puts the film back.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core import jobs
from core.errors import InputError
from core.pipeline import scenes
from core.pipeline.plan import story_of
from core.pipeline.status import status
from core.store import Project
from tests.conftest import ROOT


@pytest.fixture
def film(film_copy):
    project = Project.open(film_copy)
    yield project
    project.close()


def media(project) -> dict[str, str]:
    """slot -> asset of every keyframe and clip head."""
    return {s: t.asset for s, t in project.takes.heads().items() if s.startswith(("keyframe/", "clip/"))}


def stale(project) -> set[str]:
    return {s["slot"] for s in status(project)["slots"] if s["stale"]}


def order(project) -> list[int]:
    return [s.scene_id for s in story_of(project.takes.head("story")).scenes]


def calls_by_slot(project, since: int) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in project.db.query("SELECT slot, operation FROM calls WHERE id > ? ORDER BY id", [since]):
        out.setdefault(r["slot"], []).append(r["operation"])
    return out


def last_call(project) -> int:
    return next(project.db.query("SELECT coalesce(max(id), 0) AS n FROM calls"))["n"]


def test_a_finished_film_has_nothing_stale(film):
    assert stale(film) == set() and order(film) == [1, 2, 3]


def test_inserting_a_scene_keeps_every_take_and_makes_stale_only_what_changed(film):
    before = media(film)
    scenes.insert_scene(film, after=1, fields={"title": "A detour", "action": "Ada takes the long way round"})
    assert order(film) == [1, 4, 2, 3]  # the new scene has a new id; the old scenes 2 and 3 are at 3 and 4
    assert media(film) == before        # every keyframe and clip take is where it was: same slots, same hashes
    # The new scene's own slots, the keyframe that now follows it (keyframes are chained), and what lists scenes.
    assert stale(film) == {"keyframe/4", "clip/4", "keyframe/2", "cut", "script"}
    st = status(film)
    assert [(s["position"], s["id"]) for s in st["scenes"]] == [(1, 1), (2, 4), (3, 2), (4, 3)]


def test_regenerate_stale_makes_only_the_calls_of_what_is_stale(film):
    scenes.insert_scene(film, after=1)
    before, since = media(film), last_call(film)
    job = jobs.get(film, jobs.submit(film, "regenerate_stale", {}, background=False))
    assert job["status"] == "succeeded", job["message"]
    made = calls_by_slot(film, since)
    # The new scene's keyframe and clip, and the keyframe after it with its clip; each with its check.
    assert set(made) == {"keyframe/4", "clip/4", "keyframe/2", "clip/2"}
    assert all(sorted(set(ops)) in (["check", "compose_keyframe"], ["animate_clip", "check"]) for ops in made.values())
    after = media(film)
    assert {s: a for s, a in after.items() if s.endswith(("/1", "/3"))} == \
        {s: a for s, a in before.items() if s.endswith(("/1", "/3"))}
    assert len(film.takes.head("cut").payload["scene_starts"]) == 4
    # What this run itself made stale is left for the person: the next keyframe in the chain.
    assert stale(film) == {"keyframe/3"}


def test_undo_puts_the_three_scene_film_back(film):
    before_heads = film.takes.head_ids()
    scenes.insert_scene(film, after=1)
    film.takes.undo()
    assert order(film) == [1, 2, 3] and film.takes.head_ids() == before_heads and stale(film) == set()


def test_moving_a_scene_keeps_its_takes_and_restales_only_the_broken_links(film):
    before = media(film)
    scenes.move_scene(film, 3, to=1)
    assert order(film) == [3, 1, 2] and media(film) == before
    # Scene 3 now opens the film and scene 1 follows it: both keyframes lost their predecessor; scene 2 did not.
    assert stale(film) == {"keyframe/3", "keyframe/1", "cut", "script"}
    film.takes.undo()
    assert order(film) == [1, 2, 3] and stale(film) == set()


def test_removing_a_scene_keeps_its_takes_for_undo_and_restales_the_next_keyframe(film):
    before = media(film)
    scenes.remove_scene(film, 2)
    assert order(film) == [1, 3]
    assert media(film) == {s: a for s, a in before.items() if not s.endswith("/2")}
    assert stale(film) == {"keyframe/3", "cut", "script"}
    assert len(film.takes.of_slot("keyframe/2")) >= 1  # kept as a take
    film.takes.undo()
    assert order(film) == [1, 2, 3] and media(film) == before and stale(film) == set()


def test_duplicating_a_scene_gives_the_copy_an_identity_of_its_own(film):
    scenes.duplicate_scene(film, 2)
    plan = story_of(film.takes.head("story"))
    assert order(film) == [1, 2, 4, 3]
    assert plan.scene(4).model_dump(exclude={"scene_id"}) == plan.scene(2).model_dump(exclude={"scene_id"})
    assert stale(film) == {"keyframe/4", "clip/4", "keyframe/3", "cut", "script"}


def test_an_id_is_never_reused_after_its_scene_was_removed(film):
    scenes.remove_scene(film, 3)
    scenes.insert_scene(film, after=2)
    assert order(film) == [1, 2, 4]


@pytest.mark.parametrize("call, message", [
    (lambda p: scenes.insert_scene(p, after=7), "out of range"),
    (lambda p: scenes.move_scene(p, 0, to=2), "out of range"),
    (lambda p: scenes.move_scene(p, 1, to=9), "out of range"),
    (lambda p: scenes.remove_scene(p, 4), "out of range"),
])
def test_positions_out_of_range_are_refused(film, call, message):
    with pytest.raises(InputError, match=message):
        call(film)


def test_the_last_scene_cannot_be_removed(film):
    scenes.remove_scene(film, 1)
    scenes.remove_scene(film, 1)
    with pytest.raises(InputError, match="at least one"):
        scenes.remove_scene(film, 1)


def test_regenerate_scene_n_counts_positions_after_a_recut(film_copy, workspace):
    env = {"PATH": "/usr/bin:/bin", "DAILIES_HOME": str(workspace)}

    def core(*args):
        return subprocess.run([sys.executable, "-m", "core", *map(str, args), "--project", film_copy], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=600)
    p = core("scene", "insert", "--after", 0, "--title", "Cold open")
    assert p.returncode == 0 and "needs regen now: clip/4, cut, keyframe/1, keyframe/4, script" in p.stderr, p.stderr
    project = Project.open(film_copy)
    before = media(project)
    project.close()
    p = core("regenerate", "--scene", 1)  # position 1 is the new scene, id 4
    assert p.returncode == 0, p.stderr
    project = Project.open(film_copy)
    after = media(project)
    assert {s for s in after if after[s] != before.get(s)} == {"keyframe/4", "clip/4"}
    st = json.loads(core("status", "--json").stdout)
    assert {k: st["scenes"][0][k] for k in ("position", "id", "title")} == {"position": 1, "id": 4,
                                                                            "title": "Cold open"}
    p = core("scene", "move", 1, "--to", 9)
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1
    project.close()


def test_a_scene_added_at_the_end_makes_the_cut_stale(film):
    scenes.insert_scene(film, after=3)
    assert stale(film) == {"keyframe/4", "clip/4", "cut", "script"}


def test_a_table_that_hands_ids_back_as_floats_keeps_every_scene_its_takes(film):
    from core.pipeline.edits import edit_scenes

    before = media(film)
    rows = [{**s.model_dump(), "scene_id": float(s.scene_id)} for s in story_of(film.takes.head("story")).scenes]
    edit_scenes(film, [*rows, {**rows[0], "scene_id": None, "title": "A new row"}])
    assert order(film) == [1, 2, 3, 4] and media(film) == before


def test_a_refinement_never_hands_out_a_removed_scenes_id(film):
    from core.pipeline.context import Context
    from core.pipeline.edits import refine_story
    from core.providers import get_provider

    scenes.remove_scene(film, 3)
    refine_story(Context(project=film, provider=get_provider("offline")), "add a scene")
    assert order(film) == [1, 2, 4]


def test_a_scene_that_is_not_valid_is_refused_in_one_line(film):
    with pytest.raises(InputError, match="Scene 2 is not valid at duration_seconds"):
        scenes.insert_scene(film, after=1, fields={"duration_seconds": 30})
    with pytest.raises(InputError, match="characters_present"):
        scenes.insert_scene(film, after=1, fields={"characters_present": ["Ada", "Bo", "Ada", "Bo"]})


def test_a_film_holds_at_most_24_scenes(film):
    from core.models import MAX_SCENES

    for _ in range(MAX_SCENES - 3):
        scenes.duplicate_scene(film, 1)
    with pytest.raises(InputError, match="the most a film can have"):
        scenes.insert_scene(film, after=1)
