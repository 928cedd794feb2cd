"""History: the branch's timeline of head moves, restore any take, undo, fork, compare two takes."""
import streamlit as st

from core.errors import DailiesError
from ui import jobs, widgets

st.title("History")
project = widgets.need_project()
busy = jobs.busy(project)

c1, c2, _ = st.columns([1, 2, 2])
if c1.button("Undo", disabled=busy, width="stretch", help="Put back the last change on this branch"):
    try:
        slots = project.takes.undo()
        st.toast(f"Undid the last change to {', '.join(slots)}")
        st.rerun()
    except DailiesError as err:
        st.error(str(err))
with c2.popover("Fork this branch", disabled=busy):
    widgets.fork_form(project, label="Branch name", placeholder="", key="history-fork")

st.subheader(f"Timeline of branch {project.branch}")
events = project.takes.events(limit=200)
if not events:
    st.caption("Nothing has happened on this branch yet.")
else:
    st.dataframe([{"when": e["created"][:19].replace("T", " "), "what": e["kind"], "slot": e["slot"],
                   "from take": e["old_take"], "to take": e["new_take"], "job": e["job"]} for e in events],
                 hide_index=True, width="stretch", height=280)

slots = sorted(project.takes.counts())
if not slots:
    st.stop()
st.subheader("Takes")
if st.session_state.get("history-slot") not in slots:  # the library may have chosen one ("Open")
    st.session_state["history-slot"] = "story" if "story" in slots else slots[0]
slot = st.selectbox("Slot", slots, key="history-slot")
takes = project.takes.of_slot(slot)[::-1]
head = project.takes.head(slot)
labels = {t.id: widgets.take_label(t, head) for t in takes}
pick = st.selectbox("Take", [t.id for t in takes], format_func=labels.get, key=f"restore-{slot}")
by_id = {t.id: t for t in takes}
chosen = by_id[pick]
try:
    kind = project.assets.row(chosen.asset)["mime"] if chosen.asset else ""
except DailiesError as err:
    kind = ""
    st.warning(str(err))
if kind:
    if kind.startswith("image"):
        widgets.picture(project, chosen, size="l")
    elif kind.startswith("video"):
        widgets.video(project, chosen)
    elif kind.startswith("audio"):
        st.audio(str(project.assets.path(chosen.asset)))
r1, r2 = st.columns([1, 4])
if r1.button("Restore this take", disabled=busy or (head is not None and head.id == pick), width="stretch"):
    project.takes.restore(pick)
    st.rerun()
if chosen.note:
    r2.caption(chosen.note)

st.subheader("Compare two takes")
widgets.compare(project, slot, key="history")
