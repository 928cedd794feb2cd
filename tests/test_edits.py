"""Changing the story: hand edits, chat refinements, approval, uploads, the budget cap."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from core import jobs, media
from core.errors import BudgetExceeded, InputError
from core.pipeline.context import Context
from core.pipeline.edits import approve_story, edit_scenes, edit_story, is_approved, refine_story
from core.pipeline.plan import add_reference, story_of
from core.providers import get_provider
from core.store import Project
from tests.conftest import CONCEPT


@pytest.fixture
def planned(tmp_path):
    project = Project.open(tmp_path / "p")
    jobs.submit(project, "plan", {"concept": CONCEPT, "scenes": 3, "labels": ["Ada", "Bo"]}, background=False)
    return project


def test_plan_labels_name_the_characters_and_parts_follow_the_story(planned):
    plan = story_of(planned.takes.head("story"))
    assert [c.name for c in plan.characters] == ["Ada", "Bo"]
    heads = planned.takes.head_ids()
    assert {"look", "character/Ada", "character/Bo", "scene/1", "scene/2", "scene/3"} <= set(heads)
    assert planned.takes.head("scene/2").payload == plan.scenes[1].model_dump(exclude={"motion", "clip_camera",
                                                                                       "lines"})
    assert planned.takes.head("lines/2").payload == {"lines": [x.model_dump() for x in plan.scenes[1].lines]}


def test_a_hand_edit_is_a_new_take_with_its_parent(planned):
    old = planned.takes.head("story")
    new = edit_story(planned, {"title": "Race to the Lighthouse"})
    assert new.parent == old.id and new.origin == "edited"
    assert story_of(new).title == "Race to the Lighthouse"
    assert edit_story(planned, {"title": "Race to the Lighthouse"}).id == new.id  # no change, no take


def test_an_invalid_edit_names_the_field_and_keeps_the_story(planned):
    old = planned.takes.head("story")
    with pytest.raises(InputError, match="characters"):
        edit_story(planned, {"characters": []})
    rows = [s.model_dump() for s in story_of(old).scenes]
    rows[0]["characters_present"] = ["Zed"]
    with pytest.raises(InputError, match="Zed"):
        edit_scenes(planned, rows)
    assert planned.takes.head("story").id == old.id


def test_removing_a_scene_in_the_shot_list_keeps_the_others_ids_and_drops_its_part(planned):
    rows = [s.model_dump() for s in story_of(planned.takes.head("story")).scenes]
    edit_scenes(planned, [rows[0], rows[2]])
    plan = story_of(planned.takes.head("story"))
    assert [s.scene_id for s in plan.scenes] == [1, 3]  # ids are identities, not positions
    assert plan.at(2).title == rows[2]["title"]
    heads = planned.takes.head_ids()
    assert "scene/2" not in heads and "after/2" not in heads and planned.takes.head("after/3").payload == {"after": 1}


def test_a_new_row_in_the_shot_list_gets_an_id_no_scene_ever_had(planned):
    rows = [s.model_dump() for s in story_of(planned.takes.head("story")).scenes]
    edit_scenes(planned, rows[:2])                      # scene 3 leaves; its id is not handed out again
    new = {k: v for k, v in rows[0].items() if k != "scene_id"} | {"title": "A new shot"}
    edit_scenes(planned, [rows[0], new, rows[1], {**rows[1], "title": "a pasted copy"}])
    plan = story_of(planned.takes.head("story"))
    assert [s.scene_id for s in plan.scenes] == [1, 4, 2, 5]


def test_a_chat_refinement_records_the_instruction_and_changes_the_character(planned):
    ctx = Context(project=planned, provider=get_provider("offline"))
    old = planned.takes.head("story")
    new = refine_story(ctx, "make Bo grumpier")
    assert new.parent == old.id and new.payload["instruction"] == "make Bo grumpier"
    bo = story_of(new).character("Bo")
    assert bo.personality_cues[0] == "grumpy" and "grumpy" in bo.visual_description
    calls = [r for r in planned.calls.recent(5) if r["operation"] == "refine_plan"]
    assert calls and "make Bo grumpier" in calls[0]["prompt"]


def test_a_refinement_the_offline_planner_cannot_apply_says_what_it_can(planned):
    ctx = Context(project=planned, provider=get_provider("offline"))
    from core.errors import ProviderError
    with pytest.raises(ProviderError, match="understands"):
        refine_story(ctx, "rewrite it as a noir thriller set on Mars")
    with pytest.raises(InputError):
        refine_story(ctx, "   ")


def test_approval_survives_edits_but_not_a_new_plan(planned):
    assert not is_approved(planned)
    approve_story(planned)
    assert is_approved(planned)
    edit_story(planned, {"title": "Another Title"})
    assert is_approved(planned)
    jobs.submit(planned, "plan", {"concept": "A lonely robot learns to paint in the city", "scenes": 2},
                background=False)
    assert not is_approved(planned)


def _png(w, h):
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (90, 120, 150)).save(buf, "PNG")
    return buf.getvalue()


def test_uploads_that_are_corrupt_huge_or_too_many_megapixels_are_refused_and_nothing_is_stored(planned):
    cases = [(b"\x89PNG\r\n\x1a\n truncated", "not a readable image"),
             (b"x" * (media.MAX_UPLOAD_BYTES + 1), "limit is 25 MB"),
             (_png(8000, 6000), "megapixels")]
    for data, message in cases:
        with pytest.raises(InputError, match=message):
            add_reference(planned, "Ada", data, filename="upload.png")
    assert planned.takes.head("reference/Ada") is None
    assert planned.db.execute("SELECT count(*) FROM assets WHERE mime LIKE 'image/%'").fetchone()[0] == 0


def test_the_same_photo_uploaded_twice_is_one_take(planned, faces):
    a = add_reference(planned, "Ada", faces["Ada"].read_bytes(), filename="ada.png")
    b = add_reference(planned, "Ada", faces["Ada"].read_bytes(), filename="ada-again.png")
    assert a.id == b.id and planned.takes.count("reference/Ada") == 1


def test_the_budget_cap_refuses_a_call_before_it_is_made(planned):
    class Priced(type(get_provider("offline"))):
        def estimate(self, operation, params, n_inputs):
            return 0.5

    planned.set_setting("budget_usd", 0.25)
    ctx = Context(project=planned, provider=Priced())
    before = planned.calls.totals()["total"]
    with pytest.raises(BudgetExceeded, match="Budget cap"):
        refine_story(ctx, "make Bo braver")
    assert planned.calls.totals()["total"] == before
