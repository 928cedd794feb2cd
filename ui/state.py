"""Which project this browser session is looking at, and the opened Project objects.

The choice lives in the URL (`?project=<folder>`) as well as in session state,
so a reload or a second tab lands on the same project. Opened projects are
cached per process with `st.cache_resource`: a Project holds one SQLite
connection per thread and is safe to share between sessions.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.config import workspace
from core.errors import DailiesError
from core.store import DB_NAME, Project

KEY = "project"


@st.cache_resource(show_spinner=False)
def _open(path: str) -> Project:
    return Project.open(Path(path), create=False)


def open_path(path: str) -> Project:
    """Another project of the workspace, opened once per process (the library shows its takes)."""
    return _open(str(Path(path)))


def project() -> Project | None:
    folder = st.session_state.get(KEY) or st.query_params.get(KEY)
    if not folder:
        return None
    st.session_state[KEY] = folder
    if st.query_params.get(KEY) != folder:  # page switches drop query params; keep reloads on this project
        st.query_params[KEY] = folder
    path = workspace() / folder
    if not (path / DB_NAME).exists():
        forget()
        return None
    try:
        return _open(str(path))
    except DailiesError as err:
        st.error(str(err))
        forget()
        return None


def select(p: Project) -> None:
    st.session_state[KEY] = p.path.name
    st.query_params[KEY] = p.path.name


def forget() -> None:
    st.session_state.pop(KEY, None)
    if KEY in st.query_params:
        del st.query_params[KEY]
