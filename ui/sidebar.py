"""The sidebar every page shares: project picker, branch selector, provider status, jobs."""
from __future__ import annotations

import streamlit as st

from core.errors import DailiesError
from core.projects import list_projects, rename_project
from core.providers import api_key
from ui import jobs, state, widgets


def render() -> None:
    with st.sidebar:
        project = state.project()
        _project_picker(project)
        if project is not None:
            _branches(project)
        _provider(project)
        st.divider()
        st.caption("Jobs")
        jobs.progress_panel(project)


def _project_picker(project) -> None:
    infos = list_projects()
    folders = [i.path.name for i in infos]
    names = {i.path.name: i.name for i in infos}
    current = project.path.name if project else None
    choice = st.selectbox("Project", folders, index=folders.index(current) if current in folders else None,
                          format_func=lambda f: names.get(f, f), placeholder="Open a project…",
                          key=f"project-picker-{current}")
    if choice and choice != current:
        st.session_state[state.KEY] = choice
        st.query_params[state.KEY] = choice
        st.rerun()
    with st.popover("New project", width="stretch"):
        widgets.new_project_form("sidebar")
    if project is not None:
        with st.popover("Rename", width="stretch"):
            new = st.text_input("New name", value=project.name, key="rename-project")
            if st.button("Rename", key="rename-go"):
                try:
                    rename_project(project, new)
                    st.rerun()
                except DailiesError as err:
                    st.error(str(err))


def _branches(project) -> None:
    branches = project.takes.branches()
    current = project.branch
    busy = jobs.busy(project)
    pick = st.selectbox("Branch", branches, index=branches.index(current), disabled=busy,
                        key=f"branch-{project.path.name}-{current}",
                        help="A branch is a line of work; switching changes which takes are in use")
    if pick != current:
        project.takes.switch(pick)
        st.rerun()
    with st.popover("Fork branch", width="stretch", disabled=busy):
        widgets.fork_form(project, label="New branch name", placeholder="moody-ending", key="fork-name")


def _provider(project) -> None:
    name = jobs.provider_of(project) if project else "offline"
    has_key = bool(api_key("XAI_API_KEY"))
    if name == "offline":
        st.caption("Provider: **offline** — free, deterministic, no network"
                   + ("" if has_key else " (set XAI_API_KEY to use Grok)"))
    else:
        st.caption(f"Provider: **{name}** — key {'present' if has_key else 'missing: set XAI_API_KEY'}")
