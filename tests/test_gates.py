"""Review gates: a run in review mode stops after each stage until the person approves it, and pays for
nothing downstream of an unapproved stage; auto mode approves each stage as it goes."""
from __future__ import annotations

import json
import subprocess
import sys

from core import jobs
from core.pipeline import gates
from core.pipeline.edits import is_approved
from core.pipeline.plan import add_reference
from core.pipeline.status import status
from core.store import Project
from tests.conftest import CONCEPT, ROOT, xai_film


def ops(project) -> list[str]:
    return [r["operation"] for r in project.db.query("SELECT operation FROM calls ORDER BY id")]


def cli(*args, workspace):
    return subprocess.run([sys.executable, "-m", "core", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "DAILIES_HOME": str(workspace)}, timeout=600)


def test_make_review_stops_at_each_gate_and_approve_continues_the_same_job(tmp_path, faces, workspace):
    path = tmp_path / "film"
    p = cli("make", CONCEPT, "--project", path, "--scenes", 2, "--ref", f"Ada={faces['Ada']}", "--review",
            workspace=workspace)
    assert p.returncode == 0 and "Waiting for your approval of the plan" in p.stderr and p.stdout == ""
    seen = []
    for stage, made in (("plan", "plan_story"), ("sheets", "make_sheet"), ("keyframes", "compose_keyframe"),
                        ("clips", "animate_clip")):
        st = json.loads(cli("status", "--project", path, "--json", workspace=workspace).stdout)
        assert st["waiting"] == stage and st["gates"][stage] is False
        project = Project.open(path)
        done = ops(project)
        later = {"plan": ("make_sheet", "compose_keyframe", "animate_clip"), "sheets": ("compose_keyframe",
                 "animate_clip"), "keyframes": ("animate_clip",), "clips": ()}[stage]
        assert made in done and not set(later) & set(done)  # nothing past the gate was paid for
        seen.append(st["waiting_job"])
        project.close()
        p = cli("approve", "--project", path, workspace=workspace)
        assert p.returncode == 0, p.stderr
    assert len(set(seen)) == 1  # one job, continued at every gate
    assert p.stdout.strip().endswith(".mp4")
    st = json.loads(cli("status", "--project", path, "--json", workspace=workspace).stdout)
    assert st["waiting"] is None and all(st["gates"].values())
    p = cli("approve", "--project", path, workspace=workspace)
    assert p.returncode == 2 and "No run is waiting" in p.stderr


def test_plain_make_counts_every_stage_as_approved(finished_film):
    project = Project.open(finished_film)
    assert is_approved(project) and all(gates.approved(project, s) for s in gates.STAGES)
    assert status(project)["waiting"] is None
    project.close()


def test_a_waiting_run_survives_a_restart_of_the_process(tmp_path, faces):
    project = Project.open(tmp_path / "film")
    gates.set_review_mode(project, True)
    job = jobs.submit(project, "make", {"concept": CONCEPT, "scenes": 1}, background=False)
    project.close()
    again = Project.open(tmp_path / "film")  # what a restarted app does
    row = jobs.get(again, job)
    assert row["status"] == "waiting" and row["waiting"] == "plan"
    assert jobs.get(again, jobs.approve(again, background=False))["waiting"] == "sheets"


def test_changing_an_approved_stage_needs_approving_again(tmp_path, faces):
    project = Project.open(tmp_path / "film")
    add_reference(project, "Ada", faces["Ada"].read_bytes())
    gates.set_review_mode(project, True)
    job = jobs.submit(project, "make", {"concept": CONCEPT, "scenes": 1}, background=False)
    jobs.approve(project, job, background=False)                   # plan approved; waits at the sheets
    jobs.approve(project, job, background=False)                   # sheets approved; waits at the keyframes
    assert gates.approved(project, "sheets")
    jobs.submit(project, "sheets", {"names": ["Ada"], "regenerate": True}, background=False)
    assert not gates.approved(project, "sheets")                   # a new sheet is not what was approved
    job = jobs.submit(project, "make", {}, background=False)       # the run stops at the sheets again
    assert jobs.get(project, job)["waiting"] == "sheets"


def test_work_done_while_a_run_waits_leaves_it_waiting(tmp_path):
    project = Project.open(tmp_path / "film")
    gates.set_review_mode(project, True)
    run = jobs.submit(project, "make", {"concept": CONCEPT, "scenes": 1}, background=False)
    jobs.approve(project, run, background=False)                            # waits at the sheets now
    edit = jobs.submit(project, "edit", {"slot": "sheet/Ada", "instruction": "brighter"}, background=False)
    assert jobs.get(project, edit)["status"] == "succeeded"
    assert jobs.get(project, run)["status"] == "waiting"                    # the person's edit did not end it
    assert jobs.get(project, jobs.approve(project, background=False))["waiting"] == "keyframes"


def test_an_approved_run_stays_live_while_the_thread_that_stopped_at_the_gate_leaves(tmp_path):
    """The thread that reached the gate releases its hold after the approved run took one: the run is not orphaned."""
    from core.store.jobs import hold

    project = Project.open(tmp_path / "film")
    gates.set_review_mode(project, True)
    run = jobs.submit(project, "make", {"concept": CONCEPT, "scenes": 1}, background=False)
    db = str(project.conns.path)
    leaving = hold(db, run)                  # the gate's thread, still on its way out
    project.jobs.requeue(run)
    arriving = hold(db, run)                 # the approved run's thread
    leaving()
    leaving()                                # a release is idempotent: it never drops another thread's hold
    assert project.jobs.mark_interrupted() == [] and jobs.get(project, run)["status"] == "queued"
    arriving()
    assert project.jobs.mark_interrupted() == [run]


def test_a_new_run_replaces_one_that_waits(tmp_path):
    project = Project.open(tmp_path / "film")
    gates.set_review_mode(project, True)
    first = jobs.submit(project, "make", {"concept": CONCEPT, "scenes": 1}, background=False)
    second = jobs.submit(project, "make", {"concept": CONCEPT, "scenes": 1}, background=False)
    assert jobs.get(project, first)["status"] == "cancelled" and "Replaced by job" in jobs.get(project, first)["message"]
    assert jobs.get(project, second)["status"] == "waiting"


def test_with_review_on_xai_is_paid_for_no_video_before_the_keyframes_are_approved(fake, tmp_path, faces):
    project = Project.open(tmp_path / "film")
    gates.set_review_mode(project, True)
    project.close()
    project, job = xai_film(tmp_path, faces, scenes=2)
    assert job["status"] == "waiting" and job["waiting"] == "plan"
    assert (fake.count("image"), fake.count("video")) == (0, 0)
    jobs.approve(project, background=False)
    assert fake.count("image") == 2 and fake.count("video") == 0     # the sheets, nothing else
    jobs.approve(project, background=False)
    assert fake.count("image") == 4 and fake.count("video") == 0     # and the keyframes: still no video
    assert jobs.get(project, job["id"])["waiting"] == "keyframes"
    jobs.approve(project, background=False)
    assert fake.count("video") == 2
