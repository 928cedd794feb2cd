"""Where projects live and how the environment configures Dailies.

The workspace is `./projects/` unless `DAILIES_HOME` says otherwise. API keys
are read from the environment only when a provider needs them and are never
written anywhere by Dailies.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from core.errors import InputError


def workspace() -> Path:
    return Path(os.environ.get("DAILIES_HOME") or "projects").expanduser().resolve()


_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")


def slugify(text: str, fallback: str = "film") -> str:
    slug = _NAME_RE.sub("-", text.strip()).strip("-._").lower()
    return slug[:60] or fallback


def project_path(name_or_path: str | os.PathLike) -> Path:
    """A project argument is a path if it contains a separator or exists; otherwise a name in the workspace."""
    raw = str(name_or_path).strip()
    if not raw:
        raise InputError("The project is empty: pass --project DIR (a folder) or a project name.")
    p = Path(raw).expanduser()
    if p.is_absolute() or os.sep in raw or p.exists():
        return p.resolve()
    return workspace() / raw
