"""Design: the film's look, per character the reference photos and the sheet made from them, and who speaks with
which voice (the characters and the Narrator); saving a character to the workspace library, casting one from it."""
import streamlit as st

from core import jobs as core_jobs
from core.errors import DailiesError
from core.models import NARRATOR, VOICES
from core.pipeline import cast
from core.pipeline.edits import edit_story, is_approved, set_voice
from core.pipeline.plan import add_reference, set_style_lock, story_of
from core.pipeline.status import stale_slots
from core.pipeline.voices import line_rows
from ui import jobs, lines, widgets

st.title("Design")
project = widgets.need_project()
busy = jobs.busy(project)
story = widgets.need_story(project, "its characters appear here.")
plan = story_of(story)
approved = is_approved(project)
heads = project.takes.heads()  # read once: nothing below moves a sheet's head in this run
stale = stale_slots(project, heads=heads)

with st.expander("Look of the film: art style and palette", expanded=False):
    with st.form("look-form", border=False):
        style = st.text_input("Art style", value=plan.style)
        pcols = st.columns(5)
        palette = [pcols[i].color_picker(f"Colour {i + 1}", value=c, key=f"palette-{i}")
                   for i, c in enumerate((plan.palette + ["#888888"] * 5)[:5])]
        if st.form_submit_button("Save look", disabled=busy):
            try:
                edit_story(project, {"style": style, "palette": palette}, note="look edited")
                st.rerun()
            except DailiesError as err:
                st.error(str(err))
    st.markdown("**Style lock** — one art-direction image for every sheet and keyframe")
    lock = plan.style_lock
    lc1, lc2 = st.columns([1, 2])
    with lc1:
        if lock:
            widgets.asset_picture(project, lock)
        if lock and st.button("Clear the style lock", disabled=busy):
            set_style_lock(project)
            st.rerun()
    style_file = lc2.file_uploader("Upload an art-direction image", type=["jpg", "jpeg", "png", "webp"],
                                   key="style-upload", disabled=busy)
    if style_file is not None and st.session_state.get("style-seen") != style_file.file_id:
        st.session_state["style-seen"] = style_file.file_id
        try:
            set_style_lock(project, data=style_file.getvalue(), filename=style_file.name)
            st.rerun()
        except DailiesError as err:
            st.error(str(err))

if not approved:
    st.warning("Approve the story on the Story page before making sheets.")
jobs.gate_banner(project, "sheets")
top = st.columns([1, 3])
if top[0].button("Make all sheets", type="primary", disabled=busy or not approved, width="stretch"):
    jobs.submit(project, "sheets", {}, label="Sheets")
    st.rerun()

voices = lines.current_voices(plan, heads)
spoken = [r.speaker for r in line_rows(project)]


def voice_box(speaker: str) -> None:
    """The speaker's voice (changing it makes only their lines need voicing again) and a sample to hear it."""
    current = voices.get(speaker, VOICES[0])
    said = spoken.count(speaker)
    pick_col, preview_col = st.columns([3, 2], vertical_alignment="bottom")
    pick = pick_col.selectbox(f"Voice of {speaker}", VOICES, index=VOICES.index(current), format_func=lines.voice_label,
                              key=f"voice-{speaker}-{current}", disabled=busy,
                              help=f"{said} line{'s' * (said != 1)} in the film")
    if pick != current:
        try:
            set_voice(project, speaker, pick)
        except DailiesError as err:
            st.error(str(err))
        else:
            redo = [f"scene {r.position} line {r.line}" for r in line_rows(project) if r.speaker == speaker and r.stale]
            st.session_state[f"voice-msg-{speaker}"] = (
                f"{speaker} now speaks as {lines.voice_label(pick)}. "
                + (f"Needs regen: {', '.join(redo)} (Generate page, Lines)." if redo else
                   f"No line of {speaker}'s needs voicing again."))
            st.rerun()
    preview_key = f"voice-preview-job-{project.path.name}-{speaker}"
    who = "the Narrator" if speaker == NARRATOR else speaker
    if preview_col.button("Preview voice", key=f"voice-preview-{speaker}", disabled=busy, width="stretch",
                          help=f"A short sample of {who}'s first line in this voice"):
        job = jobs.submit(project, "voice_preview", {"speaker": speaker, "voice": current},
                          label=f"Preview of {speaker}'s voice")
        if job is not None:
            st.session_state[preview_key] = job
            st.rerun()
    if msg := st.session_state.pop(f"voice-msg-{speaker}", None):
        st.success(msg)
    try:
        row = core_jobs.get(project, st.session_state[preview_key]) if preview_key in st.session_state else None
    except DailiesError:
        row = None
    if row and row["status"] == "succeeded" and (row["result"] or {}).get("asset"):
        st.caption(f"Sample: {speaker} as {lines.voice_label(row['params'].get('voice', ''))}")
        lines.play(project, row["result"]["asset"])


seen = st.session_state.setdefault("uploads-seen", set())
cols = st.columns(2)
for i, c in enumerate(plan.characters):
    with cols[i % 2].container(border=True):
        st.subheader(c.name)
        st.caption(c.role)
        ref_slot, sheet_slot = f"reference/{c.name}", f"sheet/{c.name}"
        ref, sheet = heads.get(ref_slot), heads.get(sheet_slot)
        photo_col, sheet_col = st.columns(2)
        with photo_col:
            st.markdown("**Reference photo**")
            if ref is not None:
                widgets.picture(project, ref, size="m")
            else:
                st.caption("No photo: the sheet is drawn from the description.")
            files = st.file_uploader(f"Upload photos of {c.name}", type=["jpg", "jpeg", "png", "webp"],
                                     accept_multiple_files=True, key=f"upload-{c.name}", disabled=busy)
            for f in files or []:
                if f.file_id in seen:
                    continue
                seen.add(f.file_id)  # a file is stored once, not again on every rerun
                try:
                    add_reference(project, c.name, f.getvalue(), filename=f.name)
                    st.toast(f"{f.name} added for {c.name}")
                except DailiesError as err:
                    st.error(str(err))
            widgets.take_strip(project, ref_slot, head=ref, disabled=busy, key=f"ref-{i}", tagging=False)
        with sheet_col:
            st.markdown("**Sheet**")
            widgets.picture(project, sheet, size="m")
            widgets.badges(sheet, sheet_slot in stale, project.tags.of(sheet.id) if sheet else [], project=project,
                           key=f"sheet-{i}", disabled=busy)
            label = "Regenerate sheet" if sheet else "Make sheet"
            if st.button(label, key=f"sheet-{i}", disabled=busy or not approved, width="stretch"):
                jobs.submit(project, "sheets", {"names": [c.name], "regenerate": sheet is not None and
                                                sheet_slot not in stale}, label=f"Sheet for {c.name}")
                st.rerun()
            if sheet is not None and st.button("Upscale 2x", key=f"up-{i}", disabled=busy, width="stretch",
                                               help="A new take at twice the size; the original is kept"):
                jobs.submit(project, "upscale", {"take": sheet.id}, label=f"Upscaling {c.name}'s sheet")
                st.rerun()
        edit = widgets.edit_panel(project, sheet_slot, sheet, disabled=busy, key=f"edit-sheet-{i}")
        if edit:
            jobs.submit(project, "edit", edit, label=f"Editing {c.name}'s sheet")
            st.rerun()
        widgets.take_strip(project, sheet_slot, head=sheet, disabled=busy, key=f"sheet-{i}")
        if project.takes.count(sheet_slot) > 1:
            with st.expander("Compare two takes"):
                widgets.compare(project, sheet_slot, key=f"sheet-{i}")
        voice_box(c.name)
        if sheet is not None and st.button("Save to the character library", key=f"save-{i}", disabled=busy,
                                           width="stretch", help=f"Keep {c.name} (description, photo, sheet, voice) "
                                           "to cast in another film"):
            try:
                saved = cast.save(project, c.name)
                st.toast(f"{c.name} is in the character library as “{saved.key}”")
            except DailiesError as err:
                st.error(str(err))
with cols[len(plan.characters) % 2].container(border=True):
    st.subheader(NARRATOR)
    st.caption("Speaks the narration: the lines no character says")
    voice_box(NARRATOR)

saved = cast.listed()
with st.expander(f"Cast a character from the library ({len(saved)} saved)"):
    if not saved:
        st.caption("Nobody saved yet: “Save to the character library” under a character's sheet keeps them.")
    else:
        who = st.selectbox("Character", [s.key for s in saved], key="cast-pick", format_func=lambda k: next(
            f"{s.name} — {s.role or 'no role'}, voice {s.voice or 'not set'}, from {s.origin.get('project', '?')}"
            for s in saved if s.key == k))
        if st.button("Cast into this film", key="cast", disabled=busy,
                     help="Their description, photo and voice join the story; their sheet is re-used, not made again"):
            try:
                done = cast.cast(project, who)
                st.toast(f"Cast {done['name']}: the sheet is re-used (take {done['sheet']})"
                         + (", add them to scenes on the Shooting page" if done.get("joined") else ""))
                st.rerun()
            except DailiesError as err:
                st.error(str(err))

sheets = [c.name for c in plan.characters if f"sheet/{c.name}" in heads]
if len(sheets) >= 2:
    with st.expander("Lab: blend two characters into a new one"):
        with st.form("blend", border=False):
            b1, b2 = st.columns(2)
            a = b1.selectbox("First", sheets, index=0)
            b = b2.selectbox("Second", sheets, index=1)
            weight = st.slider("How much of the second", 0.0, 1.0, 0.5, 0.05)
            name = st.text_input("Name of the new character", value=f"{a}{b}")
            if st.form_submit_button("Blend", disabled=busy):
                jobs.submit(project, "blend", {"a": a, "b": b, "name": name, "weight": weight},
                            label=f"Blending {a} and {b}")
                st.rerun()
        blends = sorted(s for s in heads if s.startswith("sheet/")
                        and s.split("/", 1)[1] not in {c.name for c in plan.characters})
        for slot in blends:
            st.markdown(f"**{slot.split('/', 1)[1]}** (a blend; add a character of that name on the Story page "
                        "to cast it)")
            widgets.picture(project, heads[slot], size="s")
