"""The CLI's dialogue commands: `voice`, `lines` and `line` (kept apart so `core.cli` does not sprawl).

Same contract as every command (core.cli): progress on stderr, one result line on
stdout, one error line and exit 2 for bad input. Scenes are given by position, as
people count them; lines by their number in the scene, from 1.
"""
from __future__ import annotations

import argparse
import json
import sys

from core.errors import InputError


def add_parsers(sub, parser_class) -> None:
    from core.models import DELIVERIES, VOICES

    v = sub.add_parser("voice", help="give a character (or the Narrator) another voice; only their lines are remade")
    v.add_argument("speaker", help="a character's name, or Narrator")
    v.add_argument("voice", choices=VOICES)
    v.add_argument("--project", required=True)
    v.add_argument("--preview", metavar="FILE", help="only write a sample of SPEAKER in VOICE to FILE (nothing "
                                                      "changes); its extension is set by the provider (.wav, .mp3)")
    v.add_argument("--provider", default=None, help="for --preview (default: the project's)")

    ls = sub.add_parser("lines", help="every line of the story: speaker, voice, take, and its cue in the cut")
    ls.add_argument("--project", required=True)
    ls.add_argument("--json", action="store_true")

    ln = sub.add_parser("line", help="set, remove or regenerate one line of a scene")
    lsub = ln.add_subparsers(dest="line_command", required=True, parser_class=parser_class)
    st = lsub.add_parser("set", help="write line K of scene N (K = one more than the scene has: a new line)")
    rm = lsub.add_parser("remove", help="remove line K of scene N")
    rg = lsub.add_parser("regenerate", help="a new take of line K of scene N, then a new cut")
    for p in (st, rm, rg):
        p.add_argument("--project", required=True)
        p.add_argument("--scene", type=int, required=True, help="the scene at this position (1 = the first)")
        p.add_argument("--line", type=int, required=True, help="the line's number in the scene (1 = the first)")
    st.add_argument("--text", required=True)
    st.add_argument("--speaker", help="a character of the scene, or Narrator (default: the line's, or Narrator)")
    st.add_argument("--delivery", choices=[d for d in DELIVERIES if d] + ["plain"],
                    help="how it is said (plain: no delivery)")
    rg.add_argument("--provider", default=None)


def _scene(project, position: int):
    from core.pipeline.plan import story_of

    story = project.takes.head("story")
    if story is None:
        raise InputError(f"{project.path} has no story yet; run `make` first.")
    plan = story_of(story)
    if not 1 <= position <= len(plan.scenes):
        raise InputError(f"--scene {position} is out of range: this story has scenes 1 to {len(plan.scenes)}.")
    return plan, plan.at(position)


def cmd_voice(a, ctx) -> int:
    from core.pipeline.edits import set_voice
    from core.pipeline.status import stale_slots

    project = ctx.open(a.project)
    if a.preview:
        return _preview(a, ctx, project)
    before = stale_slots(project)
    set_voice(project, a.speaker, a.voice)
    now = sorted(stale_slots(project) - before)
    print(f"{a.speaker} speaks as {a.voice}; needs regen: {', '.join(now) or 'nothing'} "
          "(`regenerate --stale` or `export` voices them again).", file=sys.stderr)
    return 0


def _preview(a, ctx, project) -> int:
    import shutil
    from pathlib import Path

    out = Path(a.preview).expanduser().resolve()
    if not out.parent.is_dir():
        raise InputError(f"--preview {a.preview}: the folder {out.parent} does not exist.")
    provider = ctx.provider(a.provider or project.setting("provider"))
    asset = ctx.run_job(project, "voice_preview", {"speaker": a.speaker, "voice": a.voice}, provider)["asset"]
    src = project.assets.path(asset)
    dst = out.with_suffix(src.suffix)
    shutil.copyfile(src, dst)
    print(dst)
    return 0


def cmd_lines(a, ctx) -> int:
    from dataclasses import asdict

    from core.pipeline.voices import line_rows

    project = ctx.open(a.project)
    rows = [asdict(r) for r in line_rows(project)]
    cut = project.takes.head("cut")
    cues = {c["slot"]: c for c in ((cut.payload or {}).get("cues", []) if cut else [])}
    for r in rows:
        cue = cues.get(r["slot"])
        r["start"], r["end"] = (cue["start"], cue["end"]) if cue and not r["stale"] else (None, None)
    if a.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        when = f"{r['start']:6.2f}-{r['end']:6.2f}s" if r["start"] is not None else " " * 15
        mark = " needs regen" if r["stale"] else ""
        how = f" ({r['delivery']})" if r["delivery"] else ""
        print(f"scene {r['position']} line {r['line']}  {when}  {r['speaker']} [{r['voice']}]{how}: "
              f"{r['text']}{mark}")
    if not rows:
        print("The story has no lines; add them on the Story page or with `line set`.", file=sys.stderr)
    return 0


def cmd_line(a, ctx) -> int:
    from core.models import NARRATOR
    from core.pipeline.edits import edit_lines

    project = ctx.open(a.project)
    plan, scene = _scene(project, a.scene)
    rows = [line.model_dump() for line in scene.lines]
    if a.line_command == "regenerate":
        if not 1 <= a.line <= len(rows):
            raise InputError(f"--line {a.line} is out of range: scene {a.scene} has lines 1 to {len(rows)}."
                             if rows else f"Scene {a.scene} has no lines.")
        provider = ctx.provider(a.provider or project.setting("provider"))
        result = ctx.run_job(project, "line", {"scene": scene.scene_id, "line": a.line}, provider)
        print(result["path"])
        return 0
    if not 1 <= a.line <= len(rows) + (a.line_command == "set"):
        raise InputError(f"--line {a.line} is out of range: scene {a.scene} has lines 1 to {len(rows)}"
                         + (f" (or {len(rows) + 1} for a new line)." if a.line_command == "set" else "."))
    if a.line_command == "remove":
        rows.pop(a.line - 1)
        done = f"Removed line {a.line} of scene {a.scene}"
    else:
        old = rows[a.line - 1] if a.line <= len(rows) else {"speaker": NARRATOR, "delivery": ""}
        delivery = old["delivery"] if a.delivery is None else ("" if a.delivery == "plain" else a.delivery)
        new = {"speaker": a.speaker or old["speaker"], "text": a.text, "delivery": delivery}
        if a.line <= len(rows):
            rows[a.line - 1] = new
        else:
            rows.append(new)
        done = f"Line {a.line} of scene {a.scene} set"
    story = edit_lines(project, scene.scene_id, rows)
    from core.pipeline.plan import story_of

    seconds = story_of(story).scene(scene.scene_id).duration_seconds
    print(f"{done}; the scene lasts {seconds} s. `export` voices what changed.", file=sys.stderr)
    return 0


COMMANDS = {"voice": cmd_voice, "lines": cmd_lines, "line": cmd_line}

