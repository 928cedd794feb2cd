"""xAI text-to-speech: a small typed client for `POST {base}/tts` on httpx.

Why its own client: text-to-speech is not in xai-sdk (which speaks gRPC only), and this REST endpoint needs
nothing more than one JSON POST that answers raw audio. httpx gives real connect/read timeouts and a
bounded, streamed read in a few lines, without an HTTP/2 or async stack.

- The body is `{"text", "voice_id", "language"}`; the answer is MP3 at 24 kHz (audio/mpeg). The text may carry
  xAI's speech tags ([pause], [laugh], [sigh], <whisper>…</whisper>, <slow>…</slow>, …): it is sent as it is.
- Text over MAX_TTS_CHARS or an unknown voice is refused before anything is sent.
- 429 and 5xx gateway faults and timeouts are retried with the backoff of `resilience.with_retries` (a
  Retry-After header is honoured up to the policy's longest delay), under a process-wide rate limit.
- A rejected key is an AuthError; a refused request names the server's reason; a 200 that is not playable audio
  (wrong type, empty, too large, undecodable by PyAV) is a BadAnswer. Every message is one line, key scrubbed.

DAILIES_XAI_API_URL overrides the base URL (default https://api.x.ai/v1); plaintext http:// is allowed only to a
loopback host. The key is held in memory only and never logged.
"""
from __future__ import annotations

import email.utils
import io
import ipaddress
import json
import os
import random
import time
from urllib.parse import urlsplit

import httpx

from core.errors import AuthError, BadAnswer, ConfigError, ProviderError
from core.providers.resilience import KEY_FIX, RateLimiter, RetryPolicy, one_line, scrub

TTS_URL_ENV = "DAILIES_XAI_API_URL"
DEFAULT_BASE_URL = "https://api.x.ai/v1"
MAX_TTS_CHARS = 15_000
MAX_AUDIO_BYTES = 50 * 2**20
VOICES = ("eve", "ara", "leo", "rex", "sal")  # the API's voice ids (the same five as core.models.VOICES)
RETRY_STATUS = {429, 500, 502, 503, 504}
AUTH_STATUS = {401, 403}
TTS_LIMIT = RateLimiter(5.0)  # shared by every job of the process, like IMAGE_LIMIT
_RETRY_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


def loopback_name(hostname: str) -> bool:
    """A host name (no port, no brackets) on this machine: the one place both xAI clients decide plaintext."""
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def resolve_base_url(value: str | None = None) -> str:
    """The base URL to use: `value`, else DAILIES_XAI_API_URL, else the public API; ConfigError if unusable."""
    url = (value or os.environ.get(TTS_URL_ENV, "") or DEFAULT_BASE_URL).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{TTS_URL_ENV}={url!r} is not an http(s) URL such as {DEFAULT_BASE_URL}.")
    if parts.scheme == "http" and not loopback_name(parts.hostname):
        raise ConfigError(f"A plaintext http:// URL is only allowed to a loopback address, not {parts.hostname} "
                          f"({TTS_URL_ENV}); use https://.")
    return url


class TTSClient:
    """Speech for one key. Thread-safe: the jobs of a process may share one client."""

    def __init__(self, key: str, *, base_url: str | None = None, timeout: float = 60.0,
                 policy: RetryPolicy | None = None):
        if not key:
            raise ConfigError("No key for xAI text-to-speech: set XAI_API_KEY, or use --provider offline.")
        self._key = key
        self.url = resolve_base_url(base_url) + "/tts"
        self.policy = policy or RetryPolicy.from_env()
        self._http = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
                                  headers={"Authorization": f"Bearer {key}", "Accept": "audio/mpeg"},
                                  follow_redirects=False, trust_env=False)

    def __repr__(self) -> str:  # never the key
        return f"TTSClient(url={self.url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "TTSClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def speak(self, text: str, voice: str, language: str = "en", *, what: str) -> bytes:
        """The MP3 of `text` (speech tags and all) in `voice`. `what` names the line in every message."""
        if voice not in VOICES:
            raise ProviderError(f"Voice {voice!r} for {what} is not an xAI voice; the voices are {', '.join(VOICES)}.")
        if not text.strip():
            raise ProviderError(f"There is nothing to say for {what}: its text is empty.")
        if len(text) > MAX_TTS_CHARS:
            raise ProviderError(f"The text of {what} is {len(text):,} characters; xAI speaks at most "
                                f"{MAX_TTS_CHARS:,} at once — shorten it.")
        body = {"text": text, "voice_id": voice, "language": language or "en"}
        start = time.monotonic()
        attempt, last = 0, ""
        for attempt in range(1, self.policy.attempts + 1):
            wait: float | None = None
            try:
                TTS_LIMIT.wait()
                return self._once(body, what=what)
            except _Retry as err:
                last, wait = err.reason, err.retry_after
            except _RETRY_ERRORS as err:
                last = self._scrub(f"{type(err).__name__}: {err}" if str(err) else type(err).__name__)
            backoff = random.uniform(0, min(self.policy.max_delay_s, self.policy.base_s * 2 ** (attempt - 1)))
            delay = backoff if wait is None else min(self.policy.max_delay_s, max(0.0, wait))
            if attempt == self.policy.attempts or time.monotonic() - start + delay > self.policy.total_s:
                break
            time.sleep(delay)
        raise ProviderError(f"xAI kept failing on {what} after {attempt} attempts ({last}); "
                            "finished takes are kept — run again later to continue.")

    # -- one request -------------------------------------------------------------------------------
    def _once(self, body: dict, *, what: str) -> bytes:
        with self._http.stream("POST", self.url, json=body) as resp:
            status = resp.status_code
            if status != 200:
                resp.read()  # error bodies are small; this also frees the connection
                reason = f"HTTP {status}: {self._message(resp)}"
                if status in RETRY_STATUS:
                    raise _Retry(reason, _retry_after(resp.headers.get("Retry-After")))
                if status in AUTH_STATUS or (status == 400 and "api key" in reason.lower()):
                    raise AuthError(f"The xAI API rejected the key (XAI_API_KEY): {KEY_FIX}.")
                raise ProviderError(f"xAI refused {what} ({reason}).")
            ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if not ctype.startswith("audio/"):
                raise BadAnswer(f"xAI answered {what} with {ctype or 'untyped data'}, not audio.",
                                detail=ctype)
            size = int(resp.headers.get("Content-Length") or 0)
            if size > MAX_AUDIO_BYTES:
                raise BadAnswer(f"xAI answered {what} with {size / 2**20:.0f} MB of audio; the limit is "
                                f"{MAX_AUDIO_BYTES // 2**20} MB.")
            buf = io.BytesIO()
            for chunk in resp.iter_bytes(1 << 20):
                buf.write(chunk)
                if buf.tell() > MAX_AUDIO_BYTES:
                    raise BadAnswer(f"xAI answered {what} with more than {MAX_AUDIO_BYTES // 2**20} MB of audio.")
        data = buf.getvalue()
        if not data:
            raise BadAnswer(f"xAI answered {what} with no audio at all (an empty body).")
        problem = _undecodable(data)
        if problem:
            raise BadAnswer(f"xAI answered {what} with audio that does not play ({self._scrub(problem)}).",
                            detail=problem)
        return data

    def _message(self, resp: httpx.Response) -> str:
        """The server's reason: xAI's {"error": "..."} (or {"error": {"message"}}, {"message"}), else the text."""
        text = resp.text
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            err = doc.get("error", doc.get("message"))
            if isinstance(err, dict):
                err = err.get("message")
            if isinstance(err, str) and err.strip():
                text = err
        return self._scrub(one_line(text)[:300] or resp.reason_phrase or "no reason given")

    def _scrub(self, text: str) -> str:
        return one_line(scrub(text, [self._key]))


class _Retry(Exception):
    def __init__(self, reason: str, retry_after: float | None):
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _undecodable(data: bytes) -> str | None:
    """Why PyAV cannot play these bytes as audio, or None if it decodes a first audio frame."""
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                return "no audio stream"
            for _frame in container.decode(audio=0):
                return None
            return "no audio frames"
    except (av.FFmpegError, ValueError, EOFError) as err:
        return one_line(str(err))[:200] or type(err).__name__
