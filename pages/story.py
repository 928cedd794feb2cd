"""Story: the concept, the plan it becomes, edits and chat refinements, and approval."""
import streamlit as st

from core.errors import DailiesError
from core.models import ASPECT_RATIOS, MAX_SCENES
from core.pipeline.edits import approve_story, edit_story, is_approved
from core.pipeline.plan import story_of
from ui import jobs, lines, widgets

st.title("Story")
project = widgets.need_project()
busy = jobs.busy(project)
story = project.takes.head("story")
plan = story_of(story) if story else None
concept = (story.payload or {}).get("concept", "") if story else ""

concept_box = st.container(border=True) if plan is None else st.expander("Plan again from a concept")
with concept_box, st.form("plan-form", border=False):
    if plan is None:
        st.subheader("Concept")
    text = st.text_area("One line about the film", value=concept, height=80,
                        placeholder="A curious fox meets a wise owl in an enchanted autumn forest")
    c1, c2, c3 = st.columns([2, 1, 1])
    style = c1.text_input("Style (optional)", value=plan.style if plan else "",
                          placeholder="storybook illustration, soft painterly light")
    aspect = c2.selectbox("Aspect ratio", ASPECT_RATIOS,
                          index=ASPECT_RATIOS.index(plan.aspect_ratio) if plan else 0)
    scenes = c3.number_input("Scenes", min_value=1, max_value=MAX_SCENES, value=len(plan.scenes) if plan else 3)
    names = st.text_input("People whose photos you will upload (comma separated, optional)",
                          value=", ".join(c.name for c in plan.characters) if plan else "",
                          placeholder="Fox, Owl")
    if st.form_submit_button("Plan", type="primary", disabled=busy):
        if not text.strip():
            st.error("The concept is empty: describe the film in one line.")
        else:
            jobs.submit(project, "plan", {"concept": text, "scenes": int(scenes), "style": style or None,
                                          "aspect_ratio": aspect, "labels": [n for n in names.split(",") if n.strip()],
                                          "regenerate": plan is not None and text.strip() == concept},
                        label="Planning")
            st.rerun()

if plan is None:
    st.caption("Plan a story to see its characters and scenes here.")
    st.stop()

approved = is_approved(project)
jobs.gate_banner(project, "plan")
head_col, approve_col = st.columns([4, 1], vertical_alignment="center")
with head_col:
    st.header(plan.title)
    st.write(f"*{plan.logline}*")
notes = (story.payload or {}).get("notes") or []
if notes:
    asked = (story.payload or {}).get("asks", 1)
    with st.expander(f"Plan check: {len(notes)} note{'s' * (len(notes) != 1)}"
                     + (" (the planner was asked twice)" if asked > 1 else ""), icon=":material/fact_check:"):
        st.markdown("\n".join(f"- {n}" for n in notes))
with approve_col:
    if approved:
        st.badge("approved", icon=":material/check:", color="green")
    elif st.button("Approve story", type="primary", disabled=busy, width="stretch",
                   help="Sheets are made from an approved story"):
        approve_story(project)
        st.rerun()

with st.expander("Title, logline and style", expanded=False):
    with st.form("meta-form", border=False):
        title = st.text_input("Title", value=plan.title)
        logline = st.text_area("Logline", value=plan.logline, height=68)
        new_style = st.text_input("Art style", value=plan.style)
        if st.form_submit_button("Save", disabled=busy):
            try:
                edit_story(project, {"title": title, "logline": logline, "style": new_style})
                st.rerun()
            except DailiesError as err:
                st.error(str(err))

st.subheader("Characters")
cols = st.columns(min(3, len(plan.characters)))
for i, c in enumerate(plan.characters):
    with cols[i % len(cols)].container(border=True):
        with st.form(f"char-{i}", border=False):
            name = st.text_input("Name", value=c.name, key=f"char-name-{i}")
            role = st.text_input("Role", value=c.role, key=f"char-role-{i}")
            desc = st.text_area("Frozen visual description", value=c.visual_description, height=180,
                                key=f"char-desc-{i}", help="Quoted verbatim in every image prompt")
            cues = st.text_input("Personality", value=", ".join(c.personality_cues), key=f"char-cues-{i}")
            if st.form_submit_button("Save character", disabled=busy):
                chars = [x.model_dump() for x in plan.characters]
                chars[i] = {**chars[i], "name": name, "role": role, "visual_description": desc,
                            "personality_cues": [x.strip() for x in cues.split(",") if x.strip()]}
                scenes_ = [s.model_dump() for s in plan.scenes]
                if name != c.name:  # a rename follows the character into every scene
                    for s in scenes_:
                        s["characters_present"] = [name if n == c.name else n for n in s["characters_present"]]
                try:
                    edit_story(project, {"characters": chars, "scenes": scenes_})
                    st.rerun()
                except DailiesError as err:
                    st.error(str(err))

st.subheader("Scenes")
st.dataframe([{"#": i, "title": s.title, "seconds": s.duration_seconds, "characters": ", ".join(s.characters_present),
               "lines": lines.summary(s), "setting": s.setting, "camera": s.camera, "mood": s.mood,
               "action": s.action}
              for i, s in enumerate(plan.scenes, start=1)], hide_index=True, width="stretch")
st.caption("Edit scenes in the shot list on the Shooting page.")

st.subheader("Lines")
st.caption("What is said in each scene, by a character of the scene or the Narrator; the voices are chosen on the "
           "Design page.")
lines.scene_lines(project, story, plan, disabled=busy, key="story")

st.subheader("Refine by chat")
lineage = []
take = story
while take is not None:
    if take.payload and take.payload.get("instruction"):
        lineage.append(take)
    take = project.takes.get(take.parent) if take.parent else None
for t in reversed(lineage[-8:]):
    with st.chat_message("user"):
        st.write(t.payload["instruction"])
    with st.chat_message("assistant"):
        st.write(f"Revised the plan (take #{t.id}).")
ask = st.chat_input("Ask for a change, e.g. “make the owl grumpier”", disabled=busy)
if ask:
    jobs.submit(project, "refine", {"instruction": ask}, label="Refining")
    st.rerun()
