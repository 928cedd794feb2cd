"""Spoken lines and voices, shared by the pages: a scene's lines editor (Story and Shooting), the voice of a
speaker (Design), and playing a line's audio (Design's preview, Generate's lines).

Presentation only: the lines are saved by `core.pipeline.edits.edit_lines`, voices by `set_voice`."""
from __future__ import annotations

import streamlit as st

from core.errors import DailiesError
from core.models import DELIVERIES, MAX_LINE_CHARS, NARRATOR, VOICES, Scene, StoryPlan, lines_seconds
from core.pipeline.voice_cast import VOICE_LABELS, choose_voices
from core.store import Project, Take

PLAIN = "plain"  # how the table shows "no delivery" ("" would look like an empty cell)


def voice_label(voice: str) -> str:
    return VOICE_LABELS.get(voice, voice)


def current_voices(plan: StoryPlan, heads: dict[str, Take]) -> dict[str, str]:
    """Who speaks with which voice now: each speaker's `voice/<name>` part (what status()["voices"] lists), the
    voice the plan would choose for a speaker without one."""
    chosen = choose_voices(plan)
    parts = {slot.split("/", 1)[1]: t.payload.get("voice") for slot, t in heads.items()
             if slot.startswith("voice/") and t.payload}
    return {name: parts.get(name) if parts.get(name) in VOICES else voice for name, voice in chosen.items()}


def play(project: Project, asset: str | None) -> None:
    """An audio player for an asset (a line, a voice sample); one warning line if its file cannot be read."""
    if not asset:
        return
    try:
        row = project.assets.row(asset)
        st.audio(str(project.assets.path(asset)), format=f"audio/{'mpeg' if row['ext'] == 'mp3' else row['ext']}")
    except (DailiesError, OSError) as err:
        st.warning(str(err))


def scene_lines(project: Project, story: Take, plan: StoryPlan, *, disabled: bool, key: str) -> None:
    """Pick a scene, edit its lines in a table (speaker, text, delivery), save them as one story edit."""
    labels = {s.scene_id: f"{i}. {s.title} · {_count(s)}" for i, s in enumerate(plan.scenes, start=1)}
    scene_id = st.selectbox("Scene", list(labels), format_func=labels.get, key=f"{key}-lines-scene")
    if scene_id is None:
        return
    position = plan.position(scene_id)
    scene = plan.scene(scene_id)
    need = lines_seconds(scene.lines)
    st.caption(f"Scene {position} lasts {scene.duration_seconds} s"
               + (f"; its lines need about {need:.1f} s" if scene.lines else "")
               + f". Speakers: {', '.join([*scene.characters_present, NARRATOR])}. "
               "Add a row for a new line; an empty text removes it. Saving lengthens the scene if its lines need it.")
    # Columns as lists (not a DataFrame): an empty scene still gets its three columns, and pages stay free of pandas.
    rows = {"speaker": [x.speaker for x in scene.lines], "text": [x.text for x in scene.lines],
            "delivery": [x.delivery or PLAIN for x in scene.lines]}
    speakers = [*scene.characters_present, NARRATOR]
    edited = st.data_editor(
        rows, num_rows="dynamic", hide_index=True, width="stretch", disabled=disabled,
        key=f"{key}-lines-{scene_id}-{story.id}",  # a new story take starts a fresh table
        column_config={
            "speaker": st.column_config.SelectboxColumn("speaker", options=speakers, required=True,
                                                        default=speakers[0], width="small"),
            "text": st.column_config.TextColumn("text", width="large", max_chars=MAX_LINE_CHARS,
                                                help="The words spoken, a sentence or two"),
            "delivery": st.column_config.SelectboxColumn("delivery", options=[PLAIN, *(d for d in DELIVERIES if d)],
                                                         required=True, default=PLAIN, width="small",
                                                         help="How it is said"),
        })
    msg_key = f"{key}-lines-msg"
    if st.button("Save lines", key=f"{key}-lines-save-{scene_id}", disabled=disabled, type="primary"):
        from core.pipeline.edits import edit_lines
        from core.pipeline.plan import story_of

        new = [{"speaker": _text(r.get("speaker")) or NARRATOR, "text": _text(r.get("text")),
                "delivery": "" if _text(r.get("delivery")) in ("", PLAIN) else _text(r.get("delivery"))}
               for r in _records(edited)]
        try:
            take = edit_lines(project, scene_id, new)
        except DailiesError as err:
            st.error(str(err))
            return
        if take.id == story.id:
            st.session_state[msg_key] = f"Scene {position}: nothing changed."
        else:
            after = story_of(take).scene(scene_id)
            longer = (f" The scene now lasts {after.duration_seconds} s to fit them."
                      if after.duration_seconds != scene.duration_seconds else "")
            st.session_state[msg_key] = (f"Saved {len(after.lines)} line{'s' * (len(after.lines) != 1)} of scene "
                                         f"{position}.{longer} "
                                         + ("The changed ones need voicing: Generate page, Lines." if after.lines
                                            else ""))
        st.rerun()
    if msg := st.session_state.pop(msg_key, None):
        st.success(msg)


def _records(edited) -> list[dict]:
    """The edited table as rows, whatever container the editor hands back (columns, rows or a frame)."""
    if hasattr(edited, "to_dict"):
        return edited.to_dict("records")
    if isinstance(edited, dict):
        cols = {k: list(v.values()) if isinstance(v, dict) else list(v) for k, v in edited.items()}
        return [dict(zip(cols, values)) for values in zip(*cols.values())]
    return list(edited)


def summary(scene: Scene) -> str:
    """A scene's lines in a few words, for a read-only table cell: "2: Fox, Narrator"."""
    if not scene.lines:
        return ""
    who = list(dict.fromkeys(x.speaker for x in scene.lines))
    return f"{len(scene.lines)}: {', '.join(who)}"


def _count(scene: Scene) -> str:
    n = len(scene.lines)
    return f"{n} line{'s' * (n != 1)}" if n else "no lines"


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""
