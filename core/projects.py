"""The workspace: the projects in it, creating one, renaming one.

A project is addressed by its folder. Its display name is a setting, so a
rename never moves files under a running job.
"""
from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from core.config import slugify, workspace
from core.errors import InputError
from core.store import DB_NAME, Project

_NAME_OK = re.compile(r"^[\w .,'()&!-]{1,60}$")


@dataclass(frozen=True)
class ProjectInfo:
    path: Path
    name: str


def list_projects(root: Path | None = None) -> list[ProjectInfo]:
    root = root or workspace()
    if not root.is_dir():
        return []
    out = []
    for db in sorted(root.glob(f"*/{DB_NAME}")):
        name = db.parent.name
        if name.startswith("."):  # an import in progress (or interrupted) is not a project yet
            continue
        try:  # read-only peek: listing must not migrate or lock every project
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2) as conn:
                row = conn.execute("SELECT value FROM settings WHERE key = 'name'").fetchone()
                if row:
                    name = json.loads(row[0])
        except Exception:  # noqa: BLE001 - an unreadable project still lists under its folder name
            pass
        out.append(ProjectInfo(db.parent, name))
    return out


def check_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InputError("The project name is empty; give it a short name, e.g. “Fox and Owl”.")
    if not _NAME_OK.match(name):
        raise InputError(f"The project name {name!r} has characters a folder cannot hold; "
                         "use letters, digits, spaces and simple punctuation (max 60).")
    return name


def create_project(name: str, root: Path | None = None) -> Project:
    name = check_name(name)
    root = root or workspace()
    path = root / slugify(name, fallback="film")
    if (path / DB_NAME).exists():
        raise InputError(f"A project called {name!r} already exists; open it or choose another name.")
    project = Project.open(path, create=True)
    project.set_setting("name", name)
    project.set_setting("review", "review")  # made in the app: runs stop for approval at each stage
    return project


def rename_project(project: Project, name: str) -> None:
    project.set_setting("name", check_name(name))
