"""Provider registry: providers are picked by name, never by an if-chain.

`get_provider("offline")` is always available. Providers that need a key say
so through `needs_key`/`key_env_var`, and `get_provider` refuses them with a
message that says how to set the key.
"""
from __future__ import annotations

import os
from collections.abc import Callable

from core.errors import ConfigError
from core.providers.base import Provider

_REGISTRY: dict[str, Callable[..., Provider]] = {}


def register(name: str):
    def deco(factory):
        _REGISTRY[name] = factory
        return factory
    return deco


def names() -> list[str]:
    _load_builtins()
    return sorted(_REGISTRY)


def api_key(env_var: str) -> str | None:
    """The key from the environment, else from Streamlit secrets when running inside the app."""
    key = os.environ.get(env_var, "").strip()
    if key:
        return key
    try:  # only meaningful under `streamlit run`; the CLI has no secrets file
        import sys
        st = sys.modules.get("streamlit")
        if st is not None:
            return str(st.secrets.get(env_var, "")).strip() or None
    except Exception:  # noqa: BLE001 - no secrets file is the common case
        return None
    return None


def get_provider(name: str, **options) -> Provider:
    _load_builtins()
    factory = _REGISTRY.get(name)
    if factory is None:
        raise ConfigError(f"Unknown provider {name!r}; choose one of: {', '.join(names())}.")
    env_var = factory.key_env_var
    if factory.needs_key and env_var and not api_key(env_var):
        raise ConfigError(f"No key found for the {name} provider: set {env_var} in the environment "
                          f"(or in .streamlit/secrets.toml for the app), or use --provider offline.")
    return factory(**options)


def default_provider_name() -> str:
    return "xai" if api_key("XAI_API_KEY") else "offline"


def _load_builtins() -> None:
    from core.providers import offline, xai  # noqa: F401 - each registers itself on first import
