"""Surviving a paid remote API: retries with backoff, shared rate limits, readable errors.

- Transient faults (RESOURCE_EXHAUSTED, UNAVAILABLE, DEADLINE_EXCEEDED, a download
  that timed out) are retried with exponential backoff and full jitter, bounded
  both in attempts and in total time, so a flaky hour never becomes an endless job.
- Rate limits are process-wide (one limiter per kind of request, shared by every
  running job), because the published limits are per account, not per job.
- Everything else becomes a DailiesError with one readable line: a rejected key is
  an AuthError that stops the job at once; a refused request names the provider's
  reason and the prompt. Any secret is scrubbed from the text before it is shown.
- RESOURCE_EXHAUSTED is also what the SDK raises, before sending anything, for a
  message over its size limit ("CLIENT: Sent message larger than max"): that is
  not a rate limit, and the same bytes sent again are just as large, so it is
  refused at once instead of retried.
"""
from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import grpc

from core.errors import AuthError, ProviderError

T = TypeVar("T")
TRANSIENT = {grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
AUTH = {grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED}
KEY_FIX = ("check it in the xAI console, set XAI_API_KEY (or .streamlit/secrets.toml) again and restart, "
           "or use the offline provider")


class Transient(Exception):
    """A fault worth retrying that is not a gRPC error (e.g. a download timeout)."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_s: float = 0.5
    max_delay_s: float = 8.0
    total_s: float = 120.0

    @classmethod
    def from_env(cls) -> "RetryPolicy":
        """DAILIES_XAI_RETRY_BASE scales the delays (tests use a small one)."""
        base = float(os.environ.get("DAILIES_XAI_RETRY_BASE", cls.base_s))
        return cls(base_s=base, max_delay_s=max(base, cls.max_delay_s * base / cls.base_s))


class RateLimiter:
    """At most `per_second` starts per second, spaced evenly, across all threads of the process."""

    def __init__(self, per_second: float):
        self.interval = 1.0 / per_second
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


def one_line(text: str) -> str:
    """Line breaks and runs of spaces (a quoted prompt has them) folded into single spaces."""
    return " ".join(str(text).split())


def _too_large(err: grpc.RpcError) -> bool:
    try:
        details = err.details() or ""
    except Exception:  # noqa: BLE001 - a channel-level error may carry none
        return False
    return "larger than max" in details or details.startswith("CLIENT:")


def scrub(text: str, secrets: list[str]) -> str:
    for s in secrets:
        if s:
            text = text.replace(s, "[key]")
    return text


def describe(err: grpc.RpcError) -> str:
    try:
        return f"{err.code().name}: {err.details()}"
    except Exception:  # noqa: BLE001 - a channel-level error may carry neither
        return str(err)


def with_retries(fn: Callable[[], T], *, what: str, prompt: str = "", policy: RetryPolicy,
                 secrets: list[str]) -> T:
    """Run `fn`, retrying transient faults; translate the rest into DailiesErrors."""
    start = time.monotonic()
    for attempt in range(1, policy.attempts + 1):
        try:
            return fn()
        except grpc.RpcError as err:
            code = err.code() if hasattr(err, "code") else None
            if code in AUTH:
                raise AuthError(f"The xAI API rejected the key (XAI_API_KEY): {KEY_FIX}.") from None
            if code == grpc.StatusCode.RESOURCE_EXHAUSTED and _too_large(err):
                raise ProviderError(f"The request for {what} is larger than xAI accepts "
                                    f"({scrub(describe(err), secrets)}); use smaller or fewer images.") from None
            if code not in TRANSIENT:
                reason = scrub(describe(err), secrets)
                shown = f" Prompt: “{one_line(prompt)[:240]}…”" if prompt else ""
                raise ProviderError(f"xAI refused {what} ({reason}).{shown}") from None
            last = scrub(describe(err), secrets)
        except Transient as err:
            last = scrub(str(err), secrets)
        delay = random.uniform(0, min(policy.max_delay_s, policy.base_s * 2 ** (attempt - 1)))
        if attempt == policy.attempts or time.monotonic() - start + delay > policy.total_s:
            break
        time.sleep(delay)
    raise ProviderError(f"xAI kept failing on {what} after {attempt} attempts ({last}); "
                        "finished takes are kept — run again later to continue.")
