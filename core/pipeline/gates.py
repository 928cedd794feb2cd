"""Review gates: a run in review mode stops after the plan, the sheets, the keyframes and the clips.

Why: each stage costs more than the one before it, so a person should see the plan
before paying for pictures, the sheets before keyframes, the keyframes before video.
In review mode the run raises `GateReached` at the first stage that is not approved;
the job runner records the job as `waiting` (a durable state: it survives a restart)
and the same job continues when the person approves. Nothing downstream of an
unapproved stage is paid for, because the run never gets there.

An approval pins what was approved: the story take for the plan (with its edits and
refinements, as `edits.is_approved` has it), and for the other stages the asset of
every slot of the stage. A stage whose pictures change after approval (a regenerated
sheet, an edited keyframe) needs approving again. In auto mode (the CLI's default,
and what a project made before gates existed is) a run approves each stage as it
finishes it, so a film made that way counts as approved everywhere.

The mode is the project setting `review` ("review" or "auto"); a run can override it
(`make --review`). Projects created in the app start in review mode.
"""
from __future__ import annotations

from core.pipeline.edits import approve_story, is_approved
from core.pipeline.plan import story_of
from core.store import Project

STAGES = ("plan", "sheets", "keyframes", "clips")
WHERE = {"plan": "the Story page", "sheets": "the Design page", "keyframes": "the Shooting page",
         "clips": "the Generate page", "reuse": "any page (the sidebar asks)"}
NAMES = {"plan": "the plan", "sheets": "the sheets", "keyframes": "the keyframes", "clips": "the clips",
         "reuse": "a re-use offer"}
REUSE = "reuse"  # not a stage: a run in `ask` mode waits here for the answer to a re-use offer (core.pipeline.reuse)


class GateReached(Exception):
    """Not a failure: the run waits here for the person's approval of `stage`."""

    def __init__(self, stage: str):
        self.stage = stage
        super().__init__(waiting_message(stage))


def waiting_message(stage: str) -> str:
    if stage == REUSE:
        return ("Waiting for your answer to a re-use offer: take it or make a new one in the sidebar "
                "(CLI: run with --reuse auto or --reuse never).")
    return (f"Waiting for your approval of {NAMES[stage]}: review {'it' if stage == 'plan' else 'them'} on "
            f"{WHERE[stage]}, then Approve and continue (CLI: dailies approve --project DIR).")


def review_mode(project: Project) -> bool:
    return project.setting("review") == "review"


def set_review_mode(project: Project, review: bool) -> None:
    project.set_setting("review", "review" if review else "auto")


def stage_slots(project: Project, stage: str, branch: str | None = None) -> list[str]:
    story = project.takes.head("story", branch)
    if story is None:
        return []
    plan = story_of(story)
    return {"plan": ["story"], "sheets": [f"sheet/{c.name}" for c in plan.characters],
            "keyframes": [f"keyframe/{s.scene_id}" for s in plan.scenes],
            "clips": [f"clip/{s.scene_id}" for s in plan.scenes]}[stage]


def _pinned(project: Project, stage: str, branch: str) -> dict[str, str | None]:
    heads = project.takes.heads(branch)
    return {s: heads[s].asset if s in heads else None for s in stage_slots(project, stage, branch)}


def approve(project: Project, stage: str, branch: str | None = None) -> None:
    branch = branch or project.branch
    if stage == REUSE:  # the answer is stored with the offer (reuse.decide); continuing the run is all
        return
    if stage == "plan":
        approve_story(project, branch=branch)
        return
    gates = project.setting(f"gates/{branch}") or {}
    project.set_setting(f"gates/{branch}", {**gates, stage: _pinned(project, stage, branch)})


def approved(project: Project, stage: str, branch: str | None = None) -> bool:
    branch = branch or project.branch
    if stage == "plan":
        return is_approved(project, branch)
    pinned = (project.setting(f"gates/{branch}") or {}).get(stage)
    now = _pinned(project, stage, branch)
    return pinned is not None and pinned == now and None not in now.values()


def below_bar(project: Project, stage: str, branch: str | None = None) -> list[str]:
    """The slots of a stage whose take failed its check (best score under the bar) and was not accepted anyway:
    a person approving the stage fixes them or accepts them first."""
    from core.pipeline.context import SCORE_THRESHOLD

    heads = project.takes.heads(branch or project.branch)
    out = []
    for slot in stage_slots(project, stage, branch) if stage in STAGES[1:] else []:
        take = heads.get(slot)
        if take is not None and take.score is not None and take.score < SCORE_THRESHOLD \
                and project.tags.override(take.id) is None:
            out.append(f"{slot} (score {take.score:.2f})")
    return out


def gate(project: Project, stage: str, *, review: bool, branch: str | None = None) -> None:
    """At the end of `stage`: in review mode stop unless it is approved; in auto mode approve it."""
    if review:
        if not approved(project, stage, branch):
            raise GateReached(stage)
    else:
        approve(project, stage, branch)


def summary(project: Project, branch: str | None = None) -> dict:
    """For status --json: the mode, each stage's approval and the stage a run waits at (or None)."""
    branch = branch or project.branch
    waiting = project.jobs.waiting_jobs(branch)
    return {"review": "review" if review_mode(project) else "auto",
            "gates": {s: approved(project, s, branch) for s in STAGES},
            "waiting": waiting[0]["waiting"] if waiting else None,
            "waiting_job": waiting[0]["id"] if waiting else None}
