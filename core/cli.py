"""`python -m core` (also `dailies`): the same core, headless.

The contract tests, benchmarks and people rely on: progress goes to stderr,
the one result (the exported MP4's path) is the last line of stdout, and bad
input is one clear line on stderr with exit code 2 — never a traceback.
Exit code 1 means the work itself failed (the message says which step).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from types import SimpleNamespace

from core import cli_library, cli_voices, jobs
from core.config import project_path
from core.errors import ConfigError, DailiesError, InputError

EXIT_FAILED, EXIT_BAD_INPUT = 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        raise InputError(f"{message} (see `python -m core {self.prog.split()[-1]} --help`)"
                         if " " in self.prog else f"{message} (see `python -m core --help`)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="dailies", description="Dailies: a one-line concept to a finished film.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    m = sub.add_parser("make", help="plan and make the whole film, then export it")
    m.add_argument("concept", help="the story in one line")
    m.add_argument("--project", required=True, help="project folder (created if missing)")
    m.add_argument("--ref", action="append", default=[], metavar="NAME=PATH",
                   help="a reference photo for a character (repeatable)")
    m.add_argument("--scenes", type=int, help="number of scenes (1-24)")
    m.add_argument("--style", help="art style, e.g. 'watercolour storybook'")
    m.add_argument("--provider", default=None, help="offline or xai (default: xai when XAI_API_KEY is set)")
    m.add_argument("--review", action="store_true",
                   help="stop after the plan, the sheets, the keyframes and the clips until each is approved "
                        "(`approve` continues); without it everything is made and approved in one go")
    _model_option(m)
    _reuse_option(m)
    _likeness_option(m)

    ap = sub.add_parser("approve", help="approve what a --review run waits for and continue it to the next stop")
    ap.add_argument("--project", required=True)

    r = sub.add_parser("regenerate", help="new keyframe and clip for one scene (or everything stale), then a new cut")
    r.add_argument("--project", required=True)
    which = r.add_mutually_exclusive_group(required=True)
    which.add_argument("--scene", type=int, help="the scene at this position (1 = the first)")
    which.add_argument("--stale", action="store_true",
                       help="what status lists as needing regen, and nothing the run itself makes stale")
    r.add_argument("--provider", default=None)
    _model_option(r)
    _reuse_option(r)
    _likeness_option(r)

    sc = sub.add_parser("scene", help="re-cut: insert, move, remove or duplicate a scene; its takes go with it")
    ssub = sc.add_subparsers(dest="scene_command", required=True, parser_class=_Parser)
    si = ssub.add_parser("insert", help="a new scene after position N (0 = at the start)")
    si.add_argument("--project", required=True)
    si.add_argument("--after", type=int, required=True)
    si.add_argument("--title")
    si.add_argument("--setting")
    si.add_argument("--action")
    si.add_argument("--camera")
    si.add_argument("--seconds", type=int)
    si.add_argument("--characters", help="comma separated names (default: those of the scene before)")
    sm = ssub.add_parser("move", help="move the scene at position N to position M")
    sm.add_argument("position", type=int)
    sm.add_argument("--to", type=int, required=True)
    sm.add_argument("--project", required=True)
    for name, text in (("remove", "remove the scene at position N (its takes are kept; undo puts it back)"),
                       ("duplicate", "a copy of the scene at position N, right after it"),
                       ("split", "two scenes from the one at position N, its lines shared between them")):
        sp = ssub.add_parser(name, help=text)
        sp.add_argument("position", type=int)
        sp.add_argument("--project", required=True)

    e = sub.add_parser("export", help="export the current cut to an MP4 file (and its .srt and .vtt beside it)")
    e.add_argument("--project", required=True)
    e.add_argument("--out", help="destination .mp4 (default: the project's exports/ folder)")
    e.add_argument("--stems", metavar="DIR", help="also write the dialogue, music and effects as WAV files into DIR")
    e.add_argument("--otio", metavar="FILE", help="also hand the cut to an editor: FILE.otio (OpenTimelineIO), "
                   ".xml (Final Cut Pro 7 XML: Resolve, Premiere) or .edl (CMX 3600), its media in FILE-media/")
    _export_options(e)

    cli_voices.add_parsers(sub, _Parser)
    cli_library.add_parsers(sub, _Parser)

    s = sub.add_parser("status", help="heads, takes, staleness, calls and cost of the current branch")
    s.add_argument("--project", required=True)
    s.add_argument("--json", action="store_true")

    b = sub.add_parser("branch", help="fork the current branch and switch to it")
    b.add_argument("name")
    b.add_argument("--project", required=True)

    sw = sub.add_parser("switch", help="switch to another branch")
    sw.add_argument("name")
    sw.add_argument("--project", required=True)

    u = sub.add_parser("undo", help="put back the last group of head moves on this branch")
    u.add_argument("--project", required=True)

    j = sub.add_parser("jobs", help="recent jobs of the project")
    j.add_argument("--project", required=True)

    bd = sub.add_parser("bundle", help="export or import a project as a portable .zip")
    bsub = bd.add_subparsers(dest="bundle_command", required=True, parser_class=_Parser)
    be = bsub.add_parser("export", help="write the project (or one branch) to a .zip")
    be.add_argument("--project", required=True)
    be.add_argument("--out", required=True, help="destination .zip")
    be.add_argument("--branch", help="only this branch (default: every branch)")
    bi = bsub.add_parser("import", help="make a new project from a .zip")
    bi.add_argument("bundle", help="the .zip to import")
    bi.add_argument("--project", required=True, help="the new project's folder (must not exist)")

    ed = sub.add_parser("edit", help="change a sheet or keyframe as words say, whole or only inside a region")
    ed.add_argument("instruction", help='e.g. "make the coat red", "brighter", "zoom in"')
    ed.add_argument("--project", required=True)
    ed.add_argument("--slot", required=True, help="sheet/NAME or keyframe/<scene id> (status lists them)")
    where = ed.add_mutually_exclusive_group()
    where.add_argument("--box", help="only inside this rectangle: X,Y,W,H in the picture's pixels")
    where.add_argument("--mask", help="only where this PNG is white (scaled to the picture)")
    ed.add_argument("--provider", default=None)

    ac = sub.add_parser("accept", help="accept a take whose check scored below the bar (records an override)")
    ac.add_argument("--project", required=True)
    ac.add_argument("--slot", required=True, help="e.g. sheet/Ada, keyframe/2, clip/2 (its head is accepted)")

    fx = sub.add_parser("fix", help="one more attempt at a take that failed its check, told what the check found")
    fx.add_argument("--project", required=True)
    fx.add_argument("--slot", required=True)
    fx.add_argument("--provider", default=None)

    mo = sub.add_parser("motion", help="change how one scene's clip moves and make only that clip again")
    mo.add_argument("prompt", nargs="?", default="", help="a motion-only prompt (empty: from camera and action)")
    mo.add_argument("--project", required=True)
    mo.add_argument("--scene", type=int, required=True, help="the scene at this position")
    mo.add_argument("--camera", help="the clip's camera move, e.g. 'slow push in'")
    mo.add_argument("--provider", default=None)

    lk = sub.add_parser("look", help="the style lock: one art-direction image for every sheet and keyframe")
    lk.add_argument("--project", required=True)
    which_look = lk.add_mutually_exclusive_group(required=True)
    which_look.add_argument("--reference", help="an image file (JPEG, PNG, WebP)")
    which_look.add_argument("--take", type=int, help="any still take of the project")
    which_look.add_argument("--clear", action="store_true", help="no style lock")

    tg = sub.add_parser("tag", help="tag a take keep, love, hate or rewrite (keep: no automatic step replaces it; "
                                    "hate: none makes it head)")
    tg.add_argument("--project", required=True)
    tg.add_argument("--take", type=int, required=True)
    tg.add_argument("tag", choices=["keep", "love", "hate", "rewrite"])
    tg.add_argument("--remove", action="store_true", help="take the tag off")

    v = sub.add_parser("verify", help="re-hash every asset and report what changed or is missing")
    v.add_argument("--project", required=True)

    rs = sub.add_parser("resume", help="resume an interrupted, failed or cancelled job")
    rs.add_argument("job", type=int)
    rs.add_argument("--project", required=True)
    return p


def _export_options(p: argparse.ArgumentParser) -> None:
    """One flag per export option, read off ExportSettings (the Generate page builds its widgets the same way)."""
    from core.render.timeline import options

    for o in options():
        if o.kind == "flag":
            p.add_argument(o.flag, action=argparse.BooleanOptionalAction, default=None, help=o.help)
        elif o.kind == "choice":
            p.add_argument(o.flag, choices=[c for c in o.choices if c is not None], help=o.help)
        elif o.kind == "number":
            p.add_argument(o.flag, type=float, help=o.help)
        else:  # text, audio (a file path)
            p.add_argument(o.flag, help=o.help)


def _model_option(p: argparse.ArgumentParser) -> None:
    from core.providers.xai_catalog import ROLES

    p.add_argument("--model", action="append", default=[], metavar="ROLE=NAME",
                   help=f"use this model for one role in this run (repeatable; roles: {', '.join(ROLES)})")


def _models(specs: list[str], provider: str) -> dict[str, str]:
    """--model ROLE=NAME, checked: a known role, a name, a provider that has models to choose."""
    from core.providers.xai_catalog import ROLES

    models: dict[str, str] = {}
    for spec in specs:
        role, sep, name = spec.partition("=")
        role, name = role.strip(), name.strip()
        if not sep or not name or role not in ROLES:
            raise InputError(f"--model {spec!r} is not ROLE=NAME with ROLE one of {', '.join(ROLES)}, "
                             "e.g. --model plan=grok-4.20-non-reasoning")
        models[role] = name
    if models and provider == "offline":
        raise InputError("--model does not apply to the offline provider: its models are built in.")
    return models


def progress(fraction: float, message: str) -> None:
    print(f"[{fraction * 100:3.0f}%] {message}", file=sys.stderr, flush=True)


def _read_refs(specs: list[str]) -> list[tuple[str, bytes, str]]:
    from core import media

    refs = []
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise InputError(f"--ref {spec!r} is not NAME=PATH, e.g. --ref Fox=fox.jpg")
        p = Path(path).expanduser()
        if not p.is_file():
            raise InputError(f"Reference photo for {name}: {p} does not exist or is not a file.")
        try:
            data = p.read_bytes()
        except OSError as err:
            raise InputError(f"Reference photo for {name}: cannot read {p} ({err.strerror}).") from None
        media.image_info(data, name=str(p))
        refs.append((name.strip(), data, p.name))
    return refs


def _provider(name: str | None) -> str:
    from core.providers import default_provider_name, get_provider

    name = name or default_provider_name()
    get_provider(name)  # unknown name or missing key: one clear line, before any work
    return name


def _preflight(name: str, project, models: dict[str, str], **shape) -> None:
    """Before a paid run: the key is accepted, the models exist (a retired or missing one exits 2 here, before any
    paid call) and the estimated cost is shown."""
    from core.pipeline.costs import estimate_run
    from core.providers import get_provider

    provider = get_provider(name, models={**(project.setting(f"models/{name}") or {}), **models} or None)
    provider.preflight()
    est = estimate_run(provider, project=project, **shape)["total_usd"]
    if not est:
        return  # free: nothing to tell
    cap = project.setting("budget_usd")
    spent = project.calls.totals()["cost_usd"]
    note = f"; budget cap ${cap:.2f}, ${spent:.2f} spent" if cap else ""
    print(f"{name}: key accepted; a full run costs about ${est:.2f} (finished steps are free){note}",
          file=sys.stderr)


def _open(path_arg: str, *, create: bool = False):
    from core.store import Project

    return Project.open(project_path(path_arg), create=create)


def _run_job(project, kind: str, params: dict, provider: str, resumed_from: int | None = None,
             models: dict[str, str] | None = None) -> dict:
    job_id = jobs.submit(project, kind, params, provider=provider, resumed_from=resumed_from, background=False,
                         on_report=progress, models=models, on_offer=_answer_offer)
    return _result(project, job_id)


def _reuse_option(p) -> None:
    from core.pipeline.reuse import POLICIES

    p.add_argument("--reuse", choices=POLICIES, default=None,
                   help="before paying for a sheet, keyframe or clip, re-use a close take of another project "
                        "of the workspace: ask (at the terminal; the default), auto, or never")


def _likeness_option(p) -> None:
    p.add_argument("--likeness-gate", choices=("on", "off"), default=None,
                   help="skip the paid vision check when a face is clearly someone else's and retry at once "
                        "(kept as the project's setting; on by default)")


def _apply_likeness_gate(project, a) -> None:
    from core.pipeline import likeness

    if getattr(a, "likeness_gate", None):
        likeness.set_gate(project, a.likeness_gate == "on")


def _answer_offer(offer) -> bool:
    """A re-use offer asked at the terminal; with no terminal to ask, said and not taken."""
    said = offer.describe()
    if not sys.stdin.isatty():
        print(f"offer: {said} (not taken: no terminal to ask; --reuse auto takes offers)", file=sys.stderr)
        return False
    sys.stderr.write(f"{said[0].upper()}{said[1:]}? [Y/n] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("", "y", "yes")


def _result(project, job_id: int) -> dict:
    """The job's result; a run that stopped at a review gate says so on stderr and gives {"waiting": stage}."""
    row = jobs.get(project, job_id)
    if row["status"] == "waiting":
        print(row["message"], file=sys.stderr)
        return {"waiting": row["waiting"]}
    if row["status"] != "succeeded":
        if row.get("error_kind") == "input":  # bad input found inside the job (a refused plan): exit 2 as well
            raise InputError(row["error"])
        raise DailiesError(row["message"] or f"Job {job_id} {row['status']}.")
    return row["result"]


def cmd_make(a) -> int:
    from core.pipeline.plan import add_reference, check_scene_count

    concept = " ".join(a.concept.split())
    if not concept:
        raise InputError("The concept is empty: describe the film in one line, e.g. "
                         "\"A curious fox meets a wise owl in an enchanted autumn forest\".")
    check_scene_count(a.scenes)
    refs = _read_refs(a.ref)
    provider = _provider(a.provider)
    models = _models(a.model, provider)
    project = _open(a.project, create=True)
    _preflight(provider, project, models, characters=len(refs) or 2, scenes=a.scenes or 3, has_photos=bool(refs))
    project.set_setting("provider", provider)
    _apply_likeness_gate(project, a)
    for name, data, filename in refs:
        add_reference(project, name, data, filename=filename)
    params = {"concept": concept, "scenes": a.scenes, "style": a.style, "review": a.review,
              **({"reuse": a.reuse} if a.reuse else {})}
    previous = next((j for j in jobs.recent(project, 1) if j["kind"] == "make" and j["status"] == "interrupted"), None)
    if previous:
        print(f"Resuming interrupted job {previous['id']}; finished steps are reused.", file=sys.stderr)
    result = _run_job(project, "make", params, provider, resumed_from=previous["id"] if previous else None,
                      models=models)
    if "path" in result:
        print(result["path"])
    return 0


def cmd_approve(a) -> int:
    project = _open(a.project)
    waiting = project.jobs.waiting_jobs()
    if waiting:
        provider = _provider(waiting[0]["params"].get("provider"))
        _preflight(provider, project, waiting[0]["params"].get("models") or {})
    result = _result(project, jobs.approve(project, background=False, on_report=progress, on_offer=_answer_offer))
    if "path" in result:
        print(result["path"])
    return 0


def cmd_regenerate(a) -> int:
    from core.pipeline.plan import story_of

    project = _open(a.project)
    story = project.takes.head("story")
    if story is None:
        raise InputError(f"{project.path} has no story yet; run `make` first.")
    plan = story_of(story)
    if a.scene is not None and not 1 <= a.scene <= len(plan.scenes):
        raise InputError(f"--scene {a.scene} is out of range: this story has scenes 1 to {len(plan.scenes)}.")
    provider = _provider(a.provider or project.setting("provider"))
    models = _models(a.model, provider)
    _preflight(provider, project, models)
    _apply_likeness_gate(project, a)
    if a.stale:
        result = _run_job(project, "regenerate_stale", {"reuse": a.reuse} if a.reuse else {}, provider,
                          models=models)
        print(f"Regenerated {', '.join(result['regenerated']) or 'nothing but the cut'}.", file=sys.stderr)
    else:  # the job names the scene by its id, so a re-cut while it waits cannot point it at another scene
        result = _run_job(project, "regenerate", {"scene": plan.at(a.scene).scene_id}, provider, models=models)
    print(result["path"])
    return 0


def cmd_scene(a) -> int:
    from core.pipeline import scenes
    from core.pipeline.plan import story_of
    from core.pipeline.status import missing_media, stale_slots

    project = _open(a.project)
    if jobs.active(project):
        raise InputError(f"Project {project.name} is busy with a job; re-cut it when the job is done.")
    before = stale_slots(project) | missing_media(project)
    if a.scene_command == "insert":
        fields = {"title": a.title, "setting": a.setting, "action": a.action, "camera": a.camera,
                  "duration_seconds": a.seconds,
                  "characters_present": [n.strip() for n in a.characters.split(",") if n.strip()]
                  if a.characters is not None else None}
        story = scenes.insert_scene(project, after=a.after, fields=fields)
        done = f"Inserted a scene at position {a.after + 1}"
    elif a.scene_command == "move":
        story = scenes.move_scene(project, a.position, to=a.to)
        done = f"Moved scene {a.position} to {a.to}"
    elif a.scene_command == "remove":
        story = scenes.remove_scene(project, a.position)
        done = f"Removed scene {a.position}"
    elif a.scene_command == "split":
        story = scenes.split_scene(project, a.position)
        done = f"Split scene {a.position} in two"
    else:
        story = scenes.duplicate_scene(project, a.position)
        done = f"Duplicated scene {a.position}"
    order = ", ".join(f"{i}:{s.scene_id}" for i, s in enumerate(story_of(story).scenes, start=1))
    now = sorted((stale_slots(project) | missing_media(project)) - before)
    print(f"{done}. Order (position:id) {order}; needs regen now: {', '.join(now) or 'nothing'}; "
          "`undo` puts it back.", file=sys.stderr)
    return 0


def cmd_export(a) -> int:
    from core.pipeline.music import add_music
    from core.pipeline.run import export_settings
    from core.render.handoff import check_target

    out = Path(a.out).expanduser() if a.out else None
    if out is not None and out.suffix.lower() != ".mp4":
        raise InputError(f"--out {a.out}: the file name must end in .mp4.")
    if out is not None and not out.resolve().parent.is_dir():
        raise InputError(f"--out {a.out}: the folder {out.resolve().parent} does not exist.")
    from core.render.timeline import options

    project = _open(a.project)
    settings = {o.name: getattr(a, o.name) for o in options() if o.kind != "audio" and getattr(a, o.name) is not None}
    if a.music:
        p = Path(a.music).expanduser()
        if not p.is_file():
            raise InputError(f"--music {a.music}: the file does not exist.")
        settings["music"] = add_music(project, p.read_bytes(), filename=p.name)
    export_settings(project, settings)  # refuse a bad combination here, in one line, before the job
    stems = Path(a.stems).expanduser().resolve() if a.stems else None
    if stems is not None and (stems.is_file() or not stems.parent.is_dir()):
        raise InputError(f"--stems {a.stems}: " + ("that is a file; name a folder." if stems.is_file() else
                                                     f"the folder {stems.parent} does not exist."))
    timeline = Path(a.otio).expanduser().resolve() if a.otio else None
    if timeline is not None:
        check_target(timeline)
    result = _run_job(project, "export", {"out": str(out.resolve()) if out else None, "settings": settings,
                                          **({"stems": str(stems)} if stems else {}),
                                          **({"otio": str(timeline)} if timeline else {})},
                      project.setting("provider") or "offline")
    for path in result.get("stems", []):
        print(f"stem: {path}", file=sys.stderr)
    if "handoff" in result:
        print(f"{result['handoff']['format']}: {result['handoff']['path']} (media in {result['handoff']['media']})",
              file=sys.stderr)
    print(result["path"])
    return 0


def cmd_status(a) -> int:
    from core.pipeline.status import status

    st = status(_open(a.project))
    if a.json:
        print(json.dumps(st, indent=2))
        return 0
    print(f"{st['title'] or '(no story yet)'} — branch {st['branch']}")
    for note in st["plan_notes"]:
        print(f"  plan note: {note}")
    for s in st["slots"]:
        mark = "needs regen" if s["stale"] else ("missing" if s["head"] is None else "")
        score = f"{s['score']:.2f}" if s["score"] is not None else ""
        print(f"  {s['slot']:<24} take {s['head'] or '-':<5} takes {s['takes']:<3} {score:<5} {mark}")
    print(f"calls {st['calls']['total']}, cost ${st['calls']['cost_usd']:.2f}; cut: {st['cut']['path'] or '-'}")
    if st["waiting"]:
        print(f"waiting for approval of the {st['waiting']} (job {st['waiting_job']}): `approve` continues it")
    waiting = st["renders_waiting"]
    if waiting:
        print(f"{len(waiting)} render(s) bought and not yet collected ({', '.join(w['slot'] for w in waiting)}); "
              "`make` or `resume` collects them without paying again.")
    return 0


def cmd_branch(a) -> int:
    project = _open(a.project)
    project.takes.fork(a.name)
    print(f"Forked branch {a.name} and switched to it.", file=sys.stderr)
    return 0


def cmd_switch(a) -> int:
    _open(a.project).takes.switch(a.name)
    return 0


def cmd_undo(a) -> int:
    slots = _open(a.project).takes.undo()
    print(f"Undid the last change to {', '.join(slots)}.", file=sys.stderr)
    return 0


def cmd_jobs(a) -> int:
    for j in jobs.recent(_open(a.project)):
        print(f"{j['id']:>4} {j['kind']:<10} {j['status']:<11} {j['progress'] * 100:3.0f}%  {j['message']}")
    return 0


def cmd_resume(a) -> int:
    """The job runner's own resume: its status is checked, and it runs on the job's branch with its parameters."""
    project = _open(a.project)
    row = jobs.get(project, a.job)
    provider = _provider(row["params"].get("provider"))
    _preflight(provider, project, row["params"].get("models") or {})
    result = _result(project, jobs.resume(project, a.job, background=False, on_report=progress))
    if result and "path" in result:
        print(result["path"])
    return 0


def cmd_bundle(a) -> int:
    from core.bundle import export_bundle, import_bundle

    if a.bundle_command == "export":
        path = export_bundle(_open(a.project), Path(a.out).expanduser().resolve(), branch=a.branch)
        print(path)
    else:
        src = Path(a.bundle).expanduser()
        if not src.is_file():
            raise InputError(f"Bundle {src} does not exist or is not a file.")
        project = import_bundle(src.resolve(), project_path(a.project))
        print(project.path)
    return 0


def cmd_edit(a) -> int:
    from core import media
    from core.pipeline.stills import Region

    project = _open(a.project)
    params: dict = {"slot": a.slot, "instruction": a.instruction}
    if a.box:
        params["box"] = list(Region.parse_box(a.box).box)
    if a.mask:
        p = Path(a.mask).expanduser()
        if not p.is_file():
            raise InputError(f"--mask {a.mask}: the file does not exist.")
        data = p.read_bytes()
        ext, _w, _h = media.image_info(data, name=p.name)
        params["mask"] = project.assets.put(data, ext)
    provider = _provider(a.provider or project.setting("provider"))
    _preflight(provider, project, {})
    result = _run_job(project, "edit", params, provider)
    take = project.takes.get(result["take"])
    print(f"{take.slot}: take {take.id}, edited from take {take.parent} ({a.instruction}).", file=sys.stderr)
    print(project.assets.path(take.asset))
    return 0


def cmd_accept(a) -> int:
    project = _open(a.project)
    take = project.takes.head(a.slot)
    if take is None:
        raise InputError(f"{a.slot} has no take to accept; `status` lists the slots.")
    project.tags.accept(take.id, score=take.score, source="cli")
    score = f" (score {take.score:.2f})" if take.score is not None else ""
    print(f"Accepted take {take.id} of {a.slot}{score} anyway.", file=sys.stderr)
    return 0


def cmd_fix(a) -> int:
    project = _open(a.project)
    provider = _provider(a.provider or project.setting("provider"))
    _preflight(provider, project, {})
    result = _run_job(project, "fix", {"slot": a.slot}, provider)
    take = project.takes.get(result["take"])
    score = f"score {take.score:.2f}" if take.score is not None else "no score"
    print(f"{a.slot}: take {take.id}, {score}.", file=sys.stderr)
    return 0


def cmd_motion(a) -> int:
    from core.pipeline import scenes
    from core.pipeline.plan import story_of

    project = _open(a.project)
    if jobs.active(project):
        raise InputError(f"Project {project.name} is busy with a job; change the motion when it is done.")
    story = scenes.set_motion(project, a.scene, motion=a.prompt, camera=a.camera)
    provider = _provider(a.provider or project.setting("provider"))
    _preflight(provider, project, {})
    result = _run_job(project, "clip", {"scene": story_of(story).at(a.scene).scene_id}, provider)
    print(result["path"])
    return 0


def cmd_look(a) -> int:
    from core.pipeline.plan import set_style_lock
    from core.pipeline.status import stale_slots

    project = _open(a.project)
    if a.reference:
        data = _read_file(a.reference, what="--reference")
        asset = set_style_lock(project, data=data, filename=Path(a.reference).name)
    else:
        asset = set_style_lock(project, take=a.take) if a.take else set_style_lock(project)
    now = sorted(s for s in stale_slots(project) if s.startswith(("sheet/", "keyframe/")))
    print(("Style lock cleared" if asset is None else f"Style lock set ({asset[:12]})")
          + (f"; needs regen: {', '.join(now)}." if now else "."), file=sys.stderr)
    return 0


def _read_file(path: str, *, what: str) -> bytes:
    p = Path(path).expanduser()
    if not p.is_file():
        raise InputError(f"{what} {path}: the file does not exist.")
    try:
        return p.read_bytes()
    except OSError as err:
        raise InputError(f"{what} {path}: cannot read it ({err.strerror}).") from None


def cmd_tag(a) -> int:
    project = _open(a.project)
    (project.tags.remove if a.remove else project.tags.add)(a.take, a.tag)
    take = project.takes.get(a.take)
    print(f"Take {a.take} ({take.slot}): {', '.join(project.tags.of(a.take)) or 'no tags'}.", file=sys.stderr)
    return 0


def cmd_verify(a) -> int:
    from core.bundle import verify

    problems = verify(_open(a.project))
    for line in problems:
        print(line)
    print(f"{len(problems)} problem(s) found." if problems else "Every asset matches its hash.", file=sys.stderr)
    return EXIT_FAILED if problems else 0


COMMANDS = {"make": cmd_make, "approve": cmd_approve, "regenerate": cmd_regenerate, "scene": cmd_scene,
            "export": cmd_export,
            "status": cmd_status,
            "branch": cmd_branch, "switch": cmd_switch, "undo": cmd_undo, "jobs": cmd_jobs, "resume": cmd_resume,
            "bundle": cmd_bundle, "verify": cmd_verify, "tag": cmd_tag, "edit": cmd_edit, "accept": cmd_accept,
            "fix": cmd_fix, "look": cmd_look, "motion": cmd_motion,
            **{name: (lambda fn: lambda a: fn(a, _HELPERS))(fn)
               for name, fn in {**cli_voices.COMMANDS, **cli_library.COMMANDS}.items()}}


# What the commands in cli_voices and cli_library borrow from here.
_HELPERS = SimpleNamespace(open=lambda path: _open(path), provider=lambda name: _provider(name),
                           run_job=lambda *args, **kw: _run_job(*args, **kw))


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except (InputError, ConfigError) as err:  # DailiesError's text is one line already
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except DailiesError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("Stopped. Run the same command again to resume; finished steps are kept.", file=sys.stderr)
        return 130
