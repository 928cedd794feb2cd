"""The Grok provider: every operation through the official xai-sdk.

- Plans and label maps are structured output (`chat.parse(Model)`); checks are a
  chat with the images attached, parsed into a score and named problems.
- Sheets stylize the uploaded photo with a single-image edit (`image_url`) or
  generate from the frozen description; keyframes are multi-reference edits
  (`image_urls`, up to 3). Clips are image-to-video from the keyframe with a
  motion-only prompt; the result URL is downloaded with timeouts and checked
  (content type, size, a probe) before it can become an asset.
- Faults, rate limits and error text are handled in `resilience`; prices in
  `PRICES`, preferring the cost the API reports when it reports one.

The key is read from XAI_API_KEY or Streamlit secrets, held in memory only, and
scrubbed from every message. DAILIES_XAI_HOST (host:port) points the client at
another endpoint; a plaintext channel is allowed only on a loopback address.
"""
from __future__ import annotations

import base64
import io
import ipaddress
import os
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import ClassVar

import grpc

from core import media
from core.errors import ConfigError, MediaError, ProviderError
from core.models import CheckResult, LabelMapping, Media, StoryPlan
from core.providers import api_key, register
from core.providers.base import (CheckRequest, ClipRequest, KeyframeRequest, PlanRequest, RefineRequest, SheetRequest,
                                 Ticket)
from core.providers.resilience import RateLimiter, RetryPolicy, Transient, with_retries

# A resumed request that the status check refuses like this is gone (forgotten, expired, made with another key).
GONE = {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.FAILED_PRECONDITION}

DEFAULT_MODELS = {"plan": "grok-4-1-fast-non-reasoning", "check": "grok-4-1-fast-reasoning",
                  "image": "grok-imagine-image", "video": "grok-imagine-video"}
PRICES = {  # USD; the API's own reported cost wins when a response carries one
    "image_output": 0.02, "image_input": 0.02, "video_second": 0.05,
    "chat_input_per_mtok": 0.20, "chat_output_per_mtok": 0.50,
}
ESTIMATED_CHAT = {"plan_story": 0.01, "refine_plan": 0.01, "map_labels": 0.002, "check": 0.003}
MAX_DOWNLOAD_BYTES = 300 * 2**20
IMAGE_LIMIT, VIDEO_LIMIT = RateLimiter(5.0), RateLimiter(1.0)  # published limits, shared by all jobs
SYSTEM = ("You are the planning and continuity assistant of a film workbench. Follow the schema exactly. "
          "Character visual descriptions are frozen: once written, they are quoted verbatim, never paraphrased.")


def _data_uri(data: bytes) -> str:
    mime = "image/png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0].strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@register("xai")
class XaiProvider:
    name: ClassVar[str] = "xai"
    needs_key: ClassVar[bool] = True
    key_env_var: ClassVar[str | None] = "XAI_API_KEY"
    parallel_clips: ClassVar[int] = 4  # remote renders: bounded by the rate limit, not local cores

    def __init__(self, *, models: dict[str, str] | None = None, prices: dict[str, float] | None = None,
                 timeout: float = 300.0, **_options):
        from xai_sdk import Client

        self._key = api_key("XAI_API_KEY")
        if not self._key:
            raise ConfigError("No key found for the xai provider: set XAI_API_KEY, or use --provider offline.")
        self.models = {**DEFAULT_MODELS, **(models or {})}
        self.prices = {**PRICES, **(prices or {})}
        self.policy = RetryPolicy.from_env()
        self.poll_s = float(os.environ.get("DAILIES_XAI_POLL", "2"))
        host = os.environ.get("DAILIES_XAI_HOST", "").strip()
        kwargs: dict = {"api_key": self._key, "timeout": timeout}
        if host:
            kwargs["api_host"] = host
            if _loopback(host):
                kwargs["use_insecure_channel"] = True
            elif os.environ.get("DAILIES_XAI_INSECURE"):
                raise ConfigError(f"A plaintext channel is only allowed to a loopback address, not {host}.")
        self.client = Client(**kwargs)

    # -- plumbing --------------------------------------------------------------------------------
    def _retry(self, fn, *, what: str, prompt: str = ""):
        return with_retries(fn, what=what, prompt=prompt, policy=self.policy, secrets=[self._key])

    def estimate(self, operation: str, params: dict, n_inputs: int) -> float:
        if operation in ("make_sheet", "compose_keyframe", "blend_characters"):
            return self.prices["image_output"] + self.prices["image_input"] * n_inputs
        if operation == "animate_clip":
            return self.prices["video_second"] * params.get("duration", 5)
        return ESTIMATED_CHAT.get(operation, 0.01)

    def _chat_cost(self, response) -> float:
        reported = response.cost_usd
        if reported is not None:
            return float(reported)
        u = response.usage
        return (u.prompt_tokens * self.prices["chat_input_per_mtok"]
                + u.completion_tokens * self.prices["chat_output_per_mtok"]) / 1e6

    def _parse(self, model_role: str, shape, *parts, what: str, prompt: str):
        from xai_sdk.chat import system, user

        def go():
            chat = self.client.chat.create(model=self.models[model_role], messages=[system(SYSTEM), user(*parts)])
            return chat.parse(shape)
        response, parsed = self._retry(go, what=what, prompt=prompt)
        return parsed, self._chat_cost(response)

    def preflight(self) -> str:
        """One cheap call: is the key accepted? Returns the key's name as the API knows it."""
        info = self._retry(self.client.auth.get_api_key_info, what="checking the API key")
        return getattr(info, "name", "") or "accepted"

    # -- text ------------------------------------------------------------------------------------
    def plan_story(self, req: PlanRequest) -> tuple[StoryPlan, float]:
        return self._parse("plan", StoryPlan, req.prompt, what="planning the story", prompt=req.prompt)

    def refine_plan(self, req: RefineRequest) -> tuple[StoryPlan, float]:
        text = f"{req.prompt}\nCurrent plan as JSON:\n{req.plan.model_dump_json()}"
        return self._parse("plan", StoryPlan, text, what="refining the story", prompt=req.instruction)

    def map_labels(self, labels: list[str], plan: StoryPlan) -> tuple[LabelMapping, float]:
        roster = "; ".join(f"{c.name} ({c.role})" for c in plan.characters)
        text = (f"Photos were uploaded with these labels: {', '.join(labels)}. The planned characters are: {roster}. "
                "Map each label to the one character it most likely shows; leave out labels that fit no one.")
        return self._parse("plan", LabelMapping, text, what="matching photos to characters", prompt=text)

    def check(self, req: CheckRequest) -> tuple[CheckResult, float]:
        from xai_sdk.chat import image

        parts = [req.prompt + " Image 1 is the one to score; the others are its references: "
                 + ", ".join(req.reference_roles or ["none"]) + ".", image(_data_uri(req.image), detail="low")]
        parts += [image(_data_uri(r), detail="low") for r in req.references]
        return self._parse("check", CheckResult, *parts, what=f"checking the {req.kind}", prompt=req.prompt)

    # -- images ----------------------------------------------------------------------------------
    def _image(self, prompt: str, *, refs: list[bytes], aspect_ratio: str, what: str) -> Media:
        kwargs: dict = {"image_format": "base64", "aspect_ratio": aspect_ratio}
        if len(refs) == 1:
            kwargs["image_url"] = _data_uri(refs[0])
        elif refs:
            kwargs["image_urls"] = [_data_uri(r) for r in refs[:3]]

        def go():
            IMAGE_LIMIT.wait()
            return self.client.image.sample(prompt, self.models["image"], **kwargs)
        response = self._retry(go, what=what, prompt=prompt)
        if not response.respect_moderation:
            raise ProviderError(f"xAI withheld the image for {what} (moderation). Prompt: “{prompt[:240]}…”")
        data = base64.b64decode(response.base64.split(",", 1)[-1]) if response.base64 else \
            self._download(response.url, what=what, kinds=("image/",))
        ext = "png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "jpg"
        reported = response.cost_usd
        cost = reported if reported is not None else self.estimate("compose_keyframe", {}, len(refs))
        return Media(data=data, ext=ext, prompt=prompt, cost_usd=float(cost))

    def make_sheet(self, req: SheetRequest) -> Media:
        return self._image(req.prompt, refs=[req.photo] if req.photo else [], aspect_ratio="3:4",
                           what=f"the sheet of {req.character.name}")

    def blend_sheets(self, sheet_a: bytes, sheet_b: bytes, *, name: str, weight: float, prompt: str) -> Media:
        """A new character from two: a multi-reference edit of both sheets (the media lab's blend); the name
        and the weight are in the prompt."""
        return self._image(prompt, refs=[sheet_a, sheet_b], aspect_ratio="3:4", what="the blended character")

    def compose_keyframe(self, req: KeyframeRequest) -> Media:
        return self._image(req.prompt, refs=req.references, aspect_ratio=req.aspect_ratio,
                           what=f"the keyframe of scene {req.scene.scene_id}")

    # -- video -----------------------------------------------------------------------------------
    def animate_clip(self, req: ClipRequest) -> Media:
        """Start a video render (or, given a ticket from a killed run, wait for the one it started) and poll it
        until it is done; the request id is handed to the ticket before the first poll."""
        from xai_sdk.proto import deferred_pb2

        what = "the clip"
        ticket = req.ticket or Ticket()
        St = deferred_pb2.DeferredStatus

        def start() -> str:
            ticket.before_start()

            def go():
                VIDEO_LIMIT.wait()
                return self.client.video.start(req.prompt, self.models["video"], image_url=_data_uri(req.keyframe),
                                               duration=req.duration, aspect_ratio=req.aspect_ratio,
                                               resolution="720p")
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
                raise ProviderError(f"xAI could not make {what} ({reason}). Prompt: “{req.prompt[:240]}”")
            if r.status == St.EXPIRED:
                ticket.ended()
                raise ProviderError(f"xAI let the request for {what} expire before it finished; run it again.")
            if time.monotonic() > deadline:  # the request stays with the ticket: the next run waits for it
                raise ProviderError(f"xAI took more than 15 minutes on {what}; run it again later.")
            time.sleep(self.poll_s)
        video = r.response.video
        if not video.url:
            ticket.ended()
            raise ProviderError(f"xAI returned no video for {what} (moderation?). Prompt: “{req.prompt[:240]}”")
        try:
            data = self._retry(lambda: self._download(video.url, what=what, kinds=("video/", "application/octet")),
                               what=f"downloading {what}")
            _probe(data)
        except (ProviderError, MediaError):
            if resumed:  # the second try at this render's file: its URL or its file is no good, buy a new one
                ticket.ended()
            raise
        reported = r.response.usage.cost_in_usd_ticks * 1e-10 if r.response.usage.HasField("cost_in_usd_ticks") \
            else None
        cost = reported if reported is not None else self.estimate("animate_clip", {"duration": req.duration}, 1)
        return Media(data=data, ext="mp4", prompt=req.prompt, cost_usd=float(cost))

    def _download(self, url: str, *, what: str, kinds: tuple[str, ...]) -> bytes:
        try:
            with urllib.request.urlopen(url, timeout=30) as resp:  # connect and each read: 30 s
                kind = resp.headers.get("Content-Type", "")
                if not kind.startswith(kinds):
                    raise ProviderError(f"The download of {what} is {kind or 'untyped'}, not a video or image.")
                size = int(resp.headers.get("Content-Length") or 0)
                if size > MAX_DOWNLOAD_BYTES:
                    raise ProviderError(f"The download of {what} is {size / 2**20:.0f} MB; the limit is "
                                        f"{MAX_DOWNLOAD_BYTES // 2**20} MB.")
                buf = io.BytesIO()
                while chunk := resp.read(1 << 20):
                    buf.write(chunk)
                    if buf.tell() > MAX_DOWNLOAD_BYTES:
                        raise ProviderError(f"The download of {what} passed {MAX_DOWNLOAD_BYTES // 2**20} MB.")
                return buf.getvalue()
        except (TimeoutError, urllib.error.URLError, ConnectionError) as err:
            raise Transient(f"downloading {what} failed ({getattr(err, 'reason', err)})") from None


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
