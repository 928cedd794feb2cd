"""Generate: clips per scene, regenerate one scene or everything stale, the cut, export and cost."""
from pathlib import Path

import streamlit as st

from core.errors import DailiesError
from core.pipeline.costs import estimate_run
from core.pipeline.cut import export_path
from core.pipeline.edits import is_approved
from core.pipeline.plan import story_of
from core.pipeline.status import stale_slots
from ui import jobs, widgets

st.title("Generate")
project = widgets.need_project()
busy = jobs.busy(project)
story = project.takes.head("story")
if story is None:
    st.info("Plan a story on the Story page first.")
    st.stop()
plan = story_of(story)
stale = stale_slots(project)
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

approved = is_approved(project)
if not approved:
    st.warning("Approve the story on the Story page before running the film.")
b1, b2, _ = st.columns([1, 1, 2])
if b1.button("Run all", type="primary", disabled=busy or not approved, width="stretch",
             help="Make everything that is missing or needs regen, then the cut"):
    jobs.submit(project, "make", {}, label="Run all")
    st.rerun()
stale_media = sorted(s for s in stale if s.split("/")[0] in ("sheet", "keyframe", "clip", "script", "cut"))
if b2.button(f"Regenerate stale ({len(stale_media)})", disabled=busy or not stale_media or not approved,
             width="stretch",
             help=", ".join(stale_media) or "Nothing needs regen"):
    jobs.submit(project, "make", {}, label="Regenerate stale")
    st.rerun()

st.subheader("Scenes")
playing = st.session_state.get("playing")
for s in plan.scenes:
    n = s.scene_id
    clip, keyframe = project.takes.head(f"clip/{n}"), project.takes.head(f"keyframe/{n}")
    cost = sum(by_slot.get(f"{k}/{n}", {}).get("cost_usd", 0.0) for k in ("keyframe", "clip"))
    with st.container(border=True):
        pic, info, actions = st.columns([2, 3, 1.2], vertical_alignment="center")
        with pic:
            if playing == n and clip is not None:
                widgets.video(project, clip)
            else:
                widgets.picture(project, clip or keyframe, size="m")
        with info:
            st.markdown(f"**{n}. {s.title}** — {s.camera}, {s.duration_seconds}s, then *{s.transition}*")
            st.caption(s.action)
            widgets.badges(clip, f"clip/{n}" in stale)
            st.caption(f"{project.takes.count(f'clip/{n}')} clip takes · cost ${cost:.2f}")
        with actions:
            if clip is not None and st.button("▶ Play", key=f"play-{n}", width="stretch"):
                st.session_state["playing"] = n
                st.rerun()
            if st.button(f"Regenerate scene {n}", key=f"regen-{n}", disabled=busy or keyframe is None,
                         width="stretch", help="New keyframe and clip for this scene, then a new cut"):
                jobs.submit(project, "regenerate", {"scene": n}, label=f"Regenerate scene {n}")
                st.rerun()

st.subheader("The cut")
cut = project.takes.head("cut")
if cut is None:
    st.caption("Run all to assemble the cut.")
    st.stop()
widgets.badges(cut, "cut" in stale)
widgets.video(project, cut)
st.caption(" → ".join(f"{s.scene_id}. {s.title}" + (f" ({s.transition})" if s.scene_id > 1 else "")
                      for s in plan.scenes))
e1, e2 = st.columns(2)
if e1.button("Export MP4", disabled=busy, width="stretch", help="Bring the cut up to date and write it to exports/"):
    jobs.submit(project, "export", {}, label="Export")
    st.rerun()
path = export_path(project, cut, project.branch)
if Path(path).exists():
    with open(path, "rb") as f:  # only the cut's file, and only when it exists
        e2.download_button("Download MP4", f, file_name=Path(path).name, mime="video/mp4", width="stretch")
    st.caption(f"Exported to {path}")
