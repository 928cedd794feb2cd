"""Which voice each character (and the narrator) speaks with, chosen so a film's characters sound different.

The voices are the five of xAI's text-to-speech (the offline voice renders the same
five names at the same relative pitch), here ordered by how high they sound. A
character's voice is picked from the words the plan uses for them (role, frozen
description, personality): "she", "grandmother", "queen" lean high, "he", "father",
"king" lean low, nothing leans to the middle (a second such character goes as far from the first as the voices allow). No two characters share a voice
while one is free; the narrator takes what is left, preferring the middle voice.

The choice is deterministic and keeps every voice already set (a revision of the
plan, a voice a person chose), so re-planning never changes how someone sounds.
"""
from __future__ import annotations

import re

from core.models import NARRATOR, VOICES, StoryPlan

# Highest to lowest; `VOICES` is the same set (the one list of names, in core.models).
BY_PITCH = ("eve", "ara", "sal", "rex", "leo")
assert set(BY_PITCH) == set(VOICES)
VOICE_LABELS = {"eve": "Eve (bright, high)", "ara": "Ara (warm, mid-high)", "sal": "Sal (even, middle)",
                "rex": "Rex (firm, low)", "leo": "Leo (deep, lowest)"}
PREFERENCES = {"high": ("eve", "ara", "sal", "rex", "leo"), "low": ("leo", "rex", "sal", "ara", "eve"),
               "middle": ("sal", "rex", "ara", "leo", "eve")}
_HIGH = set("she her hers herself woman women girl lady mother mom mum grandmother grandma granny queen princess "
            "sister daughter aunt wife female actress heroine witch niece bride widow nun hen vixen mare doe "
            "ewe sow duchess empress goddess mistress madam maiden".split())
_LOW = set("he him his himself man men boy gentleman father dad grandfather grandpa king prince brother son "
           "uncle husband male actor hero wizard nephew groom widower monk lord sir duke emperor god stag "
           "bull ram boar rooster master".split())


def leaning(text: str) -> str:
    """"high", "low" or "middle": which way the words about a character lean."""
    words = re.findall(r"[a-z]+", text.lower())
    high = sum(w in _HIGH for w in words)
    low = sum(w in _LOW for w in words)
    return "high" if high > low else "low" if low > high else "middle"


def choose_voices(plan: StoryPlan, keep: dict[str, str] | None = None) -> dict[str, str]:
    """A voice for every character of `plan` and the narrator; those in `keep` (and in the plan) stay."""
    names = [c.name for c in plan.characters]
    kept = {**(keep or {}), **plan.voices}
    out = {n: v for n, v in kept.items() if (n in names or n == NARRATOR) and v in VOICES}
    for c in plan.characters:
        if c.name in out:
            continue
        lean = leaning(" ".join([c.role, c.visual_description, *c.personality_cues]))
        taken = [out[n] for n in names if n in out]
        out[c.name] = _pick(PREFERENCES[lean], taken) if lean != "middle" else _apart(taken)
    if NARRATOR not in out:
        out[NARRATOR] = _pick(PREFERENCES["middle"], [out[n] for n in names])
    return {n: out[n] for n in [*names, NARRATOR]}


def _apart(taken: list[str]) -> str:
    """For a character the words say nothing about: the middle voice, or the free one farthest in pitch from
    the voices already taken (two such characters get voices far apart, not neighbours)."""
    free = [v for v in PREFERENCES["middle"] if v not in taken]
    if not taken or not free:
        return _pick(PREFERENCES["middle"], taken)
    step = {v: i for i, v in enumerate(BY_PITCH)}
    return max(free, key=lambda v: min(abs(step[v] - step[t]) for t in taken))


def _pick(order: tuple[str, ...], taken: list[str]) -> str:
    """The first voice in `order` nobody has; with all taken, the least used (earlier in `order` on a tie)."""
    return min(order, key=lambda v: (taken.count(v), order.index(v)))
