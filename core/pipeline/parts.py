"""The story, split into the parts that other work depends on.

`story` holds the whole plan, but a keyframe only depends on its own scene, a
sheet only on its own character and the film's look. So every story take is
projected into `look`, `character/NAME` and `scene/N` slots, and downstream
takes record those as their inputs. Editing scene 2's action then moves only
`scene/2`'s head, and only what was made from scene 2 reports "needs regen".

A scene's own motion (`motion`, `clip_camera`) is a part of its own, `motion/<id>`,
read by the clip alone: changing how a clip moves makes only that clip stale.
Its lines are one too, `lines/<id>` (read by the voices and the cut), and so is
each character's voice, `voice/<name>` (the narrator's is `voice/Narrator`):
rewording a line or changing a voice remakes speech, never a picture.

Scenes are addressed by their stable id, never by their position, so a re-cut
(insert, move, remove) leaves every scene's `scene/<id>` part, keyframe and clip
where they were. What a re-cut does change is which scene comes before which,
and keyframes are chained to the previous scene's keyframe: that link is a part
of its own, `after/<id>` ({"after": id of the scene before, or None}), so a
keyframe whose predecessor changed reports "needs regen" and its clip does not.

A part's take is its content: the same content reuses the same take (found by
recipe), so re-syncing an unchanged story moves nothing and writes nothing.
"""
from __future__ import annotations

from core.models import StoryPlan
from core.pipeline.voice_cast import choose_voices
from core.store import Project, Take
from core.store.calls import recipe_hash


def parts_of(plan: StoryPlan) -> dict[str, dict]:
    parts: dict[str, dict] = {"look": {"style": plan.style, "palette": plan.palette,
                                       "aspect_ratio": plan.aspect_ratio,
                                       # only when set: a look made before the style lock keeps its take
                                       **({"style_lock": plan.style_lock} if plan.style_lock else {})}}
    for c in plan.characters:
        parts[f"character/{c.name}"] = c.model_dump()
    before = None
    for s in plan.scenes:
        parts[f"scene/{s.scene_id}"] = s.model_dump(exclude={*MOTION_FIELDS, "lines"})
        parts[f"after/{s.scene_id}"] = {"after": before}
        parts[f"motion/{s.scene_id}"] = s.model_dump(include=set(MOTION_FIELDS))
        parts[f"lines/{s.scene_id}"] = {"lines": [line.model_dump() for line in s.lines]}
        before = s.scene_id
    for name, voice in choose_voices(plan).items():
        parts[f"voice/{name}"] = {"voice": voice}
    return parts


MOTION_FIELDS = ("motion", "clip_camera")  # the clip's alone: a motion edit leaves the keyframe as it is
PART_KINDS = ("character/", "scene/", "after/", "motion/", "lines/", "voice/")


def is_part(slot: str) -> bool:
    return slot == "look" or slot.startswith(PART_KINDS)


def part_moves(project: Project, story: Take, *, branch: str | None = None,
               job: int | None = None) -> dict[str, int | None]:
    """The head moves that make every part slot match `story` (new part takes are written as needed).

    Callers apply them with `set_heads`, together with the story's own move when there is one, so an
    edit and its parts are undone as one step."""
    from core.pipeline.plan import story_of

    branch = branch or project.branch
    wanted = parts_of(story_of(story))
    heads = project.takes.heads(branch)
    moves: dict[str, int | None] = {}
    for slot, payload in wanted.items():
        recipe = recipe_hash({"part": slot, "content": payload})
        head = heads.get(slot)
        if head is not None and head.recipe == recipe:
            continue
        take = project.takes.with_recipe(slot, recipe)
        if take is None:
            take = project.takes.add(slot, payload=payload, origin="edited" if story.origin == "edited" else
                                     "generated", recipe=recipe, job=job, parent=head.id if head else None,
                                     note=f"from story take {story.id}")
        moves[slot] = take.id
    for slot in heads:
        if is_part(slot) and slot not in wanted:  # a scene or character the story no longer has
            moves[slot] = None
    return moves


def sync_parts(project: Project, story: Take, *, branch: str | None = None, job: int | None = None) -> list[str]:
    heads = project.takes.head_ids(branch)
    moves = part_moves(project, story, branch=branch, job=job)
    project.takes.set_heads(moves, branch=branch, job=job)
    if any(slot.startswith("after/") and slot not in heads for slot in moves):
        _record_chain(project, story, branch=branch, job=job)
    return sorted(moves)


def _record_chain(project: Project, story: Take, *, branch: str | None, job: int | None) -> None:
    """The in-place migration of a project made before scenes had `after/<id>` links: its keyframes and its cut
    get the links among their inputs, and what was made from those takes points at the new ones (a copy of each
    take, same asset; nothing is remade), so a later re-cut reports them stale exactly as in a new project."""
    from core.pipeline.plan import story_of

    plan = story_of(story)
    heads = project.takes.heads(branch)
    links = {f"after/{s.scene_id}": heads[f"after/{s.scene_id}"].id for s in plan.scenes
             if f"after/{s.scene_id}" in heads}
    links["story"] = story.id
    order = ([(f"keyframe/{s.scene_id}", {f"after/{s.scene_id}"}) for s in plan.scenes]  # chained: in film order
             + [(f"clip/{s.scene_id}", set()) for s in plan.scenes] + [("script", set()),
                                                                      ("cut", set(links))])
    renamed: dict[int, int] = {}
    moves = {}
    for slot, needs in order:
        take = heads.get(slot)
        if take is None:
            continue
        inputs = {k: renamed.get(v, v) for k, v in take.inputs.items()} | {k: links[k] for k in needs if k in links}
        if inputs == take.inputs:
            continue
        new = project.takes.add(slot, payload=take.payload, asset=take.asset, origin="restored", inputs=inputs,
                                provider=take.provider, model=take.model, recipe=take.recipe, variant=take.variant,
                                score=take.score, job=job, parent=take.id,
                                note="its place in the film recorded (scene links)")
        renamed[take.id] = new.id
        moves[slot] = new.id
    project.takes.set_heads(moves, branch=branch, job=job)


def scene_part(project: Project, n: int, branch: str | None = None):
    """The head take of `scene/N` and the Scene it holds."""
    from core.errors import InputError
    from core.models import Scene

    take = project.takes.head(f"scene/{n}", branch)
    if take is None:
        raise InputError(f"Scene {n} does not exist in the story; check the shot list.")
    return take, Scene.model_validate(take.payload)


def scene_label(project: Project, scene_id: int, branch: str | None = None) -> str:
    """How a person names a scene: by its position now ("Scene 2"), whatever its id."""
    from core.pipeline.plan import story_of

    story = project.takes.head("story", branch)
    if story is not None:
        for i, s in enumerate(story_of(story).scenes, start=1):
            if s.scene_id == scene_id:
                return f"Scene {i}"
    return f"The scene with id {scene_id}"


def chain_part(project: Project, scene_id: int, branch: str | None = None) -> Take:
    """The head of `after/<id>`: which scene comes before this one. A project made before scenes had these links
    gets them here, from its story (the in-place migration: nothing else about the project changes)."""
    return _synced_part(project, f"after/{scene_id}", scene_id, branch)


def lines_part(project: Project, scene_id: int, branch: str | None = None) -> Take:
    """The head of `lines/<id>`: the scene's lines (made on first use in a project planned before lines)."""
    return _synced_part(project, f"lines/{scene_id}", scene_id, branch)


def voice_part(project: Project, speaker: str, branch: str | None = None) -> Take:
    """The head of `voice/<speaker>` (made on first use in a project planned before voices)."""
    return _synced_part(project, f"voice/{speaker}", None, branch,
                        missing=f"{speaker} is not in the story's cast; check the lines of the scene.")


def motion_part(project: Project, scene_id: int, branch: str | None = None) -> Take:
    """The head of `motion/<id>`: the clip's own motion prompt and camera (made on first use, like the links)."""
    return _synced_part(project, f"motion/{scene_id}", scene_id, branch)


def _synced_part(project: Project, slot: str, scene_id: int | None, branch: str | None,
                 missing: str | None = None) -> Take:
    take = project.takes.head(slot, branch)
    if take is None:
        story = project.takes.head("story", branch)
        if story is not None:
            sync_parts(project, story, branch=branch)
            take = project.takes.head(slot, branch)
    if take is None:
        from core.errors import InputError
        raise InputError(missing or f"Scene {scene_id} does not exist in the story; check the shot list.")
    return take


def part(project: Project, slot: str, branch: str | None = None) -> Take:
    from core.errors import InputError

    take = project.takes.head(slot, branch)
    if take is None:
        raise InputError(f"The story has no {slot.replace('/', ' ')}; plan or edit the story first.")
    return take
