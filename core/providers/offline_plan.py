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
    "king": ("a velvet robe edged with ermine", "a crown"), "queen": ("a velvet gown edged with ermine", "a crown"),
    "poet": ("a long scarf and a corduroy jacket", "a notebook of verses"), "dancer": ("a practice leotard", "ribbon shoes"),
    "architect": ("a neat black jacket", "a roll of blueprints"), "sculptor": ("a clay-smeared smock", "a carving chisel"),
    "tailor": ("a waistcoat bristling with pins", "a tape measure round the neck"), "potter": ("a clay-streaked apron", "a small glazed jug"),
    "beekeeper": ("a white beekeeping veil and suit", "a smoker"), "botanist": ("a khaki field shirt", "a pressed-flower journal"),
    "journalist": ("a rumpled raincoat", "a notepad and pen"), "reporter": ("a rumpled raincoat", "a notepad and pen"),
    "violinist": ("a concert black waistcoat", "a violin"), "drummer": ("a sleeveless denim jacket", "a pair of drumsticks"),
    "guitarist": ("a fringed jacket", "a guitar on a strap"), "magician": ("a tailcoat and a top hat", "a wand"),
    "firefighter": ("a heavy turnout coat", "a helmet with a visor"), "postman": ("a postal uniform", "a mailbag"),
    "postwoman": ("a postal uniform", "a mailbag"), "waiter": ("a crisp waistcoat", "a tray"),
    "barista": ("a canvas barista apron", "a steaming cup"), "florist": ("a green apron", "an armful of flowers"),
    "soldier": ("a worn field uniform", "a kit bag"), "guard": ("a guard's tunic", "a ring of keys"),
    "monk": ("a plain wool habit", "a string of prayer beads"), "thief": ("a dark hooded jacket", "a sack of loot"),
    "spy": ("a grey trench coat", "a tiny camera"), "cowboy": ("a leather vest and a wide hat", "a coiled lasso"),
    "sheriff": ("a leather vest with a tin star", "a wide hat"), "samurai": ("lacquered armour", "a sheathed katana"),
    "ninja": ("a dark wrapped outfit", "a coil of rope"), "mermaid": ("a shell necklace", "a trident"),
    "fairy": ("a petal dress", "a tiny wand"), "elf": ("a leaf-green tunic", "a longbow"),
    "hunter": ("a weathered hunting jacket", "a longbow"), "merchant": ("a rich brocade coat", "a purse of coins"),
    "navigator": ("a sea coat", "a brass sextant"), "cartographer": ("an ink-stained coat", "a rolled map"),
    "archaeologist": ("a dusty khaki shirt", "a small trowel and brush"), "diver": ("a wetsuit", "a diving mask"),
    "climber": ("a windproof jacket", "a coil of climbing rope"), "surfer": ("a wetsuit", "a surfboard"),
    "runner": ("a running vest", "a water bottle"), "boxer": ("a silk boxing robe", "boxing gloves"),
    "clown": ("a patchwork costume", "a red nose"), "priest": ("a black cassock", "a small book"),
    "healer": ("a herb-stained shawl", "a pouch of herbs"), "programmer": ("a hoodie", "a laptop"),
    "hacker": ("a hoodie", "a laptop"), "mayor": ("a formal suit", "a chain of office"),
    "grandson": ("a bright rain jacket", "a small backpack"), "granddaughter": ("a bright rain jacket", "a small backpack"),
    "stargazer": ("a thick wool jumper", "a folded star chart"), "traveller": ("a patched wool coat", "a canvas satchel"),
    "traveler": ("a patched wool coat", "a canvas satchel"),
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
SWIMMERS = {"whale", "dolphin", "shark", "fish"}
MACHINES = {"robot", "android", "cyborg", "golem"}
# An animal's coat and limbs, by kind (fur and paws for the rest); birds keep "bird" for the figure drawer.
COATS = {**{b: ("soft, layered bird feathers", "wings") for b in BIRDS},
         **{k: ("smooth, glistening skin", "fins") for k in SWIMMERS},
         "octopus": ("soft, speckled skin", "curling tentacles"), "frog": ("smooth, damp skin", "webbed feet"),
         "toad": ("bumpy, damp skin", "webbed feet"), "dragon": ("overlapping scales", "clawed feet"),
         "turtle": ("a domed shell over scaly skin", "stubby flippers"),
         "tortoise": ("a domed shell over scaly skin", "stubby clawed feet"),
         "elephant": ("wrinkled grey hide", "a long curling trunk and broad feet"),
         **{k: ("a {texture} coat", "hooves") for k in ("horse", "pony", "goat", "deer", "giraffe", "zebra")},
         "sheep": ("thick curly wool", "hooves"), "pig": ("bristly pink skin", "trotters"),
         "unicorn": ("a shining white coat", "hooves"), "bee": ("a fuzzy striped body", "small quick wings"),
         "butterfly": ("a slender body", "patterned wings"), "spider": ("a round, fuzzy body", "eight careful legs"),
         "snail": ("a spiral shell", "a soft, slow foot"), "monkey": ("{texture} fur", "nimble hands"),
         "gorilla": ("{texture} dark fur", "big, gentle hands"), "bat": ("{texture} fur", "leathery wings"),
         "griffin": ("feathers that run into a lion's coat", "taloned forefeet")}
# What an animal or a machine wears, when its role is not one of LOOKS (a "detective cat" wears the detective's).
ACCESSORIES = {"cat": "a red collar with a small bell", "dog": "a tartan collar", "fox": "a green neckerchief",
               "owl": "a pair of small round spectacles", "rabbit": "a blue waistcoat", "hare": "a blue waistcoat",
               "mouse": "a thimble worn as a helmet", "bear": "a knitted scarf", "wolf": "a leather collar",
               "badger": "a striped scarf", "otter": "a woollen hat", "pigeon": "a message tube on one leg",
               "parrot": "a tiny gold earring", "penguin": "a bow tie", "dragon": "a golden band on one horn",
               "hedgehog": "a tiny backpack", "squirrel": "an acorn-cap hat", "raven": "a silver ring on one leg",
               "crow": "a silver ring on one leg", "frog": "a small crown", "duck": "a sailor's collar",
               "robot": "an antenna with a blinking tip", "android": "a seam of light along the jaw",
               "cyborg": "a glowing blue eyepiece", "golem": "a rune glowing on the chest"}
# What a role does with its prop, for a scene's action ("Marco raises the camera").
PROP_USE = {
    "photographer": "raises the camera", "astronomer": "sweeps the sky with the telescope",
    "astronaut": "taps the old mission patch", "clockmaker": "winds a pocket watch", "fisherman": "mends the net",
    "fisherwoman": "mends the net", "fisher": "mends the net", "baker": "dusts the flour from the apron",
    "chef": "stirs the copper pan", "detective": "jots a line in the notebook", "painter": "sketches the moment",
    "artist": "sketches the moment", "musician": "plays a few soft notes", "singer": "hums the tune",
    "keeper": "raises the storm lantern", "knight": "sets down the sword", "wizard": "taps the staff on the ground",
    "witch": "leans on the broom", "writer": "scribbles in the notebook", "poet": "reads a verse aloud",
    "pilot": "pulls the goggles down", "captain": "checks the horizon", "sailor": "coils the rope",
    "pirate": "raises the spyglass", "explorer": "checks the compass", "ranger": "scans the distance with binoculars",
    "gardener": "pats down the soil", "farmer": "leans on the pitchfork", "teacher": "closes the book",
    "librarian": "shelves the last book", "shepherd": "leans on the crook", "grandmother": "sets down the basket",
    "grandma": "sets down the basket", "grandfather": "leans on the walking stick",
    "grandpa": "leans on the walking stick", "doctor": "tucks away the stethoscope",
    "inventor": "tightens a last screw on the gadget", "engineer": "wipes the wrench clean",
    "mechanic": "wipes the spanner clean", "blacksmith": "sets down the hammer", "carpenter": "planes a last edge smooth",
    "violinist": "tucks the violin under the chin", "guitarist": "strums the guitar", "magician": "flicks the wand",
    "stargazer": "unfolds the star chart", "navigator": "sights along the sextant", "spy": "snaps a quick picture",
    "robot": "blinks the antenna", "beekeeper": "puffs the smoker", "architect": "unrolls the blueprints",
}
# A concept's key things, for the last scene's action, a line and the closing narration; the first whose words the
# concept uses wins, its words other than the characters' nouns first ("a stargazer mends a boat": the boat).
MOTIFS = [
    (("star", "stars", "stargazing", "stargazer", "telescope", "astronomy", "astronomer", "constellation",
      "constellations", "comet", "meteor"),
     "{a} and {b} look up at the stars", "Look up. There, the brightest one.",
     "And the stars came out over {place_short}."),
    (("storm", "stormy", "thunder", "lightning", "hurricane", "gale"),
     "{a} and {b} watch the storm blow itself out", "Steady now. The storm will pass.",
     "And the storm blew itself out over {place_short}."),
    (("fish", "fishing", "net", "nets"),
     "{a} and {b} cast a line and wait for a bite", "Patience. The fish will come.",
     "And the first fish came up shining."),
    (("boat", "boats", "sail", "sailing", "ship"),
     "{a} and {b} push the boat out onto the water", "She floats. I told you she would.",
     "And the boat rode out across the water."),
    (("bake", "baking", "bakery", "bakers", "baker", "bread", "cake", "cakes", "oven", "pastry"),
     "{a} and {b} pull a tray of warm bread from the oven", "Smell that? Fresh bread.",
     "And the smell of warm bread drifted over {place_short}."),
    (("paint", "painting", "paints", "painter", "brush", "canvas"),
     "{a} and {b} stand back and look at the finished painting", "Every colour has its place.",
     "And the painting glowed in the last of the light."),
    (("theft", "thief", "stolen", "steal", "clue", "clues", "mystery", "detective", "solve", "solves"),
     "{a} and {b} hold up the missing clue", "There. That is what we missed.",
     "And the mystery was solved at last."),
    (("music", "musician", "song", "songs", "sing", "singer", "tune", "violin", "guitar", "band"),
     "{a} plays a tune while {b} listens", "Play it again. Slower this time.",
     "And the tune drifted over {place_short}."),
    (("photograph", "photographs", "photo", "photos", "photographer", "camera", "picture", "pictures"),
     "{a} and {b} look through the day's photographs", "Hold still. This one is worth keeping.",
     "And the last photograph caught the light just right."),
    (("sunset", "dusk", "twilight"),
     "{a} and {b} watch the sun sink low", "We made it. Just in time.",
     "And the sun slipped down behind {place_short}."),
    (("kite", "kites"),
     "{a} and {b} let the wind lift the kite high", "Let it go. The wind knows the way.",
     "And the wind carried them home over {place_short}."),
    (("rain", "rainy", "drizzle", "umbrella"),
     "{a} and {b} shelter from the rain and listen to it fall", "Listen. Even the rain keeps time.",
     "And the rain eased over {place_short}."),
    (("snow", "snowed", "snowy", "frozen", "ice", "winter", "blizzard"),
     "{a} and {b} watch the snow settle", "Look. Everything is new again.",
     "And the snow settled softly over {place_short}."),
    (("clock", "clocks", "clockmaker", "gears", "watch"),
     "{a} and {b} listen to every clock strike the hour", "Hear that? Right on time.",
     "And every clock struck the hour together."),
    (("garden", "flower", "flowers", "seeds", "plant", "grow"),
     "{a} and {b} kneel among the first flowers", "Look. It grew after all.",
     "And the garden opened in the evening light."),
    (("rocket", "rockets", "spaceship", "orbit", "planet", "space", "moon"),
     "{a} and {b} watch the sky where the rockets rise", "One day, up there. Together.",
     "And far above, the sky went on forever."),
]
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
    "quay", "dock", "docks", "pier", "shore", "bay", "cliff", "cliffs", "glacier", "pond", "stream", "alley",
    "alleyway", "road", "lane", "path", "trail", "roof", "plaza", "courtyard", "temple", "church", "cathedral",
    "shop", "cafe", "diner", "restaurant", "tavern", "inn", "hotel", "apartment", "office", "classroom",
    "hospital", "orchard", "grove", "vineyard", "prairie", "plains", "savanna", "marsh", "moor", "moors", "heath",
    "glen", "fjord", "volcano", "crater", "asteroid", "galaxy", "spaceship", "submarine", "airport", "subway",
    "metro", "tunnel", "mine", "ruins", "pyramid", "maze", "labyrinth", "zoo", "aquarium", "barn", "stable",
    "greenhouse", "bedroom", "hall", "cabin", "hut", "camp", "fair", "carnival", "rink", "stadium", "arena",
    "countryside", "wilderness", "rainforest", "oasis", "sands", "iceberg", "peak", "peaks", "waterfront",
    "boulevard", "avenue", "neighbourhood", "neighborhood", "suburb", "junkyard", "scrapyard", "lagoon", "canal",
    "wharf", "marina", "jetty", "clearing", "glade", "woodland", "pasture", "highlands", "mesa", "dune",
}
# Place nouns that are as often a thing the characters act on ("mend a boat", "race home"): a place only after
# a preposition ("on a boat"), never when found on their own.
OBJECT_PLACES = {"boat", "ship", "train", "moon", "sky", "clouds", "bridge", "tower", "home", "house", "planet",
                 "station", "space", "river", "field", "lab", "fair", "camp", "mine", "pass", "path", "road",
                 "hall", "stable", "maze", "roof", "spaceship", "submarine", "square", "deck"}
POSSESSIVES = ("a", "an", "the", "her", "his", "their", "its", "our", "my", "your")


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


def _place_short(bare: str) -> str:
    """The place's short form, its head noun with the place nouns right before it: "quiet valley at the edge of
    town" -> "the valley", "snowed-in mountain village" -> "the mountain village", "Paris" -> "Paris"."""
    words = bare.split()
    if words[0][:1].isupper():
        return bare  # a proper name: "Paris", "Blackwater Bay"
    group: list[str] = []
    for w in words:  # the first noun group: "rooftop under the night sky" -> "rooftop"
        if w.lower() in STOP or w.lower() in PLACE_PREPS or w.lower() in ("by", "beside", "past"):
            break
        group.append(w)
    head = max((i for i, w in enumerate(group) if w.lower() in PLACE_NOUNS), default=None)
    if head is None:
        anywhere = next((w for w in words if w.lower() in PLACE_NOUNS), None)
        return f"the {anywhere or (group or words)[-1]}"
    first = head
    while first > 0 and group[first - 1].lower() in PLACE_NOUNS and head - first < 1:
        first -= 1  # "harbour town", "city street": one place noun in front at most
    return "the " + " ".join(group[first:head + 1])


def find_place(concept: str) -> str:
    """The concept's place: a phrase after a preposition that ends in a place noun (the last such wins), or one
    that holds one, or a proper name ("in Paris"); then a place noun with its article anywhere ("cross a harbour
    town"); DEFAULT_PLACE when there is none (the planner then infers one from the concept's other words)."""
    phrases = _place_phrases(concept)
    for phrase in reversed(phrases):
        if phrase.split()[-1].lower() in PLACE_NOUNS:
            return phrase
    for phrase in phrases:
        if any(w.lower() in PLACE_NOUNS for w in phrase.split()) or phrase[:1].isupper():
            return phrase
    return next(iter(_noun_places(concept)), DEFAULT_PLACE)


def _place_phrases(concept: str) -> list[str]:
    tokens = _words(concept)
    phrases = []
    for i, tok in enumerate(tokens):
        if tok.lower() in PLACE_PREPS and i + 1 < len(tokens):
            rest = [(k, t) for k, t in enumerate(tokens[i + 1:i + 7], start=i + 1)]
            while rest and rest[0][1].lower() in STOP:
                rest.pop(0)
            place = []
            for k, t in rest:
                if t.lower() in STOP or t.lower() in PLACE_PREPS or _is_character_word(t):
                    break
                proper = t[:1].isupper() and k > 0 and t.lower() not in PLACE_NOUNS
                place.append(t if proper else t.lower())
            if place:
                phrases.append(" ".join(place))
    return phrases


def _is_character_word(tok: str) -> bool:
    low = tok.lower()
    return low not in PLACE_NOUNS and (low in CHARACTER_NOUNS or low.rstrip("s") in CHARACTER_NOUNS)


def _noun_places(concept: str) -> list[str]:
    """Place nouns with their article and up to two adjectives, wherever they are: "cross a harbour town" ->
    "harbour town". Not a noun that modifies a character ("a lighthouse keeper", "a street musician")."""
    tokens = _words(concept)
    out = []
    i = 0
    while i < len(tokens):
        low = tokens[i].lower()
        if low not in PLACE_NOUNS or low in OBJECT_PLACES:
            i += 1
            continue
        end = i
        while end + 1 < len(tokens) and tokens[end + 1].lower() in PLACE_NOUNS:
            end += 1
        after = tokens[end + 1] if end + 1 < len(tokens) else ""
        start = i
        while start > 0 and i - start < 2 and tokens[start - 1].lower() not in POSSESSIVES + tuple(STOP) \
                and tokens[start - 1].lower() not in PLACE_PREPS and not _is_character_word(tokens[start - 1]):
            start -= 1
        if start > 0 and tokens[start - 1].lower() in POSSESSIVES and not (after and _is_character_word(after)):
            out.append(" ".join(t.lower() for t in tokens[start:end + 1]))
        i = end + 1
    return out


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


def look_role(role: str, adjs: list[str]) -> str:
    """The role whose look (LOOKS) and prop use a character takes: its own, or an adjective that is a role ("a
    detective cat" dresses as a detective); "" when neither has one."""
    return role if role in LOOKS else next((a for a in adjs if a in LOOKS), "")


def describe(name: str, role: str, adjs: list[str], style: str, palette: list[str], rng: random.Random, *,
             person: bool | None = None) -> str:
    """A frozen visual description of 80+ words; every image prompt quotes it verbatim. `person`: a human (a
    character with a photo always is); None decides from the role."""
    kind = role or "wanderer"
    eyes, texture, shape = rng.choice(EYES), rng.choice(TEXTURES), rng.choice(SHAPES)
    dressed = look_role(kind, adjs)
    garment, prop = LOOKS[dressed] if dressed else (rng.choice(GARMENTS), "a small keepsake")
    mood = ", ".join(adjs) if adjs else "quietly determined"
    tones = (f"{colour_name(palette[1])}, {colour_name(palette[2])} and {colour_name(palette[3])} tones, with one bright "
             f"{colour_name(palette[-2])} accent that makes the silhouette easy to spot in every scene")
    animal = kind in ANIMALS and person is not True
    machine = kind in MACHINES and person is not True
    thing = kind in THINGS and person is not True
    if thing:
        shape = "a light, simple shape"
    # What it wears: its role's look ("a detective cat": the trench coat), its own accessory, or a plain garment.
    worn = f"wears {garment} in {tones}, and carries {prop}" if dressed else \
        f"wears {ACCESSORIES[kind]}, with markings in {tones}" if kind in ACCESSORIES else \
        f"has markings in {tones}" if kind in SWIMMERS else f"wears {garment} in {tones}"
    if animal:
        coat, limbs = COATS.get(kind, ("{texture} fur", "paws"))
        body = (f"{name} has {eyes} eyes set in an expressive face, {coat.format(texture=texture)} with clear "
                f"markings, and {limbs} that are always busy, touching things to understand them. {name} {worn}. ")
    elif machine and kind == "golem":
        body = (f"{name} has two glowing {eyes} eyes deep in a face of rough stone carved with runes, and heavy "
                f"stone hands that are always busy, touching things to understand them. {name} {worn}. ")
    elif machine:
        body = (f"{name} has two glowing {eyes} lenses for eyes, riveted plating with a soft sheen, and jointed "
                f"metal hands that are always busy, touching things to understand them. {name} {worn}. ")
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
    if len(chars) == 1:  # a story of two: one photo or one character still gets someone to meet
        chars.append(("Pip" if chars[0][0] != "Pip" else "Wren", "companion", ["loyal"]))
    place = find_place(concept)
    if place == DEFAULT_PLACE:  # no place phrase: the concept's words (or its people) still hint at one
        place = infer_place(concept, [r for _, r, _ in chars])
    bare = _bare(place)
    short = _place_short(bare)  # "the valley", "the harbour town", "Paris"
    motif = _motif(concept, [r for _, r, _ in chars])
    n_scenes = scenes or (3 if len(concept.split()) < 12 else 4)
    n_scenes = max(1, min(n_scenes, MAX_SCENES))

    photographed = {label.lower() for label in labels}  # a label comes with a face photo: a person
    characters = [Character(name=n, role=r or "traveller",
                            visual_description=describe(n, r or "traveller", a, style, palette, rng,
                                                        person=True if n.lower() in photographed else None),
                            personality_cues=(a or ["curious"]) + [rng.choice(["brave", "playful", "careful", "kind"])])
                  for n, r, a in chars]
    names = [c.name for c in characters]
    uses = {n: PROP_USE.get(look_role(r, a), "") for n, r, a in chars}
    cameras = CAMERAS[:]
    rng.shuffle(cameras)
    beats = _beats_for(n_scenes)
    scene_list = []
    for i, beat in enumerate(beats, start=1):
        title, desc, mood, action = beat
        a = names[(i - 1) % len(names)] if i == 1 else names[0]
        b = names[1] if len(names) > 1 else names[0]
        present = [a] if i == 1 or len(names) == 1 else names[:3]
        fmt = {"a": a, "b": b, "place": bare if bare[:1].isupper() else f"The {bare}", "place_short": short}
        when = _time_of_day(i, n_scenes, f"{concept} {place}")
        dialogue = list(DIALOGUE.get(title, DIALOGUE["Detour"]))
        if title == "Homecoming":  # the concept's own things close the film: the stars, the camera, the bread
            if motif:
                action = motif[0]
            user = b if uses.get(b) and b != a else a if uses.get(a) else ""
            if user and uses[user].split()[0] not in action.split():  # not "plays a tune, and plays..."
                action = f"{action}, and {user} {uses[user]}"
            close = motif[2] if motif else "And the night settled softly over {place_short}." if "night" in when \
                else "And the light turned gold over {place_short}."
            dialogue = [(k, close if k == "N" else text, how) for k, text, how in dialogue]
            if motif:
                dialogue = [(k, f"{text} {motif[1]}" if k == "A" else text, how) for k, text, how in dialogue]
        who = {"N": NARRATOR, "A": a, "B": b if b in present else a}
        lines = [Line(speaker=who[k], text=_capital(text.format(**fmt, action=_sentence(action.format(**fmt)))),
                      delivery=how) for k, text, how in dialogue]
        scene_list.append(Scene(
            scene_id=i, title=title, description=_capital(desc.format(**fmt)), characters_present=present,
            setting=f"{place}, {when}", camera=cameras[(i - 1) % len(cameras)],
            mood=mood, action=action.format(**fmt),
            duration_seconds=max(5, min(MAX_SECONDS, math.ceil(lines_seconds(lines)))),
            transition="cut",  # transitions are the editor's choice (Shooting); a plain cut keeps every frame
            lines=lines,
        ))
    title = _title(concept, names, short)
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


def _title(concept: str, names: list[str], short: str) -> str:
    if len(names) >= 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} of {_title_case(short)}"


def _capital(text: str) -> str:
    """Every sentence starts with a capital: a line may begin with a place ("the rooftop...") or a lowercase name."""
    return re.sub(r"(^|[.!?] )([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)


def _word_set(text: str) -> set[str]:
    """The words of a text, lowercase, hyphenated ones also in parts ("snowed-in": snowed-in, snowed, in)."""
    words = {w.lower() for w in _words(text)}
    return words | {part for w in words for part in w.split("-") if part}


def _motif(concept: str, roles: list[str]) -> tuple[str, str, str] | None:
    """The concept's key thing (MOTIFS): its words other than the characters' nouns first, then those."""
    words = _word_set(concept)
    nouns = {r for r in roles} | {f"{r}s" for r in roles}
    for pool in (words - nouns, words):
        for keys, home, line, close in MOTIFS:
            if pool & set(keys):
                return home, line, close
    return None
