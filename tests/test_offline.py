"""The offline provider: plans from the concept's words, deterministic media, real similarity scores."""
from __future__ import annotations

from core import media
from core.models import MIN_DESCRIPTION_WORDS
from core.providers import get_provider
from core.providers.base import CheckRequest, ClipRequest, KeyframeRequest, PlanRequest, SheetRequest
from core.providers.offline_plan import find_characters, find_place


def test_the_plan_is_built_from_the_concepts_own_words():
    provider = get_provider("offline")
    plan, cost = provider.plan_story(PlanRequest(concept="A curious fox meets a wise owl in an enchanted autumn "
                                                         "forest", labels=["Fox", "Owl"]))
    assert cost == 0
    assert [c.name for c in plan.characters] == ["Fox", "Owl"]
    assert "curious" in plan.characters[0].visual_description
    assert all(len(c.visual_description.split()) >= MIN_DESCRIPTION_WORDS for c in plan.characters)
    assert 3 <= len(plan.scenes) <= 5
    assert all("enchanted autumn forest" in s.setting for s in plan.scenes)
    assert all(s.duration_seconds > 0 and s.camera and s.mood and s.action for s in plan.scenes)
    assert len(plan.palette) == 5


def test_characters_are_found_by_name_or_by_noun():
    assert [n for n, _, _ in find_characters("Ada, a clockmaker, and Bo, a runaway kite, race home")] == ["Ada", "Bo"]
    assert find_characters("A lonely robot learns to paint")[0][:2] == ("Robot", "robot")
    assert find_place("A lonely robot learns to paint on a rainy night in the city") == "city"


def test_the_same_request_gives_the_same_bytes_and_a_variant_differs(faces):
    provider = get_provider("offline")
    plan, _ = provider.plan_story(PlanRequest(concept="Ada, a clockmaker, races Bo", labels=["Ada", "Bo"]))
    ada = plan.characters[0]
    photo = faces["Ada"].read_bytes()

    def sheet(variant):
        return provider.make_sheet(SheetRequest(character=ada, style=plan.style, palette=plan.palette, photo=photo,
                                                prompt="p", variant=variant)).data
    assert sheet(0) == sheet(0)
    assert sheet(0) != sheet(1)
    s = sheet(0)
    kreq = KeyframeRequest(scene=plan.scenes[0], style=plan.style, palette=plan.palette, references=[s],
                           reference_roles=["sheet/Ada"], prompt="k")
    k1, k2 = provider.compose_keyframe(kreq).data, provider.compose_keyframe(kreq).data
    assert k1 == k2
    creq = ClipRequest(keyframe=k1, prompt="m", camera="pan left", mood="calm", duration=2)
    c1, c2 = provider.animate_clip(creq).data, provider.animate_clip(creq).data
    assert c1 == c2


def test_clips_follow_the_scene_duration_at_24_fps(tmp_path):
    provider = get_provider("offline")
    plan, _ = provider.plan_story(PlanRequest(concept="A wise owl in a forest", labels=[]))
    kf = provider.compose_keyframe(KeyframeRequest(scene=plan.scenes[0], style=plan.style, palette=plan.palette,
                                                   references=[], reference_roles=[], prompt="k")).data
    clip = provider.animate_clip(ClipRequest(keyframe=kf, prompt="m", camera="slow push in", mood="calm",
                                             duration=3)).data
    (tmp_path / "c.mp4").write_bytes(clip)
    info = media.probe_video(tmp_path / "c.mp4")
    assert media.is_normalized(info)
    assert abs(info.duration - 3) < 0.1


def test_checks_score_real_similarity_not_a_constant(faces):
    provider = get_provider("offline")
    plan, _ = provider.plan_story(PlanRequest(concept="Ada and Bo", labels=["Ada", "Bo"]))
    ada, bo = faces["Ada"].read_bytes(), faces["Bo"].read_bytes()
    sheet = provider.make_sheet(SheetRequest(character=plan.characters[0], style=plan.style, palette=plan.palette,
                                             photo=ada, prompt="p")).data
    same, _ = provider.check(CheckRequest(kind="sheet", image=sheet, references=[ada], reference_roles=["r"],
                                          prompt="c"))
    other, _ = provider.check(CheckRequest(kind="sheet", image=sheet, references=[bo], reference_roles=["r"],
                                           prompt="c"))
    assert same.score > other.score
    assert 0 <= other.score < same.score <= 1
