"""Re-cutting the film: insert a scene, move one, remove one, duplicate one.

Why this works without renumbering anything: a scene is addressed by its stable
id (`keyframe/<id>`), and its place in the film is only its position in the
plan. Each operation is one story edit (one take, one undo group, like any hand
edit), so a moved scene keeps every take it had, and what becomes stale is only
what really changed: an inserted or duplicated scene has no keyframe or clip yet;
the scene that now follows another one has a stale keyframe (keyframes are
chained, through its `after/<id>` part); the cut and the script list the scenes.

Positions here are 1-based, as people count them; `after=0` inserts at the start.
"""
from __future__ import annotations

import math
from typing import Any

from core.errors import InputError
from core.models import Scene  # noqa: F401 - the type of what these functions move
from core.models import MAX_SCENES
from core.pipeline.edits import _head_story, edit_story, first_free_scene_id, valid_scene
from core.pipeline.plan import story_of
from core.store import Project, Take


def _positions(project: Project, branch: str | None) -> tuple[Take, list[Scene]]:
    story = _head_story(project, branch)
    return story, list(story_of(story).scenes)


def _check(position: int, scenes: list, *, what: str, allow_zero: bool = False) -> None:
    low = 0 if allow_zero else 1
    if not low <= position <= len(scenes):
        raise InputError(f"{what} {position} is out of range: the film has scenes 1 to {len(scenes)}"
                         + (" (0 = before the first)" if allow_zero else "") + ".")


def _room(scenes: list) -> None:
    if len(scenes) >= MAX_SCENES:
        raise InputError(f"The film has {len(scenes)} scenes, the most a film can have; remove one first.")


def _commit(project: Project, scenes: list[Scene], note: str, branch: str | None) -> Take:
    return edit_story(project, {"scenes": [s.model_dump() for s in scenes]}, branch=branch, note=note)


def insert_scene(project: Project, *, after: int, fields: dict[str, Any] | None = None,
                 branch: str | None = None) -> Take:
    """A new scene at position `after + 1`. Unset fields follow the scene before it (setting, characters, mood,
    look of the shot), so the new shot continues the one it follows; the title says it is new."""
    story, scenes = _positions(project, branch)
    _check(after, scenes, what="--after", allow_zero=True)
    _room(scenes)
    model = scenes[after - 1] if after else scenes[0]
    base = {"title": "New scene", "setting": model.setting, "characters_present": list(model.characters_present),
            "mood": model.mood, "camera": "static", "action": "", "description": "", "subtitle": "",
            "duration_seconds": 5}
    new = valid_scene({**base, **{k: v for k, v in (fields or {}).items() if v is not None},
                       "scene_id": first_free_scene_id(project, story_of(story))}, position=after + 1)
    scenes.insert(after, new)
    return _commit(project, scenes, f"inserted scene {after + 1} ({new.title})", branch)


def move_scene(project: Project, position: int, *, to: int, branch: str | None = None) -> Take:
    story, scenes = _positions(project, branch)
    _check(position, scenes, what="Scene")
    _check(to, scenes, what="--to")
    if position == to:
        return story
    scene = scenes.pop(position - 1)
    scenes.insert(to - 1, scene)
    return _commit(project, scenes, f"moved scene {position} to {to}", branch)


def remove_scene(project: Project, position: int, *, branch: str | None = None) -> Take:
    story, scenes = _positions(project, branch)
    _check(position, scenes, what="Scene")
    if len(scenes) == 1:
        raise InputError("The film has one scene; a film needs at least one, so it cannot be removed.")
    gone = scenes.pop(position - 1)
    return _commit(project, scenes, f"removed scene {position} ({gone.title})", branch)


def duplicate_scene(project: Project, position: int, *, branch: str | None = None) -> Take:
    """A copy of the scene right after it, with an id of its own (so its keyframe and clip are its own)."""
    story, scenes = _positions(project, branch)
    _check(position, scenes, what="Scene")
    _room(scenes)
    source = scenes[position - 1]
    copy = source.model_copy(update={"scene_id": first_free_scene_id(project, story_of(story))})
    scenes.insert(position, copy)
    return _commit(project, scenes, f"duplicated scene {position}", branch)


def split_scene(project: Project, position: int, *, branch: str | None = None) -> Take:
    """Two scenes from one whose lines do not fit in a clip: the first half of the lines stays, the rest go to a
    copy right after it (same setting, characters and shot), each lasting what its lines need."""
    from core.models import MAX_SECONDS, lines_seconds

    story, scenes = _positions(project, branch)
    _check(position, scenes, what="Scene")
    _room(scenes)
    source = scenes[position - 1]
    if len(source.lines) < 2:
        raise InputError(f"Scene {position} has {len(source.lines)} line{'s' * (len(source.lines) != 1)}; "
                         "a scene is split between its lines, so it needs two or more.")
    # the split that leaves the two halves closest in length
    cut = min(range(1, len(source.lines)),
              key=lambda k: abs(lines_seconds(source.lines[:k]) - lines_seconds(source.lines[k:])))
    first, rest = source.lines[:cut], source.lines[cut:]
    seconds = lambda lines: max(3, min(MAX_SECONDS, math.ceil(lines_seconds(lines))))  # noqa: E731
    scenes[position - 1] = source.model_copy(update={"lines": first, "duration_seconds": seconds(first)})
    copy = source.model_copy(update={"scene_id": first_free_scene_id(project, story_of(story)), "lines": rest,
                                     "duration_seconds": seconds(rest), "transition": "cut",
                                     "title": f"{source.title} (continued)"})
    scenes.insert(position, copy)
    return _commit(project, scenes, f"split scene {position} between lines {cut} and {cut + 1}", branch)


def set_motion(project: Project, position: int, *, motion: str | None = None, camera: str | None = None,
               branch: str | None = None) -> Take:
    """A scene's own clip motion: a motion-only prompt and/or a camera move for the clip alone. Only the clip
    goes stale (the keyframe reads neither); empty values go back to the scene's camera and action."""
    from core.models import CAMERA_MOVES

    story, scenes = _positions(project, branch)
    _check(position, scenes, what="--scene")
    if camera and camera not in CAMERA_MOVES:
        raise InputError(f"Camera move {camera!r} is not one of: {', '.join(CAMERA_MOVES)}.")
    scene = scenes[position - 1]
    scenes[position - 1] = scene.model_copy(update={"motion": " ".join((motion or "").split()),
                                                    "clip_camera": camera or None})
    return _commit(project, scenes, f"motion of scene {position} edited", branch)
