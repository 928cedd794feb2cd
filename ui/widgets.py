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
    """The current project, or a 'create one' form and stop. Above every project page: the question a waiting
    run asks, if it asks one (a re-use offer)."""
    p = state.project()
    if p is not None:
        from ui import jobs

        jobs.reuse_banner(p)
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


def badges(take: Take | None, stale: bool, tags: list[str] | None = None, *, project: Project | None = None,
           key: str = "", disabled: bool = False) -> None:
    """What a take is: its check's score (with `project`, a button that opens the check), needs regen, tags."""
    if take is None:
        st.badge("not made yet", color="gray")
        return
    row = []
    tags = tags or []
    if take.score is not None and project is not None:
        check_details(project, take, key=key, disabled=disabled)
    elif take.score is not None:
        color = "green" if take.score >= 0.8 else "orange"
        row.append((f"score {take.score:.2f}", color))
    measured = likeness_badge(take.payload if isinstance(take.payload, dict) else None)
    if measured:
        row.append(measured)
    if stale:
        row.append(("kept · stale" if "keep" in tags else "needs regen", "orange" if "keep" in tags else "red"))
    elif "keep" in tags:
        row.append(("kept", "violet"))
    row += [(t, "gray") for t in tags if t != "keep"]
    if take.origin != "generated":
        row.append((take.origin, "blue"))
    for text, color in row:
        st.badge(text, color=color)


def likeness_badge(payload: dict | None) -> tuple[str, str] | None:
    """("likeness 0.39", colour) beside the check's score: green under dlib's same-person line, orange over it,
    grey when no face could be measured; None when the take was not measured (no reference photo)."""
    from core import faces
    from core.pipeline.likeness import badge, worst

    text = badge(payload)
    if not text:
        return None
    d = worst(payload)
    return text, "gray" if d is None else "green" if d < faces.SAME_PERSON else "orange"


def asset_picture(project: Project, asset: str, *, size: str = "s") -> None:
    try:
        st.image(str(thumb_path(project, asset, size)), width="stretch")
    except DailiesError as err:
        st.warning(str(err))


def picture(project: Project, take: Take | None, *, size: str = "m", caption: str | None = None) -> None:
    if take is None or not take.asset:
        st.empty()
        return
    try:
        st.image(str(thumb_path(project, take.asset, size)), caption=caption, width="stretch")
    except DailiesError as err:
        st.warning(str(err))


def take_strip(project: Project, slot: str, *, head: Take | None, disabled: bool, key: str,
               tagging: bool = True) -> None:
    """Thumbnails of the newest takes of a slot (with two or more), each with a button to make it the head and
    its tags, a filter by tag, and (with `tagging`) the tags of one take to set: the head unless another is
    picked."""
    all_takes = project.takes.of_slot(slot)
    if not all_takes:
        return
    tags = project.tags.by_take()
    takes = all_takes
    if len(all_takes) > 1:
        want = st.segmented_control("Show", ["all", *TAGS], default="all", key=f"{key}-filter",
                                    label_visibility="collapsed")
        if want not in (None, "all"):
            takes = [t for t in all_takes if want in tags.get(t.id, [])]
        cols = st.columns(STRIP)
        for col, take in zip(cols, takes[-STRIP:][::-1]):
            with col:
                picture(project, take, size="s")
                label = "● in use" if head and take.id == head.id else f"use #{take.id}"
                if st.button(label, key=f"{key}-use-{take.id}", width="stretch",
                             disabled=bool(disabled or (head and take.id == head.id))):
                    project.takes.restore(take.id)
                    st.rerun()
                if tags.get(take.id):
                    st.caption(" · ".join(tags[take.id]))
    if not tagging:
        return
    ids = [t.id for t in reversed(all_takes)]
    c1, c2 = st.columns([1, 3], vertical_alignment="center")
    which = c1.selectbox("Tags of", ids, index=ids.index(head.id) if head and head.id in ids else 0,
                         format_func=lambda i: f"#{i}" + (" ●" if head and i == head.id else ""),
                         key=f"{key}-tag-take", label_visibility="collapsed", disabled=disabled)
    pills = f"{key}-tags-{which}"
    # The widget shows the tags as stored, every run: a tag set elsewhere (the CLI, a cast from the library) is
    # not taken back by a widget that still remembers the old set. Only the person's own click changes them.
    st.session_state[pills] = tags.get(which, [])

    def apply() -> None:
        picked, now = set(st.session_state.get(pills) or []), set(project.tags.of(which))
        for t in picked - now:
            project.tags.add(which, t)
        for t in now - picked:
            project.tags.remove(which, t)

    with c2:
        st.pills("Tags", TAGS, selection_mode="multi", key=pills, on_change=apply, label_visibility="collapsed",
                 disabled=disabled, help="keep: no automatic step replaces it · hate: none makes it head again")
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


def take_label(take: Take, head: Take | None) -> str:
    return (f"#{take.id} · {take.origin} · {take.created[:16].replace('T', ' ')}"
            + (f" · {take.note[:40]}" if take.note and take.origin == "edited" else "")
            + (" · in use" if head and take.id == head.id else ""))


def compare(project: Project, slot: str, *, key: str) -> None:
    """Two takes of a slot side by side: a slider for stills, two players for clips, the JSON otherwise."""
    import json

    from streamlit_extras.image_compare_slider import image_compare_slider

    takes = project.takes.of_slot(slot)[::-1]
    if len(takes) < 2:
        st.caption("This slot has one take; regenerate or edit it to have something to compare.")
        return
    head = project.takes.head(slot)
    by_id = {t.id: t for t in takes}
    a_col, b_col = st.columns(2)
    fmt = lambda i: take_label(by_id[i], head)  # noqa: E731
    a = a_col.selectbox("Left", list(by_id), index=1, format_func=fmt, key=f"{key}-cmp-a-{slot}")
    b = b_col.selectbox("Right", list(by_id), index=0, format_func=fmt, key=f"{key}-cmp-b-{slot}")
    ta, tb = by_id[a], by_id[b]
    kind = project.assets.row(ta.asset)["ext"] if ta.asset else None
    if kind in ("png", "jpg", "webp"):
        image_compare_slider(str(thumb_path(project, ta.asset, "l")), str(thumb_path(project, tb.asset, "l")),
                             label1=f"#{a}", label2=f"#{b}", key=f"{key}-slider-{a}-{b}")
    elif kind == "mp4":
        with a_col:
            video(project, ta)
        with b_col:
            video(project, tb)
    else:
        a_col.code(json.dumps(ta.payload, indent=1)[:6000], language="json")
        b_col.code(json.dumps(tb.payload, indent=1)[:6000], language="json")


def edit_panel(project: Project, slot: str, head: Take | None, *, disabled: bool, key: str) -> dict | None:
    """Say what to change, for the whole picture or a region dragged on it. Returns the edit job's parameters
    when the person asks for one (the page submits it), else None. Shows the slot's thread of edits."""
    from core.pipeline.stills import thread

    if head is None or not head.asset:
        return None
    edits = thread(project, head)
    if edits:
        st.caption("Edits: " + " → ".join(f"“{t.note}”" for t in edits))
    region_key = f"{key}-region-{head.id}"  # a region belongs to the picture it was drawn on
    with st.expander("Edit in words" + (" (region selected)" if st.session_state.get(region_key) else "")):
        from streamlit_image_coordinates import streamlit_image_coordinates

        path = project.assets.path(head.asset)
        full_w = project.assets.row(head.asset)["width"] or 1
        st.caption("Drag on the picture to change only that region; leave it to change the whole picture.")
        drag = streamlit_image_coordinates(str(path), width="stretch", click_and_drag=True, key=f"{key}-drag")
        if drag and drag.get("x2") is not None and drag.get("width"):
            scale = full_w / drag["width"]
            x0, x1 = sorted((drag["x1"], drag["x2"]))
            y0, y1 = sorted((drag["y1"], drag["y2"]))
            box = [round(x0 * scale), round(y0 * scale), round((x1 - x0) * scale), round((y1 - y0) * scale)]
            if box[2] >= 8 and box[3] >= 8:
                st.session_state[region_key] = box
        box = st.session_state.get(region_key)
        if box:
            c1, c2 = st.columns([3, 1])
            c1.caption(f"Region: {box[2]}x{box[3]} at {box[0]},{box[1]}")
            if c2.button("Whole picture", key=f"{key}-clear"):
                st.session_state.pop(region_key, None)
                st.rerun()
        with st.form(f"{key}-edit", border=False):
            text = st.text_input("What to change", placeholder="make the coat red · brighter · zoom in",
                                 key=f"{key}-text")
            if st.form_submit_button("Edit", disabled=disabled):
                if not text.strip():
                    st.error("Say what to change, e.g. “make the coat red”.")
                    return None
                return {"slot": slot, "instruction": text, **({"box": box} if box else {})}
    return None


def check_details(project: Project, take: Take, *, key: str, disabled: bool) -> None:
    """The score as a button: the check's named problems per attempt, the references it was scored against,
    and for a score under the bar, Accept anyway (an override) or Fix (one more attempt told the problems)."""
    from core.pipeline.context import SCORE_THRESHOLD
    from ui import jobs as ui_jobs

    override = project.tags.override(take.id)
    low = take.score < SCORE_THRESHOLD
    label = f"score {take.score:.2f}" + (" · accepted" if override else "")
    icon = ":material/check_circle:" if not low else ":material/verified:" if override else ":material/warning:"
    with st.popover(label, icon=icon):
        attempts = (take.payload or {}).get("attempts") or []
        for a in attempts:
            issues = "; ".join(a.get("issues") or []) or "no problems named"
            measured = likeness_badge({"likeness": a.get("likeness")})
            st.markdown(f"**Attempt {a.get('attempt')}**: {a.get('score', 0):.2f}"
                        + (f" ({measured[0]})" if measured else "") + f" — {issues}")
        refs = [s for s in take.inputs if s.startswith(("sheet/", "keyframe/", "reference/"))]
        if refs:
            st.caption("Scored against: " + ", ".join(refs))
            cols = st.columns(min(3, len(refs)))
            heads = project.takes
            for col, slot in zip(cols, refs):
                with col:
                    ref = heads.get(take.inputs[slot])
                    picture(project, ref, size="s", caption=slot)
        if override:
            st.caption(f"Accepted anyway from the {override['source']} at {override['created'][:16].replace('T', ' ')}"
                       f" (score {override['score']:.2f}).")
        elif low:
            c1, c2 = st.columns(2)
            if c1.button("Accept anyway", key=f"{key}-accept-{take.id}", disabled=disabled):
                project.tags.accept(take.id, score=take.score, source="app")
                st.rerun()
            if c2.button("Fix", key=f"{key}-fix-{take.id}", disabled=disabled,
                         help="One more attempt, told the problems the check named"):
                ui_jobs.submit(project, "fix", {"slot": take.slot}, label=f"Fixing {take.slot}")
                st.rerun()
