"""The offline planner's answer to "make the owl grumpier": rule-based plan revisions.

Without a language model the offline provider understands a small, honest set
of instructions and says so when it cannot apply one:

- "make <character or role> <adjective>"   e.g. "make the owl grumpier", "make Ada braver"
- "make scene N <mood>" / "make it <mood>"  e.g. "make scene 3 tense", "make it funnier"
- "add a scene" / "remove scene N"
- "shorter" / "longer" (every scene one second less or more)
- "rename <name> to <new name>"
"""
from __future__ import annotations

import re

from core.errors import ProviderError
from core.models import StoryPlan

HELP = ("the offline planner understands: 'make <character> <adjective>', 'make scene N <mood>', "
        "'make it <mood>', 'add a scene', 'remove scene N', 'shorter', 'longer', 'rename A to B'")
IRREGULAR = {"better": "good", "worse": "bad", "funnier": "funny", "livelier": "lively"}


def base_adjective(word: str) -> str:
    """grumpier -> grumpy, braver -> brave, taller -> tall, more mysterious -> mysterious."""
    w = word.lower()
    if w in IRREGULAR:
        return IRREGULAR[w]
    if w.endswith("ier") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("er") and len(w) > 4:
        stem = w[:-2]
        if len(stem) > 2 and stem[-1] == stem[-2]:  # bigger -> big
            return stem[:-1]
        return stem + "e" if stem.endswith(("v", "c", "s", "z", "g", "l")) and not stem.endswith("ll") else stem
    return w


def refine_offline(plan: StoryPlan, instruction: str) -> StoryPlan:
    text = " ".join(instruction.split())
    low = text.lower()
    data = plan.model_dump()

    m = re.search(r"rename (\w[\w ]*?) to (\w[\w ]*)$", text, re.I)
    if m:
        old, new = m.group(1).strip(), m.group(2).strip()
        char = next((c for c in data["characters"] if c["name"].lower() == old.lower()), None)
        if char is None:
            raise ProviderError(f"There is no character called {old!r} to rename.")
        old_name = char["name"]
        char["name"] = new
        char["visual_description"] = re.sub(rf"\b{re.escape(old_name)}\b", new, char["visual_description"])
        for s in data["scenes"]:
            s["characters_present"] = [new if n == old_name else n for n in s["characters_present"]]
            for key in ("title", "description", "action"):
                s[key] = re.sub(rf"\b{re.escape(old_name)}\b", new, s[key])
        return StoryPlan.model_validate(data)

    if re.search(r"\badd (a|one|another) scene\b", low):
        last = dict(data["scenes"][-1])
        last.update(scene_id=plan.next_scene_id(), title="Epilogue", mood="gentle",
                    description=f"A last look back at {last['setting'].split(',')[0]}.", camera="pull back")
        data["scenes"].append(last)
        return StoryPlan.model_validate(data)

    m = re.search(r"\b(remove|delete|cut|drop) scene (\d+)\b", low)
    if m:
        n = int(m.group(2))
        if not 1 <= n <= len(data["scenes"]) or len(data["scenes"]) == 1:
            raise ProviderError(f"Scene {n} cannot be removed: the story has scenes 1 to {len(data['scenes'])}.")
        del data["scenes"][n - 1]  # the others keep their ids, and with them their takes
        return StoryPlan.model_validate(data)

    if re.search(r"\b(shorter|longer)\b", low) and not re.search(r"\bmake (the |scene )", low):
        delta = -1 if "shorter" in low else 1
        for s in data["scenes"]:
            s["duration_seconds"] = max(2, min(15, s["duration_seconds"] + delta))
        return StoryPlan.model_validate(data)

    m = re.search(r"\bmake (?:scene (\d+)|it|the (?:film|story|whole thing)) (?:a bit |much |more |even )?(\w+)", low)
    if m:
        mood = base_adjective(m.group(2))
        targets = [data["scenes"][int(m.group(1)) - 1]] if m.group(1) and \
            1 <= int(m.group(1)) <= len(data["scenes"]) else ([] if m.group(1) else data["scenes"])
        if not targets:
            raise ProviderError(f"Scene {m.group(1)} does not exist: the story has scenes 1 to {len(data['scenes'])}.")
        for s in targets:
            if mood not in s["mood"]:
                s["mood"] = mood if not s["mood"] else f"{mood}, {s['mood'].split(',')[0]}"
        return StoryPlan.model_validate(data)

    m = re.search(r"\bmake (?:the )?([\w-]+) (?:a bit |much |more |even )?([\w-]+)", low)
    if m:
        who, adjective = m.group(1), base_adjective(m.group(2))
        char = next((c for c in data["characters"] if who in (c["name"].lower(), c["role"].lower())), None)
        if char is not None:
            char["personality_cues"] = [adjective] + [c for c in char["personality_cues"] if c != adjective]
            sentence = f" {char['name']} comes across as distinctly {adjective}, and it shows in the face and posture."
            if sentence.strip() not in char["visual_description"]:
                char["visual_description"] += sentence
            for s in data["scenes"]:
                if char["name"] in s["characters_present"] and adjective not in s["action"]:
                    s["action"] = f"{s['action']} ({char['name']} is {adjective})"
            return StoryPlan.model_validate(data)
        raise ProviderError(f"No character is called or is a {who!r}; characters: "
                            f"{', '.join(c['name'] for c in data['characters'])}.")

    raise ProviderError(f"The offline planner cannot apply “{text}”; {HELP}.")
