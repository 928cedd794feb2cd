"""Step 4 — script: a readable storyboard (`script.md`) from the plan and keyframes.

Plain Python, no provider. The markdown links each keyframe by its asset path
relative to the project folder, so it reads well in any viewer; the file is also
written as `script.md` at the project root for people who browse the folder.
"""
from __future__ import annotations

from core.pipeline.context import Context, StepResult
from core.pipeline.plan import story_of
from core.store import Take


def render_script(ctx: Context, story: Take, keyframes: dict[int, Take]) -> str:
    plan = story_of(story)
    lines = [f"# {plan.title}", "", f"*{plan.logline}*", "", f"Style: {plan.style} · Aspect ratio {plan.aspect_ratio}"
             f" · Palette {' '.join(plan.palette)}", "", "## Characters", ""]
    for c in plan.characters:
        lines += [f"### {c.name} — {c.role}", "", c.visual_description, "",
                  f"Personality: {', '.join(c.personality_cues)}", ""]
    lines += ["## Scenes", ""]
    total = 0
    for position, s in enumerate(plan.scenes, start=1):
        total += s.duration_seconds
        lines += [f"### {position}. {s.title} ({s.duration_seconds}s, then {s.transition})", ""]
        kf = keyframes.get(s.scene_id)
        if kf is not None and kf.asset:
            rel = ctx.project.assets.path(kf.asset).relative_to(ctx.project.path).as_posix()
            lines += [f"![Keyframe {position}]({rel})", ""]
        lines += [f"- **Setting:** {s.setting}", f"- **Camera:** {s.camera}", f"- **Mood:** {s.mood}",
                  f"- **Action:** {s.action}", f"- **Characters:** {', '.join(s.characters_present) or '—'}", ""]
        if s.description:
            lines += [s.description, ""]
    lines += [f"Running time: {total}s over {len(plan.scenes)} scenes.", ""]
    return "\n".join(lines)


def write_script(ctx: Context, story: Take) -> Take:
    plan = story_of(story)
    keyframes = {s.scene_id: ctx.project.takes.head(f"keyframe/{s.scene_id}", ctx.branch) for s in plan.scenes}
    keyframes = {n: t for n, t in keyframes.items() if t is not None}
    inputs = {"story": story.id, **{f"keyframe/{n}": t.id for n, t in keyframes.items()}}
    recipe = {"step": "script", "story": story.payload, "keyframes": {str(n): t.asset for n, t in keyframes.items()}}

    def make(_variant: int) -> StepResult:
        text = render_script(ctx, story, keyframes)
        return StepResult(asset=ctx.project.assets.put(text.encode(), "md"), payload={"scenes": len(plan.scenes)})

    take = ctx.produce("script", recipe_of=recipe, inputs=inputs, make=make)
    (ctx.project.path / "script.md").write_bytes(ctx.project.assets.read(take.asset))
    ctx.job.step_done("Script written")
    return take
