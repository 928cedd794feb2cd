"""Shooting: the shot list (edits become scene takes), re-cutting, a keyframe per scene, and the script.

Scenes are shown by position (what people count) and addressed by their stable id (what their takes are named
by), so a re-cut moves a scene with all its takes."""
import re

import streamlit as st

from core.errors import DailiesError
from core.models import CAMERA_MOVES, CLIP_AUDIO, TRANSITIONS
from core.pipeline import scenes as recut
from core.pipeline.edits import edit_scenes
from core.pipeline.plan import story_of
from core.pipeline.status import missing_media, stale_slots
from ui import jobs, lines, widgets

st.title("Shooting")
project = widgets.need_project()
busy = jobs.busy(project)
story = widgets.need_story(project, "its scenes appear here.")
plan = story_of(story)
names = [c.name for c in plan.characters]
heads = project.takes.heads()
stale = stale_slots(project, heads=heads)
counts = project.takes.counts()

st.subheader("Shot list")
rows = [{"scene": i, "id": s.scene_id, "title": s.title, "lines": lines.summary(s), "setting": s.setting,
         "camera": s.camera, "mood": s.mood, "action": s.action, "duration": s.duration_seconds,
         "transition": s.transition, "transition_s": s.transition_seconds, "subtitle": s.subtitle, "audio": s.audio,
         "characters": ", ".join(s.characters_present), "description": s.description}
        for i, s in enumerate(plan.scenes, start=1)]
cameras = sorted(set(CAMERA_MOVES) | {s.camera for s in plan.scenes})
edited = st.data_editor(
    rows, num_rows="dynamic", hide_index=True, width="stretch", disabled=busy, key=f"shots-{story.id}",
    column_config={
        "scene": st.column_config.NumberColumn("#", disabled=True, width="small"),
        "id": None,  # the scene's identity travels with its row, unseen
        "camera": st.column_config.SelectboxColumn("camera", options=cameras, required=True),
        "duration": st.column_config.NumberColumn("seconds", min_value=1, max_value=15, step=1, required=True),
        "transition": st.column_config.SelectboxColumn("transition", options=list(TRANSITIONS), required=True,
                                                       help="Into this scene: cut, crossfade, or fade through black"),
        "transition_s": st.column_config.NumberColumn("trans. s", min_value=0.5, max_value=2.0, step=0.5),
        "subtitle": st.column_config.TextColumn("caption", width="medium",
                                                help="A caption for a scene without lines (a scene's lines are its "
                                                     "subtitles)"),
        "lines": st.column_config.TextColumn("lines", disabled=True, help="Spoken lines: edit them below"),
        "audio": st.column_config.SelectboxColumn("clip sound", options=list(CLIP_AUDIO),
                                                  help="keep, mute, or duck it under the music"),
        "characters": st.column_config.TextColumn("characters", help=f"Comma separated: {', '.join(names)}"),
        "description": st.column_config.TextColumn("description", width="medium"),
    })
if st.button("Save shot list", type="primary", disabled=busy):
    scenes = []
    kept = {s.scene_id: s.model_dump(include={"lines", "motion", "clip_camera"}) for s in plan.scenes}
    for r in edited:
        sid = r.get("id")  # a table hands whole numbers back as floats once a row is added
        sid = int(sid) if sid is not None and sid == sid else None
        scenes.append({**kept.get(sid, {}), "scene_id": sid,  # what the table does not show stays as it was
                       "title": r.get("title") or "Untitled", "setting": r.get("setting") or plan.scenes[0].setting,
                       "camera": r.get("camera") or "static", "mood": r.get("mood") or "",
                       "action": r.get("action") or "", "duration_seconds": int(r.get("duration") or 5),
                       "transition": r.get("transition") or "cut", "description": r.get("description") or "",
                       "transition_seconds": float(r.get("transition_s") or 1.0), "subtitle": r.get("subtitle") or "",
                       "audio": r.get("audio") or "keep",
                       "characters_present": [n.strip() for n in (r.get("characters") or "").split(",") if n.strip()]})
    try:
        before = stale
        edit_scenes(project, scenes)
        now_stale = sorted(stale_slots(project) - before)
        st.session_state["shots-msg"] = (f"Saved. Needs regen now: {', '.join(now_stale)}." if now_stale
                                         else "Saved. Nothing else needs regenerating.")
        st.rerun()
    except DailiesError as err:
        st.error(str(err))
if msg := st.session_state.pop("shots-msg", None):
    st.success(msg)

with st.expander("Lines: what is said in a scene"):
    lines.scene_lines(project, story, plan, disabled=busy, key="shoot")

with st.expander("Re-cut: insert, move, remove, duplicate or split a scene (its takes go with it)"):
    labels = {i: f"{i}. {s.title}" for i, s in enumerate(plan.scenes, start=1)}
    c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    op = c1.selectbox("Do", ["insert a new scene after", "move", "duplicate", "split between its lines", "remove"],
                      disabled=busy)
    choices = ([0] if op.startswith("insert") else []) + list(labels)
    pos = c2.selectbox("Scene", choices, format_func=lambda i: labels.get(i, "the start (before 1)"),
                       disabled=busy)
    to = c3.number_input("to position", 1, len(plan.scenes), value=1, disabled=busy or op != "move")
    if st.button("Re-cut", disabled=busy, help="One change: undo on the History page puts it back"):
        before = stale | missing_media(project)
        try:
            {"insert a new scene after": lambda: recut.insert_scene(project, after=pos),
             "move": lambda: recut.move_scene(project, pos, to=int(to)),
             "duplicate": lambda: recut.duplicate_scene(project, pos),
             "split between its lines": lambda: recut.split_scene(project, pos),
             "remove": lambda: recut.remove_scene(project, pos)}[op]()
            now_stale = sorted((stale_slots(project) | missing_media(project)) - before)
            st.session_state["shots-msg"] = "Re-cut. " + (f"Needs regen now: {', '.join(now_stale)}." if now_stale
                                                         else "Nothing else needs regenerating.")
            st.rerun()
        except DailiesError as err:
            st.error(str(err))

st.subheader("Keyframes")
jobs.gate_banner(project, "keyframes")
missing_sheets = [n for n in names if f"sheet/{n}" not in heads]
if missing_sheets:
    st.info(f"Make the sheets of {', '.join(missing_sheets)} on the Design page before keyframes.")
cols = st.columns(3)
for i, s in enumerate(plan.scenes, start=1):
    slot = f"keyframe/{s.scene_id}"
    head = heads.get(slot)
    before_it = plan.previous(s.scene_id)
    with cols[(i - 1) % 3].container(border=True):
        st.markdown(f"**{i}. {s.title}**  \n{s.camera} · {s.duration_seconds}s")
        widgets.picture(project, head, size="m")
        widgets.badges(head, slot in stale, project.tags.of(head.id) if head else [], project=project,
                       key=f"kf-{s.scene_id}", disabled=busy)
        label = "Regenerate keyframe" if head else "Make keyframe"
        prev_missing = before_it is not None and f"keyframe/{before_it.scene_id}" not in heads
        if st.button(label, key=f"kf-{s.scene_id}", disabled=busy or bool(missing_sheets) or prev_missing,
                     width="stretch", help="Chained: each keyframe uses the previous one for continuity"):
            jobs.submit(project, "keyframe", {"scene": s.scene_id, "regenerate": head is not None and
                                              slot not in stale}, label=f"Keyframe {i}")
            st.rerun()
        edit = widgets.edit_panel(project, slot, head, disabled=busy, key=f"edit-kf-{s.scene_id}")
        if edit:
            jobs.submit(project, "edit", edit, label=f"Editing keyframe {i}")
            st.rerun()
        with st.expander(f"Takes ({counts.get(slot, 0)})"):
            widgets.take_strip(project, slot, head=head, disabled=busy, key=f"kf-{s.scene_id}")
            if counts.get(slot, 0) > 1:
                widgets.compare(project, slot, key=f"kf-{s.scene_id}")

st.subheader("Script")
script = heads.get("script")
if script is None:
    st.caption("The script (script.md) is written when the film is run on the Generate page.")
else:
    text = project.assets.read(script.asset).decode()
    if "script" in stale:
        st.badge("needs regen", color="red")
    st.download_button("Download script.md", text, file_name="script.md", mime="text/markdown")
    with st.expander("Read the script", expanded=False):
        st.markdown(re.sub(r"!\[[^\]]*\]\([^)]*\)\n", "", text))  # keyframes are shown above
