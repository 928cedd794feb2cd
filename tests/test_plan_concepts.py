"""The offline planner reads the concept: roles, looks and props from its nouns and the photos' labels, settings
from its words, and sentences with no template seams, over a set of varied concepts."""
from __future__ import annotations

import re

import pytest

from core.providers.offline_plan import ANIMALS, BIRDS, MACHINES, SWIMMERS, plan_offline

# Each: concept, labels (uploaded photos), {character name: the concept's noun for them}
CONCEPTS = [
    ("A retired astronaut teaches a street photographer to see the stars", ["Eileen", "Marco"],
     {"Eileen": "astronaut", "Marco": "photographer"}),
    ("Ada, a clockmaker, and Bo, a runaway kite, race the sunset across a windy harbour town", [],
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
]

SEAMS = [r"\b(the|a|an) (the|a|an)\b", r"\ba [aeiou]", r"\ban [b-df-hj-np-tv-z]", r"[{}]", r"  ", r" ,", r" \.",
         r"\bThe The\b", r"hair or fur", r"hands or paws", r"\b(\w+) \1\b"]
FAMILIES = ("valley", "forest", "sea", "harbour", "harbor", "lighthouse", "coast", "street", "city", "room",
            "kitchen", "library", "workshop", "studio", "bakery", "night sky", "stars", "space", "desert", "snow",
            "storm", "lake", "village", "rooftop", "town", "observatory")


SENTENCE_SEAM = r"(^|[.!?] )[a-z]"  # a sentence starting in lower case (settings and actions are phrases)


def texts(plan) -> list[tuple[str, bool]]:
    """Every text of the plan, and whether it is written as sentences."""
    out = [(plan.title, True), (plan.logline, True)]
    for c in plan.characters:
        out += [(c.visual_description, True)]
    for s in plan.scenes:
        out += [(s.title, True), (s.description, True), (s.setting, False), (s.action, False),
                *((line.text, True) for line in s.lines)]
    return out


@pytest.mark.parametrize("concept,labels,nouns", CONCEPTS, ids=[c[0][:32] for c in CONCEPTS])
@pytest.mark.parametrize("seed", [1, 7])
def test_a_plan_carries_the_concepts_nouns_and_reads_without_seams(concept, labels, nouns, seed):
    plan = plan_offline(concept, labels, 3, None, "16:9", seed=seed)
    cast = {c.name: c for c in plan.characters}
    for name, noun in nouns.items():
        assert name in cast, (concept, list(cast))
        assert noun in cast[name].role, (name, cast[name].role)
        assert noun in cast[name].visual_description.lower(), (name, noun)
    if labels:
        assert [c.name for c in plan.characters][:len(labels)] == labels
    for c in plan.characters:
        person = c.name in labels or c.role not in ANIMALS | MACHINES
        if person:
            assert "fur" not in c.visual_description and "paws" not in c.visual_description, c.name
        elif c.role in BIRDS:
            assert "feathers" in c.visual_description
        elif c.role in SWIMMERS:
            assert "fins" in c.visual_description and "paws" not in c.visual_description
    for text, sentences in texts(plan):
        for seam in SEAMS + ([SENTENCE_SEAM] if sentences else []):
            assert not re.search(seam, text), (seam, text)
    for s in plan.scenes:
        assert any(f in s.setting for f in FAMILIES), s.setting
    if not any(w in concept for w in (" in ", " on ", " at ", " across ", " above ")):
        assert not any("edge of town" in s.setting for s in plan.scenes)  # a hint was read instead


def test_the_astronaut_and_the_photographer_get_their_props_and_a_night_under_the_stars():
    plan = plan_offline(CONCEPTS[0][0], ["Eileen", "Marco"], 3, None, "16:9", seed=1)
    eileen, marco = plan.characters
    assert "flight jacket" in eileen.visual_description and "mission patch" in eileen.visual_description
    assert "camera" in marco.visual_description
    assert all("night" in s.setting for s in plan.scenes)
    assert "hair framing the face" in eileen.visual_description and "Hands" in eileen.visual_description


def test_weather_and_time_of_day_come_from_the_concept():
    storm = plan_offline(CONCEPTS[2][0], [], 3, None, "16:9", seed=1)
    assert all("storm" in s.setting and "lighthouse" in s.setting for s in storm.scenes)
    rain = plan_offline(CONCEPTS[8][0], [], 3, None, "16:9", seed=1)
    assert all("rain" in s.setting and "afternoon" in s.setting for s in rain.scenes)
    knight = plan_offline(CONCEPTS[9][0], [], 3, None, "16:9", seed=1)
    assert not any("night" in s.setting for s in knight.scenes)  # a knight is not a night


def test_the_same_concept_gives_the_same_plan():
    a = plan_offline(CONCEPTS[0][0], ["Eileen", "Marco"], 3, None, "16:9", seed=3)
    b = plan_offline(CONCEPTS[0][0], ["Eileen", "Marco"], 3, None, "16:9", seed=3)
    assert a == b
