"""The Grok provider: every operation through the official xai-sdk, except speech.

- Plans and label maps are structured output (`chat.parse(Model)`); checks are a
  chat with the images attached, parsed into a score and named problems.
- Sheets stylize the uploaded photo with a single-image edit (`image_url`) or
  generate from the frozen description; keyframes are multi-reference edits
  (`image_urls`, up to 3). Clips are image-to-video from the keyframe with a
  motion-only prompt; the result URL is downloaded with timeouts and checked
  (content type, size, a probe) before it can become an asset.
- Plans are asked for as a `PlanDraft` (every hard limit turned into advice) and
  parsed leniently, so a sloppy answer reaches the plan checks instead of
  crashing the parser; checks are parsed leniently too (a score of 85 is 0.85).
- Every image sent is shaped for the request first (`xai_fit`): no request comes
  near the SDK's 20 MiB limit, and one that still would is refused unsent.
- Model names, retired names and prices live in `xai_catalog`. The preflight
  asks the API which models the key can use and refuses a missing or retired
  one before any paid call; the cost the API reports always wins over the table.
- Faults, rate limits and error text are handled in `resilience`.
- Lines of dialogue are spoken by xAI's text-to-speech, a REST endpoint the SDK does not have: `xai_tts` is a
  small httpx client for it (same retries, rate limiting and one-line errors), made on the first line spoken.
  The prompt (the words with xAI's speech tags) is sent as it is; the cost is its characters at the table's
  price, as the endpoint reports none. The voice "model" is a display name: it is not looked up at preflight.

The key is read from XAI_API_KEY or Streamlit secrets, held in memory only, and
scrubbed from every message. DAILIES_XAI_HOST (host:port) points the client at
another endpoint; a plaintext channel is allowed only on a loopback address. DAILIES_XAI_API_URL does the same
for the REST base URL of text-to-speech (default https://api.x.ai/v1, or DAILIES_XAI_HOST's host with /v1 when
that is set; plaintext http:// only to loopback).
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import ClassVar

import grpc
from pydantic import BaseModel, ValidationError, field_validator

from core import media
from core.errors import BadAnswer, ConfigError, MediaError, ProviderError
from core.models import CheckResult, LabelMapping, Media, PlanDraft, StoryPlan
from core.providers import api_key, register
from core.providers import xai_catalog as catalog
from core.providers.base import (CheckRequest, ClipRequest, EditRequest, KeyframeRequest, PlanRequest, RefineRequest,
                                 SheetRequest, SpeechRequest, Ticket)
from core.providers.resilience import RateLimiter, RetryPolicy, Transient, one_line, with_retries
from core.providers.xai_fit import CHECK_SIDE, check_size, data_uri, fit_image
from core.providers.xai_tts import TTS_URL_ENV, TTSClient, loopback_name

# A resumed request that the status check refuses like this is gone (forgotten, expired, made with another key).
GONE = {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.FAILED_PRECONDITION}

MAX_DOWNLOAD_BYTES = 300 * 2**20
DOWNLOAD_SECONDS = {"image": 120.0, "video": 600.0}  # a whole download, on top of 30 s per connect and read
PREFLIGHT_TTL_S = 600.0  # a key and its models, once checked, are trusted this long by later jobs of the process
_checked: dict[tuple, float] = {}
_checked_lock = threading.Lock()
IMAGE_LIMIT, VIDEO_LIMIT = RateLimiter(5.0), RateLimiter(1.0)  # published limits, shared by all jobs
SYSTEM = ("You are the planning and continuity assistant of a film workbench. Follow the schema exactly. "
          "Character visual descriptions are frozen: once written, they are quoted verbatim, never paraphrased.")


class _Score(BaseModel):
    """A check as a model may answer it: a score out of 1 (or out of 100, or 10), problems as a list or a line."""

    score: float = 0.0
    issues: list[str] = []

    @field_validator("issues", mode="before")
    @classmethod
    def _issues(cls, v):
        if isinstance(v, str):
            return [v] if v.strip() else []
        return [str(x) for x in v or [] if str(x).strip()]

    def result(self) -> CheckResult:
        s = self.score
        s = s / 100 if s > 10 else s / 10 if s > 1 else s
        return CheckResult(score=min(1.0, max(0.0, s)), issues=self.issues)


def _loopback(host: str) -> bool:
    """host:port (or [v6]:port) on this machine."""
    return loopback_name(host.rsplit(":", 1)[0].strip("[]"))


@register("xai")
class XaiProvider:
    name: ClassVar[str] = "xai"
    needs_key: ClassVar[bool] = True
    key_env_var: ClassVar[str | None] = "XAI_API_KEY"
    parallel_clips: ClassVar[int] = 4  # remote renders: bounded by the rate limit, not local cores
    can_blend: ClassVar[bool] = True
    can_edit: ClassVar[bool] = True

    def __init__(self, *, models: dict[str, str] | None = None, prices: dict[str, float] | None = None,
                 timeout: float = 300.0, resolution: str = catalog.VIDEO_RESOLUTION,
                 generate_audio: bool = catalog.VIDEO_AUDIO, **_options):
        from xai_sdk import Client

        self._key = api_key("XAI_API_KEY")
        if not self._key:
            raise ConfigError("No key found for the xai provider: set XAI_API_KEY, or use --provider offline.")
        unknown = sorted(set(models or {}) - set(catalog.ROLES))
        if unknown:
            raise ConfigError(f"Unknown model role {unknown[0]!r}; the roles are {', '.join(catalog.ROLES)}.")
        if resolution not in catalog.VIDEO_RESOLUTIONS:
            raise ConfigError(f"Video resolution {resolution!r} is not one of {', '.join(catalog.VIDEO_RESOLUTIONS)}.")
        self.models = catalog.models_for(models)
        self.prices = {**catalog.PRICES, **(prices or {})}
        self.resolution, self.generate_audio = resolution, generate_audio
        self.policy = RetryPolicy.from_env()
        self.poll_s = float(os.environ.get("DAILIES_XAI_POLL", "2"))
        self.host = os.environ.get("DAILIES_XAI_HOST", "").strip()
        kwargs: dict = {"api_key": self._key, "timeout": timeout}
        if self.host:
            kwargs["api_host"] = self.host
            if _loopback(self.host):
                kwargs["use_insecure_channel"] = True
            elif os.environ.get("DAILIES_XAI_INSECURE"):
                raise ConfigError(f"A plaintext channel is only allowed to a loopback address, not {self.host}.")
        self.client = Client(**kwargs)
        self._tts: TTSClient | None = None  # made on the first line spoken (a run without lines needs none)
        self._tts_lock = threading.Lock()

    # -- plumbing --------------------------------------------------------------------------------
    def _retry(self, fn, *, what: str, prompt: str = ""):
        return with_retries(fn, what=what, prompt=prompt, policy=self.policy, secrets=[self._key])

    def estimate(self, operation: str, params: dict, n_inputs: int) -> float:
        if operation in ("make_sheet", "compose_keyframe", "blend_characters", "edit_image"):
            return self.prices["image_output"] + self.prices["image_input"] * n_inputs
        if operation == "speak":
            return params.get("chars", 0) * self.prices["tts_per_million_chars"] / 1e6
        if operation == "animate_clip":
            per_second = self.prices[f"video_second_{self.resolution}"]
            return per_second * _seconds(params.get("duration", 5)) + self.prices["video_input"]
        return catalog.ESTIMATED_CHAT.get(operation, 0.01)

    def _chat_cost(self, response) -> float:
        reported = response.cost_usd
        if reported is not None:
            return float(reported)
        u = response.usage
        return (u.prompt_tokens * self.prices["chat_input_per_mtok"]
                + u.completion_tokens * self.prices["chat_output_per_mtok"]) / 1e6

    def _parse(self, model_role: str, shape: type[BaseModel], *parts, what: str, prompt: str):
        """Ask for JSON in `shape` and parse it leniently; an answer that still does not parse is a BadAnswer
        that keeps what it cost."""
        from xai_sdk.chat import system, user

        def go():
            chat = self.client.chat.create(model=self.models[model_role], messages=[system(SYSTEM), user(*parts)],
                                           response_format=shape)
            return chat.sample()
        response = self._retry(go, what=what, prompt=prompt)
        cost = self._chat_cost(response)
        try:
            return shape.model_validate(json.loads(_json_text(response.content))), cost
        except (ValueError, ValidationError) as err:  # json's and pydantic's errors are both ValueErrors
            detail = one_line(str(err))[:300]
            raise BadAnswer(f"xAI answered {what} with something that is not JSON in the asked shape ({detail}).",
                            cost_usd=cost, detail=detail) from None

    # -- preflight -------------------------------------------------------------------------------
    def preflight(self) -> str:
        """Before a paid run: no configured model is retired, the key is accepted, and every configured model is
        one the key can use. Raises ConfigError (a model) or AuthError (the key); returns the key's name.
        A success is remembered for PREFLIGHT_TTL_S, so each job of a session does not ask again."""
        for role in catalog.ROLES:
            retired = catalog.retired_message(role, self.models[role])
            if retired:
                raise ConfigError(retired)
        memo = (self.host, hashlib.sha256(self._key.encode()).hexdigest(), tuple(sorted(self.models.items())))
        with _checked_lock:
            if time.monotonic() - _checked.get(memo, -1e9) < PREFLIGHT_TTL_S:
                return "accepted"
        info = self._retry(self.client.auth.get_api_key_info, what="checking the API key")
        self.check_models()
        with _checked_lock:
            _checked[memo] = time.monotonic()
        return getattr(info, "name", "") or "accepted"

    def available_models(self) -> dict[str, set[str]]:
        """The model names (and aliases) the API lists for this key: {"language": {...}, "image": {...}}."""
        def names(models) -> set[str]:
            return {n for m in models for n in (m.name, *m.aliases)}
        return {"language": names(self._retry(self.client.models.list_language_models, what="listing the models")),
                "image": names(self._retry(self.client.models.list_image_generation_models,
                                           what="listing the image models"))}

    def check_models(self) -> None:
        """Refuse a configured model the API does not list for this key, naming a replacement.

        The video model cannot be looked up (the SDK lists no video models), nor the voice (text-to-speech takes
        no model name): they are held to the retired list only."""
        listed = self.available_models()
        for role, kind in catalog.LISTED_AS.items():
            name = self.models[role]
            if name in listed[kind]:
                continue
            default = catalog.DEFAULT_MODELS[role]
            instead = catalog.RETIRED.get(name) or (default if default in listed[kind] else
                                                    next(iter(sorted(listed[kind])), None))
            hint = f"use {instead} (Settings → Models, or --model {role}={instead})" if instead else \
                "this key can use no such model"
            raise ConfigError(f"The {role} model {name} is not available to this xAI key: {hint}.")

    # -- text ------------------------------------------------------------------------------------
    def plan_story(self, req: PlanRequest) -> tuple[PlanDraft, float]:
        return self._parse("plan", PlanDraft, req.prompt, what="planning the story", prompt=req.prompt)

    def refine_plan(self, req: RefineRequest) -> tuple[PlanDraft, float]:
        text = f"{req.prompt}\nCurrent plan as JSON:\n{req.plan.model_dump_json()}"
        return self._parse("plan", PlanDraft, text, what="refining the story", prompt=req.instruction)

    def map_labels(self, labels: list[str], plan: StoryPlan) -> tuple[LabelMapping, float]:
        roster = "; ".join(f"{c.name} ({c.role})" for c in plan.characters)
        text = (f"Photos were uploaded with these labels: {', '.join(labels)}. The planned characters are: {roster}. "
                "Map each label to the one character it most likely shows; leave out labels that fit no one.")
        return self._parse("plan", LabelMapping, text, what="matching photos to characters", prompt=text)

    def check(self, req: CheckRequest) -> tuple[CheckResult, float]:
        from xai_sdk.chat import image

        uris = [data_uri(fit_image(b, max_side=CHECK_SIDE)) for b in (req.image, *req.references)]
        text = (req.prompt + " Image 1 is the one to score; the others are its references: "
                + ", ".join(req.reference_roles or ["none"]) + ". Score from 0 to 1.")
        check_size(f"the check of the {req.kind}", text, uris)
        parts = [text, *(image(u, detail="low") for u in uris)]
        score, cost = self._parse("check", _Score, *parts, what=f"checking the {req.kind}", prompt=req.prompt)
        return score.result(), cost

    # -- images ----------------------------------------------------------------------------------
    def _image(self, prompt: str, *, refs: list[bytes], aspect_ratio: str | None, what: str) -> Media:
        uris = [data_uri(fit_image(r)) for r in refs[:3]]
        check_size(what, prompt, uris)
        kwargs: dict = {"image_format": "base64", **({"aspect_ratio": aspect_ratio} if aspect_ratio else {})}
        if len(uris) == 1:
            kwargs["image_url"] = uris[0]
        elif uris:
            kwargs["image_urls"] = uris

        def go():
            IMAGE_LIMIT.wait()
            return self.client.image.sample(prompt, self.models["image"], **kwargs)
        response = self._retry(go, what=what, prompt=prompt)
        if not response.respect_moderation:
            raise ProviderError(f"xAI withheld the image for {what} (moderation). "
                                f"Prompt: “{one_line(prompt)[:240]}…”")
        if response.base64:
            data = base64.b64decode(response.base64.split(",", 1)[-1])
        else:
            data = self._retry(lambda: self._download(response.url, what=what, kinds=("image/",), kind="image"),
                               what=f"downloading {what}")
        ext = "png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "jpg"
        reported = response.cost_usd
        cost = reported if reported is not None else self.estimate("compose_keyframe", {}, len(refs))
        return Media(data=data, ext=ext, prompt=prompt, cost_usd=float(cost))

    def make_sheet(self, req: SheetRequest) -> Media:
        refs = ([req.photo] if req.photo else []) + ([req.style_image] if req.style_image else [])
        return self._image(req.prompt, refs=refs, aspect_ratio="3:4", what=f"the sheet of {req.character.name}")

    def blend_sheets(self, sheet_a: bytes, sheet_b: bytes, *, name: str, weight: float, prompt: str) -> Media:
        """A new character from two: a multi-reference edit of both sheets (the media lab's blend); the name
        and the weight are in the prompt."""
        return self._image(prompt, refs=[sheet_a, sheet_b], aspect_ratio="3:4", what="the blended character")

    def edit_image(self, req: EditRequest) -> Media:
        """One image edit: the picture (or the crop of the region) as the source image, the instruction with
        what must stay as the prompt; the server keeps the source's shape."""
        return self._image(req.prompt, refs=[req.image], aspect_ratio=None, what=f"the edit of the {req.kind}")

    def compose_keyframe(self, req: KeyframeRequest) -> Media:
        return self._image(req.prompt, refs=req.references, aspect_ratio=req.aspect_ratio,
                           what=f"the keyframe of scene {req.scene.scene_id}")

    # -- speech ----------------------------------------------------------------------------------
    def speak(self, req: SpeechRequest) -> Media:
        """One line as MP3: the prompt (words and speech tags) in the line's voice. A 200 that is not audio is a
        BadAnswer that keeps what it cost."""
        what = req.speaker or "a line"  # the pipeline names the line there ("line 2 of scene 3 (Ada)")
        cost = self.estimate("speak", {"chars": len(req.prompt)}, 0)
        with self._tts_lock:
            if self._tts is None:
                # With the gRPC side pointed at another endpoint and no REST URL, speech goes to that same host
                # (plaintext only on loopback), never with this key to the public API.
                base = None
                if self.host and not os.environ.get(TTS_URL_ENV, "").strip():
                    base = f"{'http' if _loopback(self.host) else 'https'}://{self.host}/v1"
                self._tts = TTSClient(self._key, base_url=base)
            tts = self._tts
        try:
            data = tts.speak(req.prompt, req.voice, req.language or "en", what=what)
        except BadAnswer as err:
            err.cost_usd = cost
            raise
        return Media(data=data, ext="mp3", prompt=req.prompt, cost_usd=cost)

    # -- video -----------------------------------------------------------------------------------
    def animate_clip(self, req: ClipRequest) -> Media:
        """Start a video render (or, given a ticket from a killed run, wait for the one it started) and poll it
        until it is done; the request id is handed to the ticket before the first poll."""
        from xai_sdk.proto import deferred_pb2

        what = "the clip"
        ticket = req.ticket or Ticket()
        St = deferred_pb2.DeferredStatus
        duration = _seconds(req.duration)  # the plan checks clamp already; this is the last guard
        keyframe = data_uri(fit_image(req.keyframe))
        check_size(what, req.prompt, [keyframe])

        def start() -> str:
            ticket.before_start()

            def go():
                VIDEO_LIMIT.wait()
                return self.client.video.start(req.prompt, self.models["video"], image_url=keyframe,
                                               duration=duration, aspect_ratio=req.aspect_ratio,
                                               resolution=self.resolution, generate_audio=self.generate_audio)
            request_id = self._retry(go, what=what, prompt=req.prompt).request_id
            ticket.started(request_id)
            return request_id

        def status(request_id: str, *, resumed: bool):
            def get():
                try:
                    return self.client.video.get(request_id)
                except grpc.RpcError as err:
                    code = err.code() if callable(getattr(err, "code", None)) else None
                    if resumed and code in GONE:
                        return None  # xAI no longer knows the earlier request (or not for this key): start anew
                    raise
            return self._retry(get, what=f"{what} (status)")

        request_id, resumed = ticket.request_id, ticket.request_id is not None
        if not resumed:
            request_id = start()
        deadline = time.monotonic() + 15 * 60
        while True:
            r = status(request_id, resumed=resumed)
            if r is None or (resumed and r.status == St.EXPIRED):
                ticket.ended()
                request_id, resumed = start(), False
                continue
            if r.status == St.DONE:
                break
            if r.status == St.FAILED:
                ticket.ended()
                err = r.response.error if r.HasField("response") and r.response.HasField("error") else None
                reason = f"{err.code}: {err.message}" if err else "no reason given"
                raise ProviderError(f"xAI could not make {what} ({reason}). Prompt: “{one_line(req.prompt)[:240]}”")
            if r.status == St.EXPIRED:
                ticket.ended()
                raise ProviderError(f"xAI let the request for {what} expire before it finished; run it again.")
            if time.monotonic() > deadline:  # the request stays with the ticket: the next run waits for it
                raise ProviderError(f"xAI took more than 15 minutes on {what}; run it again later.")
            time.sleep(self.poll_s)
        video = r.response.video
        if not video.url:
            ticket.ended()
            raise ProviderError(f"xAI returned no video for {what} (moderation?). "
                                f"Prompt: “{one_line(req.prompt)[:240]}”")
        try:
            data = self._retry(lambda: self._download(video.url, what=what, kinds=("video/", "application/octet"),
                                                      kind="video"),
                               what=f"downloading {what}")
            _probe(data)
        except (ProviderError, MediaError):
            if resumed:  # the second try at this render's file: its URL or its file is no good, buy a new one
                ticket.ended()
            raise
        reported = r.response.usage.cost_in_usd_ticks * 1e-10 if r.response.usage.HasField("cost_in_usd_ticks") \
            else None
        cost = reported if reported is not None else self.estimate("animate_clip", {"duration": duration}, 1)
        return Media(data=data, ext="mp4", prompt=req.prompt, cost_usd=float(cost))

    def _download(self, url: str, *, what: str, kinds: tuple[str, ...], kind: str) -> bytes:
        """The result file, with 30 s per connect and read and DOWNLOAD_SECONDS in all; a timeout is Transient, so
        the caller's retries download it again."""
        deadline = time.monotonic() + DOWNLOAD_SECONDS[kind]
        try:
            with urllib.request.urlopen(url, timeout=30) as resp:
                ctype = resp.headers.get("Content-Type", "")
                if not ctype.startswith(kinds):
                    raise ProviderError(f"The download of {what} is {ctype or 'untyped'}, not a video or image.")
                size = int(resp.headers.get("Content-Length") or 0)
                if size > MAX_DOWNLOAD_BYTES:
                    raise ProviderError(f"The download of {what} is {size / 2**20:.0f} MB; the limit is "
                                        f"{MAX_DOWNLOAD_BYTES // 2**20} MB.")
                buf = io.BytesIO()
                while chunk := resp.read(1 << 20):
                    buf.write(chunk)
                    if buf.tell() > MAX_DOWNLOAD_BYTES:
                        raise ProviderError(f"The download of {what} passed {MAX_DOWNLOAD_BYTES // 2**20} MB.")
                    if time.monotonic() > deadline:
                        raise Transient(f"downloading {what} took more than {DOWNLOAD_SECONDS[kind]:.0f}s")
                return buf.getvalue()
        except (TimeoutError, urllib.error.URLError, ConnectionError) as err:
            raise Transient(f"downloading {what} failed ({getattr(err, 'reason', err)})") from None


def _seconds(duration) -> int:
    return int(min(max(round(float(duration)), catalog.MIN_SECONDS), catalog.MAX_SECONDS))


def _json_text(content: str) -> str:
    """The JSON in an answer: as it is, or inside a ```json fence, or from the first { to the last }."""
    text = content.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    if not text.startswith("{") and "{" in text:
        text = text[text.index("{"): text.rindex("}") + 1]
    return text


def _probe(data: bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="dailies-dl-") as tmp:
        p = Path(tmp) / "clip.mp4"
        p.write_bytes(data)
        try:
            info = media.probe_video(p)
        except MediaError as err:
            raise ProviderError(f"The downloaded clip is not a playable video ({err}).") from None
        if info.duration <= 0:
            raise ProviderError("The downloaded clip has no duration.")
