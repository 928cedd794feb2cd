"""A fake xAI API: a real gRPC server on 127.0.0.1 that the real `xai_sdk.Client` talks to.

Why: the xai provider must be tested end to end — the SDK's own request building,
metadata, retries, polling and response parsing — without a key, a network or a bill.
Mocking the SDK would test our guesses about it; this server uses the servicer base
classes that ship in `xai_sdk.proto`, so a request only arrives if the SDK really sends
it, and an answer only parses if the SDK really accepts it.

Usage::

    fx = FakeXai(latency={"image": 0.2, "video": 1.0}).start()
    client = xai_sdk.Client(api_key="test-key", api_host=fx.host, use_insecure_channel=True, timeout=30)
    ...                                   # or fx.client()
    assert fx.count("image") == 3 and fx.requests[0].kind == "chat"
    fx.fail("image", grpc.StatusCode.RESOURCE_EXHAUSTED, nth=[2])
    fx.video_outcome("failed", nth=[1]); fx.moderate_image(nth=[3]); fx.check_scores = [0.4, 0.9]
    fx.rude_plans("repeated_ids", "unknown_names", answers=2)   # the next two plans are wrong, as models are
    fx.stop()

What it answers (per SDK call -> RPC):

- `chat.sample()` / `chat.parse(Model)` -> Chat/GetCompletion; `chat.stream()` -> GetCompletionChunk.
  With a JSON-schema response_format the content is JSON that validates against the schema
  (`schema_fill.fill`), guided by the prompt text (`schema_fill.hints_from_text`): character
  names from "Reference photos were uploaded for: A, B.", scene count from "Exactly N scenes.",
  a plan embedded as JSON is kept (refine), labels are mapped to the roster ("labels: ...",
  "characters are: Name (role); ..."). A `score` schema is a vision check: `check_scores`
  (floats, or (score, issues) tuples) are used in order, then 0.95 with no issues; a float
  below 0.8 comes with one issue. `chat_answers` (str or dict) overrides the next answers.
  A chat with an image in it is kind "check", any other chat is "chat".
- `image.sample(...)` -> Image/GenerateImage: a real PNG per image, as a data URI
  (image_format="base64") or as a URL on the HTTP file server (the default "url").
- `video.generate(...)` (or `video.start` + `video.get`) -> Video/GenerateVideo returns a
  request id; Video/GetDeferredVideo is PENDING until latency["video"] has passed since the
  start, then DONE with a URL to a real H.264 + AAC MP4, or FAILED / EXPIRED per `video_outcome`.
- `auth.get_api_key_info()` -> Auth/get_api_key_info; `models.list_language_models()` etc.
  -> Models/*. Both are kind "other" and make a cheap key preflight.
- REST text-to-speech (not in the SDK): `POST {http_url}/v1/tts` with `{"text", "voice_id", "language"}`
  answers real MP3 (audio/mpeg, 24 kHz mono, encoded by PyAV or else the imageio-ffmpeg binary): a voiced
  harmonic tone with syllable-rate loudness, its pitch set by the voice (`TTS_VOICES`: eve 180 Hz ... leo 85 Hz)
  and its length by the words (2.6 a second, 0.6 s to 60 s), the same bytes for the same voice and length.
  Kind "tts"; each request is also in `tts_requests` (text, voice_id, language, the key redacted, the body).
  The Bearer key is checked as on the gRPC side (401 otherwise); text missing, empty or over 15,000
  characters and a voice_id not among the five are 400s with an xAI-style JSON error `{"code", "error"}`.
  `fail_tts(status, nth=, rate=, retry_after=)` and `tts_garbage(nth=)` make it rude; `latency["tts"]` slows it.

As rude as the real thing:

- `rude_plans(*defects, answers=N)`: the next N plan answers (a schema with characters
  and scenes) are valid JSON for the schema and still wrong, the way models are wrong:
  see `PLAN_DEFECTS` (repeated scene ids, names not in the cast, respelled names, short
  descriptions, extra or missing scenes, four characters in a scene, a 20 s scene,
  duplicate names, no characters, no scenes, an answer that is not JSON at all).
- A request naming a model the server does not list (`language_models`, `image_models`,
  `video_models`; retired names are not listed) is refused with NOT_FOUND, as xAI refuses
  retired models.
- The server takes messages up to 20 MiB, as xAI does (the SDK refuses larger ones
  before sending); `requests[i].size` and `.image_sizes` say what each request weighed.

Every RPC checks the "authorization: Bearer <key>" metadata against `valid_keys`
(UNAUTHENTICATED otherwise), then the model, then the fault rules, then sleeps `latency[kind]`.
Usage carries token counts and `cost_in_usd_ticks` (1 tick = 1e-10 USD) computed from
`prices`, which is what `response.cost_usd` (`xai_sdk.cost.cost_usd_from_usage`) reads;
set `report_cost = False` to leave the cost out.
"""
from __future__ import annotations

import base64
import json
import os
import random
import shutil
import tempfile
import threading
import time
import uuid
from concurrent import futures
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import grpc
from google.protobuf import timestamp_pb2
from xai_sdk.proto import (
    auth_pb2,
    auth_pb2_grpc,
    chat_pb2,
    chat_pb2_grpc,
    deferred_pb2,
    image_pb2,
    image_pb2_grpc,
    models_pb2,
    models_pb2_grpc,
    sample_pb2,
    usage_pb2,
    video_pb2,
    video_pb2_grpc,
)

from . import fake_media
from .fake_tts import (TTS_MAX_CHARS, TTS_PATH, TTS_VOICES, TtsRequest, _TtsRule,  # noqa: F401 - re-exported
                       tts_mp3, tts_seconds)
from .schema_fill import fill, hints_from_text

USD_PER_TICK = 1e-10
MAX_MESSAGE = 20 * 2**20                             # what xAI accepts in one request
PLAN_DEFECTS = ("repeated_ids", "unknown_names", "respelled_names", "short_descriptions", "extra_scenes",
                "fewer_scenes", "crowded_scene", "long_scene", "duplicate_names", "bad_transition",
                "no_characters", "no_scenes", "not_json", "stranger_lines", "wordy_lines")
MEDIA_KINDS = ("chat", "check", "image", "video")  # what fail("*", ...) applies to
OUTCOMES = ("done", "failed", "expired")
IMAGE_TOKENS = 256                                  # prompt tokens per attached image


@dataclass
class Received:
    kind: str            # chat, check, image, video, poll, other
    method: str          # full gRPC method name, e.g. "/xai_api.Image/GenerateImage"
    model: str
    prompt: str          # chat: the message texts joined by newlines; image/video: the prompt
    image_count: int     # input images: image_url/image_urls (video: image, references, keyframes, last frame)
    request: object      # the protobuf request
    metadata: dict
    t: float             # time.monotonic() at receipt
    size: int = 0        # the serialized request, in bytes
    image_sizes: list[int] = field(default_factory=list)  # decoded bytes of each image sent in it


@dataclass
class _Rule:
    rpc: str
    code: grpc.StatusCode
    rate: float
    nth: list[int] | None
    message: str
    seed: int

    def hits(self, kind: str, n: int) -> bool:
        if not (self.rpc == kind or (self.rpc == "*" and kind in MEDIA_KINDS)):
            return False
        if self.nth and n in self.nth:
            return True
        # Deterministic per (seed, kind, call number), whatever order concurrent calls arrive in.
        return self.rate > 0 and random.Random(f"{self.seed}:{kind}:{n}").random() < self.rate


@dataclass
class _VideoJob:
    id: str
    n: int
    model: str
    prompt: str
    t0: float
    duration: int
    size: tuple[int, int]
    outcome: str
    file: futures.Future
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)


def _image_bytes(uri: str) -> int:
    """Decoded size of a data URI (0 for a plain URL)."""
    if not uri.startswith("data:"):
        return 0
    return len(base64.b64decode(uri.split(",", 1)[-1]))


def _images_in(request) -> list[str]:
    uris = []
    for m in getattr(request, "messages", []):
        uris += [c.image_url.image_url for c in m.content if c.HasField("image_url")]
    for name in ("image", "last_frame"):
        if hasattr(request, name) and request.HasField(name):
            uris.append(getattr(request, name).image_url)
    for name in ("images", "reference_images"):
        uris += [x.image_url for x in getattr(request, name, [])]
    return uris


def spoil_plan(plan: dict, defects: tuple[str, ...]) -> dict:
    """A plan made wrong the ways models make plans wrong; still valid JSON for the schema."""
    plan = json.loads(json.dumps(plan))
    chars, scenes = plan.get("characters", []), plan.get("scenes", [])
    names = [c["name"] for c in chars]
    for d in defects:
        if d == "repeated_ids":
            for s in scenes:
                s["scene_id"] = len(scenes)
        elif d == "unknown_names":
            for i, s in enumerate(scenes):
                s["characters_present"] = [*s.get("characters_present", [])[:1], ("quiet drift", "the owl")[i % 2]]
        elif d == "respelled_names":
            for i, s in enumerate(scenes):
                s["characters_present"] = [(n.lower(), f"the {n}", f"  {n.upper()} ")[i % 3]
                                           for n in s.get("characters_present", [])]
        elif d == "short_descriptions":
            for c in chars:
                c["visual_description"] = " ".join(c["visual_description"].split()[:12])
        elif d == "extra_scenes" and scenes:
            scenes.append({**scenes[-1], "scene_id": len(scenes) + 1, "title": "An Epilogue Nobody Asked For"})
        elif d == "fewer_scenes" and len(scenes) > 1:
            scenes.pop()
        elif d == "crowded_scene" and chars and scenes:
            while len(chars) < 4:
                extra = {**chars[0], "name": ("Cy", "Dee", "Eli", "Fay")[len(chars) - 1]}
                chars.append(extra)
            scenes[0]["characters_present"] = [c["name"] for c in chars[:4]]
        elif d == "long_scene" and scenes:
            scenes[0]["duration_seconds"] = 20
        elif d == "duplicate_names" and len(chars) > 1:
            chars[1]["name"] = names[0]
        elif d == "bad_transition" and scenes:
            scenes[-1]["transition"] = "star wipe"
        elif d == "stranger_lines":  # a line for someone who is not in the cast
            for s in scenes:
                s["lines"] = [*s.get("lines", [])[:1], {"speaker": "The Harbourmaster", "text": "Tide's turning.",
                                                        "delivery": "gruffly"}]
        elif d == "wordy_lines" and scenes:  # more to say than one 15 s clip holds
            scenes[0]["lines"] = [{"speaker": (names or ["Narrator"])[0], "delivery": "",
                                   "text": "And then, without a word of warning, the whole harbour seemed to hold "
                                           "its breath while the boats came in."}] * 4
        elif d == "no_characters":
            plan["characters"] = []
        elif d == "no_scenes":
            plan["scenes"] = []
    return plan


def _redact(key: str) -> str:
    return f"{key[:2]}***{key[-2:]}" if len(key) > 6 else "***"


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _now() -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.GetCurrentTime()
    return ts


def _image_aspect(value: int) -> str | None:
    name = image_pb2.ImageAspectRatio.Name(value).removeprefix("IMG_ASPECT_RATIO_")
    parts = name.split("_")
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return f"{parts[0]}:{parts[1]}"
    if len(parts) == 3:  # 19_5_9 -> 19.5:9, 9_19_5 -> 9:19.5
        return f"{parts[0]}.{parts[1]}:{parts[2]}" if parts[1] == "5" else f"{parts[0]}:{parts[1]}.{parts[2]}"
    return None  # AUTO / INVALID


def _video_aspect(value: int) -> str | None:
    name = video_pb2.VideoAspectRatio.Name(value).removeprefix("VIDEO_ASPECT_RATIO_")
    return None if name == "UNSPECIFIED" else name.replace("_", ":")


def _video_resolution(value: int) -> str | None:
    name = video_pb2.VideoResolution.Name(value).removeprefix("VIDEO_RESOLUTION_")
    return None if name == "UNSPECIFIED" else name.lower()


class FakeXai:
    prices = {"chat_input_per_mtok": 0.20, "chat_output_per_mtok": 0.50,
              "image_output": 0.02, "image_input": 0.02, "video_second": 0.05}
    # What xAI lists today (late 2026); the fast grok-4-1 models were retired on 2026-05-15 and are refused.
    language_models = ["grok-4.3", "grok-4.20-non-reasoning", "grok-4.20-0309-reasoning"]
    image_models = ["grok-imagine-image", "grok-imagine-image-quality"]
    video_models = ["grok-imagine-video"]

    def __init__(self, *, latency: dict[str, float] | None = None, media_dir: Path | None = None,
                 workers: int = 32):
        self.latency: dict[str, float] = dict(latency or {})
        self.media_dir: Path | None = Path(media_dir) if media_dir else None
        self.workers = workers
        self.valid_keys: set[str] = {"test-key"}
        self.requests: list[Received] = []
        self.check_scores: list = []          # floats or (score, [issues]), used in order by vision checks
        self.chat_answers: list = []          # str or dict, used in order by the next chat/check answers
        self.label_mapping: dict[str, str] | None = None  # fixed answer for a `mapping` schema
        self.report_cost = True
        self.prices = dict(type(self).prices)
        self.slow_download_seconds = 0.0
        self.language_models = list(type(self).language_models)
        self.image_models = list(type(self).image_models)
        self.video_models = list(type(self).video_models)
        self.plan_defects: list[tuple[str, ...]] = []  # one tuple of defects per coming plan answer
        self.downloads: list[str] = []        # paths fetched from the HTTP file server
        self.tts_requests: list[TtsRequest] = []
        self.host = ""
        self.http_url = ""
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._video_default = "done"
        self._video_nth: dict[int, str] = {}
        self._moderated: set[int] = set()
        self._pictures: list[tuple[str, list[bytes]]] = []  # (prompt word, pictures to answer with, in order)
        self._tts_rules: list[_TtsRule] = []
        self._tts_garbage: dict[int | None, tuple[bytes, str]] = {}  # request number (None = all) -> body, type
        self._jobs: dict[str, _VideoJob] = {}
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._server: grpc.Server | None = None
        self._httpd: ThreadingHTTPServer | None = None

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> "FakeXai":
        if self.media_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="fake-xai-media-")
            self.media_dir = Path(self._tmp.name)
        self.media_dir.mkdir(parents=True, exist_ok=True)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _http_handler(self))
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-xai-http",
                         daemon=True).start()
        self.http_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        options = [("grpc.max_receive_message_length", MAX_MESSAGE), ("grpc.max_send_message_length", 64 << 20),
                   ("grpc.so_reuseport", 0)]
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=self.workers,
                                                              thread_name_prefix="fake-xai"), options=options)
        chat_pb2_grpc.add_ChatServicer_to_server(_Chat(self), self._server)
        image_pb2_grpc.add_ImageServicer_to_server(_Image(self), self._server)
        video_pb2_grpc.add_VideoServicer_to_server(_Video(self), self._server)
        auth_pb2_grpc.add_AuthServicer_to_server(_Auth(self), self._server)
        models_pb2_grpc.add_ModelsServicer_to_server(_Models(self), self._server)
        port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()
        self.host = f"127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(grace=0).wait(5)
            self._server = None
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> "FakeXai":
        return self.start() if self._server is None else self

    def __exit__(self, *exc) -> None:
        self.stop()

    def client(self, api_key: str | None = None, timeout: float = 60.0):
        """A real `xai_sdk.Client` pointed at this server (plaintext channel, as for any loopback host)."""
        from xai_sdk import Client

        key = api_key or next(iter(sorted(self.valid_keys)), "test-key")
        return Client(api_key=key, api_host=self.host, use_insecure_channel=True, timeout=timeout)

    # -- scripting -------------------------------------------------------------------------------------
    def fail(self, rpc: str, code: grpc.StatusCode, *, rate: float = 0.0, nth: list[int] | None = None,
             message: str = "injected", seed: int = 0) -> None:
        """Abort calls of a kind ("chat", "check", "image", "video", "poll", "other"; "*" = the first four)
        with `code`: the `nth` calls of that kind (1-based, counting every call received, failed ones too)
        and/or a deterministic fraction `rate` of them."""
        if rpc != "*" and rpc not in (*MEDIA_KINDS, "poll", "other"):
            raise ValueError(f"unknown rpc kind {rpc!r}")
        with self._lock:
            self._rules.append(_Rule(rpc, code, rate, list(nth) if nth else None, message, seed))

    def clear_faults(self) -> None:
        """Remove every fail() and fail_tts() rule, tts_garbage(), video outcome, moderation and download delay."""
        with self._lock:
            self._rules.clear()
            self._tts_rules.clear()
            self._tts_garbage.clear()
            self._video_default = "done"
            self._video_nth.clear()
            self._moderated.clear()
        self.slow_download_seconds = 0.0

    def video_outcome(self, outcome: str, *, nth: list[int] | None = None) -> None:
        """How the given GenerateVideo calls (1-based) end: "done", "failed" or "expired"; all if no nth."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}")
        with self._lock:
            if nth:
                self._video_nth.update({int(i): outcome for i in nth})
            else:
                self._video_default = outcome

    def rude_plans(self, *defects: str, answers: int = 1) -> None:
        """The next `answers` plan answers carry `defects` (see PLAN_DEFECTS); later ones are right again."""
        unknown = set(defects) - set(PLAN_DEFECTS)
        if unknown:
            raise ValueError(f"unknown plan defects {sorted(unknown)}; choose from {PLAN_DEFECTS}")
        with self._lock:
            self.plan_defects.extend([tuple(defects)] * answers)

    def answer_images(self, word: str, pictures: list[bytes]) -> None:
        """Answer the next image requests whose prompt holds `word` with these pictures, in order: a real model
        may draw somebody else's face, or the right one."""
        with self._lock:
            self._pictures.append((word, list(pictures)))

    def _picture_for(self, prompt: str) -> bytes | None:
        with self._lock:
            for word, queue in self._pictures:
                if queue and word in prompt:
                    return queue.pop(0)
        return None

    def moderate_image(self, nth: list[int]) -> None:
        """Those GenerateImage calls (1-based) answer respect_moderation=False and no image."""
        with self._lock:
            self._moderated.update(int(i) for i in nth)

    def fail_tts(self, status: int, *, nth: list[int] | None = None, rate: float = 0.0, message: str = "injected",
                 retry_after: float | None = None, seed: int = 0) -> None:
        """Answer POST /v1/tts with HTTP `status` and `{"code", "error": message}` (plus a Retry-After header if
        given): the `nth` requests (1-based, counting every one received), a deterministic fraction `rate` of
        them, or, with neither, every request until clear_faults()."""
        if not 400 <= status <= 599:
            raise ValueError(f"fail_tts takes an HTTP error status, not {status}")
        with self._lock:
            self._tts_rules.append(_TtsRule(int(status), list(nth) if nth else None, rate, message, retry_after,
                                            seed))

    def tts_garbage(self, nth: list[int] | None = None, *, body: bytes = b"<html><body>Sorry!</body></html>",
                    content_type: str = "audio/mpeg") -> None:
        """Those POST /v1/tts requests (1-based; all if no nth) answer 200 with `body` instead of audio: by
        default bytes that are not MP3 under an audio/mpeg type; b"" for an empty answer, or another type."""
        with self._lock:
            for n in (nth or [None]):
                self._tts_garbage[None if n is None else int(n)] = (body, content_type)

    def count(self, kind: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.kind == kind)

    # -- request plumbing --------------------------------------------------------------------------------
    def _enter(self, kind: str, method: str, request, context, *, model: str = "", prompt: str = "",
               image_count: int = 0) -> int:
        """Record the call, then authenticate and apply faults (aborting the RPC). Returns its number."""
        md = dict(context.invocation_metadata())
        rec = Received(kind, method, model, prompt, image_count, request, md, time.monotonic(),
                       size=request.ByteSize(), image_sizes=[_image_bytes(u) for u in _images_in(request)])
        with self._lock:
            n = 1 + sum(1 for r in self.requests if r.kind == kind)
            self.requests.append(rec)
            rules = list(self._rules)
        key = self._key(md)
        if key not in self.valid_keys:
            context.abort(grpc.StatusCode.UNAUTHENTICATED,
                          f"Incorrect API key provided: {_redact(key)}. "
                          "You can obtain an API key from https://console.x.ai.")
        known = {"chat": self.language_models, "check": self.language_models, "image": self.image_models,
                 "video": self.video_models}.get(kind)
        if known is not None and model not in known:
            context.abort(grpc.StatusCode.NOT_FOUND,
                          f"The model {model} does not exist or your team does not have access to it.")
        for rule in rules:
            if rule.hits(kind, n):
                context.abort(rule.code, rule.message)
        return n

    @staticmethod
    def _key(md: dict) -> str:
        auth = str(md.get("authorization", ""))
        return auth[7:].strip() if auth.startswith("Bearer ") else auth.strip()

    def _sleep(self, kind: str, context) -> None:
        end = time.monotonic() + float(self.latency.get(kind, 0) or 0)
        while (left := end - time.monotonic()) > 0 and context.is_active():
            time.sleep(min(left, 0.05))

    def _usage(self, *, prompt_text: int = 0, prompt_images: int = 0, completion: int = 0,
               cost_usd: float = 0.0) -> usage_pb2.SamplingUsage:
        u = usage_pb2.SamplingUsage(prompt_tokens=prompt_text + prompt_images, prompt_text_tokens=prompt_text,
                                    prompt_image_tokens=prompt_images, completion_tokens=completion,
                                    total_tokens=prompt_text + prompt_images + completion)
        if self.report_cost:
            u.cost_in_usd_ticks = int(round(cost_usd / USD_PER_TICK))
        return u

    # -- chat ----------------------------------------------------------------------------------------------
    def _chat(self, request, context, rpc: str) -> chat_pb2.GetChatCompletionResponse:
        texts, images = [], 0
        for m in request.messages:
            for c in m.content:
                if c.text:
                    texts.append(c.text)
                if c.HasField("image_url"):
                    images += 1
        text = "\n".join(texts)
        kind = "check" if images else "chat"
        self._enter(kind, f"/xai_api.Chat/{rpc}", request, context, model=request.model, prompt=text,
                    image_count=images)
        self._sleep(kind, context)
        contents = [self._answer(request, text, kind) for _ in range(max(1, request.n or 1))]
        pt, pi, ct = _tokens(text), IMAGE_TOKENS * images, sum(_tokens(c) for c in contents)
        cost = ((pt + pi) * self.prices["chat_input_per_mtok"] + ct * self.prices["chat_output_per_mtok"]) / 1e6
        return chat_pb2.GetChatCompletionResponse(
            id=f"fake-{uuid.uuid4().hex[:12]}", model=request.model, created=_now(), system_fingerprint="fake-xai",
            usage=self._usage(prompt_text=pt, prompt_images=pi, completion=ct, cost_usd=cost),
            outputs=[chat_pb2.CompletionOutput(
                index=i, finish_reason=sample_pb2.FinishReason.REASON_STOP,
                message=chat_pb2.CompletionMessage(role=chat_pb2.MessageRole.ROLE_ASSISTANT, content=c))
                for i, c in enumerate(contents)])

    def _answer(self, request, text: str, kind: str) -> str:
        with self._lock:
            scripted = self.chat_answers.pop(0) if self.chat_answers else None
        if scripted is not None:
            return scripted if isinstance(scripted, str) else json.dumps(scripted)
        fmt = request.response_format if request.HasField("response_format") else None
        if fmt is not None and fmt.format_type == chat_pb2.FormatType.FORMAT_TYPE_JSON_SCHEMA and fmt.schema:
            schema = json.loads(fmt.schema)
            props = schema.get("properties", {})
            if self.label_mapping is not None and "mapping" in props:
                return json.dumps({"mapping": self.label_mapping})
            hints = hints_from_text(text)
            if "score" in props:
                hints.score, hints.issues = self._next_check()
            answer = fill(schema, hints)
            if "characters" in props and "scenes" in props:
                with self._lock:
                    defects = self.plan_defects.pop(0) if self.plan_defects else ()
                if "not_json" in defects:
                    return "Sure! Here is a lovely plan for your film: three scenes, two friends, one sunset."
                answer = spoil_plan(answer, defects)
            return json.dumps(answer)
        if fmt is not None and fmt.format_type == chat_pb2.FormatType.FORMAT_TYPE_JSON_OBJECT:
            return json.dumps({"answer": " ".join(text.split()[:12])})
        if kind == "check":
            score, issues = self._next_check()
            return f"Score {score:.2f}. " + ("; ".join(issues) if issues else "No problems found.")
        return "Fake Grok says: " + " ".join(text.split()[-12:])

    def _next_check(self) -> tuple[float, list[str]]:
        with self._lock:
            item = self.check_scores.pop(0) if self.check_scores else 0.95
        if isinstance(item, (tuple, list)):
            return float(item[0]), [str(i) for i in item[1]]
        score = float(item)
        return score, ([] if score >= 0.8 else ["the character does not match the reference"])

    # -- image -----------------------------------------------------------------------------------------------
    def _image(self, request, context) -> image_pb2.ImageResponse:
        refs = (1 if request.HasField("image") else 0) + len(request.images)
        n = self._enter("image", "/xai_api.Image/GenerateImage", request, context, model=request.model,
                        prompt=request.prompt, image_count=refs)
        self._sleep("image", context)
        count = max(1, request.n or 1)
        aspect = _image_aspect(request.aspect_ratio) if request.HasField("aspect_ratio") else None
        size = fake_media.image_size(aspect)
        with self._lock:
            moderated = n in self._moderated
        images = []
        for i in range(count):
            if moderated:
                images.append(image_pb2.GeneratedImage(respect_moderation=False))
                continue
            png = self._picture_for(request.prompt) or \
                fake_media.make_png(request.prompt, n, size, references=refs, variant=i)
            if request.format == image_pb2.ImageFormat.IMG_FORMAT_BASE64:
                data = "data:image/png;base64," + base64.b64encode(png).decode()
                images.append(image_pb2.GeneratedImage(base64=data, respect_moderation=True))
            else:
                name = f"image-{n}-{i + 1}.png"
                (self.media_dir / name).write_bytes(png)
                images.append(image_pb2.GeneratedImage(url=f"{self.http_url}/{name}", respect_moderation=True))
        cost = count * self.prices["image_output"] + refs * self.prices["image_input"]
        usage = self._usage(prompt_text=_tokens(request.prompt), prompt_images=IMAGE_TOKENS * refs, cost_usd=cost)
        return image_pb2.ImageResponse(images=images, model=request.model, usage=usage)

    # -- text-to-speech (REST) -----------------------------------------------------------------------------------
    def _tts(self, headers, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        """One POST /v1/tts: (status, headers, body). Checked in the gRPC order: key, request, faults, latency."""
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        doc = body if isinstance(body, dict) else {}
        text, voice = doc.get("text"), doc.get("voice_id")
        key = self._key({"authorization": headers.get("Authorization", "")})
        md = {k.lower(): v for k, v in headers.items()}
        md["authorization"] = f"Bearer {_redact(key)}"
        with self._lock:
            n = 1 + sum(1 for r in self.requests if r.kind == "tts")
            self.requests.append(Received("tts", f"POST {TTS_PATH}", str(doc.get("model", "")),
                                          text if isinstance(text, str) else "", 0, doc, md, time.monotonic(),
                                          size=len(raw)))
            self.tts_requests.append(TtsRequest(n, text if isinstance(text, str) else "", str(voice or ""),
                                                str(doc.get("language", "")), _redact(key), doc))
            rules, garbage = list(self._tts_rules), self._tts_garbage.get(n, self._tts_garbage.get(None))
        if key not in self.valid_keys:
            return _json_error(401, f"Incorrect API key provided: {_redact(key)}. "
                                    "You can obtain an API key from https://console.x.ai.")
        if body is None or not isinstance(body, dict):
            return _json_error(400, "The request body is not a JSON object.")
        if not isinstance(text, str) or not text.strip():
            return _json_error(400, "text: a non-empty string is required.")
        if len(text) > TTS_MAX_CHARS:
            return _json_error(400, f"text: at most {TTS_MAX_CHARS} characters are allowed, got {len(text)}.")
        if voice not in TTS_VOICES:
            return _json_error(400, f"voice_id: {voice!r} is not one of {', '.join(TTS_VOICES)}.")
        if not isinstance(doc.get("language", "en"), str):
            return _json_error(400, "language: a string such as \"en\" is required.")
        for rule in rules:
            if rule.hits(n):
                extra = {} if rule.retry_after is None else {"Retry-After": f"{rule.retry_after:g}"}
                return _json_error(rule.status, rule.message, extra)
        time.sleep(float(self.latency.get("tts", 0) or 0))
        if garbage is not None:
            return 200, {"Content-Type": garbage[1]}, garbage[0]
        return 200, {"Content-Type": "audio/mpeg"}, tts_mp3(voice, tts_seconds(text))

    # -- video -----------------------------------------------------------------------------------------------
    def _video_start(self, request, context) -> deferred_pb2.StartDeferredResponse:
        refs = ((1 if request.HasField("image") else 0) + len(request.reference_images)
                + (1 if request.HasField("last_frame") else 0) + len(request.keyframes))
        n = self._enter("video", "/xai_api.Video/GenerateVideo", request, context, model=request.model,
                        prompt=request.prompt, image_count=refs)
        duration = request.duration or 5
        size = fake_media.video_size(_video_aspect(request.aspect_ratio), _video_resolution(request.resolution))
        with self._lock:
            outcome = self._video_nth.get(n, self._video_default)
        file = fake_media.video_file(duration, size) if outcome == "done" else futures.Future()
        job = _VideoJob(f"fake-video-{uuid.uuid4().hex[:16]}", n, request.model, request.prompt,
                        time.monotonic(), duration, size, outcome, file)
        with self._lock:
            self._jobs[job.id] = job
        return deferred_pb2.StartDeferredResponse(request_id=job.id)

    def _video_get(self, request, context) -> video_pb2.GetDeferredVideoResponse:
        with self._lock:
            job = self._jobs.get(request.request_id)
        self._enter("poll", "/xai_api.Video/GetDeferredVideo", request, context,
                    model=job.model if job else "", prompt=job.prompt if job else "")
        if job is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"No deferred video request {request.request_id!r}.")
        wait = float(self.latency.get("video", 0) or 0)
        elapsed = time.monotonic() - job.t0
        St = deferred_pb2.DeferredStatus
        if elapsed < wait:
            return video_pb2.GetDeferredVideoResponse(
                status=St.PENDING, response=video_pb2.VideoResponse(model=job.model, progress=int(100 * elapsed / wait)))
        if job.outcome == "expired":
            return video_pb2.GetDeferredVideoResponse(status=St.EXPIRED)
        if job.outcome == "failed":
            err = video_pb2.VideoError(code="generation_failed", message="injected: the video could not be made")
            return video_pb2.GetDeferredVideoResponse(
                status=St.FAILED, response=video_pb2.VideoResponse(model=job.model, error=err))
        url = self._video_url(job)
        usage = self._usage(prompt_text=_tokens(job.prompt), cost_usd=job.duration * self.prices["video_second"])
        video = video_pb2.GeneratedVideo(url=url, duration=job.duration, respect_moderation=True)
        return video_pb2.GetDeferredVideoResponse(
            status=St.DONE, response=video_pb2.VideoResponse(video=video, model=job.model, usage=usage, progress=100))

    def _video_url(self, job: _VideoJob) -> str:
        with job.lock:
            if not job.url:
                src = Path(job.file.result(timeout=300))
                dst = self.media_dir / f"video-{job.n}.mp4"
                try:
                    os.link(src, dst)
                except OSError:
                    shutil.copyfile(src, dst)
                job.url = f"{self.http_url}/{dst.name}"
            return job.url


# -- servicers: thin adapters from the SDK's generated base classes to FakeXai ---------------------------------
class _Chat(chat_pb2_grpc.ChatServicer):
    def __init__(self, fx: FakeXai):
        self.fx = fx

    def GetCompletion(self, request, context):
        return self.fx._chat(request, context, "GetCompletion")

    def GetCompletionChunk(self, request, context):
        r = self.fx._chat(request, context, "GetCompletionChunk")
        yield chat_pb2.GetChatCompletionChunk(
            id=r.id, model=r.model, created=r.created, system_fingerprint=r.system_fingerprint, usage=r.usage,
            outputs=[chat_pb2.CompletionOutputChunk(
                index=o.index, finish_reason=o.finish_reason,
                delta=chat_pb2.Delta(role=o.message.role, content=o.message.content)) for o in r.outputs])


class _Image(image_pb2_grpc.ImageServicer):
    def __init__(self, fx: FakeXai):
        self.fx = fx

    def GenerateImage(self, request, context):
        return self.fx._image(request, context)


class _Video(video_pb2_grpc.VideoServicer):
    def __init__(self, fx: FakeXai):
        self.fx = fx

    def GenerateVideo(self, request, context):
        return self.fx._video_start(request, context)

    def GetDeferredVideo(self, request, context):
        return self.fx._video_get(request, context)


class _Auth(auth_pb2_grpc.AuthServicer):
    def __init__(self, fx: FakeXai):
        self.fx = fx

    def get_api_key_info(self, request, context):
        self.fx._enter("other", "/xai_api.Auth/get_api_key_info", request, context)
        key = self.fx._key(dict(context.invocation_metadata()))
        return auth_pb2.ApiKey(redacted_api_key=_redact(key), name="fake-xai key", user_id="user-fake",
                               team_id="team-fake", api_key_id="key-fake", create_time=_now(), modify_time=_now(),
                               acls=["api-key:endpoint:*", "api-key:model:*"])


class _Models(models_pb2_grpc.ModelsServicer):
    def __init__(self, fx: FakeXai):
        self.fx = fx

    def _lm(self, name: str) -> models_pb2.LanguageModel:
        M = models_pb2.Modality
        return models_pb2.LanguageModel(name=name, version="fake", input_modalities=[M.TEXT, M.IMAGE],
                                        output_modalities=[M.TEXT], max_prompt_length=131072, created=_now())

    def _im(self, name: str) -> models_pb2.ImageGenerationModel:
        M = models_pb2.Modality
        return models_pb2.ImageGenerationModel(name=name, version="fake", input_modalities=[M.TEXT, M.IMAGE],
                                               output_modalities=[M.IMAGE], created=_now())

    def ListLanguageModels(self, request, context):
        self.fx._enter("other", "/xai_api.Models/ListLanguageModels", request, context)
        return models_pb2.ListLanguageModelsResponse(models=[self._lm(n) for n in self.fx.language_models])

    def ListImageGenerationModels(self, request, context):
        self.fx._enter("other", "/xai_api.Models/ListImageGenerationModels", request, context)
        return models_pb2.ListImageGenerationModelsResponse(models=[self._im(n) for n in self.fx.image_models])

    def ListEmbeddingModels(self, request, context):
        self.fx._enter("other", "/xai_api.Models/ListEmbeddingModels", request, context)
        return models_pb2.ListEmbeddingModelsResponse()

    def GetLanguageModel(self, request, context):
        self.fx._enter("other", "/xai_api.Models/GetLanguageModel", request, context, model=request.name)
        if request.name not in self.fx.language_models:
            context.abort(grpc.StatusCode.NOT_FOUND, f"The model {request.name} does not exist.")
        return self._lm(request.name)

    def GetImageGenerationModel(self, request, context):
        self.fx._enter("other", "/xai_api.Models/GetImageGenerationModel", request, context, model=request.name)
        if request.name not in self.fx.image_models:
            context.abort(grpc.StatusCode.NOT_FOUND, f"The model {request.name} does not exist.")
        return self._im(request.name)


def _json_error(status: int, message: str, headers: dict[str, str] | None = None):
    """An error the way xAI's REST API answers one: {"code": <reason>, "error": <message>}."""
    from http import HTTPStatus

    try:
        code = HTTPStatus(status).phrase
    except ValueError:
        code = "Error"
    body = json.dumps({"code": code, "error": message}).encode()
    return status, {"Content-Type": "application/json", **(headers or {})}, body


def _http_handler(fx: FakeXai):
    class Handler(SimpleHTTPRequestHandler):
        extensions_map = {**SimpleHTTPRequestHandler.extensions_map,
                          ".png": "image/png", ".mp4": "video/mp4", ".jpg": "image/jpeg"}

        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(fx.media_dir), **kwargs)

        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.split("?", 1)[0] != TTS_PATH:
                status, headers, body = _json_error(404, f"No such endpoint: POST {self.path}.")
            else:
                status, headers, body = fx._tts(self.headers, raw)
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            fx.downloads.append(self.path)
            if fx.slow_download_seconds:
                time.sleep(fx.slow_download_seconds)
            super().do_GET()

        def log_message(self, *args):
            pass

    return Handler
