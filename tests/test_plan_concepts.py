"""The offline planner reads the concept: roles, looks and props from its nouns and the photos' labels, settings
and the last scene's things from its words, and sentences with no template seams, over a set of varied concepts."""
from __future__ import annotations

import re

import pytest

from core.models import MIN_DESCRIPTION_WORDS
from core.providers.offline_plan import (ANIMALS, BIRDS, DEFAULT_PLACE, LOOKS, MACHINES, SWIMMERS, THINGS,
                                         find_place, look_role, plan_offline)

# Each: concept, labels (uploaded photos), {character name: the concept's noun for them}
CONCEPTS = [
    ("A retired astronaut teaches a street photographer to see the stars", ["Eileen", "Marco"],
     {"Eileen": "astronaut", "Marco": "photographer"}),
    ("Ada, a clockmaker, and Bo, a runaway kite, race the sunset across a windy harbour town", [],
     {"Ada": "clockmaker", "Bo": "kite"}),
    ("Ada, a clockmaker, and Bo, a runaway kite, cross a harbour town at sunset", ["Ada", "Bo"],
     {"Ada": "clockmaker", "Bo": "kite"}),
    ("A lighthouse keeper and a lost whale ride out a storm", [], {"Keeper": "keeper", "Whale": "whale"}),
    ("Two rival bakers in a snowed-in mountain village", [], {"Baker": "baker", "Other Baker": "baker"}),
    ("A detective cat solves a theft in a busy city street at night", [], {"Cat": "cat"}),
    ("A young robot learns to paint in a desert", [], {"Robot": "robot"}),
    ("A grandmother teaches her grandson to fish on a frozen lake", ["Nan", "Leo"],
     {"Nan": "grandmother", "Leo": "grandson"}),
    ("An astronomer and a shepherd count stars above the valley", [],
     {"Astronomer": "astronomer", "Shepherd": "shepherd"}),
    ("A street musician and a pigeon share a rainy afternoon", [], {"Musician": "musician", "Pigeon": "pigeon"}),
    ("A knight and a dragon open a bakery", [], {"Knight": "knight", "Dragon": "dragon"}),
    ("A stargazer and an old fisherman mend a boat", ["June"], {"June": "stargazer", "Fisherman": "fisherman"}),
    ("An orphan and an elephant escape the circus", ["Mia"], {"Mia": "orphan", "Elephant": "elephant"}),
]

# Template seams: none of these may appear in any text of a plan.
SEAMS = [r"\b(the|a|an) (the|a|an)\b", r"\ba [aeiou]", r"\ban [b-df-hj-np-tv-z]", r"\{", r"\}", r"  ", r" ,", r" \.",
         r"\bThe The\b", r"hair or fur", r"hands or paws", r"(?i)\b(\w+) \1\b"]
SENTENCE_SEAM = r"(^|[.!?] )[a-z]"  # a sentence starting in lower case (settings and actions are phrases)
FAMILIES = ("valley", "forest", "sea", "harbour", "harbor", "lighthouse", "coast", "street", "city", "room",
            "kitchen", "library", "workshop", "studio", "bakery", "night sky", "stars", "space", "desert", "snow",
            "storm", "lake", "village", "rooftop", "town", "observatory", "circus")


def texts(plan) -> list[tuple[str, bool]]:
    """Every text of the plan, and whether it is written as sentences."""
    out = [(plan.title, True), (plan.logline, True)]
    for c in plan.characters:
        out += [(c.role, False), (c.visual_description, True)]
    for s in plan.scenes:
        out += [(s.title, True), (s.description, True), (s.setting, False), (s.action, False),
                *((line.text, True) for line in s.lines)]
    return out


def is_person(character, labels) -> bool:
    return character.name in labels or character.role not in ANIMALS | MACHINES | THINGS


@pytest.mark.parametrize("concept,labels,nouns", CONCEPTS, ids=[c[0][:32] for c in CONCEPTS])
@pytest.mark.parametrize("scenes", [3, 6])
@pytest.mark.parametrize("seed", [1, 7])
def test_a_plan_carries_the_concepts_nouns_and_reads_without_seams(concept, labels, nouns, scenes, seed):
    plan = plan_offline(concept, labels, scenes, None, "16:9", seed=seed)
    cast = {c.name: c for c in plan.characters}
    for name, noun in nouns.items():
        assert name in cast, (concept, list(cast))
        assert noun in cast[name].role, (name, cast[name].role)
        assert noun in cast[name].visual_description.lower(), (name, noun)
    assert [c.name for c in plan.characters][:len(labels)] == labels  # the labels, in order, first
    for c in plan.characters:
        assert len(c.visual_description.split()) >= MIN_DESCRIPTION_WORDS
        if is_person(c, labels):
            assert "hair framing the face" in c.visual_description and "Hands" in c.visual_description, c.name
            assert not re.search(r"\b(fur|paws|feathers|fins)\b", c.visual_description), c.name
        elif c.role in BIRDS:
            assert "feathers" in c.visual_description and "hair" not in c.visual_description
        elif c.role in SWIMMERS:
            assert "fins" in c.visual_description and "paws" not in c.visual_description
        elif c.role in MACHINES:
            assert "plating" in c.visual_description or "stone" in c.visual_description
            assert "hair" not in c.visual_description
        dressed = look_role(c.role, c.personality_cues)  # a role's look and prop reach the picture
        if dressed and (is_person(c, labels) or c.role in ANIMALS):
            assert all(part in c.visual_description for part in LOOKS[dressed]), (c.name, dressed)
    for text, sentences in texts(plan):
        for seam in SEAMS + ([SENTENCE_SEAM] if sentences else []):
            assert not re.search(seam, text), (seam, text)
    for s in plan.scenes:
        assert any(f in s.setting for f in FAMILIES), s.setting
    if find_place(concept) != DEFAULT_PLACE or not any(w in concept for w in (" in ", " on ", " at ", " across ")):
        # the concept's own place, or one its words imply, never the fallback valley
        assert not any("edge of town" in text for text, _ in texts(plan)), concept


def test_labels_take_the_concepts_nouns_in_order():
    concept = CONCEPTS[0][0]
    plan = plan_offline(concept, ["Eileen", "Marco"], 3, None, "16:9", seed=1)
    assert [(c.name, c.role) for c in plan.characters] == [("Eileen", "astronaut"), ("Marco", "photographer")]
    assert plan.characters[0].visual_description.startswith("Eileen is a retired astronaut")
    assert plan.characters[1].visual_description.startswith("Marco is a street photographer")
    swapped = plan_offline(concept, ["Marco", "Eileen"], 3, None, "16:9", seed=1)
    assert [c.role for c in swapped.characters] == ["astronaut", "photographer"]  # order of the concept, not names


def test_the_astronaut_and_the_photographer_get_their_props_and_a_night_under_the_stars():
    plan = plan_offline(CONCEPTS[0][0], ["Eileen", "Marco"], 3, None, "16:9", seed=1)
    eileen, marco = plan.characters
    assert "flight jacket" in eileen.visual_description and "mission patch" in eileen.visual_description
    assert "camera" in marco.visual_description
    assert all("night" in s.setting for s in plan.scenes)
    assert "hair framing the face" in eileen.visual_description and "Hands" in eileen.visual_description
    story = " ".join(t for t, _ in texts(plan) if t not in (plan.logline,))
    assert "the stars" in story and "camera" in " ".join(s.action for s in plan.scenes)


def test_animals_and_machines_look_like_themselves():
    knight = plan_offline(CONCEPTS[10][0], [], 3, None, "16:9", seed=1)
    dragon = knight.character("Dragon")
    assert "scales" in dragon.visual_description and "fur" not in dragon.visual_description
    assert "armour" in knight.character("Knight").visual_description
    cat = plan_offline(CONCEPTS[5][0], [], 3, None, "16:9", seed=1).character("Cat")
    assert "paws" in cat.visual_description and "trench coat" in cat.visual_description  # a detective cat
    robot = plan_offline(CONCEPTS[6][0], [], 3, None, "16:9", seed=1).character("Robot")
    assert "lenses" in robot.visual_description and "plating" in robot.visual_description


def test_places_read_from_the_concept_and_their_short_forms():
    cases = {  # concept: (words of every setting, the short form the lines use)
        CONCEPTS[2][0]: ("harbour town", "the harbour town"),
        CONCEPTS[4][0]: ("mountain village", "the mountain village"),
        CONCEPTS[3][0]: ("lighthouse", "the lighthouse"),
        "Ada and Bo": ("a quiet valley at the edge of town", "the valley"),
        "Ada waits for Bo in Paris": ("Paris", "Paris"),
    }
    for concept, (setting, short) in cases.items():
        plan = plan_offline(concept, ["Ada", "Bo"], 3, None, "16:9", seed=1)
        assert all(setting in s.setting for s in plan.scenes), (concept, plan.scenes[0].setting)
        assert any(f"So this is {short}." == line.text for line in plan.scenes[0].lines), plan.scenes[0].lines
        assert plan.scenes[0].description.startswith(("The ", "Paris"))


def test_weather_and_time_of_day_come_from_the_concept():
    storm = plan_offline(CONCEPTS[3][0], [], 3, None, "16:9", seed=1)
    assert all("storm" in s.setting and "lighthouse" in s.setting for s in storm.scenes)
    rain = plan_offline(CONCEPTS[9][0], [], 3, None, "16:9", seed=1)
    assert all("rain" in s.setting and "afternoon" in s.setting for s in rain.scenes)
    knight = plan_offline(CONCEPTS[10][0], [], 3, None, "16:9", seed=1)
    assert not any("night" in s.setting for s in knight.scenes)  # a knight is not a night


def test_one_photo_and_no_other_character_still_makes_a_pair():
    plan = plan_offline("A walk in the park", ["Zed"], 3, None, "16:9", seed=1)
    assert [c.name for c in plan.characters][0] == "Zed" and len(plan.characters) == 2
    assert not any("Zed and Zed" in t for t, _ in texts(plan))


def test_the_same_concept_gives_the_same_plan():
    a = plan_offline(CONCEPTS[0][0], ["Eileen", "Marco"], 3, None, "16:9", seed=3)
    b = plan_offline(CONCEPTS[0][0], ["Eileen", "Marco"], 3, None, "16:9", seed=3)
    assert a == b
    assert plan_offline(CONCEPTS[0][0], ["Eileen", "Marco"], 3, None, "16:9", seed=4) != a
