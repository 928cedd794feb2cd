"""Fill a JSON Schema (as pydantic's `model_json_schema()` emits it) with plausible values.

The fake xAI server answers structured-output chat requests with `fill(schema, hints)`:
a value that validates against the schema (objects with every property, required or
not; arrays within minItems/maxItems; strings within minLength/maxLength and long enough
for "at least N words" descriptions; numbers and integers within bounds; enums, consts,
$ref/$defs, anyOf/oneOf/allOf, dict-like `additionalProperties` objects).

Strings follow the field name where that makes sense, so a StoryPlan-like schema comes
back as a coherent plan: the characters are `hints.names`, every scene's
`characters_present` names some of them, `scene_id` counts from 1, `palette` is hex
colours, `score` is `hints.score` and `issues` is `hints.issues`. `pattern` is not
honoured except for hex colours.
"""
from __future__ import annotations

import copy
import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

PALETTE = ["#2e4057", "#f2a541", "#c94c4c", "#88b04b", "#f7f3e3", "#5b8e7d", "#8c5e58"]
ROLES = ["protagonist", "companion", "rival", "mentor", "stranger"]
TRAITS = ["curious", "stubborn", "kind", "quick-witted", "cautious", "brave", "playful", "patient"]
SETTINGS = ["a windy harbour at dawn", "a cluttered workshop full of ticking clocks", "the rooftops at sunset",
            "a lantern-lit night market", "a quiet beach at dusk", "a mossy forest path", "a crowded train station"]
BEATS = ["Arrival", "The Chase", "A Narrow Escape", "Turning Point", "Storm", "Reunion", "Homecoming"]
CAMERAS = ["static", "slow push in", "pan left", "dolly in", "pull back", "tilt up", "orbit"]
ACTIONS = ["turns toward the light and steps forward", "runs along the quay, glancing back",
           "reaches up and catches the tumbling kite", "stops, laughs and waves to someone far away",
           "walks slowly into the distance as the light fades"]
MOODS = ["hopeful", "tense", "playful", "wistful", "triumphant", "mysterious"]
HAIR = ["short copper-red", "long jet-black", "curly chestnut", "silver-grey cropped", "wavy honey-blond"]
COATS = ["mustard wool coat", "navy pea coat", "faded green raincoat", "patched brown leather jacket",
         "plum knitted cardigan"]
FILLER = ("The silhouette stays simple and readable at a distance, the colours stay consistent from shot to "
          "shot, and every detail named here is repeated exactly in every image so the character is always "
          "recognisable.")


@dataclass
class Hints:
    """What the request text says about the answer; defaults produce a generic but valid value."""

    names: list[str] = field(default_factory=lambda: ["Ada", "Bo"])
    scenes: int = 3
    aspect_ratio: str | None = None
    style: str | None = None
    concept: str = ""
    labels: list[str] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)   # character name -> role, from "Name (role)" rosters
    score: float = 0.95
    issues: list[str] = field(default_factory=list)
    base: dict | None = None                              # a plan embedded in the request as JSON


def _split_list(text: str) -> list[str]:
    parts = re.split(r"\s*[;,]\s*|\s+and\s+", text.strip().rstrip("."))
    return [p.strip(" \"'[]") for p in parts if p.strip(" \"'[]")]


def _embedded_plan(text: str) -> dict | None:
    """The first JSON object in the text that has a `characters` list (a plan to refine)."""
    dec = json.JSONDecoder()
    for m in re.finditer(r"\{", text):
        try:
            obj, _ = dec.raw_decode(text, m.start())
        except ValueError:
            continue
        if isinstance(obj, dict) and isinstance(obj.get("characters"), list):
            return obj
    return None


def hints_from_text(text: str) -> Hints:
    """Read the conventions the Dailies prompts use: names, scene count, aspect ratio, labels, rosters."""
    h = Hints()
    base = _embedded_plan(text)
    if base:
        h.base = base
        names = [c.get("name") for c in base["characters"] if isinstance(c, dict) and c.get("name")]
        h.names = names or h.names
        if isinstance(base.get("scenes"), list) and base["scenes"]:
            h.scenes = len(base["scenes"])
    if m := re.search(r"Reference photos were uploaded for:\s*([^\n]+?)\.(?:\s|$)", text):
        h.names = _split_list(m.group(1)) or h.names
        h.labels = list(h.names)
    if m := re.search(r"[Ee]xactly (\d+) scenes", text):
        h.scenes = max(1, int(m.group(1)))
    if m := re.search(r"[Aa]spect ratio:?\s*(\d+(?:\.\d+)?:\d+(?:\.\d+)?)", text):
        h.aspect_ratio = m.group(1)
    if m := re.search(r"Art style:\s*([^\n]+?)\.?(?:\n|$)", text):
        h.style = m.group(1)
    if m := re.search(r"Concept:\s*([^\n]+)", text):
        h.concept = m.group(1).strip()
    if m := re.search(r"[Ll]abels?:\s*([^\n]+?)\.(?:\s|$)", text):
        h.labels = _split_list(m.group(1))
    if m := re.search(r"[Cc]haracters(?: are)?:\s*([^\n]+?)\.(?:\s|$)", text):
        roster = _split_list(m.group(1))
        names = []
        for entry in roster:
            nm = re.match(r"(.+?)\s*\((.*)\)\s*$", entry)
            name, role = (nm.group(1).strip(), nm.group(2).strip()) if nm else (entry, "")
            names.append(name)
            if role:
                h.roles[name] = role
        if names and not base:
            h.names = names
    return h


def label_mapping(labels: list[str], names: list[str], roles: dict[str, str]) -> dict[str, str]:
    """Each label to a character: same name, then same role, then a close spelling, then the next free one."""
    out: dict[str, str] = {}
    free = list(names)
    for label in labels:
        low = label.lower()
        pick = next((n for n in free if n.lower() == low), None)
        pick = pick or next((n for n in free if roles.get(n, "").lower() == low), None)
        close = difflib.get_close_matches(label, free, n=1, cutoff=0.6)
        pick = pick or (close[0] if close else None) or (free[0] if free else (names[0] if names else label))
        out[label] = pick
        if pick in free:
            free.remove(pick)
    return out


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1] if names else ""


# Short, as a model writes for a 5 s scene (two of them fit: core.models.lines_seconds).
LINES = ["We should go now.", "So quiet here.", "Did you hear that?", "Stay close to me.", "It was here.",
         "Let us finish this."]


def _owner(trail: tuple) -> int:
    """Index of the nearest enclosing array item (a scene, a character), not counting the last step."""
    for _key, i in reversed(trail[:-1]):
        if i is not None:
            return i
    return 0


def fill(schema: dict, hints: Hints | None = None) -> Any:
    return _Filler(schema, hints or Hints()).value(schema, ())


class _Filler:
    def __init__(self, root: dict, hints: Hints):
        self.root = root
        self.h = hints

    # -- schema plumbing ---------------------------------------------------------------------------
    def resolve(self, s: dict) -> dict:
        seen = 0
        while isinstance(s, dict) and "$ref" in s and seen < 32:
            ref = s["$ref"]
            target: Any = self.root
            for part in ref.lstrip("#/").split("/"):
                if part:
                    target = target[part.replace("~1", "/").replace("~0", "~")]
            extra = {k: v for k, v in s.items() if k != "$ref"}
            s = {**target, **extra}
            seen += 1
        if "allOf" in s:
            merged: dict = {k: v for k, v in s.items() if k != "allOf"}
            for sub in s["allOf"]:
                sub = self.resolve(sub)
                for k, v in sub.items():
                    if k == "properties":
                        merged.setdefault("properties", {}).update(v)
                    elif k == "required":
                        merged["required"] = sorted(set(merged.get("required", [])) | set(v))
                    else:
                        merged.setdefault(k, v)
            s = merged
        for key in ("anyOf", "oneOf"):
            if key in s:
                options = [self.resolve(o) for o in s[key]]
                pick = next((o for o in options if o.get("type") != "null"), options[0])
                s = {**{k: v for k, v in s.items() if k != key}, **pick}
        return s

    @staticmethod
    def kind(s: dict) -> str:
        t = s.get("type")
        if isinstance(t, list):
            t = next((x for x in t if x != "null"), "null")
        if t:
            return t
        if "properties" in s or "additionalProperties" in s:
            return "object"
        if "items" in s or "prefixItems" in s:
            return "array"
        return "string"

    # -- values --------------------------------------------------------------------------------------
    def value(self, s: dict, trail: tuple, parent: dict | None = None) -> Any:
        """trail: ((key, index), ...) from the root: (property, None) or, for an array item, (array key, i)."""
        options = s.get("anyOf") or s.get("oneOf") or []
        if "default" in s and s["default"] is None and any(o.get("type") == "null" for o in options):
            return None  # an optional field: a model leaves it out unless it has a reason
        s = self.resolve(s)
        key = trail[-1][0] if trail else ""
        idx = (trail[-1][1] or 0) if trail else 0
        if "const" in s:
            return copy.deepcopy(s["const"])
        if "enum" in s and s["enum"]:
            if s.get("default") in s["enum"]:  # a model keeps the default unless it has a reason not to
                return s["default"]
            return s["enum"][(idx or _owner(trail)) % len(s["enum"])]
        k = self.kind(s)
        if k == "object":
            return self.obj(s, trail)
        if k == "array":
            return self.array(s, trail, key, parent)
        if k == "string":
            return self.string(s, key, idx, trail, parent or {})
        if k in ("integer", "number"):
            return self.number(s, key, idx, _owner(trail), k == "integer")
        if k == "boolean":
            return bool(s.get("default", True))
        return None

    def obj(self, s: dict, trail: tuple) -> dict:
        props = s.get("properties")
        key = trail[-1][0] if trail else ""
        idx = (trail[-1][1] or 0) if trail else 0
        if not props:
            extra = s.get("additionalProperties")
            if key == "voices":  # a plan's voices are chosen by Dailies, not by the planner: a model leaves them
                return {}
            if key == "mapping" or (self.h.labels and isinstance(extra, dict)):
                return label_mapping(self.h.labels, self.h.names, self.h.roles)
            if isinstance(extra, dict):
                return {"key": self.value(extra, trail + (("value", None),))}
            return {}
        if key == "characters" and self.h.base:  # frozen: reuse the character as the plan has it
            old = next((c for c in self.h.base.get("characters", []) if isinstance(c, dict)
                        and c.get("name") == self._name(idx)), None)
            if old and set(old) <= set(props):
                return copy.deepcopy(old)
        out: dict = {}
        for name, ps in props.items():
            out[name] = self.value(ps, trail + ((name, None),), out)
        return out

    def _name(self, i: int) -> str:
        names = self.h.names or ["Ada"]
        return names[i] if i < len(names) else f"{names[i % len(names)]} {i // len(names) + 1}"

    def _present(self, scene: int) -> list[str]:
        """Two characters per scene (or the only one), rotating so that everyone appears."""
        names = self.h.names or ["Ada"]
        return [names[(scene + j) % len(names)] for j in range(min(len(names), 2))]

    def _count(self, s: dict, key: str) -> int:
        lo, hi = s.get("minItems", 0), s.get("maxItems")
        desc = s.get("description", "")
        want = {"characters": len(self.h.names), "scenes": self.h.scenes, "shots": self.h.scenes,
                "issues": len(self.h.issues), "problems": len(self.h.issues)}.get(key)
        if want is None and key in ("palette", "colors", "colours"):
            m = re.search(r"(\d+)", desc)
            want = int(m.group(1)) if m else 5
        if want is None:
            want = 2
        want = max(want, lo)
        return min(want, hi) if hi is not None else want

    def array(self, s: dict, trail: tuple, key: str, parent: dict | None) -> list:
        items = s.get("items") or {}
        if "prefixItems" in s:
            return [self.value(p, trail + ((key, i),)) for i, p in enumerate(s["prefixItems"])]
        item = self.resolve(items) if isinstance(items, dict) else {}
        if key in ("characters_present", "cast") and self.kind(item) == "string":
            picked = self._present(_owner(trail))
            lo, hi = s.get("minItems", 0), s.get("maxItems")
            picked = picked[:hi] if hi is not None else picked
            while len(picked) < lo:
                picked.append(self._name(len(picked)))
            return picked
        if key == "issues" and self.kind(item) == "string":
            out = list(self.h.issues)
            lo = s.get("minItems", 0)
            while len(out) < lo:
                out.append(f"issue {len(out) + 1}")
            return out[: s["maxItems"]] if "maxItems" in s else out
        n = self._count(s, key)
        return [self.value(items, trail + ((key, i),), parent) for i in range(n)]

    def string(self, s: dict, key: str, idx: int, trail: tuple, parent: dict) -> str:
        h = self.h
        fmt = s.get("format", "")
        path = [t[0] for t in trail]
        owner = _owner(trail)
        in_chars = "characters" in path
        in_scenes = "scenes" in path
        concept = h.concept or "a small adventure that ends where it began"
        if fmt == "date-time":
            v = "2025-01-01T12:00:00Z"
        elif fmt == "date":
            v = "2025-01-01"
        elif fmt in ("uri", "url"):
            v = f"https://example.com/{key or 'item'}/{idx + 1}"
        elif fmt == "email":
            v = f"{key or 'user'}{idx + 1}@example.com"
        elif fmt == "uuid":
            v = f"00000000-0000-4000-8000-{idx + 1:012d}"
        elif key in ("palette", "colors", "colours") or "#[0-9a-fA-F]" in s.get("pattern", "") or "hex" in key:
            v = PALETTE[idx % len(PALETTE)]
        elif key == "name" and in_chars:
            v = self._name(owner)
        elif key == "role":
            v = h.roles.get(parent.get("name", ""), ROLES[owner % len(ROLES)])
        elif key == "visual_description":
            v = self._description(parent.get("name") or self._name(owner), owner, s)
        elif key == "personality_cues":
            v = TRAITS[(owner * 3 + idx) % len(TRAITS)]
        elif key == "title" and in_scenes:
            v = BEATS[owner % len(BEATS)] if owner < len(BEATS) else f"{BEATS[owner % len(BEATS)]} {owner + 1}"
        elif key == "title":
            v = f"The Ballad of {_and(h.names) or 'Nobody'}"
        elif key == "logline":
            v = f"{_and(h.names) or 'Two friends'} set out: {concept.rstrip('.')}."
        elif key == "style":
            v = h.style or s.get("default") or "storybook illustration, soft painterly light"
        elif key == "aspect_ratio":
            v = h.aspect_ratio or s.get("default") or "16:9"
        elif key == "setting":
            v = SETTINGS[owner % len(SETTINGS)]
        elif key == "camera":
            v = CAMERAS[owner % len(CAMERAS)]
        elif key == "mood":
            v = MOODS[owner % len(MOODS)]
        elif key == "transition":
            v = s.get("default") or "cut"
        elif key == "description" and in_scenes:
            who = _and(parent.get("characters_present") or self._present(owner))
            v = f"{who} in {SETTINGS[owner % len(SETTINGS)]}; {BEATS[owner % len(BEATS)].lower()} of {concept}."
        elif key == "action" and in_scenes:
            who = (parent.get("characters_present") or self._present(owner))[0]
            v = f"{who} {ACTIONS[owner % len(ACTIONS)]}"
        elif "lines" in path and key == "speaker":  # a line of dialogue: the scene's characters take turns
            scene = next((i for k, i in trail if k == "scenes" and i is not None), 0)
            line = next((i for k, i in reversed(trail) if k == "lines" and i is not None), 0)
            present = self._present(scene)
            v = present[line % len(present)]
        elif "lines" in path and key == "text":
            line = next((i for k, i in reversed(trail) if k == "lines" and i is not None), 0)
            v = LINES[(owner * 2 + line) % len(LINES)]
        elif "lines" in path and key == "delivery":
            v = ""
        elif key in ("issue", "issues"):
            v = h.issues[idx] if idx < len(h.issues) else f"issue {idx + 1}"
        elif isinstance(s.get("default"), str) and s["default"]:
            v = s["default"]
        else:
            v = f"{s.get('title') or key or 'value'} {idx + 1}".strip()
        m = re.search(r"at least (\d+) words", s.get("description", ""))
        if m and len(v.split()) < int(m.group(1)):
            v = self._pad_words(v, int(m.group(1)))
        lo, hi = s.get("minLength", 0), s.get("maxLength")
        if len(v) < lo:
            v = v + " " + "x" * (lo - len(v) - 1) if lo > len(v) + 1 else v + "x" * (lo - len(v))
        if hi is not None and len(v) > hi:
            v = v[:hi].rstrip() or v[:hi]
        return v

    @staticmethod
    def _pad_words(v: str, n: int) -> str:
        while len(v.split()) < n:
            v = f"{v} {FILLER}"
        return v

    def _description(self, name: str, i: int, s: dict) -> str:
        m = re.search(r"at least (\d+) words", s.get("description", ""))
        need = int(m.group(1)) + 5 if m else 90
        text = (f"{name} has {HAIR[i % len(HAIR)]} hair, warm brown eyes, a round friendly face with freckles across "
                f"the nose, and a slight build that moves quickly. {name} wears a {COATS[i % len(COATS)]} over a "
                f"cream shirt, dark trousers rolled at the ankle and scuffed boots, with a small brass pendant "
                f"on a cord. The colours are muted and warm; the outline is simple and clear.")
        return self._pad_words(text, need)

    def number(self, s: dict, key: str, idx: int, owner: int, integer: bool) -> float | int:
        lo = s.get("minimum", s.get("exclusiveMinimum"))
        hi = s.get("maximum", s.get("exclusiveMaximum"))
        if key in ("score", "confidence"):
            v: float = self.h.score
        elif key in ("scene_id", "index", "number", "position") or key.endswith("_id"):
            v = (idx or owner) + 1
        elif "default" in s and isinstance(s["default"], (int, float)) and not isinstance(s["default"], bool):
            v = s["default"]
        elif key in ("duration_seconds", "duration", "seconds"):
            v = 5
        elif lo is not None and hi is not None:
            v = (lo + hi) / 2
        elif lo is not None:
            v = lo + 1
        elif hi is not None:
            v = min(hi - 1, 1)
        else:
            v = 1 if integer else 0.5
        if lo is not None:
            v = max(v, lo + (1 if integer else 1e-6) if "exclusiveMinimum" in s and "minimum" not in s else lo)
        if hi is not None:
            v = min(v, hi - (1 if integer else 1e-6) if "exclusiveMaximum" in s and "maximum" not in s else hi)
        return int(round(v)) if integer else float(v)
