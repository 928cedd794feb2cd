"""Re-use before paying: a second film of the same concept is offered every picture and clip of the first."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core import jobs
from core.cli import main
from core.pipeline import reuse
from core.store import Project
from tests.conftest import ROOT

CONCEPT = "A lighthouse keeper and a gull wait out the storm"
MADE = ("make_sheet", "compose_keyframe", "animate_clip")  # the image and video calls


def made_calls(project: Project) -> list[dict]:
    return [c for c in project.calls.rows() if c["operation"] in MADE]


@pytest.fixture
def first(workspace):
    """The first film, made in the workspace (its sheets, keyframes and clips indexed as they are made)."""
    assert main(["make", CONCEPT, "--project", str(workspace / "first"), "--scenes", "2",
                 "--provider", "offline"]) == 0
    return Project.open(workspace / "first")


def media_slots(project: Project) -> list[str]:
    return sorted(s for s in project.takes.head_ids() if s.split("/")[0] in reuse.KINDS)


def test_with_reuse_auto_the_second_film_makes_no_picture_or_clip(first, workspace, capsys):
    assert main(["make", CONCEPT, "--project", str(workspace / "second"), "--scenes", "2", "--provider", "offline",
                 "--reuse", "auto"]) == 0
    second = Project.open(workspace / "second")
    assert made_calls(second) == []
    slots = media_slots(second)
    assert len(slots) == 2 + 2 + 2  # two sheets, two keyframes, two clips
    for slot in slots:
        take, theirs = second.takes.head(slot), first.takes.head(slot)
        assert take.origin == "reused" and take.cost_usd == 0 and take.asset == theirs.asset
        assert take.payload["reused_from"] == {"project": "first", "path": str(first.path), "take": theirs.id,
                                               "slot": slot}
        assert take.payload["similarity"] >= reuse.THRESHOLD
    assert "Re-use take #" in capsys.readouterr().err
    # the film itself is whole: the cut is made from the re-used clips
    assert second.takes.head("cut").payload["scenes"] == 2


def test_ask_without_a_terminal_says_each_offer_and_makes_new_ones(first, workspace, capsys):
    assert main(["make", CONCEPT, "--project", str(workspace / "asked"), "--scenes", "2",
                 "--provider", "offline"]) == 0
    offers = [line for line in capsys.readouterr().err.splitlines() if line.startswith("offer: ")]
    assert len(offers) == 6 and all("1.00 similar" in o and "not taken" in o for o in offers)
    asked = Project.open(workspace / "asked")
    assert len({c["slot"] for c in made_calls(asked)}) == 6
    assert all(asked.takes.head(s).origin == "generated" for s in media_slots(asked))


def test_an_offer_needs_the_same_pictures_and_close_words(first, workspace):
    from core.pipeline.plan import story_of

    other = Project.open(workspace / "other")
    keyframe = first.takes.head("keyframe/1")
    key = next(first.conns.get().query("SELECT key FROM embeddings WHERE take = ?", [keyframe.id]))["key"]
    scene = story_of(first.takes.head("story")).scenes[0]
    words = reuse.scene_words(scene)
    # the same pictures in and words a little changed: offered, from the other project
    found = reuse.find(other, "keyframe/1", "keyframe", words.replace(scene.mood, "hopeful"), key,
                       others=[first.path])
    assert found is not None and found.take == keyframe.id and reuse.THRESHOLD <= found.similarity < 1.0
    assert found.describe().startswith(f"re-use take #{keyframe.id} of first (keyframe/1, ")
    # other pictures in (another sheet), or another scene's words: nothing; nor from the project itself
    assert reuse.find(other, "keyframe/1", "keyframe", words, key + "x", others=[first.path]) is None
    assert reuse.find(other, "keyframe/1", "keyframe", "A robot paints a mural on a rainy city street at night.",
                      key, others=[first.path]) is None
    assert reuse.find(first, "keyframe/2", "keyframe", words, key, others=[first.path]) is None
    # a sheet is found by its photo and style lock as well as its words
    sheet_key = next(first.conns.get().query("SELECT key FROM embeddings e JOIN takes t ON t.id = e.take "
                                             "WHERE t.slot = 'sheet/Keeper'"))["key"]
    assert sheet_key.startswith("photo:") and "|lock:" in sheet_key


def test_in_the_app_a_run_waits_for_the_answer_and_takes_every_offer_from_a_project(first, workspace):
    project = Project.open(workspace / "third")
    project.set_setting("reuse", "ask")
    job = jobs.submit(project, "make", {"concept": CONCEPT, "scenes": 2}, background=False)
    row = jobs.get(project, job)
    assert row["status"] == "waiting" and row["waiting"] == "reuse"
    offer = reuse.pending(project)
    assert offer.slot.startswith("sheet/") and offer.project == "first"
    assert made_calls(project) == []  # nothing paid for while the question is open
    # the page asks; "Re-use it" with "every offer from first" continues the same run to the end
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["project"] = "third"
    at.run()
    assert any("asks: Re-use take #" in i.value for i in at.info)
    at.checkbox(key=f"reuse-all-{job}").check().run()
    next(b for b in at.button if b.label == "Re-use it").click().run()
    assert not at.exception
    row = jobs.wait(project, job, timeout=300)
    assert row["status"] == "succeeded", row["message"]
    assert made_calls(project) == []
    assert all(project.takes.head(s).origin == "reused" for s in media_slots(project))


def test_with_the_xai_fake_a_second_film_pays_for_no_picture_or_clip(fake, workspace, faces):
    from core.pipeline.plan import add_reference
    from tests.conftest import CONCEPT as HARBOUR, xai_kinds

    def film(name: str, **params) -> Project:
        project = Project.open(workspace / name)
        for who, photo in faces.items():
            add_reference(project, who, photo.read_bytes(), filename=photo.name)
        job = jobs.submit(project, "make", {"concept": HARBOUR, "scenes": 2, **params}, provider="xai",
                          background=False)
        assert jobs.get(project, job)["status"] == "succeeded", jobs.get(project, job)["message"]
        return project

    film("paid", reuse="never")
    before = xai_kinds(fake)
    second = film("free", reuse="auto")
    after = xai_kinds(fake)
    assert after["image"] == before["image"] and after["video"] == before["video"]  # nothing paid for twice
    assert made_calls(second) == []
    reused = [second.takes.head(s) for s in media_slots(second)]
    assert len(reused) == 6 and all(t.origin == "reused" and t.cost_usd == 0 for t in reused)
    assert sum(c["cost_usd"] for c in second.calls.rows() if c["operation"] in MADE) == 0
