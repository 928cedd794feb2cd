"""The offline planner: a StoryPlan built from the concept's own words.

No language model, so the plan is assembled from what the concept says: named
people ("Ada, a clockmaker"), or character nouns with their adjectives ("a
curious fox"), the place after "in/across/through/at" ("an enchanted autumn
forest"), and palette words (autumn, harbour, night...). Uploaded reference
labels are the strongest hint: they name the characters. The scene beats,
cameras and moods follow a fixed dramatic arc; choices among equals are made
by a seeded RNG so the same concept always gives the same plan and a
"regenerate" (another variant) gives a different but equally valid one.
"""
from __future__ import annotations

import math
import random
import re

from core.models import (MAX_SCENES, MAX_SECONDS, MIN_DESCRIPTION_WORDS, NARRATOR, Character, Line, Scene, StoryPlan,
                         lines_seconds)

CHARACTER_NOUNS = {
    # animals and creatures
    "fox", "owl", "cat", "dog", "wolf", "bear", "rabbit", "hare", "mouse", "deer", "badger", "otter", "raven",
    "crow", "hawk", "eagle", "dragon", "unicorn", "griffin", "phoenix", "turtle", "tortoise", "frog", "toad",
    "squirrel", "hedgehog", "lion", "tiger", "elephant", "horse", "pony", "goat", "sheep", "pig", "duck",
    "goose", "swan", "penguin", "whale", "dolphin", "octopus", "shark", "bee", "butterfly", "spider", "snail",
    "monkey", "gorilla", "panda", "koala", "kangaroo", "giraffe", "zebra", "parrot", "robin", "sparrow", "bat",
    # people
    "girl", "boy", "woman", "man", "child", "kid", "grandmother", "grandfather", "grandma", "grandpa", "king",
    "queen", "prince", "princess", "knight", "wizard", "witch", "sorcerer", "pirate", "captain", "sailor",
    "detective", "inventor", "scientist", "astronaut", "pilot", "farmer", "baker", "chef", "painter", "poet",
    "musician", "dancer", "thief", "soldier", "guard", "monk", "nun", "teacher", "student", "doctor", "nurse",
    "clockmaker", "blacksmith", "fisherman", "fisher", "hunter", "explorer", "traveler", "traveller",
    "stranger", "merchant", "librarian", "gardener", "shepherd", "miner", "mermaid", "fairy", "elf", "dwarf",
    "giant", "troll", "ogre", "ghost", "vampire", "zombie", "alien", "robot", "android", "cyborg", "golem",
    "mechanic", "courier", "ranger", "samurai", "ninja", "cowboy", "sheriff", "outlaw", "detective", "spy",
    # things that can be characters
    "sister", "brother", "friend", "twin", "mother", "father", "daughter", "son", "uncle", "aunt",
    "kite", "lantern", "teapot", "scarecrow", "snowman", "puppet", "doll", "toy", "balloon", "star", "moon",
}
PLACE_PREPS = ("in", "inside", "across", "through", "at", "on", "under", "beneath", "above", "over", "near",
               "along", "around", "into", "within", "beyond", "among")
STOP = {"a", "an", "the", "and", "or", "but", "of", "to", "with", "who", "that", "which", "as", "by", "for", "from",
        "is", "are", "was", "were", "be", "his", "her", "their", "its", "they", "he", "she", "it", "while", "when"}
PALETTES = [
    (("autumn", "fall", "harvest", "pumpkin", "maple"), ["#3b1f0e", "#8b3a0f", "#d2691e", "#f4a460", "#fff1d6"]),
    (("harbour", "harbor", "sea", "ocean", "beach", "coast", "lake", "river", "island", "port"),
     ["#0b2d3a", "#1f6f8b", "#99c1b9", "#f2d0a9", "#f1faee"]),
    (("night", "midnight", "moon", "star", "stars", "space", "galaxy", "dream"),
     ["#0d1b2a", "#1b263b", "#415a77", "#778da9", "#e0e1dd"]),
    (("sunset", "dusk", "evening", "twilight", "desert", "sand"), ["#2d1e2f", "#7b2d26", "#e07a5f", "#f2cc8f", "#fdf0d5"]),
    (("snow", "winter", "ice", "frozen", "arctic", "mountain"), ["#1d3557", "#457b9d", "#a8dadc", "#e8f1f2", "#ffffff"]),
    (("forest", "woods", "jungle", "garden", "meadow", "spring", "enchanted"),
     ["#1b3a2b", "#2d6a4f", "#74c69d", "#d8f3dc", "#fefae0"]),
    (("city", "town", "street", "neon", "cyber", "metro", "factory", "workshop"),
     ["#22223b", "#4a4e69", "#9a8c98", "#c9ada7", "#f2e9e4"]),
]
DEFAULT_PALETTE = ["#264653", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51"]
CAMERAS = ["slow push in", "pan right", "pull back", "tilt up", "pan left", "dolly in", "orbit", "dolly out"]
BEATS = [  # (title template, description template, mood, action template)
    ("Arrival", "{place} opens up as {a} appears.", "wonder", "{a} steps forward and looks around {place_short}"),
    ("The Meeting", "{a} and {b} meet for the first time.", "curious", "{a} turns toward {b}; they size each other up"),
    ("Trouble", "Something goes wrong and {b} needs {a}.", "tense", "{b} stumbles; {a} rushes to help"),
    ("Together", "{a} and {b} work as one against the odds.", "determined", "{a} and {b} push forward side by side"),
    ("Homecoming", "Calm returns to {place_short}; {a} and {b} share a quiet moment.", "warm",
     "{a} and {b} pause and watch the light change"),
]
# What each beat's characters say: (speaker, text, delivery); "N" is the narrator, "A" and "B" the two leads.
# Short on purpose: a scene lasts what its lines need, and an offline film stays a few seconds a scene.
DIALOGUE = {
    "Arrival": [("N", "{action}", ""), ("A", "So this is {place_short}.", "")],
    "The Meeting": [("A", "Hello. Who are you?", ""), ("B", "Someone who knows the way.", "")],
    "Trouble": [("B", "Help! I'm slipping!", "shout"), ("A", "Hold on. I've got you.", "")],
    "Together": [("A", "On three. Together.", ""), ("B", "Together, then.", "laugh")],
    "Homecoming": [("B", "Thank you for staying.", "soft"), ("A", "Always.", ""),
                   ("N", "And the light turned gold over {place_short}.", "")],
    "Detour": [("A", "This way. Trust me.", ""), ("B", "You said that last time.", "laugh")],
}
EYES = ["amber", "hazel", "deep brown", "grey-green", "bright blue", "dark", "golden", "sea-green"]
TEXTURES = ["soft", "tousled", "sleek", "curly", "wind-swept", "neatly kept", "shaggy", "glossy"]
GARMENTS = ["a patched wool coat", "a short cape", "a knitted scarf", "a canvas satchel", "a leather vest",
            "a hooded cloak", "a striped jumper", "a belt of small brass tools"]
SHAPES = ["a slender build", "a sturdy build", "a small, quick frame", "a tall, loose-limbed frame"]


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z][A-Za-z'-]*", text)


def _title_case(s: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in s.split())


def find_characters(concept: str) -> list[tuple[str, str, list[str]]]:
    """(name, role, adjectives) for each character the concept mentions, in order of appearance."""
    found: list[tuple[str, str, list[str]]] = []
    seen: set[str] = set()
    # Named people: a capitalised word that is not the first word, or is followed by ", a/an ...".
    for m in re.finditer(r"\b([A-Z][a-z]+)\b(?:,\s+(?:a|an|the)\s+([^,.;]+?)(?:,|\.|;|$| and | who ))?", concept):
        name, appositive = m.group(1), m.group(2)
        if m.start() == 0 and not appositive:
            continue
        if name.lower() in STOP or name.lower() in CHARACTER_NOUNS:
            continue
        if name not in seen:
            words = _words(appositive or "")
            role = words[-1].lower() if words else ""
            found.append((name, role, [w.lower() for w in words[:-1]][-2:]))
            seen.add(name)
    # Character nouns with the adjectives in front of them: "a curious fox".
    tokens = _words(concept)
    for i, tok in enumerate(tokens):
        low = tok.lower().rstrip("s") if tok.lower() not in CHARACTER_NOUNS else tok.lower()
        if low not in CHARACTER_NOUNS:
            continue
        if any(role.endswith(low) for _, role, _ in found):  # "Bo, a runaway kite" is Bo, not Kite
            continue
        adjs = []
        j = i - 1
        while j >= 0 and tokens[j].lower() not in STOP and tokens[j].lower() not in PLACE_PREPS and len(adjs) < 2:
            adjs.insert(0, tokens[j].lower())
            j -= 1
        name = _title_case(low)
        if name not in seen:
            found.append((name, low, adjs))
            seen.add(name)
    return found


PLACE_NOUNS = {
    "forest", "woods", "wood", "town", "city", "village", "harbour", "harbor", "port", "sea", "ocean", "beach",
    "island", "mountain", "mountains", "valley", "desert", "jungle", "garden", "park", "castle", "palace",
    "kingdom", "library", "school", "workshop", "kitchen", "house", "home", "room", "street", "market", "station",
    "ship", "boat", "space", "station", "planet", "moon", "cave", "lake", "river", "meadow", "field", "farm",
    "swamp", "tower", "lighthouse", "museum", "theatre", "theater", "circus", "factory", "lab", "laboratory",
    "attic", "cellar", "bridge", "rooftops", "sky", "clouds", "tundra", "arctic", "canyon", "reef", "train",
}


def find_place(concept: str) -> str:
    """The place phrase after a preposition; one that ends in a place noun wins over any other."""
    phrases = _place_phrases(concept)
    for phrase in reversed(phrases):
        if phrase.split()[-1] in PLACE_NOUNS:
            return phrase
    return phrases[0] if phrases else "a quiet valley at the edge of town"


def _place_phrases(concept: str) -> list[str]:
    tokens = _words(concept)
    phrases = []
    for i, tok in enumerate(tokens):
        if tok.lower() in PLACE_PREPS and i + 1 < len(tokens):
            rest = [t for t in tokens[i + 1:i + 7]]
            while rest and rest[0].lower() in STOP:
                rest.pop(0)
            place = []
            for t in rest:
                if t.lower() in STOP or t.lower() in PLACE_PREPS:
                    break
                place.append(t.lower())
            if place:
                phrases.append(" ".join(place))
    return phrases


def pick_palette(concept: str) -> list[str]:
    words = {w.lower() for w in _words(concept)}
    for keys, palette in PALETTES:
        if words & set(keys):
            return list(palette)
    return list(DEFAULT_PALETTE)


NAMED_COLOURS = {
    "charcoal": (40, 40, 45), "ink blue": (20, 30, 60), "navy": (30, 45, 90), "teal": (40, 110, 130),
    "sea green": (90, 170, 150), "moss green": (60, 100, 60), "forest green": (35, 90, 60), "sage": (150, 190, 160),
    "rust": (140, 60, 20), "burnt orange": (200, 100, 35), "amber": (240, 160, 90), "ochre": (200, 150, 60),
    "mustard": (230, 195, 105), "cream": (250, 240, 215), "ivory": (245, 245, 235), "brick red": (180, 70, 50),
    "terracotta": (225, 120, 95), "plum": (70, 40, 60), "slate": (90, 100, 120), "dusty rose": (200, 170, 165),
    "sky blue": (140, 190, 220), "chocolate": (70, 40, 20), "sand": (240, 205, 145), "white": (255, 255, 255),
}


def colour_name(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    rgb = tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))
    return min(NAMED_COLOURS, key=lambda n: sum((a - b) ** 2 for a, b in zip(NAMED_COLOURS[n], rgb)))


def describe(name: str, role: str, adjs: list[str], style: str, palette: list[str], rng: random.Random) -> str:
    """A frozen visual description of 80+ words; every image prompt quotes it verbatim."""
    kind = role or "wanderer"
    eyes, texture, garment, shape = rng.choice(EYES), rng.choice(TEXTURES), rng.choice(GARMENTS), rng.choice(SHAPES)
    mood = ", ".join(adjs) if adjs else "quietly determined"
    text = (
        f"{name} is a {mood} {kind} with {shape} and an expressive, readable face. "
        f"{name} has {eyes} eyes set under clear brows, a {texture} outline of hair or fur framing the face, "
        f"and a small, honest smile that shows up at the corners of the mouth first. "
        f"{name} wears {garment} in {colour_name(palette[1])}, {colour_name(palette[2])} and "
        f"{colour_name(palette[3])} tones, with one bright {colour_name(palette[-2])} accent that makes the silhouette easy to spot in every scene. "
        f"Posture is upright and alert; hands or paws are usually busy, touching things to understand them. "
        f"Drawn in {style}, with consistent proportions: the head is about one fifth of the body height, "
        f"shapes are simple and rounded, outlines are clean, and the same colours, clothing and features "
        f"appear unchanged from the first scene to the last."
    )
    assert len(text.split()) >= MIN_DESCRIPTION_WORDS
    return text


def plan_offline(concept: str, labels: list[str], scenes: int | None, style: str | None, aspect_ratio: str,
                 seed: int) -> StoryPlan:
    rng = random.Random(seed)
    style = style or "storybook illustration, soft painterly light, clean ink outlines"
    palette = pick_palette(concept)
    found = find_characters(concept)
    by_name = {n.lower(): (n, r, a) for n, r, a in found}
    chars: list[tuple[str, str, list[str]]] = []
    for label in labels:  # labels name the characters; use what the concept says about them
        n, r, a = by_name.get(label.lower(), (label, "", []))
        if not r:  # "Fox" labelled, concept says "a curious fox": match by noun
            match = next((f for f in found if f[1] == label.lower()), None)
            if match:
                r, a = match[1], match[2]
        chars.append((label, r, a))
    if not labels:
        chars = found[:3] or [("Wren", "traveller", ["curious"])]
    if len(chars) == 1 and not labels:
        chars.append(("Pip", "companion", ["loyal"]))
    place = find_place(concept)
    n_scenes = scenes or (3 if len(concept.split()) < 12 else 4)
    n_scenes = max(1, min(n_scenes, MAX_SCENES))

    characters = [Character(name=n, role=r or "traveller", visual_description=describe(n, r, a, style, palette, rng),
                            personality_cues=(a or ["curious"]) + [rng.choice(["brave", "playful", "careful", "kind"])])
                  for n, r, a in chars]
    names = [c.name for c in characters]
    cameras = CAMERAS[:]
    rng.shuffle(cameras)
    beats = _beats_for(n_scenes)
    scene_list = []
    for i, beat in enumerate(beats, start=1):
        title, desc, mood, action = beat
        a = names[(i - 1) % len(names)] if i == 1 else names[0]
        b = names[1] if len(names) > 1 else names[0]
        present = [a] if i == 1 or len(names) == 1 else names[:3]
        fmt = {"a": a, "b": b, "place": _title_case(place).capitalize() if False else f"The {place}",
               "place_short": f"the {place.split()[-1]}"}
        who = {"N": NARRATOR, "A": a, "B": b if b in present else a}
        lines = [Line(speaker=who[k], text=text.format(**fmt, action=_sentence(action.format(**fmt))),
                      delivery=how) for k, text, how in DIALOGUE.get(title, DIALOGUE["Detour"])]
        scene_list.append(Scene(
            scene_id=i, title=title, description=desc.format(**fmt), characters_present=present,
            setting=f"{place}, {_time_of_day(i, n_scenes, concept)}", camera=cameras[(i - 1) % len(cameras)],
            mood=mood, action=action.format(**fmt),
            duration_seconds=max(5, min(MAX_SECONDS, math.ceil(lines_seconds(lines)))),
            transition="cut",  # transitions are the editor's choice (Shooting); a plain cut keeps every frame
            lines=lines,
        ))
    title = _title(concept, names, place)
    return StoryPlan(title=title, logline=concept.strip().rstrip(".") + ".", style=style, aspect_ratio=aspect_ratio,
                     palette=palette, characters=characters, scenes=scene_list)


def _sentence(text: str) -> str:
    text = text.replace(";", ",").strip().rstrip(".")
    return text[:1].upper() + text[1:] + "."


def _beats_for(n: int) -> list[tuple[str, str, str, str]]:
    if n <= len(BEATS):
        order = {1: [0], 2: [0, 4], 3: [0, 2, 4], 4: [0, 1, 2, 4], 5: [0, 1, 2, 3, 4]}[n]
        return [BEATS[i] for i in order]
    extra = [("Detour", "{a} and {b} take the long way through {place_short}.", "playful",
              "{a} leads {b} along a winding path")] * (n - len(BEATS))
    return BEATS[:3] + extra + BEATS[3:]


def _time_of_day(i: int, n: int, concept: str) -> str:
    low = concept.lower()
    if "night" in low:
        return "under a deep night sky"
    if "sunset" in low or "dusk" in low:
        return "golden late afternoon" if i < n else "at sunset"
    return ["morning light", "bright midday", "late afternoon", "at dusk", "early evening"][min(i - 1, 4)]


def _title(concept: str, names: list[str], place: str) -> str:
    if len(names) >= 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} of the {_title_case(place.split()[-1])}"
