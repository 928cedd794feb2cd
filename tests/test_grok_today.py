"""Grok as it is today, against the fake xAI server being as rude as the real one.

- Plans that are valid JSON and still wrong: the film is made anyway, with at most
  one re-ask in the call log and the repairs as notes in `status --json`; a plan with
  nothing usable is refused at plan time (exit 2, one line), never after.
- Retired or unlisted models: refused before any paid call, exit 2, naming the model.
- Requests that fit: a 17 MB, 31-megapixel photo goes through; video requests name
  their resolution and sound.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys

import grpc
import numpy as np
import pytest
from PIL import Image

from core import jobs
from core.pipeline.status import status
from core.providers import xai_catalog
from core.providers.xai_fit import SDK_LIMIT
from tests.conftest import CONCEPT, ROOT, XAI_KEY, xai_film, xai_kinds

PAID = ("chat", "check", "image", "video")


def plan_calls(project) -> list[dict]:
    return list(project.db.query("SELECT * FROM calls WHERE operation = 'plan_story' ORDER BY id"))


def cli(args, workspace, fake, **env):
    full = {"PATH": "/usr/bin:/bin", "DAILIES_HOME": str(workspace), "XAI_API_KEY": XAI_KEY,
            "DAILIES_XAI_HOST": fake.host, "DAILIES_XAI_API_URL": fake.http_url + "/v1",
            "DAILIES_XAI_RETRY_BASE": "0.01", "DAILIES_XAI_POLL": "0.05", **env}
    return subprocess.run([sys.executable, "-m", "core", *map(str, args)], cwd=ROOT, env=full, capture_output=True,
                          text=True, timeout=600)


def make_args(path, faces, *extra):
    return ["make", CONCEPT, "--project", path, "--scenes", 3, "--provider", "xai",
            "--ref", f"Ada={faces['Ada']}", "--ref", f"Bo={faces['Bo']}", *extra]


# -- plans that are wrong ------------------------------------------------------------------------------------------

REPAIRED = {  # defect -> a piece of the note it leaves when the re-ask gets it wrong again
    "repeated_ids": "renumbered by position",
    "unknown_names": "who is not in the cast: dropped",
    "short_descriptions": "words (80 asked): kept as written",
    "extra_scenes": "cut to the first 3",
    "fewer_scenes": "kept 2",
    "crowded_scene": "characters (3 at most",
    "long_scene": "set to 15 s",
    "duplicate_names": "Two characters are named",
    "bad_transition": "set to cut",
    "stranger_lines": "given to the narrator",
    "wordy_lines": "split the scene",
}


@pytest.mark.parametrize("defect", sorted(REPAIRED))
def test_a_wrong_plan_asked_again_and_still_wrong_is_repaired_and_the_film_is_made(fake, tmp_path, faces, defect):
    fake.rude_plans(defect, answers=2)  # the first answer and the re-ask
    project, job = xai_film(tmp_path, faces)
    assert job["status"] == "succeeded", job["message"]
    calls = plan_calls(project)
    assert len(calls) == 2 and "Your last answer had these problems" in calls[1]["prompt"]
    assert calls[1]["cost_usd"] > 0  # the re-ask is a paid, logged call like any other
    notes = status(project)["plan_notes"]
    assert any(REPAIRED[defect] in n for n in notes), notes
    heads = project.takes.head_ids()
    scenes = 2 if defect == "fewer_scenes" else 3
    assert sorted(s for s in heads if s.startswith("clip/")) == [f"clip/{n}" for n in range(1, scenes + 1)]


def test_a_wrong_plan_fixed_by_the_reask_leaves_no_notes_and_is_replayed_for_free(fake, tmp_path, faces):
    fake.rude_plans("repeated_ids", "unknown_names", answers=1)
    project, job = xai_film(tmp_path, faces)
    assert job["status"] == "succeeded", job["message"]
    asked = [r.prompt for r in fake.requests if r.kind == "chat" and "StoryPlan" in r.prompt]
    assert len(asked) == 2
    assert "'quiet drift', who is not in the cast" in asked[1] and "instead of 1 to 3 in order" in asked[1]
    assert status(project)["plan_notes"] == []
    n = len(fake.requests)
    again = jobs.get(project, jobs.submit(project, "make", {"concept": CONCEPT, "scenes": 3}, provider="xai",
                                          background=False))
    assert again["status"] == "succeeded" and [r.kind for r in fake.requests[n:] if r.kind in PAID] == []


def test_loosely_written_names_are_read_as_the_cast_without_a_reask(fake, tmp_path, faces):
    fake.rude_plans("respelled_names")
    project, job = xai_film(tmp_path, faces)
    assert job["status"] == "succeeded", job["message"]
    assert len(plan_calls(project)) == 1
    assert any("read as" in n for n in status(project)["plan_notes"])


def test_an_answer_that_is_not_json_is_asked_again(fake, tmp_path, faces):
    fake.rude_plans("not_json")
    project, job = xai_film(tmp_path, faces)
    assert job["status"] == "succeeded", job["message"]
    first, second = plan_calls(project)
    assert first["outcome"] == "error" and "not JSON" in first["error"] and first["cost_usd"] > 0
    assert second["outcome"] == "ok"


@pytest.mark.parametrize("defect", ["no_characters", "no_scenes", "not_json"])
def test_a_plan_with_nothing_usable_exits_2_at_plan_time_in_one_line(fake, tmp_path, faces, workspace, defect):
    fake.rude_plans(defect, answers=2)
    p = cli(make_args(tmp_path / "film", faces), workspace, fake)
    lines = [line for line in p.stderr.splitlines() if line.startswith("error:")]
    assert p.returncode == 2, p.stderr
    assert p.stderr.strip().splitlines()[-1] == lines[0] and "refused" in lines[0] and "Traceback" not in p.stderr
    assert {k: fake.count(k) for k in ("image", "video", "check")} == {"image": 0, "video": 0, "check": 0}
    assert fake.count("chat") == 2  # the plan and its one re-ask


def test_a_cli_make_with_a_rude_plan_shows_the_notes_in_status_json(fake, tmp_path, faces, workspace):
    fake.rude_plans("repeated_ids", "unknown_names", "short_descriptions", "extra_scenes", answers=2)
    path = tmp_path / "film"
    p = cli(make_args(path, faces), workspace, fake)
    assert p.returncode == 0, p.stderr
    st = json.loads(cli(["status", "--project", path, "--json"], workspace, fake).stdout)
    assert len(st["plan_notes"]) >= 4 and sum(1 for s in st["slots"] if s["slot"].startswith("clip/")) == 3
    assert all("\n" not in n for n in st["plan_notes"])


def test_a_refinement_is_checked_and_asked_again_like_a_plan(fake, tmp_path, faces):
    project, _ = xai_film(tmp_path, faces)
    fake.rude_plans("unknown_names", answers=2)
    job = jobs.get(project, jobs.submit(project, "refine", {"instruction": "make it funnier"}, provider="xai",
                                        background=False))
    assert job["status"] == "succeeded", job["message"]
    refines = list(project.db.query("SELECT prompt FROM calls WHERE operation = 'refine_plan' ORDER BY id"))
    assert len(refines) == 2 and "Your last answer had these problems" in refines[1]["prompt"]
    story = project.takes.head("story")
    assert story.payload["instruction"] == "make it funnier"
    assert any("who is not in the cast: dropped" in n for n in story.payload["notes"])


def test_a_label_mapped_onto_a_character_with_its_own_photo_does_not_replace_it(fake, tmp_path, faces):
    fake.rude_plans("duplicate_names", answers=2)  # Bo is gone from the cast; the mapper maps "Bo" onto Ada
    project, job = xai_film(tmp_path, faces)
    assert job["status"] == "succeeded", job["message"]
    assert project.takes.head("reference/Ada").asset == project.takes.head("reference/Ada").asset
    ada = faces["Ada"].read_bytes()
    assert project.assets.read(project.takes.head("reference/Ada").asset) == ada


# -- models of today -------------------------------------------------------------------------------------------------

def test_the_defaults_are_models_the_api_lists_today(fake):
    assert {xai_catalog.DEFAULT_MODELS[r] for r in ("plan", "check")} <= set(fake.language_models)
    assert xai_catalog.DEFAULT_MODELS["image"] in fake.image_models
    assert not set(xai_catalog.DEFAULT_MODELS.values()) & set(xai_catalog.RETIRED)


def test_a_retired_model_on_the_command_line_exits_2_naming_its_replacement(fake, tmp_path, faces, workspace):
    p = cli(make_args(tmp_path / "film", faces, "--model", "plan=grok-4-1-fast-non-reasoning"), workspace, fake)
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    assert p.returncode == 2 and len(lines) == 1, p.stderr
    assert "grok-4-1-fast-non-reasoning" in lines[0] and "grok-4.20-non-reasoning" in lines[0]
    assert [r for r in fake.requests if r.kind in PAID] == []
    assert not (tmp_path / "film" / "project.db").exists() or \
        not list(__import__("sqlite3").connect(tmp_path / "film" / "project.db").execute("SELECT * FROM calls"))


def test_a_model_the_key_cannot_use_exits_2_before_any_paid_call(fake, tmp_path, faces, workspace):
    fake.image_models = ["grok-imagine-image-quality"]
    p = cli(make_args(tmp_path / "film", faces), workspace, fake)
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    assert p.returncode == 2 and len(lines) == 1, p.stderr
    assert "grok-imagine-image" in lines[0] and "grok-imagine-image-quality" in lines[0]
    assert [r for r in fake.requests if r.kind in PAID] == []


def test_a_job_started_from_the_app_checks_the_models_before_paying(fake, tmp_path, faces):
    fake.language_models = ["grok-4.3"]  # no non-reasoning model for the plan
    project, job = xai_film(tmp_path, faces)
    assert job["status"] == "failed" and "grok-4.20-non-reasoning" in job["message"]
    assert job["error_kind"] == "input" and [r for r in fake.requests if r.kind in PAID] == []


def test_a_model_override_is_used_and_kept_by_a_resume(fake, tmp_path, faces):
    fake.video_outcome("failed", nth=[1])
    project, job = xai_film(tmp_path, faces, scenes=1, models={"plan": "grok-4.3"})
    assert job["status"] == "failed"
    assert {r.model for r in fake.requests if r.kind == "chat"} == {"grok-4.3"}
    resumed = jobs.get(project, jobs.resume(project, job["id"], background=False))
    assert resumed["status"] == "succeeded", resumed["message"]
    assert resumed["params"]["models"] == {"plan": "grok-4.3"}


def test_the_server_refuses_a_retired_model_as_xai_does(fake):
    from xai_sdk.chat import user

    client = fake.client(XAI_KEY)
    with pytest.raises(grpc.RpcError) as err:
        client.chat.create(model="grok-4-1-fast-reasoning", messages=[user("hi")]).sample()
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


# -- requests that fit -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def huge_photo(tmp_path_factory):
    """A 17 MB, 31-megapixel JPEG: inside the upload limits, over the SDK's request limit as it is."""
    w, h = 6800, 4600
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 // w, y * 255 // h, (x + y) * 255 // (w + h)], -1).astype(np.int16)
    noise = np.random.default_rng(1).integers(-16, 17, (h, w, 3))
    buf = io.BytesIO()
    Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=96)
    path = tmp_path_factory.mktemp("huge") / "ada-huge.jpg"
    path.write_bytes(buf.getvalue())
    return path


def test_a_17_mb_31_megapixel_reference_goes_through_xai_end_to_end(fake, tmp_path, faces, huge_photo):
    assert huge_photo.stat().st_size > 16.5e6 and Image.open(huge_photo).size == (6800, 4600)
    project, job = xai_film(tmp_path, {"Ada": huge_photo, "Bo": faces["Bo"]})
    assert job["status"] == "succeeded", job["message"]
    sheet = next(r for r in fake.requests if r.kind == "image" and "Ada" in r.prompt)
    assert sheet.image_count == 1 and sheet.image_sizes[0] < 3_200_000  # sent small, not 17 MB
    assert max(r.size for r in fake.requests) < SDK_LIMIT // 4
    sent = Image.open(io.BytesIO(__import__("base64").b64decode(sheet.request.image.image_url.split(",", 1)[1])))
    assert max(sent.size) == 2048 and sent.format == "JPEG"
    assert project.assets.read(project.takes.head("reference/Ada").asset) == huge_photo.read_bytes()  # kept whole


def test_a_request_too_large_for_the_sdk_is_refused_once_not_retried(fake, monkeypatch, tmp_path, faces):
    from core.providers import xai_fit

    monkeypatch.setattr(xai_fit, "SAFE_LIMIT", 10**12)  # let it through our own guard...
    monkeypatch.setattr(xai_fit, "PASS_BYTES", 10**9)
    monkeypatch.setattr(xai_fit, "MAX_SIDE", 100_000)
    big = tmp_path / "big.png"  # ...as a PNG the SDK itself refuses to send (over 20 MiB once in base64)
    Image.fromarray(np.random.default_rng(2).integers(0, 255, (2600, 2600, 3), dtype=np.uint8)).save(big)
    project, job = xai_film(tmp_path, {"Ada": big, "Bo": faces["Bo"]})
    assert job["status"] == "failed" and "larger than xAI accepts" in job["message"], job["message"]
    assert "run again later" not in job["message"]
    assert fake.count("image") <= 1  # the other sheet may have gone; Ada's was never re-sent


def test_our_own_guard_refuses_an_oversized_request_before_sending(fake, monkeypatch, tmp_path, faces):
    from core.providers import xai_fit

    monkeypatch.setattr(xai_fit, "SAFE_LIMIT", 1000)
    project, job = xai_film(tmp_path, faces)
    assert job["status"] == "failed" and "would be" in job["message"] and "MB" in job["message"]
    assert fake.count("image") == 0


def test_video_requests_name_their_resolution_and_sound(fake, tmp_path, faces):
    project, job = xai_film(tmp_path, faces, scenes=2)
    assert job["status"] == "succeeded", job["message"]
    from xai_sdk.proto import video_pb2
    videos = [r.request for r in fake.requests if r.kind == "video"]
    assert len(videos) == 2
    assert all(v.resolution == video_pb2.VideoResolution.VIDEO_RESOLUTION_720P for v in videos)
    assert all(v.HasField("generate_audio") and v.generate_audio for v in videos)
    assert all(1 <= v.duration <= 15 for v in videos)


def test_an_error_that_quotes_a_prompt_is_one_line(fake, tmp_path, faces, workspace):
    fake.fail("chat", grpc.StatusCode.INVALID_ARGUMENT, rate=1.0, message="the request was refused\nfor reasons")
    p = cli(make_args(tmp_path / "film", faces), workspace, fake)
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    assert p.returncode == 1 and lines[-1].startswith("error:") and "INVALID_ARGUMENT" in lines[-1]
    assert "Prompt:" in lines[-1] and lines[-1].rstrip().endswith("…”")
