"""A project is a folder: `project.db`, `assets/`, `exports/`.

`Project.open(path)` creates or opens one, applies migrations and marks jobs
that a dead process left running as interrupted. The pieces live in their own
modules (db, assets, takes, calls, derived, jobs); this class only wires them together. Nothing here imports
anything above the store: opening a project loads no pipeline, runner or provider.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from core.errors import InputError, NotFound
from core.store.assets import FOLDER as ASSETS_FOLDER
from core.store.assets import Assets, now
from core.store.calls import CallLog
from core.store.db import Connections
from core.store.derived import Derived
from core.store.jobs import JobRows
from core.store.tags import Tags
from core.store.takes import Take, Takes

__all__ = ["Project", "Take"]

DB_NAME = "project.db"


class Project:
    def __init__(self, path: Path, conns: Connections):
        self.path = path
        self.conns = conns
        self.assets = Assets(path / ASSETS_FOLDER, conns)
        self.takes = Takes(conns)
        self.calls = CallLog(conns)
        self.derived = Derived(conns, self.assets)
        self.jobs = JobRows(conns)
        self.tags = Tags(conns)

    @classmethod
    def open(cls, path: str | os.PathLike, *, create: bool = True) -> "Project":
        path = Path(path).expanduser().resolve()
        db_file = path / DB_NAME
        if not db_file.exists():
            if not create:
                raise NotFound(f"{path} is not a Dailies project (no {DB_NAME}); create it with `make`.")
            if path.exists() and not path.is_dir():
                raise InputError(f"{path} is a file, not a project folder; choose another --project.")
            if path.exists() and any(p for p in path.iterdir() if not p.name.startswith(".")) \
                    and not (path / ASSETS_FOLDER).exists():
                raise InputError(f"{path} is a folder that is not empty and not a Dailies project; "
                                 "choose an empty or new folder.")
        try:
            for sub in (ASSETS_FOLDER, "exports"):
                (path / sub).mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise InputError(f"Cannot create the project folder {path}: {err.strerror}.") from None
        project = cls(path, Connections(db_file))
        project.takes.ensure_branch("main")
        if not project.setting("created"):
            project.set_setting("created", now())
            project.set_setting("name", path.name)
        project.jobs.mark_interrupted()
        return project

    @property
    def db(self):
        return self.conns.get()

    @property
    def name(self) -> str:
        return self.setting("name") or self.path.name

    def setting(self, key: str, default: Any = None) -> Any:
        rows = list(self.db.query("SELECT value FROM settings WHERE key = ?", [key]))
        return json.loads(rows[0]["value"]) if rows else default

    def set_setting(self, key: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                        [key, json.dumps(value)])

    @property
    def branch(self) -> str:
        return self.takes.current

    def close(self) -> None:
        self.conns.close()

    def __repr__(self) -> str:
        return f"Project({str(self.path)!r})"
