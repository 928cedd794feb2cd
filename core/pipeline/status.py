"""The state of a branch at a glance: every slot, its head, its takes, whether it is stale.

This is what `status --json` prints and what the pages read. Slots the story
calls for but that have no take yet are listed too (head None), so a
half-finished project shows what is missing.
"""
from __future__ import annotations

from core.pipeline import gates
from core.pipeline.cut import export_path
from core.pipeline.parts import parts_of
from core.pipeline.plan import story_of
from core.store import Project


def planned_slots(project: Project, branch: str) -> list[str]:
    heads = project.takes.head_ids(branch)
    slots = ["story"]
    story = project.takes.head("story", branch)
    if story is not None:
        plan = story_of(story)
        slots += list(parts_of(plan))
    slots += sorted(s for s in heads if s.startswith("reference/"))
    if story is not None:
        slots += [f"sheet/{c.name}" for c in plan.characters]
        slots += [f"keyframe/{s.scene_id}" for s in plan.scenes]
        slots += [f"clip/{s.scene_id}" for s in plan.scenes]
        slots += [f"line/{s.scene_id}/{n}" for s in plan.scenes for n in range(1, len(s.lines) + 1)]
        slots += ["script", "cut"]
    extra = sorted(s for s in heads if s not in slots)  # e.g. the sheet of a character edited out of the story
    return slots + extra


def status(project: Project, branch: str | None = None) -> dict:
    branch = branch or project.branch
    heads = project.takes.heads(branch)
    # "stale" is "needs regen": a take made from inputs that moved, or a sheet, keyframe or clip not made yet.
    stale = stale_slots(project, branch, heads) | missing_media(project, branch)
    counts = project.takes.counts()
    tags = project.tags.by_take()
    overrides = project.tags.overrides()
    slots = []
    for slot in planned_slots(project, branch):
        take = heads.get(slot)
        slots.append({
            "slot": slot,
            "head": take.id if take else None,
            "asset": take.asset if take else None,
            "takes": counts.get(slot, 0),
            "stale": slot in stale,
            "score": take.score if take else None,
            # Face-identity distance to each character's photo, for sheets and keyframes (core.pipeline.likeness).
            "likeness": (take.payload.get("likeness") or None) if take and isinstance(take.payload, dict) else None,
            "origin": take.origin if take else None,
            "tags": tags.get(take.id, []) if take else [],  # "keep": no automatic step replaces this head
            "override": overrides.get(take.id) if take else None,  # Accept anyway: score, source, when
        })
    by_slot = project.calls.by_slot()
    scenes = sorted({int(s.split("/")[1]) for s in by_slot if s and s.startswith(("keyframe/", "clip/"))})
    costs = {
        "project": project.calls.totals()["cost_usd"],
        "scenes": {str(n): round(sum(by_slot.get(f"{k}/{n}", {}).get("cost_usd", 0.0) for k in ("keyframe", "clip")),
                                 4) for n in scenes},
        "jobs": {str(j): v["cost_usd"] for j, v in project.calls.by_job().items()},
    }
    cut = heads.get("cut")
    cut_path = export_path(project, cut, branch) if cut else None
    story = heads.get("story")
    return {
        "project": str(project.path),
        "branch": branch,
        "branches": project.takes.branches(),
        "title": story_of(story).title if story else None,
        # What the plan check repaired or kept in the story (and the planner was asked again about), one line each.
        "plan_notes": list((story.payload or {}).get("notes", [])) if story else [],
        # The film's order: position (what --scene counts) -> the scene's stable id (what its slots are named by).
        "scenes": [{"position": i, "id": s.scene_id, "title": s.title, "seconds": s.duration_seconds,
                    "lines": [line.model_dump() for line in s.lines]}
                   for i, s in enumerate(story_of(story).scenes, start=1)] if story else [],
        # Who speaks with which voice (each a part, `voice/<name>`), and where each line sits in the current cut.
        "voices": {slot.split("/", 1)[1]: t.payload["voice"] for slot, t in heads.items()
                   if slot.startswith("voice/")},
        "cues": list((heads["cut"].payload or {}).get("cues", [])) if "cut" in heads else [],
        "cut_notes": list((heads["cut"].payload or {}).get("notes", [])) if "cut" in heads else [],
        "slots": slots,
        "calls": {**project.calls.totals(), "by_slot": by_slot},
        "tags": {str(t): v for t, v in tags.items()},  # every tagged take of the project, head or not
        "overrides": {str(t): v for t, v in overrides.items()},
        "costs": costs,
        "cut": {"path": str(cut_path) if cut_path and cut_path.exists() else None,
                "asset": cut.asset if cut else None, "take": cut.id if cut else None},
        # Renders bought and not yet collected (the run waiting for them stopped); the next run collects them.
        "renders_waiting": project.calls.waiting(),
        # Review gates: the mode, what is approved, and the stage a run waits at for approval (None if none).
        **gates.summary(project, branch),
    }


MEDIA_KINDS = ("sheet/", "keyframe/", "clip/")


def missing_media(project: Project, branch: str | None = None) -> set[str]:
    """Sheets, keyframes and clips the story calls for that have no take yet (a new scene's, say)."""
    heads = project.takes.head_ids(branch)
    return {s for s in planned_slots(project, branch or project.branch)
            if s.startswith(MEDIA_KINDS) and s not in heads}


def stale_slots(project: Project, branch: str | None = None, heads: dict | None = None) -> set[str]:
    """The slots whose head was made from inputs that have since moved ("needs regen")."""
    heads = heads if heads is not None else project.takes.heads(branch)
    ids = {s: t.id for s, t in heads.items()}
    return {s for s, t in heads.items() if project.takes.stale(t, ids)}
