"""The xai provider: the real xai_sdk.Client against a fake xAI gRPC server on 127.0.0.1.

What is asserted is what the server received (counts, prompts, images attached),
what the project recorded (takes, call log, cost), and what a person sees when
the API misbehaves (retries, one-line errors, kept takes).
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys

import grpc
import pytest

from core import jobs
from core.errors import ConfigError
from core.pipeline.plan import add_reference, story_of
from core.pipeline.status import status
from core.providers import get_provider
from core.store import Project
from tests.conftest import CONCEPT, ROOT, XAI_KEY as KEY, cli_make, kill_when, xai_film as film, xai_kinds as kinds


def test_a_film_costs_exactly_the_calls_it_needs(fake, tmp_path, faces):
    project, job = film(tmp_path, faces)
    assert job["status"] == "succeeded", job["message"]
    assert kinds(fake) == {"chat": 1, "check": 8, "image": 5, "video": 3}
    st = status(project)
    plan = story_of(project.takes.head("story"))
    from core.pipeline.voices import line_rows

    # one request per different spoken line (the same words in the same voice are one call)
    assert fake.count("tts") == len({(r.text, r.delivery, r.voice) for r in line_rows(project)}) > 0
    assert st["calls"]["total"] == 17 + fake.count("tts")
    rows = project.calls.recent(100)
    ops = sorted(r["operation"] for r in rows)
    assert ops.count("make_sheet") == 2 and ops.count("compose_keyframe") == 3 and ops.count("animate_clip") == 3
    plan = story_of(project.takes.head("story"))
    refs = [min(3, len(s.characters_present) + (s.scene_id > 1)) for s in plan.scenes]  # sheets + previous keyframe
    images = 2 * (0.02 + 0.02) + sum(0.02 + 0.02 * r for r in refs)  # sheets stylize one photo each
    videos = sum(s.duration_seconds for s in plan.scenes) * 0.05
    chat = sum(r["cost_usd"] for r in rows if r["operation"] in ("plan_story", "check"))
    speech = sum(len(r.text) for r in fake.tts_requests) * 4.20 / 1e6
    assert st["calls"]["cost_usd"] == pytest.approx(images + videos + chat + speech, abs=1e-4)
    assert set(st["costs"]["scenes"]) == {"1", "2", "3"} and st["costs"]["project"] == st["calls"]["cost_usd"]
    # Keyframes are multi-reference edits: scene 2 has both sheets and the previous keyframe.
    kf = [r for r in fake.requests if r.kind == "image"][2:]
    assert [r.image_count for r in kf] == refs
    # Video prompts are motion only: no frozen description in them; image prompts quote it verbatim.
    plan_desc = plan.characters[0].visual_description
    assert all(plan_desc not in r.prompt for r in fake.requests if r.kind == "video")
    assert any(plan_desc in r.prompt for r in fake.requests if r.kind == "image")


def test_regenerate_scene_two_sends_only_its_keyframe_clip_and_checks(fake, tmp_path, faces):
    project, _ = film(tmp_path, faces)
    before = kinds(fake)
    jobs.submit(project, "regenerate", {"scene": 2}, provider="xai", background=False)
    after = kinds(fake)
    assert {k: after[k] - before[k] for k in after} == {"chat": 0, "check": 2, "image": 1, "video": 1}


def test_make_again_sends_nothing(fake, tmp_path, faces):
    project, _ = film(tmp_path, faces)
    n = len(fake.requests)
    jobs.submit(project, "make", {"concept": CONCEPT, "scenes": 3}, provider="xai", background=False)
    assert len(fake.requests) == n


def test_transient_faults_are_retried_until_the_film_is_done(fake, tmp_path, faces):
    fake.fail("*", grpc.StatusCode.UNAVAILABLE, rate=0.15, seed=1)
    fake.fail("*", grpc.StatusCode.RESOURCE_EXHAUSTED, rate=0.15, seed=2)
    project, job = film(tmp_path, faces)
    assert job["status"] == "succeeded", job["message"]
    # retries are not new calls: one logged call per answer
    assert status(project)["calls"]["total"] == 17 + len({(r.text, r.voice_id) for r in fake.tts_requests})


def test_a_rejected_key_stops_the_job_with_one_line_that_says_how_to_fix_it(fake, tmp_path, faces):
    fake.valid_keys = {"some-other-key"}
    project, job = film(tmp_path, faces)
    assert job["status"] == "failed"
    assert "rejected the key" in job["message"] and "XAI_API_KEY" in job["message"]
    assert "\n" not in job["message"] and KEY not in job["message"]
    assert fake.count("image") == 0  # stopped at the plan


def test_a_failed_video_fails_that_step_and_keeps_every_other_take(fake, tmp_path, faces):
    fake.video_outcome("failed", nth=[2])
    project, job = film(tmp_path, faces)
    assert job["status"] == "failed"
    assert "could not make the clip" in job["message"] and "Prompt" in job["message"]
    heads = project.takes.head_ids()
    assert {"sheet/Ada", "sheet/Bo", "keyframe/1", "keyframe/2", "keyframe/3"} <= set(heads)
    assert len([s for s in heads if s.startswith("clip/")]) == 2


def test_a_moderated_image_names_the_step_and_the_prompt(fake, tmp_path, faces):
    fake.moderate_image(nth=[3])
    project, job = film(tmp_path, faces)
    assert job["status"] == "failed" and "moderation" in job["message"] and "Prompt" in job["message"]
    assert project.takes.head("sheet/Ada") and project.takes.head("sheet/Bo")


def test_the_key_is_never_written_anywhere(fake, tmp_path, faces):
    fake.valid_keys = {KEY}
    project, job = film(tmp_path, faces)
    fake.valid_keys = {"other"}
    jobs.submit(project, "regenerate", {"scene": 1}, provider="xai", background=False)  # a failure message too
    project.close()
    hits = [p for p in (tmp_path / "film").rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]
    assert hits == []


def test_a_plaintext_channel_is_only_for_loopback(monkeypatch):
    monkeypatch.setenv("XAI_API_KEY", KEY)
    monkeypatch.setenv("DAILIES_XAI_HOST", "api.example.com:443")
    monkeypatch.setenv("DAILIES_XAI_INSECURE", "1")
    with pytest.raises(ConfigError, match="loopback"):
        get_provider("xai")


def test_sigkill_mid_run_then_make_again_repeats_no_finished_call(fake, tmp_path, faces, workspace):
    fake.latency = {"image": 0.3, "video": 1.0}
    path = tmp_path / "film"
    args, env = cli_make(path, faces, workspace, scenes=3, provider="xai")
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def two_keyframes_done():
        with sqlite3.connect(path / "project.db", timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM calls WHERE operation = 'compose_keyframe'").fetchone()[0] >= 2
    kill_when(proc, two_keyframes_done)
    assert proc.returncode == -signal.SIGKILL
    with sqlite3.connect(path / "project.db") as conn:
        finished = {r[0] for r in conn.execute("SELECT prompt FROM calls WHERE operation = 'compose_keyframe'")}
    sent_before = [r.prompt for r in fake.requests if r.kind == "image"]
    p = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    sent_after = [r.prompt for r in fake.requests if r.kind == "image"][len(sent_before):]
    assert not finished & set(sent_after)  # no finished keyframe was asked for again
    assert "key accepted" in p.stderr and "costs about $" in p.stderr


def unfinished(path) -> dict[str, str]:
    """The video requests the project recorded as started and not yet finished: key -> request id."""
    with sqlite3.connect(path / "project.db", timeout=5) as conn:
        return dict(conn.execute("SELECT key, request_id FROM deferred").fetchall())


def polls_of(server, request_id: str) -> int:
    return sum(1 for r in server.requests if r.kind == "poll" and r.request.request_id == request_id)


def test_a_video_whose_wait_failed_is_waited_for_again_not_bought_again(fake, tmp_path, faces):
    fake.fail("poll", grpc.StatusCode.UNAVAILABLE, rate=1.0)  # every status check fails: no clip can finish
    project, job = film(tmp_path, faces)
    assert job["status"] == "failed" and "the clip (status)" in job["message"]
    started = unfinished(project.path)
    assert len(started) == fake.count("video") >= 1  # every render that was started is on record
    waiting = status(project)["renders_waiting"]  # and the user can see it
    assert sorted(w["request_id"] for w in waiting) == sorted(started.values())
    assert all(w["slot"].startswith("clip/") for w in waiting)
    fake.clear_faults()
    jobs.submit(project, "make", {"concept": CONCEPT, "scenes": 3}, provider="xai", background=False)
    assert len([s for s in project.takes.head_ids() if s.startswith("clip/")]) == 3
    assert fake.count("video") == 3  # the renders from the first run were waited for, not started again
    assert all(polls_of(fake, rid) > 0 for rid in started.values())
    assert unfinished(project.path) == {} and status(project)["renders_waiting"] == []
    ok = list(project.db.query("SELECT cost_usd FROM calls WHERE operation = 'animate_clip' AND outcome = 'ok'"))
    assert len(ok) == 3 and all(r["cost_usd"] > 0 for r in ok)  # each clip paid for once


def test_a_request_xai_no_longer_knows_is_started_again(fake, tmp_path, faces):
    fake.video_outcome("failed", nth=[1])
    project, job = film(tmp_path, faces, scenes=1)
    assert job["status"] == "failed" and unfinished(project.path) == {}  # a failed render is over: not resumed
    fake.clear_faults()
    fake.fail("poll", grpc.StatusCode.UNAVAILABLE, rate=1.0)
    jobs.submit(project, "make", {"concept": CONCEPT, "scenes": 1}, provider="xai", background=False)
    (key, rid), = unfinished(project.path).items()
    project.db.execute("UPDATE deferred SET request_id = 'gone-123' WHERE key = ?", [key])  # e.g. xAI forgot it
    fake.clear_faults()
    before = fake.count("video")
    job = jobs.get(project, jobs.submit(project, "make", {"concept": CONCEPT, "scenes": 1}, provider="xai",
                                        background=False))
    assert job["status"] == "succeeded", job["message"]
    assert fake.count("video") == before + 1 and polls_of(fake, "gone-123") == 1
    assert unfinished(project.path) == {}


def test_a_forgotten_request_is_bought_again_only_within_the_budget(fake, tmp_path, faces):
    fake.fail("poll", grpc.StatusCode.UNAVAILABLE, rate=1.0)
    project, _ = film(tmp_path, faces, scenes=1)
    (key, _rid), = unfinished(project.path).items()
    project.db.execute("UPDATE deferred SET request_id = 'gone-456' WHERE key = ?", [key])
    fake.clear_faults()
    project.set_setting("budget_usd", project.calls.totals()["cost_usd"] + 0.01)  # less than one more render
    before = fake.count("video")
    job = jobs.get(project, jobs.submit(project, "make", {"concept": CONCEPT, "scenes": 1}, provider="xai",
                                        background=False))
    assert job["status"] == "failed" and "Budget cap" in job["message"]
    assert fake.count("video") == before and polls_of(fake, "gone-456") == 1


def test_sigkill_while_a_video_renders_then_make_again_waits_for_that_render(fake, tmp_path, faces, workspace):
    fake.latency = {"image": 0.05, "video": 4.0}
    path = tmp_path / "film"
    args, env = cli_make(path, faces, workspace, scenes=2, provider="xai")
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    started = kill_when(proc, lambda: unfinished(path))
    assert proc.returncode == -signal.SIGKILL and started
    started = unfinished(path)  # whatever else got on record before the kill landed
    n = len(fake.requests)
    p = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    after = fake.requests[n:]
    for rid in started.values():  # each render on record is waited for after the restart
        assert any(r.kind == "poll" and r.request.request_id == rid for r in after)
    renders = [r.prompt for r in fake.requests if r.kind == "video"]
    assert len(renders) == len(set(renders)) == 2  # no clip was rendered twice: each was bought once
    assert unfinished(path) == {}


def test_the_cli_fails_in_one_line_when_the_key_is_rejected(fake, tmp_path, faces, workspace):
    env = {**os.environ, "DAILIES_HOME": str(workspace), "XAI_API_KEY": "wrong-key"}
    p = subprocess.run([sys.executable, "-m", "core", "make", CONCEPT, "--project", str(tmp_path / "f"),
                        "--provider", "xai"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    assert p.returncode == 1 and len(lines) == 1 and "XAI_API_KEY" in lines[0] and "Traceback" not in p.stderr
    assert "wrong-key" not in p.stderr
