"""Small shared pieces: the no-project state, slot badges, take strips, video players.

Lists of takes show cached thumbnails (made once per asset, see core.thumbs);
only the one clip a person chooses to play is handed to `st.video`, so a page
with 20 scenes never loads 20 videos.
"""
from __future__ import annotations

import streamlit as st

from core.errors import DailiesError
from core.projects import create_project
from core.store import Project, Take
from core.store.tags import TAGS
from core.thumbs import thumb_path
from ui import state

STRIP = 5  # newest takes shown as thumbnails; older ones are picked from a list


def need_project() -> Project:
    """The current project, or a 'create one' form and stop."""
    p = state.project()
    if p is not None:
        return p
    st.info("No project is open. Create one here or pick one in the sidebar.")
    new_project_form("page")
    st.stop()


def need_story(project: Project, what: str):
    """The head story take, or a pointer to the Story page and stop."""
    story = project.takes.head("story")
    if story is None:
        st.info(f"Plan a story on the Story page first; {what}")
        st.stop()
    return story


def new_project_form(where: str) -> None:
    with st.form(f"new-project-{where}", clear_on_submit=True, border=where == "page"):
        name = st.text_input("Project name", placeholder="Fox and Owl", key=f"new-project-name-{where}")
        if st.form_submit_button("Create project", type="primary"):
            try:
                p = create_project(name)
            except DailiesError as err:
                st.error(str(err))
                return
            state.select(p)
            st.rerun()


def fork_form(project: Project, *, label: str, placeholder: str, key: str) -> None:
    """The inside of a "fork" popover: a branch name and the button that forks and switches to it."""
    name = st.text_input(label, placeholder=placeholder, key=key)
    if st.button("Fork and switch", key=f"{key}-go"):
        try:
            project.takes.fork(name)
            st.rerun()
        except DailiesError as err:
            st.error(str(err))


def badges(take: Take | None, stale: bool, tags: list[str] | None = None) -> None:
    if take is None:
        st.badge("not made yet", color="gray")
        return
    row = []
    tags = tags or []
    if take.score is not None:
        color = "green" if take.score >= 0.8 else "orange"
        row.append((f"score {take.score:.2f}", color))
    if stale:
        row.append(("kept · stale" if "keep" in tags else "needs regen", "orange" if "keep" in tags else "red"))
    elif "keep" in tags:
        row.append(("kept", "violet"))
    row += [(t, "gray") for t in tags if t != "keep"]
    if take.origin != "generated":
        row.append((take.origin, "blue"))
    for text, color in row:
        st.badge(text, color=color)


def picture(project: Project, take: Take | None, *, size: str = "m", caption: str | None = None) -> None:
    if take is None or not take.asset:
        st.empty()
        return
    try:
        st.image(str(thumb_path(project, take.asset, size)), caption=caption, width="stretch")
    except DailiesError as err:
        st.warning(str(err))


def take_strip(project: Project, slot: str, *, head: Take | None, disabled: bool, key: str) -> None:
    """Thumbnails of the newest takes of a slot, each with a button to make it the head and its tags; a filter
    shows only the takes with a tag."""
    takes = project.takes.of_slot(slot)
    if not takes:
        return
    tags = project.tags.by_take()
    want = st.segmented_control("Show", ["all", *TAGS], default="all", key=f"{key}-filter",
                                label_visibility="collapsed") if len(takes) > 1 else "all"
    if want not in (None, "all"):
        takes = [t for t in takes if want in tags.get(t.id, [])]
    newest = takes[-STRIP:][::-1]
    cols = st.columns(STRIP)
    for col, take in zip(cols, newest):
        with col:
            picture(project, take, size="s")
            label = "● in use" if head and take.id == head.id else f"use #{take.id}"
            if st.button(label, key=f"{key}-use-{take.id}", disabled=bool(disabled or (head and take.id == head.id)),
                         width="stretch"):
                project.takes.restore(take.id)
                st.rerun()
            have = tags.get(take.id, [])
            picked = st.pills("Tags", TAGS, selection_mode="multi", default=have, key=f"{key}-tags-{take.id}",
                              label_visibility="collapsed", disabled=disabled)
            if sorted(picked or []) != sorted(have):
                for t in set(picked or []) - set(have):
                    project.tags.add(take.id, t)
                for t in set(have) - set(picked or []):
                    project.tags.remove(take.id, t)
                st.rerun()
    older = takes[:-STRIP]
    if older:
        pick = st.selectbox(f"Older takes ({len(older)})", [t.id for t in reversed(older)], index=None,
                            format_func=lambda i: f"take #{i}", key=f"{key}-older", placeholder="Pick an older take")
        if pick is not None and st.button("Use it", key=f"{key}-older-use", disabled=disabled):
            project.takes.restore(pick)
            st.rerun()


def video(project: Project, take: Take | None) -> None:
    if take is None or not take.asset:
        return
    st.video(str(project.assets.path(take.asset)))
