"""Generate: clips per scene, the spoken lines, regenerate one scene, one line or everything stale, the cut,
export (stems, a timeline for an editor) and cost."""
from pathlib import Path

import streamlit as st

from core.errors import DailiesError
from core.models import CAMERA_MOVES
from core.pipeline.scenes import set_motion
from core.pipeline.costs import estimate_run
from core.pipeline.cut import export_path
from core.pipeline.handoff import media_folder
from core.pipeline.music import add_music
from core.pipeline.run import export_settings
from core.pipeline.edits import is_approved
from core.pipeline.plan import story_of
from core.pipeline.status import stale_slots
from core.pipeline.voices import line_rows
from core.render.handoff import FORMATS as TIMELINE_FORMATS
from core.render.timeline import options as export_options
from ui import jobs, lines, widgets

st.title("Generate")
project = widgets.need_project()
busy = jobs.busy(project)
story = widgets.need_story(project, "then run it here.")
plan = story_of(story)
heads = project.takes.heads()
stale = stale_slots(project, heads=heads)
counts = project.takes.counts()
by_slot = project.calls.by_slot()
totals = project.calls.totals()

m1, m2, m3, m4 = st.columns(4)
m1.metric("Provider calls", totals["total"])
m2.metric("Cost so far", f"${totals['cost_usd']:.2f}")
m3.metric("Running time", f"{sum(s.duration_seconds for s in plan.scenes)} s")
provider = jobs.provider_of(project)
try:
    full = estimate_run(jobs.provider_instance(provider), project=project)["total_usd"]
    m4.metric(f"A full run on {provider}", f"${full:.2f}", help="Every step once, all checks passing; "
              "finished steps are reused for free")
except DailiesError as err:
    m4.caption(str(err))

waiting = project.calls.waiting()
if waiting and not busy:
    st.info(f"{len(waiting)} video render(s) already paid for and not yet collected "
            f"({', '.join(w['slot'] for w in waiting)}): **Run all** collects them without paying again.",
            icon=":material/hourglass_top:")
approved = is_approved(project)
jobs.gate_banner(project, "clips")
if not approved:
    st.warning("Approve the story on the Story page before running the film.")
b1, b2, _ = st.columns([1, 1, 2])
if b1.button("Run all", type="primary", disabled=busy or not approved, width="stretch",
             help="Make everything that is missing or needs regen, then the cut"):
    jobs.submit(project, "make", {}, label="Run all")
    st.rerun()
stale_media = sorted(s for s in stale if s.split("/")[0] in ("sheet", "keyframe", "clip", "line", "script", "cut"))
if b2.button(f"Regenerate stale ({len(stale_media)})", disabled=busy or not stale_media or not approved,
             width="stretch",
             help=(", ".join(stale_media) + ": each once, and nothing this run itself makes stale")
             if stale_media else "Nothing needs regen"):
    jobs.submit(project, "regenerate_stale", {}, label="Regenerate stale")
    st.rerun()

st.subheader("Scenes")
playing = st.session_state.get("playing")
for position, s in enumerate(plan.scenes, start=1):
    n = s.scene_id  # slots are named by the scene's id; people see its position
    clip, keyframe = heads.get(f"clip/{n}"), heads.get(f"keyframe/{n}")
    cost = sum(by_slot.get(f"{k}/{n}", {}).get("cost_usd", 0.0) for k in ("keyframe", "clip"))
    with st.container(border=True):
        pic, info, actions = st.columns([2, 3, 1.2], vertical_alignment="center")
        with pic:
            if playing == n and clip is not None:
                widgets.video(project, clip)
            else:
                widgets.picture(project, clip or keyframe, size="m")
        with info:
            into = f", {s.transition} in ({s.transition_seconds:g}s)" if position > 1 and s.transition != "cut" \
                else ""
            st.markdown(f"**{position}. {s.title}** — {s.camera}, {s.duration_seconds}s{into}")
            st.caption(s.action)
            widgets.badges(clip, f"clip/{n}" in stale, project.tags.of(clip.id) if clip else [], project=project,
                           key=f"clip-{n}", disabled=busy)
            st.caption(f"{counts.get(f'clip/{n}', 0)} clip takes · cost ${cost:.2f}")
        with actions:
            if clip is not None and st.button("▶ Play", key=f"play-{n}", width="stretch"):
                st.session_state["playing"] = n
                st.rerun()
            if st.button(f"Regenerate scene {position}", key=f"regen-{n}", disabled=busy or keyframe is None,
                         width="stretch", help="New keyframe and clip for this scene, then a new cut"):
                jobs.submit(project, "regenerate", {"scene": n}, label=f"Regenerate scene {position}")
                st.rerun()
            with st.popover("Motion", width="stretch", disabled=busy or keyframe is None):
                st.caption("How this clip moves. Only the clip is made again; the keyframe stays.")
                with st.form(f"motion-{n}", border=False):
                    motion = st.text_area("Motion prompt", value=s.motion, height=80,
                                          placeholder=f"{s.camera}: {s.action}", help="Camera and action only")
                    moves = ["(the scene's camera)", *CAMERA_MOVES]
                    move = st.selectbox("Camera move", moves, index=moves.index(s.clip_camera) if s.clip_camera
                                        in moves else 0)
                    if st.form_submit_button("Save and remake the clip"):
                        try:
                            set_motion(project, position, motion=motion,
                                       camera=None if move == moves[0] else move)
                            jobs.submit(project, "clip", {"scene": n}, label=f"Clip of scene {position}")
                            st.rerun()
                        except DailiesError as err:
                            st.error(str(err))
            if clip is not None:
                with st.popover("Lab", width="stretch", disabled=busy):
                    st.caption("New takes of this clip; the source is kept. The cut uses 720p 24 fps, so these "
                               "are for exporting the clip itself.")
                    if st.button("Upscale 2x", key=f"up-{n}"):
                        jobs.submit(project, "upscale", {"take": clip.id}, label=f"Upscaling clip {n}")
                        st.rerun()
                    fps = st.segmented_control("Smooth motion to", [48, 60], key=f"fps-{n}",
                                               format_func=lambda f: f"{f} fps")
                    if fps and st.button("Interpolate", key=f"interp-{n}",
                                         help="Motion-compensated frame interpolation (slow: about a minute)"):
                        jobs.submit(project, "interpolate", {"take": clip.id, "fps": fps}, label=f"Interpolating {n}")
                        st.rerun()
        if counts.get(f"clip/{n}", 0) > 1:
            with st.expander(f"Clip takes ({counts[f'clip/{n}']}): tags, compare"):
                widgets.take_strip(project, f"clip/{n}", head=clip, disabled=busy, key=f"clip-{n}")
                widgets.compare(project, f"clip/{n}", key=f"clip-{n}")

st.subheader("Lines")
cut = heads.get("cut")
said = line_rows(project)
cues = {c["slot"]: c for c in ((cut.payload or {}).get("cues") or [])} if cut else {}
if not said:
    st.caption("No scene has lines: write them on the Story page (or the Shooting page).")
else:
    todo = [r for r in said if r.stale]
    l1, l2 = st.columns([3, 1], vertical_alignment="center")
    l1.caption(f"{len(said)} line{'s' * (len(said) != 1)}, " + (f"{len(todo)} need{'s' * (len(todo) == 1)} voicing"
               if todo else "all voiced") + ". Each is placed in the cut where its scene is; changing a voice on "
               "the Design page or the words on the Story page makes only those lines need regen."
               + ("" if cut else " Lines are voiced with the cut: Run all first."))
    if todo and l2.button(f"Voice all lines ({len(todo)})", key="lines-voice-all", disabled=busy or cut is None,
                          type="primary", width="stretch", help="Every line that needs it, then a new cut"):
        jobs.submit(project, "lines", {}, label="Voicing lines")
        st.rerun()
    for note in ((cut.payload or {}).get("notes") or []) if cut else []:
        st.warning(note, icon=":material/timer:")
    scenes_said: dict[int, list] = {}
    for r in said:
        scenes_said.setdefault(r.position, []).append(r)
    for position, rows in scenes_said.items():
        with st.container(border=True, key=f"lines-scene-{rows[0].scene}"):
            st.markdown(f"**{position}. {plan.scenes[position - 1].title}**")
            for r in rows:
                with st.container(key=f"line-{r.scene}-{r.line}"):
                    text_col, play_col, act_col = st.columns([4, 3, 1.2], vertical_alignment="center")
                    with text_col:
                        how = f" *({r.delivery})*" if r.delivery else ""
                        st.markdown(f"**{r.position}.{r.line} {r.speaker}** · {lines.voice_label(r.voice)}{how}  \n"
                                    f"“{r.text}”")
                        cue = cues.get(r.slot)
                        st.caption((f"{cue['start']:.2f}–{cue['end']:.2f} s in the cut" if cue else "not in the cut")
                                   + (f" · {r.seconds:.1f} s of audio" if r.seconds else ""))
                        take = heads.get(r.slot)
                        if take is None:
                            st.badge("not voiced yet", color="gray")
                        elif r.stale:
                            widgets.badges(take, True, project.tags.of(take.id))
                    with play_col:
                        lines.play(project, r.asset)
                    if act_col.button("Regenerate", key=f"line-regen-{r.scene}-{r.line}", width="stretch",
                                      disabled=busy or cut is None,
                                      help=f"A new take of line {r.line} of scene {r.position}, then a new cut"):
                        jobs.submit(project, "line", {"scene": r.scene, "line": r.line},
                                    label=f"Line {r.line} of scene {r.position}")
                        st.rerun()

st.subheader("The cut")
saved = project.setting("export_settings") or {}
with st.expander("Export settings: format, titles, subtitles, soundtrack", expanded=False):
    with st.form("export-settings", border=False):
        values, music_file, keep_music = {}, None, False
        shown = [o for o in export_options() if o.app]
        cols = st.columns(3)
        for i, o in enumerate(o for o in shown if o.kind in ("choice", "flag")):
            box = cols[i % 3]
            current = saved.get(o.name, o.default)
            if o.kind == "flag":
                values[o.name] = box.checkbox(o.label, value=bool(current), help=o.help)
            else:
                values[o.name] = box.selectbox(o.label, o.choices, index=o.choices.index(current),
                                               format_func=lambda c, o=o: o.labels.get(c, str(c)), help=o.help)
        for o in shown:
            current = saved.get(o.name, o.default)
            if o.kind == "text":
                values[o.name] = st.text_input(o.label, value=current or "", help=o.help)
            elif o.kind == "number" and o.default is None:  # optional: "each scene's own" unless set
                own = st.checkbox(f"{o.label}: each scene's own", value=current is None, help=o.help)
                values[o.name] = None if own else st.slider(o.label, o.minimum, o.maximum,
                                                            float(current or o.minimum), o.step or 0.5)
            elif o.kind == "number":
                values[o.name] = st.slider(o.label, o.minimum, o.maximum, float(current),
                                           o.step or round((o.maximum - o.minimum) / 20, 2), help=o.help)
            elif o.kind == "audio":
                music_file = st.file_uploader(f"{o.label} (M4A, MP3, WAV, OGG)",
                                              type=["m4a", "mp3", "wav", "ogg", "aac"], help=o.help)
                keep_music = bool(saved.get(o.name)) and st.checkbox("Keep the current music track", value=True)
        if st.form_submit_button("Save export settings", disabled=busy):
            try:
                music = saved.get("music") if keep_music else None
                if music_file is not None:
                    music = add_music(project, music_file.getvalue(), filename=music_file.name)
                new = {**saved, **values, "music": music}
                export_settings(project, new)  # validate before saving
                project.set_setting("export_settings", new)
                st.rerun()
            except DailiesError as err:
                st.error(str(err))
if cut is None:
    st.caption("Run all to assemble the cut.")
    st.stop()
widgets.badges(cut, "cut" in stale)
widgets.video(project, cut)
boundaries = " → ".join(f"{i}. {s.title}" + (f" ({s.transition} {s.transition_seconds:g}s)" if i > 1
                                              and s.transition != "cut" else "")
                        for i, s in enumerate(plan.scenes, start=1))
st.caption(f"{cut.payload.get('name', '')} · {cut.payload.get('duration') or 0:.1f}s · {boundaries}")
if cut.payload.get("animatic"):
    ids = {s.scene_id: i for i, s in enumerate(plan.scenes, start=1)}
    st.warning(f"Scenes {', '.join(str(ids.get(n, n)) for n in cut.payload['animatic'])} are animatics (keyframe "
               "previews) until "
               "their clips are made.")
e1, e2, e3 = st.columns(3)
if e1.button("Export MP4", disabled=busy, width="stretch", help="Render with the export settings into exports/"):
    jobs.submit(project, "export", {}, label="Export")
    st.rerun()
if e2.button("Animatic preview", disabled=busy, width="stretch",
             help="The whole film from the keyframes with camera moves: free, marked ANIMATIC"):
    jobs.submit(project, "export", {"settings": {"animatic": True}}, label="Animatic")
    st.rerun()
path = export_path(project, cut, project.branch)
if Path(path).exists():
    with open(path, "rb") as f:  # only the cut's file, and only when it exists
        e3.download_button("Download MP4", f, file_name=Path(path).name, mime="video/mp4", width="stretch")
    st.caption(f"Exported to {path}")
s1, s2, s3 = st.columns([1, 1, 1])
srt = Path(path).with_suffix(".srt")
if srt.exists():
    s1.download_button("Download subtitles (.srt)", srt.read_text(), file_name=srt.name, mime="text/plain",
                       width="stretch", key="download-srt")
stems = project.path / "exports" / "stems"
if s2.button("Write stems (WAV) for an editor", key="stems", disabled=busy, width="stretch",
             help=f"The cut's dialogue, music and effects as three WAV files in {stems}"):
    jobs.submit(project, "export", {"stems": str(stems)}, label="Stems")
    st.rerun()
written = sorted(stems.glob(f"{Path(path).stem}-*.wav")) if stems.is_dir() else []
if written:
    st.markdown("Stems written:\n" + "\n".join(f"- `{p}` ({p.stat().st_size / 1e6:.1f} MB)" for p in written))
handoff = project.path / "exports" / "handoff"
with s3.popover("Hand off to an editor", disabled=busy, width="stretch"):
    fmt = st.radio("Timeline", list(TIMELINE_FORMATS), format_func=lambda x: f"{TIMELINE_FORMATS[x]} ({x})",
                   key="handoff-format", help="OpenTimelineIO for any editor; FCP 7 XML opens in DaVinci Resolve, "
                   "Premiere and Kdenlive; an EDL holds the picture only")
    if st.button("Write the timeline", key="handoff", width="stretch",
                 help=f"The clips, cards, transitions, three sound tracks and subtitle markers, in {handoff}"):
        handoff.mkdir(parents=True, exist_ok=True)
        jobs.submit(project, "export", {"otio": str(handoff / f"{Path(path).stem}{fmt}")}, label="Hand-off")
        st.rerun()
timelines = sorted(p for p in handoff.glob(f"{Path(path).stem}.*") if p.suffix in TIMELINE_FORMATS) \
    if handoff.is_dir() else []
if timelines:
    st.markdown("Timelines for an editor:\n" + "\n".join(
        f"- `{p}` ({TIMELINE_FORMATS[p.suffix]}; media in `{media_folder(p)}`)" for p in timelines))
