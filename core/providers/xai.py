"""The Grok provider (xai-sdk). Registered here so that `--provider xai` is a known name
whose missing key is reported clearly; the operations arrive with issue 4."""
from __future__ import annotations

from typing import ClassVar

from core.errors import ConfigError
from core.providers import register


@register("xai")
class XaiProvider:
    name: ClassVar[str] = "xai"
    needs_key: ClassVar[bool] = True
    key_env_var: ClassVar[str | None] = "XAI_API_KEY"
    parallel_clips: ClassVar[int] = 4  # remote renders: bounded by the rate limit, not local cores

    def __init__(self, **_options):
        raise ConfigError("The xai provider is not available in this version yet; use --provider offline.")
