"""The character library: a character saved from one film is cast into another with its sheet, photo and voice,
and the sheet is re-used, not made (or paid for) again."""
from __future__ import annotations

import pytest

from core.errors import InputError, NotFound
from core.jobs import submit
from core.pipeline import cast
from core.pipeline.edits import edit_scenes
from core.pipeline.plan import story_of
from core.store import Project


def sheet_calls(project: Project, name: str) -> list[dict]:
    return [c for c in project.calls.rows() if c["slot"] == f"sheet/{name}"]


def test_a_character_cast_into_another_film_brings_its_sheet_with_no_call(film_copy, tmp_path):
    a = Project.open(film_copy)
    ada_sheet, ada = a.takes.head("sheet/Ada"), a.takes.head("character/Ada").payload
    saved = cast.save(a, "Ada", tags=["clockmaker"])
    assert [s.key for s in cast.listed()] == ["ada"] and saved.voice == a.takes.head("voice/Ada").payload["voice"]

    b = Project.open(tmp_path / "b")
    submit(b, "make", {"concept": "Two gulls guard a lighthouse through a winter storm", "scenes": 2},
           background=False)
    calls_before = len(b.calls.rows())
    done = cast.cast(b, "ada")
    assert done["sheet"] and not done["pending"]
    sheet = b.takes.head("sheet/Ada")
    assert sheet.origin == "reused" and sheet.asset == ada_sheet.asset  # the same file, by hash
    assert sheet.payload["reused_from"]["sheet_take"] == ada_sheet.id and b.tags.has(sheet.id, "keep")
    plan = story_of(b.takes.head("story"))
    cast_ada = next(c for c in plan.characters if c.name == "Ada")
    assert cast_ada.visual_description == ada["visual_description"]
    assert plan.voices["Ada"] == saved.voice
    assert b.takes.head("reference/Ada") is not None
    assert len(b.calls.rows()) == calls_before  # casting paid for nothing
    # Ada in a scene: the film is made again around her sheet, which no step makes anew
    rows = [s.model_dump() for s in plan.scenes]
    rows[0]["characters_present"] = [*rows[0]["characters_present"], "Ada"]
    edit_scenes(b, rows)
    submit(b, "regenerate_stale", {}, background=False)
    assert sheet_calls(b, "Ada") == []
    assert b.takes.head("sheet/Ada").id == sheet.id
    keyframe = b.takes.head(f"keyframe/{plan.scenes[0].scene_id}")
    assert keyframe.inputs.get("sheet/Ada") == sheet.id


def test_a_cast_before_the_story_joins_it_when_it_is_planned(film_copy, tmp_path):
    cast.save(Project.open(film_copy), "Bo")
    c = Project.open(tmp_path / "c")
    assert cast.cast(c, "Bo")["pending"] is True
    assert c.takes.head("reference/Bo") is not None  # the planner sees Bo's photo, so writes Bo in
    submit(c, "make", {"concept": "Bo, a runaway kite, learns to fly over the sea", "scenes": 2}, background=False)
    plan = story_of(c.takes.head("story"))
    assert "Bo" in [ch.name for ch in plan.characters]
    assert c.takes.head("sheet/Bo").origin == "reused" and sheet_calls(c, "Bo") == []
    assert c.setting(cast.PENDING) == []


def test_library_errors_name_the_fix(film_copy, tmp_path):
    a = Project.open(film_copy)
    with pytest.raises(NotFound, match="Nobody is not a character of this story; the characters are Ada, Bo"):
        cast.save(a, "Nobody")
    with pytest.raises(NotFound, match="'ghost' is not in the character library; it holds nobody yet"):
        cast.cast(a, "ghost")
    saved = cast.save(a, "Ada")
    (saved.folder / saved.sheet).write_bytes(b"not the sheet")
    with pytest.raises(InputError, match="damaged; save Ada again"):
        cast.cast(Project.open(tmp_path / "d"), "Ada")
