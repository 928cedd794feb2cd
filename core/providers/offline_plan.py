"""The offline planner: a StoryPlan built from the concept's own words.

No language model, so the plan is assembled from what the concept says: named
people ("Ada, a clockmaker"), or character nouns with their adjectives ("a
curious fox", "a street photographer", and unknown words that end like a
person's noun: "a stargazer"), the place after "in/across/through/at" ("an
enchanted autumn forest") or, when there is none, one its words or its people
imply ("the stars": a rooftop under the night sky; a lighthouse keeper: the
coast), the time of day and weather, and palette words. Uploaded reference
labels are the strongest hint: they name the characters, and a label the
concept does not name takes its next unclaimed noun (Eileen, Marco + "a retired
astronaut teaches a street photographer": the astronaut and the photographer).
A role brings its look and props (LOOKS: a flight jacket with a mission patch, a
camera on a worn strap); a person is described with hair and hands, an animal
with fur, feathers or fins, a machine with plating and lenses. The scene beats,
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
    "gull", "seagull", "heron", "puffin", "pelican", "hen", "chicken", "rooster", "cow", "mole", "beaver", "lamb",
    # people
    "girl", "boy", "woman", "man", "child", "kid", "grandmother", "grandfather", "grandma", "grandpa", "king",
    "queen", "prince", "princess", "knight", "wizard", "witch", "sorcerer", "pirate", "captain", "sailor",
    "detective", "inventor", "scientist", "astronaut", "pilot", "farmer", "baker", "chef", "painter", "poet",
    "musician", "dancer", "thief", "soldier", "guard", "monk", "nun", "teacher", "student", "doctor", "nurse",
    "clockmaker", "blacksmith", "fisherman", "fisher", "hunter", "explorer", "traveler", "traveller",
    "stranger", "merchant", "librarian", "gardener", "shepherd", "miner", "mermaid", "fairy", "elf", "dwarf",
    "giant", "troll", "ogre", "ghost", "vampire", "zombie", "alien", "robot", "android", "cyborg", "golem",
    "mechanic", "courier", "ranger", "samurai", "ninja", "cowboy", "sheriff", "outlaw", "detective", "spy",
    "photographer", "astronomer", "writer", "singer", "architect", "engineer", "carpenter", "fisherwoman",
    "keeper", "grandson", "granddaughter", "pigeon", "artist", "sculptor", "tailor", "potter", "beekeeper",
    "botanist", "cartographer", "journalist", "reporter", "violinist", "drummer", "guitarist", "climber",
    "diver", "surfer", "skater", "runner", "boxer", "magician", "juggler", "clown", "acrobat", "mayor",
    "postman", "postwoman", "firefighter", "waiter", "barista", "florist", "butcher", "grocer", "veterinarian",
    "priest", "healer", "shaman", "hermit", "nomad", "refugee", "orphan", "widow", "neighbour", "neighbor",
    "robotics", "programmer", "hacker", "pilgrim", "monarch", "emperor", "empress", "duchess", "duke", "lord",
    "lady", "servant", "maid", "butler", "smuggler", "navigator", "archaeologist", "geologist", "historian",
    # things that can be characters
    "sister", "brother", "friend", "twin", "mother", "father", "daughter", "son", "uncle", "aunt",
    "kite", "lantern", "teapot", "scarecrow", "snowman", "puppet", "doll", "toy", "balloon", "star", "moon",
}
# An unknown head noun after an article that ends like a person's noun ("a stargazer", "an oboist") is taken for a
# character, unless it is one of these everyday words with the same endings.
PERSON_ENDINGS = ("er", "ist", "ian", "or", "ess", "man", "woman")
NOT_PEOPLE = {"water", "river", "tower", "winter", "summer", "corner", "letter", "paper", "mirror", "door", "floor",
              "colour", "color", "harbor", "harbour", "dinner", "flower", "thunder", "silver", "weather", "number",
              "order", "power", "center", "centre", "border", "matter", "monster", "timber", "ladder", "chamber",
              "shelter", "theater", "theatre", "meter", "metre", "error", "mirror", "honor", "honour", "favor",
              "favour", "labor", "labour", "vapor", "armor", "armour", "anchor", "interior", "exterior", "motor",
              "elevator", "doctor's", "november", "december", "october", "september", "silence", "glass", "mess",
              "business", "darkness", "wilderness", "fortress", "address", "dress", "press", "chess", "moss",
              "loss", "lesson", "human", "woman's", "german", "ocean", "canyon", "lantern", "cover", "feather",
              "leather", "sweater", "computer", "rocket", "mountaineer", "cellar", "pillar", "sugar", "calendar",
              "collar", "collector's", "ember", "rumor", "rumour", "horror", "terror", "mayor's", "manor", "minor",
              "major", "flavor", "flavour", "sailor's", "tutor's", "decor", "sector", "vector", "factor", "actor's",
              "forever", "never", "together", "other", "another", "either", "neither", "whether", "however",
              "over", "under", "after", "ever", "later", "better", "bitter", "faster", "wonder", "murder",
              "dinosaur"}
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
# What a role wears and carries, so the pictures carry it too: (garment, prop).
LOOKS = {
    "astronaut": ("a faded flight jacket with a mission patch on the shoulder", "a scuffed helmet under one arm"),
    "photographer": ("a canvas field vest full of pockets", "a camera on a worn leather strap"),
    "astronomer": ("a long wool coat with a star chart in the pocket", "a brass telescope"),
    "clockmaker": ("a leather apron over rolled shirtsleeves", "a jeweller's loupe on a cord"),
    "fisherman": ("yellow oilskins", "a coil of net over one shoulder"), "fisher": ("yellow oilskins", "a coil of net"),
    "fisherwoman": ("yellow oilskins", "a coil of net over one shoulder"),
    "baker": ("a flour-dusted apron", "a long wooden peel"), "chef": ("a white chef's jacket", "a copper pan"),
    "detective": ("a belted trench coat", "a small notebook and pencil"),
    "inventor": ("a stained lab coat with goggles pushed up", "a half-built gadget"),
    "scientist": ("a white lab coat", "a clipboard of notes"), "engineer": ("work overalls", "a heavy wrench"),
    "pilot": ("a leather flying jacket with a fleece collar", "goggles on a strap"),
    "captain": ("a navy peacoat with brass buttons", "a captain's cap"), "sailor": ("a striped sailor's shirt", "a coil of rope"),
    "pirate": ("a long patched coat and sash", "a brass spyglass"), "knight": ("dented plate armour over a tabard", "a sword at the hip"),
    "wizard": ("a star-stitched robe", "a gnarled staff"), "witch": ("a wide-brimmed hat and shawl", "a broom of birch twigs"),
    "painter": ("a paint-spattered smock", "a brush behind one ear"), "artist": ("a paint-spattered smock", "a sketchbook"),
    "musician": ("a velvet jacket", "a battered guitar case"), "singer": ("a sequinned jacket", "a microphone"),
    "teacher": ("a tweed cardigan", "a stack of books"), "student": ("a school blazer", "a satchel of books"),
    "doctor": ("a white coat", "a stethoscope"), "nurse": ("a blue nurse's tunic", "a first-aid bag"),
    "farmer": ("dungarees and a straw hat", "a pitchfork"), "gardener": ("a green apron with pockets", "a trowel"),
    "librarian": ("a cardigan with elbow patches", "a tall stack of books"), "writer": ("a rumpled corduroy jacket", "a notebook"),
    "keeper": ("a heavy cable-knit sweater and oilskin coat", "a storm lantern"),
    "shepherd": ("a rough wool cloak", "a crook"), "miner": ("a canvas jacket and a helmet lamp", "a pick"),
    "blacksmith": ("a scorched leather apron", "a hammer"), "carpenter": ("a canvas apron of tools", "a plane"),
    "explorer": ("a khaki jacket and a wide hat", "a compass on a chain"), "ranger": ("a green ranger's jacket", "binoculars"),
    "courier": ("a reflective jacket", "a satchel of parcels"), "mechanic": ("grease-stained overalls", "a spanner"),
    "grandmother": ("a hand-knitted cardigan", "a basket"), "grandfather": ("a flat cap and waistcoat", "a walking stick"),
    "grandma": ("a hand-knitted cardigan", "a basket"), "grandpa": ("a flat cap and waistcoat", "a walking stick"),
    "king": ("a fur-trimmed robe", "a crown"), "queen": ("a fur-trimmed gown", "a crown"),
    "prince": ("an embroidered doublet", "a circlet"), "princess": ("an embroidered gown", "a circlet"),
}
ANIMALS = {"fox", "owl", "cat", "dog", "wolf", "bear", "rabbit", "hare", "mouse", "deer", "badger", "otter", "raven",
           "crow", "hawk", "eagle", "dragon", "unicorn", "griffin", "phoenix", "turtle", "tortoise", "frog", "toad",
           "squirrel", "hedgehog", "lion", "tiger", "elephant", "horse", "pony", "goat", "sheep", "pig", "duck",
           "goose", "swan", "penguin", "whale", "dolphin", "octopus", "shark", "bee", "butterfly", "spider", "snail",
           "monkey", "gorilla", "panda", "koala", "kangaroo", "giraffe", "zebra", "parrot", "robin", "sparrow", "bat",
           "pigeon", "kitten", "puppy", "gull", "seagull", "heron", "puffin", "pelican", "hen", "chicken", "rooster",
           "cow", "mole", "beaver", "lamb"}
BIRDS = {"owl", "raven", "crow", "hawk", "eagle", "phoenix", "duck", "goose", "swan", "penguin", "parrot", "robin",
         "sparrow", "pigeon", "gull", "seagull", "heron", "puffin", "pelican", "hen", "chicken", "rooster"}
SWIMMERS = {"whale", "dolphin", "shark", "octopus", "turtle", "frog", "fish"}
MACHINES = {"robot", "android", "cyborg", "golem"}
THINGS = {"kite", "lantern", "teapot", "scarecrow", "snowman", "puppet", "doll", "toy", "balloon", "star", "moon"}


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
        if low not in CHARACTER_NOUNS and not _person_like(tokens, i):
            continue
        if low in {"star", "moon"} and (tok.lower() != low or i == 0 or tokens[i - 1].lower() not in ("a", "the")):
            continue  # "count the stars" is the sky, not a character; "a star who sings" is one
        after = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
        if after in CHARACTER_NOUNS or after.rstrip("s") in CHARACTER_NOUNS:
            continue  # "a detective cat" is a cat, a detective one
        if low not in CHARACTER_NOUNS:
            low = tok.lower()
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
            if tok.lower() != low and any(t.lower() in ("two", "twin") for t in tokens[max(0, i - 3):i]):
                adjs[:] = [a for a in adjs if a not in ("two", "twin")]
                found.append((f"Other {name}", low, adjs))  # "two rival bakers": both of them
                seen.add(f"Other {name}")
    return found


def _person_like(tokens: list[str], i: int) -> bool:
    """An unknown word that is the head of "a/an/the (+ up to 2 words) WORD" and ends like a person's noun."""
    low = tokens[i].lower()
    if low in NOT_PEOPLE or low in STOP or len(low) < 5 or not low.endswith(PERSON_ENDINGS):
        return False
    if i + 1 < len(tokens) and tokens[i + 1].lower() not in STOP and tokens[i + 1].lower() not in PLACE_PREPS \
            and not tokens[i + 1].lower().endswith(("s", "ed")):
        return False  # not the head: "a painter's brush" aside, "a harbour master" takes "master" as the head
    back = [t.lower() for t in tokens[max(0, i - 3):i]]
    return any(w in ("a", "an", "the", "two", "three", "old", "young") for w in back)


PLACE_NOUNS = {
    "forest", "woods", "wood", "town", "city", "village", "harbour", "harbor", "port", "sea", "ocean", "beach",
    "island", "mountain", "mountains", "valley", "desert", "jungle", "garden", "park", "castle", "palace",
    "kingdom", "library", "school", "workshop", "kitchen", "house", "home", "room", "street", "market", "station",
    "ship", "boat", "space", "station", "planet", "moon", "cave", "lake", "river", "meadow", "field", "farm",
    "swamp", "tower", "lighthouse", "museum", "theatre", "theater", "circus", "factory", "lab", "laboratory",
    "attic", "cellar", "bridge", "rooftops", "sky", "clouds", "tundra", "arctic", "canyon", "reef", "train",
    "rooftop", "observatory", "studio", "bakery", "deck", "coast", "hill", "hills", "pass", "dunes", "square",
}


DEFAULT_PLACE = "a quiet valley at the edge of town"
# Words of a concept that name no place but imply one, and what a role implies; the first hint found wins.
PLACE_HINTS = [
    (("star", "stars", "stargazing", "telescope", "astronomy", "constellation", "comet", "meteor"),
     "a rooftop under the night sky"),
    (("rocket", "spaceship", "orbit", "planet", "galaxy"), "a space station above the planet"),
    (("storm", "thunder", "lightning", "hurricane"), "a lighthouse on the coast in a storm"),
    (("boat", "fish", "fishing", "sail", "whale", "net"), "a harbour by the sea"),
    (("snow", "snowed", "frozen", "ice", "winter", "sled"), "a snowy village in the mountains"),
    (("bake", "bakery", "bread", "cake", "cook", "kitchen"), "a warm kitchen"),
    (("paint", "painting", "sketch", "studio"), "a sunlit studio"),
    (("tree", "trees", "wood", "woods", "leaves", "mushroom"), "an old forest"),
    (("sand", "dune", "camel", "oasis"), "a desert of dunes"),
    (("clock", "clocks", "invent", "machine", "repair", "tinker", "gadget"), "a cluttered workshop"),
    (("photograph", "photographs", "photo", "camera", "street", "city", "traffic"), "a city street"),
]
ROLE_PLACES = {"astronaut": "an observatory on a hill under the night sky", "astronomer": "a hill under the night sky",
               "fisherman": "a harbour by the sea", "fisherwoman": "a harbour by the sea", "sailor": "a harbour by the sea",
               "captain": "a harbour by the sea", "pirate": "a ship's deck on the open sea",
               "keeper": "a lighthouse on the coast", "baker": "a warm bakery kitchen", "chef": "a busy kitchen",
               "clockmaker": "a cluttered clockmaker's workshop", "inventor": "a cluttered workshop",
               "photographer": "a city street", "detective": "a city street at night", "farmer": "a valley of fields",
               "shepherd": "a valley of green hills", "librarian": "a quiet library room", "ranger": "an old forest",
               "explorer": "a desert of dunes", "miner": "a mountain pass in the snow"}


def infer_place(concept: str, roles: list[str]) -> str:
    """A setting for a concept with no place phrase, from its words, then its people's roles."""
    words = {w.lower() for w in _words(concept)}
    for keys, place in PLACE_HINTS:
        if words & set(keys):
            return place
    return next((ROLE_PLACES[r] for r in roles if r in ROLE_PLACES), DEFAULT_PLACE)


def _bare(place: str) -> str:
    """A place phrase without its leading article ("a quiet valley" -> "quiet valley")."""
    words = place.split()
    return " ".join(words[1:]) if len(words) > 1 and words[0].lower() in ("a", "an", "the") else place


def find_place(concept: str) -> str:
    """The place phrase after a preposition; one that ends in a place noun wins over any other."""
    phrases = _place_phrases(concept)
    for phrase in reversed(phrases):
        if phrase.split()[-1] in PLACE_NOUNS:
            return phrase
    return phrases[0] if phrases else DEFAULT_PLACE


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


def _article(words: str) -> str:
    return "an" if words[:1].lower() in "aeiou" else "a"


def describe(name: str, role: str, adjs: list[str], style: str, palette: list[str], rng: random.Random, *,
             person: bool | None = None) -> str:
    """A frozen visual description of 80+ words; every image prompt quotes it verbatim. `person`: a human (a
    character with a photo always is); None decides from the role."""
    kind = role or "wanderer"
    eyes, texture, shape = rng.choice(EYES), rng.choice(TEXTURES), rng.choice(SHAPES)
    garment, prop = LOOKS.get(kind, (rng.choice(GARMENTS), "a small keepsake"))
    mood = ", ".join(adjs) if adjs else "quietly determined"
    tones = (f"{colour_name(palette[1])}, {colour_name(palette[2])} and {colour_name(palette[3])} tones, with one bright "
             f"{colour_name(palette[-2])} accent that makes the silhouette easy to spot in every scene")
    animal = kind in ANIMALS and person is not True
    machine = kind in MACHINES and person is not True
    thing = kind in THINGS and person is not True
    if animal:
        coat, limbs = ("feathers", "wings") if kind in BIRDS else ("smooth, glistening skin", "fins") \
            if kind in SWIMMERS else ("fur", "paws")
        body = (f"{name} has {eyes} eyes set in an expressive face, {texture} {coat} with clear markings, and "
                f"{limbs} that are always busy, touching things to understand them. "
                f"{name} wears {garment if kind not in LOOKS else 'a small scarf'} in {tones}. ")
    elif machine:
        body = (f"{name} has two glowing {eyes} lenses for eyes, riveted plating with a soft sheen, and jointed "
                f"hands that are always busy, touching things to understand them. {name} has a painted panel in "
                f"{tones}. ")
    elif thing:
        body = (f"{name} has a painted face with {eyes} eyes and a wide, honest smile, and a body that bobs and "
                f"tilts to show feeling. {name} is decorated in {tones}. ")
    else:
        body = (f"{name} has {eyes} eyes set under clear brows, {texture} hair framing the face, and a small, "
                f"honest smile that shows up at the corners of the mouth first. {name} wears {garment} in "
                f"{tones}, and carries {prop}. Hands are usually busy, touching things to understand them. ")
    text = (f"{name} is {_article(mood)} {mood} {kind} with {shape} and an expressive, readable face. " + body +
            f"Posture is upright and alert. Drawn in {style}, with consistent proportions: the head is about one "
            f"fifth of the body height, shapes are simple and rounded, outlines are clean, and the same colours, "
            f"clothing and features appear unchanged from the first scene to the last.")
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
    claimed: set[str] = set()
    for label in labels:  # labels name the characters; use what the concept says about them
        n, r, a = by_name.get(label.lower(), (label, "", []))
        if not r:  # "Fox" labelled, concept says "a curious fox": match by noun
            match = next((f for f in found if f[1] == label.lower()), None)
            if match:
                r, a = match[1], match[2]
        if r:
            claimed.add(n.lower() if n.lower() in by_name else r)
        chars.append((label, r, a))
    for i, (label, r, a) in enumerate(chars):  # a label the concept does not name takes its next unclaimed noun
        if r:
            continue
        free = next((f for f in found if f[0].lower() not in claimed and f[1] not in claimed
                     and f[0].lower() not in {c[0].lower() for c in chars}), None)
        if free:
            claimed.add(free[0].lower())
            chars[i] = (label, free[1], free[2])
    for f in found:  # the concept's other characters, unphotographed, are drawn (up to three in all)
        if len(chars) >= 3 or f[0].lower() in claimed or f[1] in claimed or \
                f[0].lower() in {c[0].lower() for c in chars} or any(c[1] == f[1] for c in chars):
            continue
        chars.append(f)
    if not labels:
        chars = found[:3] or [("Wren", "traveller", ["curious"])]
    if len(chars) == 1 and not labels:
        chars.append(("Pip", "companion", ["loyal"]))
    place = find_place(concept)
    if place == DEFAULT_PLACE:  # no place phrase: the concept's words (or its people) still hint at one
        place = infer_place(concept, [r for _, r, _ in chars])
    bare = _bare(place)
    head = next((w for w in bare.split() if w in PLACE_NOUNS), bare.split()[-1])  # "rooftop under the sky": rooftop
    n_scenes = scenes or (3 if len(concept.split()) < 12 else 4)
    n_scenes = max(1, min(n_scenes, MAX_SCENES))

    photographed = {label.lower() for label in labels}  # a label comes with a face photo: a person
    characters = [Character(name=n, role=r or "traveller",
                            visual_description=describe(n, r or "traveller", a, style, palette, rng,
                                                        person=True if n.lower() in photographed else None),
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
        fmt = {"a": a, "b": b, "place": f"The {bare}", "place_short": f"the {head}"}
        who = {"N": NARRATOR, "A": a, "B": b if b in present else a}
        lines = [Line(speaker=who[k], text=text.format(**fmt, action=_sentence(action.format(**fmt))),
                      delivery=how) for k, text, how in DIALOGUE.get(title, DIALOGUE["Detour"])]
        scene_list.append(Scene(
            scene_id=i, title=title, description=desc.format(**fmt), characters_present=present,
            setting=f"{place}, {_time_of_day(i, n_scenes, f'{concept} {place}')}", camera=cameras[(i - 1) % len(cameras)],
            mood=mood, action=action.format(**fmt),
            duration_seconds=max(5, min(MAX_SECONDS, math.ceil(lines_seconds(lines)))),
            transition="cut",  # transitions are the editor's choice (Shooting); a plain cut keeps every frame
            lines=lines,
        ))
    title = _title(concept, names, head)
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
    """The time of day (and weather) of scene i of n, from the concept's and place's words."""
    words = {w.lower() for w in _words(concept)}
    weather = next((w for keys, w in (({"storm", "stormy", "thunder", "lightning", "hurricane"}, "in a storm"),
                                      ({"rain", "rainy", "drizzle", "showers"}, "in the rain"),
                                      ({"fog", "foggy", "mist", "misty"}, "in the fog"),
                                      ({"snow", "snowy", "snowed", "blizzard"}, "in falling snow"))
                    if words & keys and w.split()[-1] not in words), "")
    if words & {"night", "nights", "star", "stars", "moon", "midnight", "nocturnal"}:
        when = "at night" if "sky" in words else "under a deep night sky"
    elif words & {"sunset", "dusk", "twilight"}:
        when = "golden late afternoon" if i < n else "at sunset"
    elif words & {"dawn", "sunrise"}:
        when = "at dawn" if i == 1 else "in the early morning"
    elif words & {"afternoon"}:
        when = "in the afternoon" if i < n else "late afternoon"
    else:
        when = ["morning light", "bright midday", "late afternoon", "at dusk", "early evening"][min(i - 1, 4)]
    return f"{when} {weather}".strip()


def _title(concept: str, names: list[str], head: str) -> str:
    if len(names) >= 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} of the {_title_case(head)}"
