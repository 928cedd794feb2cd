"""Submitting work and watching it: the only way a page starts anything slow.

`submit()` turns a click into a core job (errors become one `st.error` line).
`progress_panel()` is a fragment that polls the job rows once a second while a
job runs, and stops polling when none does: the moment the last job ends it
reruns the whole page once so the new takes appear.
"""
from __future__ import annotations

import streamlit as st

from core import jobs
from core.errors import DailiesError
from core.pipeline import gates
from core.store import Project

WAS_BUSY = "_jobs_were_busy"


def busy(project: Project | None) -> bool:
    return bool(project and jobs.active(project))


def provider_of(project: Project) -> str:
    from core.providers import default_provider_name

    return project.setting("provider") or default_provider_name()


@st.cache_resource(show_spinner=False)
def provider_instance(name: str):
    """One provider object per name for read-only questions (prices, models); jobs make their own."""
    from core.providers import get_provider

    return get_provider(name)


def submit(project: Project, kind: str, params: dict, *, label: str) -> int | None:
    try:
        job_id = jobs.submit(project, kind, params, provider=provider_of(project))
    except DailiesError as err:
        st.error(str(err))
        return None
    st.session_state[WAS_BUSY] = True
    st.toast(f"{label} started")
    return job_id


def approve_and_continue(project: Project, job_id: int | None = None) -> bool:
    """Approve what the waiting run waits for and continue it (one st.error line if that cannot be done)."""
    try:
        jobs.approve(project, job_id)
    except DailiesError as err:
        st.error(str(err))
        return False
    st.session_state[WAS_BUSY] = True
    st.toast("Approved; the run continues")
    return True


def reuse_banner(project: Project | None) -> None:
    """Above every page, while a run waits on a re-use offer: the offer and the person's answer."""
    if project is None:
        return
    waiting = project.jobs.waiting_jobs(project.branch)
    if waiting and waiting[0]["waiting"] == gates.REUSE and not busy(project):
        with st.container(border=True):
            reuse_offer(project, waiting[0])


def reuse_offer(project: Project, job: dict) -> None:
    """The re-use offer a run waits on: the take it would re-use, and the person's answer, which continues it."""
    from core.pipeline import reuse
    from core.store import Project as Store
    from core.thumbs import thumb_path

    offer = reuse.pending(project)
    if offer is None:  # answered elsewhere (another tab): the run only needs continuing
        if st.button("Continue the run", key=f"reuse-continue-{job['id']}"):
            if approve_and_continue(project, job["id"]):
                st.rerun()
        return
    said = offer.describe()
    st.info(f"Job {job['id']} asks: {said[0].upper()}{said[1:]} instead of paying for a new one?",
            icon=":material/recycling:")
    if offer.ext in ("png", "jpg", "webp", "mp4"):
        try:
            source = Store.open(offer.project_path, create=False)
            try:
                st.image(str(thumb_path(source, offer.asset, "s")), width=240)
            finally:
                source.close()
        except DailiesError as err:
            st.caption(str(err))
    every = st.checkbox(f"The same answer for every offer from {offer.project}", key=f"reuse-all-{job['id']}")
    take, new = st.columns(2)
    for col, accept, label in ((take, True, "Re-use it"), (new, False, "Make a new one")):
        if col.button(label, key=f"reuse-{accept}-{job['id']}", width="stretch", type="primary" if accept else
                      "secondary"):
            reuse.decide(project, offer, accept, every_from_project=every)
            if approve_and_continue(project, job["id"]):
                st.rerun()


def gate_banner(project: Project, stage: str) -> None:
    """On the page of a stage: what the run waits for, and the button that approves it and goes on."""
    waiting = project.jobs.waiting_jobs(project.branch)
    if not waiting or waiting[0]["waiting"] != stage or busy(project):
        return
    job = waiting[0]
    with st.container(border=True):
        st.markdown(f":material/pause_circle: **The run waits for your approval of {gates.NAMES[stage]}.** "
                    "Change or regenerate anything first if you like; nothing after this stage is paid for "
                    "until you approve.")
        if st.button("Approve and continue", type="primary", key=f"gate-{stage}-{job['id']}"):
            if approve_and_continue(project, job["id"]):
                st.rerun()


def progress_panel(project: Project | None) -> None:
    if project is None:
        return
    running = bool(jobs.active(project))

    @st.fragment(run_every=1.0 if running else None)
    def panel():
        active = jobs.active(project)
        if not active:
            if st.session_state.pop(WAS_BUSY, False):
                st.rerun()  # the job just ended: refresh the page once, then stop polling
            last = jobs.recent(project, 1)
            waiting = project.jobs.waiting_jobs(project.branch)
            if waiting and waiting[0]["waiting"] == gates.REUSE:
                st.info(f"Job {waiting[0]['id']} waits for your answer to a re-use offer (above the page).",
                        icon=":material/recycling:")
                return
            if waiting:
                job = waiting[0]
                st.info(f"Job {job['id']} waits for your approval of {gates.NAMES[job['waiting']]}.",
                        icon=":material/pause_circle:")
                if st.button("Approve and continue", key=f"side-approve-{job['id']}"):
                    if approve_and_continue(project, job["id"]):
                        st.rerun()
                return
            if not last:
                st.caption("Nothing has run yet.")
            elif last[0]["status"] == "succeeded":
                st.caption(f"Last: {last[0]['kind']} finished ({(last[0]['finished'] or '')[11:19]} UTC)")
            if last and last[0]["status"] in ("failed", "interrupted", "cancelled"):
                job = last[0]
                (st.error if job["status"] == "failed" else st.warning)(
                    f"Job {job['id']} ({job['kind']}) {job['status']}. {job['message']}")
                if st.button("Resume", key=f"resume-{job['id']}", help="Run it again; finished steps are reused"):
                    try:
                        jobs.resume(project, job["id"])
                        st.session_state[WAS_BUSY] = True
                        st.rerun()
                    except DailiesError as err:
                        st.error(str(err))
            return
        st.session_state[WAS_BUSY] = True
        for job in active:
            st.progress(min(1.0, max(0.0, job["progress"])), text=f"{job['kind'].capitalize()}: {job['message']}")
            if st.button("Cancel", key=f"cancel-{job['id']}", help="Stops at the next safe point; takes are kept"):
                jobs.cancel(project, job["id"])

    panel()
