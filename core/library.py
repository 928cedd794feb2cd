"""The library: every take of a project (or of every project in the workspace), searched, filtered and sorted.

A take is found by the words that made it: its prompt, an edit's instruction, a
line's text, a description, its note and its tags, through the FTS5 index that
the store keeps current with triggers (`take_text`, migration m008). Each row
carries what a person sorts a library by: kind (the slot's first part), size,
dimensions or duration, model, cost, check score, tags, and the branches whose
head it is ("unused" when none).

One query per project, with the tag and head lists grouped once rather than per
row, so 5,000 takes list and search in a few milliseconds (bench/library.py).
A search is every word the person typed, each as a prefix ("light" finds
"lighthouse"), all of them required; punctuation is not syntax here.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

from core.errors import InputError
from core.store import Project

SORTS = {"newest": "t.id DESC", "oldest": "t.id ASC", "cost": "t.cost_usd DESC, t.id DESC",
         "score": "t.score IS NULL, t.score DESC, t.id DESC", "size": "a.bytes IS NULL, a.bytes DESC, t.id DESC"}
# What a take shows as its text, first found wins: the prompt, an edit's instruction, a line, a description.
_SHOWN = ("prompt", "instruction", "text", "concept", "visual_description", "description", "voice", "style", "title")


@dataclass(frozen=True)
class Item:
    project: str               # the project's display name
    project_path: str
    take: int
    slot: str
    kind: str                  # keyframe, clip, sheet, line, cut, story, ...
    origin: str
    asset: str | None
    mime: str | None
    bytes: int | None
    width: int | None
    height: int | None
    duration: float | None
    text: str                  # its prompt (or instruction, line, description)
    model: str | None
    cost_usd: float
    score: float | None
    tags: list[str]
    branches: list[str]        # whose head it is; empty: unused
    note: str | None
    created: str

    def as_dict(self) -> dict:
        return asdict(self)


def match_query(query: str) -> str | None:
    """An FTS5 query for what a person typed: every word, as a prefix, all required (None: no words)."""
    words = re.findall(r"\w+", query or "")
    return " ".join(f'"{w}"*' for w in words) or None


def items(project: Project, *, query: str = "", kind: str | None = None, tag: str | None = None,
          branch: str | None = None, unused: bool = False, over: float | None = None, sort: str = "newest",
          limit: int | None = None) -> list[Item]:
    """The takes of `project` that match, in `sort` order."""
    if sort not in SORTS:
        raise InputError(f"Sort {sort!r} is not one of {', '.join(SORTS)}.")
    where, args = [], []
    match = match_query(query)
    if match:
        where.append("t.id IN (SELECT rowid FROM take_text WHERE take_text MATCH ?)")
        args.append(match)
    if kind:
        where.append("(t.slot = ? OR t.slot LIKE ? || '/%')")
        args += [kind, kind]
    if tag:
        where.append("EXISTS (SELECT 1 FROM tags WHERE take = t.id AND tag = ?)")
        args.append(tag)
    if branch:
        where.append("EXISTS (SELECT 1 FROM heads WHERE take = t.id AND branch = ?)")
        args.append(branch)
    if unused:
        where.append("h.branches IS NULL")
    if over is not None:
        where.append("t.cost_usd > ?")
        args.append(over)
    shown = ", ".join(f"json_extract(t.payload, '$.{k}')" for k in _SHOWN)
    sql = f"""
        SELECT t.id, t.slot, t.origin, t.asset, t.model, t.cost_usd, t.score, t.note, t.created,
               a.mime, a.bytes, a.width, a.height, a.duration, g.tags, h.branches,
               CASE WHEN json_valid(t.payload) THEN coalesce({shown}) END AS shown
        FROM takes t
        LEFT JOIN assets a ON a.hash = t.asset
        LEFT JOIN (SELECT take, group_concat(tag, ' ') AS tags FROM tags GROUP BY take) g ON g.take = t.id
        LEFT JOIN (SELECT take, group_concat(branch, ' ') AS branches FROM heads GROUP BY take) h ON h.take = t.id
        {"WHERE " + " AND ".join(where) if where else ""}
        ORDER BY {SORTS[sort]}
        {"LIMIT ?" if limit else ""}"""
    if limit:
        args.append(int(limit))
    name, path = project.name, str(project.path)
    out = []
    for r in project.conns.get().query(sql, args):
        text = r["shown"] if isinstance(r["shown"], str) else ""
        out.append(Item(project=name, project_path=path, take=r["id"], slot=r["slot"], kind=r["slot"].split("/")[0],
                        origin=r["origin"], asset=r["asset"], mime=r["mime"], bytes=r["bytes"], width=r["width"],
                        height=r["height"], duration=r["duration"], text=" ".join(text.split()), model=r["model"],
                        cost_usd=r["cost_usd"] or 0.0, score=r["score"], tags=(r["tags"] or "").split(),
                        branches=sorted((r["branches"] or "").split()), note=r["note"], created=r["created"]))
    return out


def workspace_items(paths: list[Path], *, limit: int | None = None, sort: str = "newest", **filters) -> list[Item]:
    """The same over several projects, merged in `sort` order (a project that cannot be opened is skipped)."""
    from core.errors import DailiesError

    found: list[Item] = []
    for path in paths:
        try:
            project = Project.open(path, create=False)
        except DailiesError:
            continue
        try:
            found += items(project, sort=sort, limit=limit, **filters)
        finally:
            project.close()
    key = {"newest": lambda i: i.created, "oldest": lambda i: i.created, "cost": lambda i: i.cost_usd,
           "score": lambda i: -1.0 if i.score is None else i.score, "size": lambda i: i.bytes or 0}[sort]
    found.sort(key=key, reverse=sort != "oldest")
    return found[:limit] if limit else found


def kinds(project: Project) -> list[str]:
    """The kinds of take the project holds, for a filter."""
    return sorted({r["k"] for r in project.conns.get().query(
        "SELECT DISTINCT CASE WHEN instr(slot, '/') THEN substr(slot, 1, instr(slot, '/') - 1) ELSE slot END AS k "
        "FROM takes")})
