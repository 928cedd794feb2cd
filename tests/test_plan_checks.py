"""Plan checks: a planner's answer is judged as a whole, and repaired only where that is safe.

These are the slips real models make, each fed to `check_plan` as the draft a
planner would return. The end-to-end versions (the fake xAI server answering with
them, a film made anyway) are in test_grok_today.py.
"""
from __future__ import annotations

import pytest

from core.models import PlanDraft, StoryPlan
from core.pipeline.plan_checks import Cast, check_plan, reask_prompt, remaining

LONG = " ".join(["a detailed and carefully repeated visual description word"] * 10)  # 80 words


def draft(**over) -> PlanDraft:
    base = {
        "title": "The Harbour Race", "logline": "Two friends race the sunset.", "style": "ink and wash",
        "aspect_ratio": "16:9", "palette": ["#112233", "#445566", "#778899", "#aabbcc", "#ddeeff"],
        "characters": [{"name": "Ada Lovelace", "role": "clockmaker", "visual_description": LONG},
                       {"name": "Bo", "role": "kite", "visual_description": LONG},
                       {"name": 'Margaret "Maggie" Moss', "role": "harbour master", "visual_description": LONG},
                       {"name": "Samantha", "role": "gull", "visual_description": LONG}],
        "scenes": [{"scene_id": i, "title": f"Beat {i}", "setting": "the quay", "characters_present": ["Bo"],
                    "duration_seconds": 5} for i in (1, 2, 3)],
    }
    base.update(over)
    return PlanDraft.model_validate(base)


def test_a_good_draft_passes_without_findings_and_becomes_a_story_plan():
    checked = check_plan(draft(), scenes=3, aspect_ratio="16:9")
    assert checked.usable and checked.findings == [] and checked.problems == []
    assert isinstance(checked.plan, StoryPlan) and [s.scene_id for s in checked.plan.scenes] == [1, 2, 3]


def test_repeated_scene_ids_are_renumbered_by_position():
    d = draft(scenes=[{"scene_id": 3, "title": t, "setting": "x"} for t in ("a", "b", "c")])
    checked = check_plan(d, scenes=3)
    assert [(s.scene_id, s.title) for s in checked.plan.scenes] == [(1, "a"), (2, "b"), (3, "c")]
    assert checked.notes == ["Scene ids are 3, 3, 3 instead of 1 to 3 in order: renumbered by position"]


@pytest.mark.parametrize("written, meant", [
    ("Ada Lovelace", "Ada Lovelace"), ("ada lovelace", "Ada Lovelace"), ("  ADA   LOVELACE. ", "Ada Lovelace"),
    ("Ada", "Ada Lovelace"), ("Lovelace", "Ada Lovelace"), ("Dr. Ada Lovelace", "Ada Lovelace"),
    ("the Bo", "Bo"), ("Maggie", 'Margaret "Maggie" Moss'), ("Margaret", 'Margaret "Maggie" Moss'),
    ("Sam", "Samantha"), ("the owl", None), ("quiet drift", None), ("", None), ("Moss Ada", None),
])
def test_names_resolve_exactly_then_loosely_then_by_first_name_or_nickname(written, meant):
    assert Cast(["Ada Lovelace", "Bo", 'Margaret "Maggie" Moss', "Samantha"]).resolve(written) == meant


def test_an_ambiguous_first_name_resolves_to_no_one():
    assert Cast(["Ada Lovelace", "Ada Byron"]).resolve("Ada") is None


def test_unknown_names_are_dropped_and_loose_ones_read_as_the_character_without_asking_again():
    d = draft(scenes=[{"scene_id": 1, "title": "a", "setting": "x", "characters_present": ["the owl", "ada", "Bo"]}])
    checked = check_plan(d)
    assert checked.plan.scenes[0].characters_present == ["Ada Lovelace", "Bo"]
    assert "Scene 1 named 'the owl', who is not in the cast: dropped" in checked.notes
    assert "Scene 1 named 'ada': read as Ada Lovelace" in checked.notes
    assert checked.problems == ["Scene 1 named 'the owl', who is not in the cast"]  # the resolved name is not one


def test_a_crowded_scene_keeps_its_first_three_characters():
    d = draft(scenes=[{"scene_id": 1, "title": "a", "setting": "x",
                       "characters_present": ["Bo", "Ada Lovelace", "Samantha", "Maggie"]}])
    checked = check_plan(d)
    assert checked.plan.scenes[0].characters_present == ["Bo", "Ada Lovelace", "Samantha"]
    assert any("4 characters" in n and "kept Bo, Ada Lovelace and Samantha" in n for n in checked.notes)


def test_extra_scenes_are_cut_and_missing_ones_noted():
    five = [{"scene_id": i, "title": f"s{i}", "setting": "x"} for i in range(1, 6)]
    cut = check_plan(draft(scenes=five), scenes=3)
    assert len(cut.plan.scenes) == 3 and cut.notes == ["The plan has 5 scenes and 3 were asked for: cut to the "
                                                       "first 3"]
    short = check_plan(draft(scenes=five[:2]), scenes=3)
    assert len(short.plan.scenes) == 2 and short.notes == ["The plan has 2 scenes and 3 were asked for: kept 2"]


def test_durations_are_clamped_to_what_one_clip_can_be():
    d = draft(scenes=[{"scene_id": 1, "title": "a", "setting": "x", "duration_seconds": "20 seconds"},
                      {"scene_id": 2, "title": "b", "setting": "x", "duration_seconds": 0.2},
                      {"scene_id": 3, "title": "c", "setting": "x", "duration_seconds": 7.4}])
    checked = check_plan(d)
    assert [s.duration_seconds for s in checked.plan.scenes] == [15, 1, 7]
    assert "Scene 1 lasts 20 s (1 to 15 s a clip): set to 15 s" in checked.notes


def test_short_descriptions_are_kept_and_noted():
    d = draft(characters=[{"name": "Ada", "visual_description": "A tall woman with a red scarf."}],
              scenes=[{"scene_id": 1, "title": "a", "setting": "x", "characters_present": ["Ada"]}])
    checked = check_plan(d)
    assert checked.plan.characters[0].visual_description == "A tall woman with a red scarf."
    assert checked.notes == ["Ada's visual description has 7 words (80 asked): kept as written"]
    assert remaining(checked.plan) == checked.notes  # a hand edit of this plan keeps the note


def test_two_characters_with_one_name_keep_the_first():
    d = draft(characters=[{"name": "Ada", "role": "first", "visual_description": LONG},
                          {"name": "ada ", "role": "second", "visual_description": LONG}],
              scenes=[{"scene_id": 1, "title": "a", "setting": "x", "characters_present": ["Ada"]}])
    checked = check_plan(d)
    assert [(c.name, c.role) for c in checked.plan.characters] == [("Ada", "first")]
    assert any("Two characters are named" in n for n in checked.notes)


def test_a_slash_in_a_name_is_repaired_because_names_are_slot_names():
    d = draft(characters=[{"name": "Ada/Bo", "visual_description": LONG}],
              scenes=[{"scene_id": 1, "title": "a", "setting": "x", "characters_present": ["Ada/Bo"]}])
    checked = check_plan(d)
    assert checked.plan.characters[0].name == "Ada-Bo" and checked.plan.scenes[0].characters_present == ["Ada-Bo"]


def test_bad_transitions_palettes_and_aspect_ratios_fall_back_to_valid_ones():
    d = draft(palette=["teal", "#abc", "#112233"], aspect_ratio="4:3",
              scenes=[{"scene_id": 1, "title": "a", "setting": "x", "transition": "star wipe",
                       "transition_seconds": 7, "audio": "loud"}])
    checked = check_plan(d, aspect_ratio="9:16")
    s = checked.plan.scenes[0]
    assert (s.transition, s.transition_seconds, s.audio) == ("cut", 2.0, "keep")
    assert checked.plan.aspect_ratio == "9:16" and checked.plan.palette[:2] == ["#aabbcc", "#112233"]
    assert len(checked.plan.palette) == 5


@pytest.mark.parametrize("over, refusal", [({"characters": []}, "no characters"), ({"scenes": []}, "no scenes"),
                                           ({"characters": [{"name": " "}]}, "no characters")])
def test_a_plan_with_no_character_or_no_scene_is_not_usable(over, refusal):
    checked = check_plan(draft(**over), scenes=3)
    assert not checked.usable and refusal in checked.refusal and checked.refusal in checked.problems[-1]


def test_sloppy_json_types_are_coerced_rather_than_refused():
    d = PlanDraft.model_validate({"title": ["Two", "words"], "characters": {"name": "Ada", "visual_description": 3},
                                  "scenes": [{"scene_id": "1", "characters_present": "Ada and Bo",
                                              "duration_seconds": "6s"}, "not a scene"]})
    assert d.title == "Two words" and d.characters[0].name == "Ada" and len(d.scenes) == 1
    assert d.scenes[0].characters_present == ["Ada", "Bo"] and d.scenes[0].duration_seconds == 6


def test_the_reask_prompt_lists_every_problem_and_the_last_answer():
    d = draft(scenes=[{"scene_id": 2, "title": "a", "setting": "x", "characters_present": ["the owl"]}])
    checked = check_plan(d, scenes=1)
    text = reask_prompt("Plan a short film.", d, checked.problems)
    assert text.startswith("Plan a short film.")
    assert all(f"- {p}." in text for p in checked.problems) and '"the owl"' in text


def test_names_in_any_script_stay_apart_and_a_title_never_merges_two_people():
    d = draft(characters=[{"name": n, "visual_description": LONG} for n in ("李雷", "韩梅梅", "Old Tom", "Tom")],
              scenes=[{"scene_id": 1, "title": "a", "setting": "x", "characters_present": ["韩梅梅", "tom", "李雷"]}])
    checked = check_plan(d)
    assert [c.name for c in checked.plan.characters] == ["李雷", "韩梅梅", "Old Tom", "Tom"]
    assert checked.plan.scenes[0].characters_present == ["韩梅梅", "Tom", "李雷"]


def test_json_nan_and_infinity_fall_back_to_defaults():
    d = PlanDraft.model_validate({"characters": [{"name": "Ada", "visual_description": LONG}],
                                  "scenes": [{"scene_id": float("nan"), "duration_seconds": float("inf"),
                                              "transition_seconds": float("nan"), "setting": "x"}]})
    s = check_plan(d).plan.scenes[0]
    assert (s.scene_id, s.duration_seconds, s.transition_seconds) == (1, 5, 1.0)


def test_a_revision_keeps_ids_replaces_repeated_ones_and_never_revives_a_removed_one():
    d = draft(scenes=[{"scene_id": i, "title": t, "setting": "x"} for i, t in ((4, "a"), (4, "b"), (3, "c"), (9, "d"))])
    checked = check_plan(d, ids_from=8, known_ids={1, 2, 4})  # scene 3 was removed; 9 is new
    assert [s.scene_id for s in checked.plan.scenes] == [4, 10, 11, 9]
