"""Library: every take of the project (or the workspace), searched by its words, filtered, sorted, opened."""
from pathlib import Path

import streamlit as st

from core.library import SORTS, items, kinds, workspace_items
from core.projects import list_projects
from core.store.tags import TAGS
from ui import state, widgets

PAGE = 24

st.title("Library")
project = widgets.need_project()

q1, q2 = st.columns([4, 1])
query = q1.text_input("Search", key="library-query", placeholder="words from a prompt, an instruction, a line, "
                      "a note or a tag", help="Every word is required; each finds words that start with it")
everywhere = q2.toggle("Every project", key="library-all", help="Search every project in the workspace")
f1, f2, f3, f4, f5, f6 = st.columns([1, 1, 1, 1, 1, 1])
kind = f1.selectbox("Kind", [None, *kinds(project)], format_func=lambda k: k or "any", key="library-kind")
tag = f2.selectbox("Tag", [None, *TAGS], format_func=lambda t: t or "any", key="library-tag")
branch = f3.selectbox("Branch", [None, *project.takes.branches()], format_func=lambda b: b or "any",
                      key="library-branch", disabled=everywhere)
over = f4.number_input("Cost over ($)", min_value=0.0, value=0.0, step=0.01, key="library-over")
sort = f5.selectbox("Sort", list(SORTS), key="library-sort")
unused = f6.checkbox("Unused only", key="library-unused", help="Takes that no branch uses")

filters = dict(query=query, kind=kind, tag=tag, unused=unused, over=over or None, sort=sort)
if everywhere:
    found = workspace_items([p.path for p in list_projects()], **filters)
else:
    found = items(project, branch=branch, **filters)
shown = st.session_state.get("library-shown", PAGE)
st.caption(f"{len(found)} take{'s' * (len(found) != 1)}" + (f" matching “{query}”" if query.strip() else "")
           + (f" · showing {min(shown, len(found))}" if len(found) > shown else ""))

for row in range(0, min(shown, len(found)), 4):
    cols = st.columns(4)
    for col, item in zip(cols, found[row:row + 4]):
        owner = project if item.project_path == str(project.path) else state.open_path(item.project_path)
        with col.container(border=True):
            if item.asset and item.mime and item.mime.split("/")[0] in ("image", "video"):
                widgets.asset_picture(owner, item.asset)
            elif item.asset and item.mime and item.mime.startswith("audio"):
                st.audio(str(owner.assets.path(item.asset)))
            size = f"{item.width}×{item.height}" if item.width else f"{item.duration:.1f} s" if item.duration else ""
            where = f"{item.project} · " if everywhere else ""
            st.markdown(f"**#{item.take}** `{item.slot}` · {where}{item.kind}")
            facts = [size, f"{item.bytes / 1e6:.1f} MB" if item.bytes else "", item.model or "",
                     f"${item.cost_usd:.3f}", f"score {item.score:.2f}" if item.score is not None else "",
                     " ".join(f"#{t}" for t in item.tags), "in " + ", ".join(item.branches) if item.branches
                     else "unused"]
            st.caption(" · ".join(f for f in facts if f))
            if item.text:
                st.caption(item.text[:160] + ("…" if len(item.text) > 160 else ""))
            if st.button("Open", key=f"library-open-{item.project_path}-{item.take}", width="stretch",
                         help="Show this take on the History page, where it can be restored"):
                if owner is not project:
                    state.select(owner)
                st.session_state["history-slot"] = item.slot
                st.session_state[f"restore-{item.slot}"] = item.take
                st.switch_page("pages/history.py")
if len(found) > shown and st.button(f"Show {min(PAGE, len(found) - shown)} more", key="library-more"):
    st.session_state["library-shown"] = shown + PAGE
    st.rerun()
