"""The CLI's library commands (kept apart so `core.cli` does not sprawl): `library` lists and searches takes;
`character save|list` keeps characters in the workspace's character library; `cast` brings one into a project.

Same contract as every command (core.cli): one error line and exit 2 for bad
input; the listing on stdout, one take a line, or a JSON list with --json.
"""
from __future__ import annotations

import json
import sys

from core.errors import InputError


def add_parsers(sub, parser_class) -> None:
    from core.library import SORTS
    from core.store.tags import TAGS

    lb = sub.add_parser("library", help="list and search every take: prompts, instructions, lines, notes, tags")
    lb.add_argument("query", nargs="?", default="", help="words to find (each as a prefix, all required)")
    lb.add_argument("--project", required=True)
    lb.add_argument("--all-projects", action="store_true", help="search every project in the project's workspace")
    lb.add_argument("--kind", help="keyframe, clip, sheet, line, cut, story, ...")
    lb.add_argument("--tag", choices=TAGS)
    lb.add_argument("--branch", help="only takes that are a head of this branch")
    lb.add_argument("--unused", action="store_true", help="only takes no branch uses")
    lb.add_argument("--over", type=float, metavar="USD", help="only takes that cost more than this")
    lb.add_argument("--sort", choices=list(SORTS), default="newest")
    lb.add_argument("--limit", type=int, default=200, help="at most this many (default 200; 0: all)")
    lb.add_argument("--json", action="store_true")

    ch = sub.add_parser("character", help="the workspace's character library: save a character, list those saved")
    csub = ch.add_subparsers(dest="character_command", required=True, parser_class=parser_class)
    cs = csub.add_parser("save", help="save a character of the project (description, photo, sheet, voice)")
    cs.add_argument("name")
    cs.add_argument("--project", required=True)
    cs.add_argument("--tag", action="append", default=[], help="a word to find it by (repeatable)")
    cl = csub.add_parser("list", help="the characters saved in the workspace")
    cl.add_argument("--json", action="store_true")

    ca = sub.add_parser("cast", help="cast a saved character into a project: its sheet is re-used, not made again")
    ca.add_argument("--project", required=True)
    ca.add_argument("--from", dest="source", required=True, metavar="LIBRARY_NAME",
                    help="the saved character (see `character list`)")


def cmd_library(a, ctx) -> int:
    from core.library import items, workspace_items
    from core.projects import list_projects

    if a.limit < 0:
        raise InputError(f"--limit {a.limit}: give 0 (all) or more.")
    project = ctx.open(a.project)
    filters = dict(query=a.query, kind=a.kind, tag=a.tag, branch=a.branch, unused=a.unused, over=a.over,
                   sort=a.sort, limit=a.limit or None)
    if a.branch and not a.all_projects and a.branch not in project.takes.branches():
        raise InputError(f"--branch {a.branch}: this project has branches {', '.join(project.takes.branches())}.")
    if a.all_projects:
        paths = [p.path for p in list_projects(project.path.parent)]
        found = workspace_items(paths if project.path in paths else [project.path, *paths], **filters)
    else:
        found = items(project, **filters)
    if a.json:
        print(json.dumps([i.as_dict() for i in found], indent=2))
        return 0
    for i in found:
        what = f"{i.width}x{i.height}" if i.width else f"{i.duration:.1f}s" if i.duration else ""
        where = f"{i.project}: " if a.all_projects else ""
        use = ",".join(i.branches) or "unused"
        tags = f" [{' '.join(i.tags)}]" if i.tags else ""
        print(f"{where}#{i.take} {i.slot} {what} ${i.cost_usd:.3f} {use}{tags} {i.text[:70]}".replace("  ", " "))
    print(f"{len(found)} take{'s' * (len(found) != 1)}" + (f" matching {a.query!r}" if a.query else ""),
          file=sys.stderr)
    return 0


def cmd_character(a, ctx) -> int:
    from core.pipeline import cast

    if a.character_command == "save":
        saved = cast.save(ctx.open(a.project), a.name, tags=a.tag)
        print(f"Saved {saved.name} to the character library as {saved.key!r}.", file=sys.stderr)
        print(saved.folder)
        return 0
    found = cast.listed()
    if a.json:
        print(json.dumps([{**s.as_dict(), "key": s.key} for s in found], indent=2))
        return 0
    for s in found:
        tags = f" [{' '.join(s.tags)}]" if s.tags else ""
        print(f"{s.key}: {s.name}, {s.role or 'no role'}; voice {s.voice or 'not set'}; from "
              f"{s.origin.get('project', '?')}{tags}")
    print(f"{len(found)} character{'s' * (len(found) != 1)} in the library", file=sys.stderr)
    return 0


def cmd_cast(a, ctx) -> int:
    from core.pipeline import cast

    done = cast.cast(ctx.open(a.project), a.source)
    if done["pending"]:
        print(f"{done['name']}'s photo is in the project; the rest joins the story when it is planned.",
              file=sys.stderr)
    else:
        print(f"Cast {done['name']}: the sheet is take {done['sheet']} (re-used, kept)"
              + ("; add them to scenes on the Shooting page." if done.get("joined") else "."), file=sys.stderr)
    print(done["name"])
    return 0


COMMANDS = {"library": cmd_library, "character": cmd_character, "cast": cmd_cast}
