"""The fake xAI server (tests/fakes/xai_server.py) against the real `xai_sdk.Client`.

These pin down that the fake speaks the SDK's protocol: structured output that the
SDK's own `parse` accepts, images and videos that are real files, and faults that
surface exactly as the SDK surfaces the real API's.
"""
from __future__ import annotations

import base64
import datetime
import io
import json
import re
import threading
import time
import urllib.request

import grpc
import pytest
from PIL import Image
from xai_sdk.chat import image as chat_image
from xai_sdk.chat import user
from xai_sdk.video import VideoGenerationError

from core.models import CheckResult, LabelMapping, StoryPlan
from tests.fakes.xai_server import FakeXai

FAST_POLL = datetime.timedelta(seconds=0.05)


@pytest.fixture
def fx():
    server = FakeXai().start()
    yield server
    server.stop()


@pytest.fixture
def client(fx):
    c = fx.client(timeout=30)
    yield c
    c.close()


def png_uri(size=(64, 48), colour=(200, 80, 40)) -> str:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def plan_text(names: list[str], scenes: int) -> str:
    return ("Plan a short film from this concept as a StoryPlan.\nConcept: a lighthouse keeper and a gull.\n"
            f"Aspect ratio: 16:9.\nExactly {scenes} scenes.\n"
            f"Reference photos were uploaded for: {', '.join(names)}. Use these names for those characters.")


def test_structured_plan_parses_into_story_plan_with_the_requested_names_and_scenes(fx, client):
    chat = client.chat.create(model="grok-4.20-non-reasoning", messages=[user(plan_text(["Mira", "Tom"], 4))])
    response, plan = chat.parse(StoryPlan)
    assert isinstance(plan, StoryPlan)
    assert [c.name for c in plan.characters] == ["Mira", "Tom"]
    assert [s.scene_id for s in plan.scenes] == [1, 2, 3, 4]
    assert all(set(s.characters_present) <= {"Mira", "Tom"} and s.characters_present for s in plan.scenes)
    assert all(len(c.visual_description.split()) >= 80 for c in plan.characters)
    assert len(plan.palette) == 5 and all(re.fullmatch(r"#[0-9a-f]{6}", p) for p in plan.palette)
    assert {s.duration_seconds for s in plan.scenes} == {5} and {s.transition for s in plan.scenes} == {"cut"}
    assert response.usage.prompt_tokens > 0 and response.usage.completion_tokens > 0
    assert response.cost_usd is not None and response.cost_usd > 0
    rec = fx.requests[-1]
    assert (rec.kind, rec.method, rec.model, rec.image_count) == \
        ("chat", "/xai_api.Chat/GetCompletion", "grok-4.20-non-reasoning", 0)
    assert "Exactly 4 scenes." in rec.prompt and rec.metadata["authorization"] == "Bearer test-key"
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(json.loads(response.content), StoryPlan.model_json_schema())


def test_plan_defaults_and_refine_keeps_the_frozen_characters(client):
    _, plan = client.chat.create(model="grok-4.3", messages=[user("Plan a film about a storm.")]).parse(StoryPlan)
    assert [c.name for c in plan.characters] == ["Ada", "Bo"] and len(plan.scenes) == 3
    text = f"Make it rain.\nCurrent plan as JSON:\n{plan.model_dump_json()}"
    _, refined = client.chat.create(model="grok-4.3", messages=[user(text)]).parse(StoryPlan)
    assert refined.characters == plan.characters and len(refined.scenes) == 3


def test_vision_checks_are_kind_check_and_follow_the_scripted_scores(fx, client):
    fx.check_scores = [0.4, (0.85, ["hat is missing"])]
    results = []
    for _ in range(3):
        chat = client.chat.create(model="grok-4.3",
                                  messages=[user("Score 0..1 this sheet.", chat_image(png_uri()), chat_image(png_uri()))])
        results.append(chat.parse(CheckResult)[1])
    assert [r.score for r in results] == [0.4, 0.85, 0.95]
    assert results[0].issues and results[1].issues == ["hat is missing"] and results[2].issues == []
    assert fx.count("check") == 3 and fx.count("chat") == 0
    assert [r.image_count for r in fx.requests] == [2, 2, 2]


def test_label_mapping_maps_each_label_to_a_character(client):
    text = ("Photos were uploaded with these labels: grandpa, kid. The planned characters are: Ada (kid); "
            "Olaf (grandpa). Map each label to the one character it most likely shows.")
    _, mapping = client.chat.create(model="grok-4.3", messages=[user(text)]).parse(LabelMapping)
    assert mapping.mapping == {"grandpa": "Olaf", "kid": "Ada"}


def test_image_base64_and_url_are_decodable_pngs_of_the_requested_shape(fx, client):
    b = client.image.sample("a lighthouse at night", "grok-imagine-image", image_format="base64", aspect_ratio="16:9")
    assert b.base64.startswith("data:image/png;base64,") and b.respect_moderation
    assert Image.open(io.BytesIO(b.image)).size == (1280, 720)
    u = client.image.sample("a lighthouse at night", "grok-imagine-image", image_format="url", aspect_ratio="3:4")
    assert u.url.startswith(fx.http_url)
    with urllib.request.urlopen(u.url, timeout=10) as resp:
        assert resp.headers["Content-Type"] == "image/png"
        im = Image.open(io.BytesIO(resp.read()))
    assert im.format == "PNG" and im.size == (768, 1024)
    assert b.image != u.image  # every call draws its own picture
    assert b.cost_usd == pytest.approx(0.02)


def test_three_reference_images_arrive_as_image_count_three(fx, client):
    refs = [png_uri(colour=c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    r = client.image.sample("scene 2 with both characters", "grok-imagine-image", image_urls=refs,
                            image_format="base64", aspect_ratio="16:9")
    rec = fx.requests[-1]
    assert (rec.kind, rec.image_count, rec.prompt) == ("image", 3, "scene 2 with both characters")
    assert r.cost_usd == pytest.approx(0.02 + 3 * 0.02)
    client.image.sample("a sheet", "grok-imagine-image", image_url=refs[0], image_format="base64")
    assert fx.requests[-1].image_count == 1


def test_video_generate_polls_until_done_and_the_url_is_a_real_mp4_with_audio(fx, client):
    av = pytest.importorskip("av")
    fx.latency["video"] = 0.4
    v = client.video.generate("slow push in", "grok-imagine-video", image_url=png_uri(), duration=5,
                              aspect_ratio="16:9", resolution="720p", interval=FAST_POLL)
    assert fx.count("video") == 1 and fx.count("poll") >= 2  # pending at least once, then done
    assert fx.requests[0].image_count == 1 and v.duration == 5 and v.cost_usd == pytest.approx(0.25)
    with urllib.request.urlopen(v.url, timeout=10) as resp:
        assert resp.headers["Content-Type"] == "video/mp4"
        data = resp.read()
    with av.open(io.BytesIO(data)) as f:
        kinds = {s.type: s.codec_context.name for s in f.streams}
        assert kinds == {"video": "h264", "audio": "aac"}
        assert (f.streams.video[0].width, f.streams.video[0].height) == (1280, 720)
        assert f.duration / 1e6 == pytest.approx(5, abs=0.2)


def test_video_outcomes_failed_and_expired(fx, client):
    fx.video_outcome("failed", nth=[1])
    fx.video_outcome("expired", nth=[2])
    with pytest.raises(VideoGenerationError):
        client.video.generate("a", "grok-imagine-video", interval=FAST_POLL)
    with pytest.raises(RuntimeError, match="expired"):
        client.video.generate("b", "grok-imagine-video", interval=FAST_POLL)
    start = client.video.start("c", "grok-imagine-video")  # the provider's way: start + get
    assert client.video.get(start.request_id).response.video.url.endswith(".mp4")


def test_a_wrong_key_is_unauthenticated_on_every_rpc(fx):
    c = fx.client(api_key="not-the-key")
    try:
        for call in (c.auth.get_api_key_info,
                     lambda: c.image.sample("x", "grok-imagine-image"),
                     lambda: c.chat.create(model="grok-4.3", messages=[user("hi")]).sample()):
            with pytest.raises(grpc.RpcError) as err:
                call()
            assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
            assert "Incorrect API key provided" in err.value.details() and "not-the-key" not in err.value.details()
    finally:
        c.close()
    assert fx.count("image") == 1 and fx.count("chat") == 1 and fx.count("other") == 1


def test_injected_resource_exhausted_on_the_nth_image_call(fx, client):
    fx.fail("image", grpc.StatusCode.RESOURCE_EXHAUSTED, nth=[2], message="slow down")
    client.image.sample("one", "grok-imagine-image", image_format="base64")
    with pytest.raises(grpc.RpcError) as err:
        client.image.sample("two", "grok-imagine-image", image_format="base64")
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and err.value.details() == "slow down"
    client.image.sample("three", "grok-imagine-image", image_format="base64")
    fx.clear_faults()
    assert fx.count("image") == 3


def test_rate_faults_are_deterministic_for_a_seed(client, fx):
    fx.fail("chat", grpc.StatusCode.INTERNAL, rate=0.5, seed=7)

    def pattern() -> list[bool]:
        fx.requests.clear()  # call numbers restart with the record
        out = []
        for _ in range(12):
            try:
                client.chat.create(model="grok-4.3", messages=[user("hi")]).sample()
                out.append(True)
            except grpc.RpcError as e:
                assert e.code() == grpc.StatusCode.INTERNAL
                out.append(False)
        return out

    first = pattern()
    assert first == pattern() and 0 < first.count(False) < 12


def test_moderated_image_has_no_content(fx, client):
    fx.moderate_image(nth=[1])
    r = client.image.sample("x", "grok-imagine-image", image_format="base64")
    assert r.respect_moderation is False
    with pytest.raises(ValueError, match="moderation"):
        r.base64


def test_latency_overlaps_for_concurrent_calls(fx, client):
    fx.latency["image"] = 1.0
    done: list[float] = []
    t0 = time.monotonic()
    threads = [threading.Thread(target=lambda: (client.image.sample("x", "grok-imagine-image", image_format="base64"),
                                                done.append(time.monotonic() - t0))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(done) == 2 and min(done) >= 1.0 and max(done) < 1.8


def test_slow_downloads(fx, client):
    u = client.image.sample("x", "grok-imagine-image", image_format="url")
    fx.slow_download_seconds = 0.5
    t0 = time.monotonic()
    with urllib.request.urlopen(u.url, timeout=10) as resp:
        resp.read()
    assert time.monotonic() - t0 >= 0.5 and fx.downloads == [u.url.removeprefix(fx.http_url)]
