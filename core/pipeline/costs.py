"""What a run will cost before it is paid for.

The estimate walks the same steps the pipeline will take (one plan, a sheet and
a check per character, a keyframe and a check per scene with its references, a
clip and a drift check per scene, a text-to-speech call per line) and asks the
provider for each call's price. Before there is a plan, a scene is taken to have
LINES_PER_SCENE lines of CHARS_PER_LINE characters.
Retries are not counted: the estimate is of a run where every check passes.
"""
from __future__ import annotations

from core.pipeline import prompts
from core.pipeline.plan import story_of
from core.store import Project

LINES_PER_SCENE, CHARS_PER_LINE = 3, 60


def estimate_run(provider, *, project: Project | None = None, characters: int = 2, scenes: int = 3,
                 seconds: int = 5, has_photos: bool = True) -> dict:
    """Per-step and total USD for a full run; uses the project's story when there is one."""
    durations = [seconds] * scenes
    present = [min(3, characters)] * scenes
    spoken = [CHARS_PER_LINE] * (LINES_PER_SCENE * scenes)
    if project is not None and (story := project.takes.head("story")) is not None:
        plan = story_of(story)
        characters = len(plan.characters)
        durations = [s.duration_seconds for s in plan.scenes]
        present = [len(s.characters_present) for s in plan.scenes]
        spoken = [len(prompts.speech_prompt(line.text, line.delivery)) for s in plan.scenes for line in s.lines]
    e = provider.estimate
    steps = {
        "plan": e("plan_story", {}, 0),
        "sheets": characters * (e("make_sheet", {}, int(has_photos)) + e("check", {}, 2)),
        "keyframes": sum(e("compose_keyframe", {}, min(3, p + 1)) + e("check", {}, 1 + p) for p in present),
        "clips": sum(e("animate_clip", {"duration": d}, 1) + e("check", {}, 2) for d in durations),
        "lines": sum(e("speak", {"chars": n}, 0) for n in spoken),
    }
    return {"steps": {k: round(v, 4) for k, v in steps.items()}, "total_usd": round(sum(steps.values()), 4)}
