"""What Dailies knows about xAI's models: the defaults per role, the retired names, the prices.

xAI renames and retires models every few months, so nothing here is trusted on
its own: before a paid run the preflight asks the API which models the key can
use (`XaiProvider.check_models`) and refuses a configured model that is missing
or on the retired list, naming its replacement. This table is the one place the
names live; the Settings page and `--model ROLE=NAME` override them per project
or per run.

Prices are estimates for the budget cap and the preflight's cost estimate only:
every xAI response reports its own `cost_usd`, and that is what the call log
records whenever it is there.
"""
from __future__ import annotations

ROLES = ("plan", "check", "image", "video", "voice")
ROLE_HELP = {"plan": "structured planning (story, refinements, photo labels)",
             "check": "vision checks of sheets, keyframes and clips",
             "image": "sheets and keyframes (image generation and multi-reference edits)",
             "video": "clips (image-to-video)",
             "voice": "text-to-speech of the lines"}
# Which listing of the API knows the model of a role (video models have no listing in the SDK; the voice is the
# REST text-to-speech endpoint, which takes no model name, so its name is for display and the call log only).
LISTED_AS = {"plan": "language", "check": "language", "image": "image"}

DEFAULT_MODELS = {
    "plan": "grok-4.20-non-reasoning",   # structured output; no reasoning needed to fill a schema
    "check": "grok-4.3",                 # looking at pictures and judging them is reasoning work
    "image": "grok-imagine-image",
    "video": "grok-imagine-video",
    "voice": "grok-tts",                 # not sent: POST /v1/tts has one model; the name labels the call log
}

# docs.x.ai, "Grok Model Retirement on May 15, 2026": requests to these no longer work.
RETIRED = {
    "grok-4-1-fast-reasoning": "grok-4.3",
    "grok-4-1-fast-non-reasoning": "grok-4.20-non-reasoning",
    "grok-4-fast-reasoning": "grok-4.3",
    "grok-4-fast-non-reasoning": "grok-4.20-non-reasoning",
    "grok-4-0709": "grok-4.3",
    "grok-code-fast-1": "grok-4.3",
    "grok-3": "grok-4.3",
    "grok-imagine-image-pro": "grok-imagine-image",
}
RETIRED_ON = "2026-05-15"

PRICES_AS_OF = "2026-12-02"
PRICES_SOURCE = ("docs.x.ai/developers/models (grok-4.3, grok-4.20: $1.25 in / $2.50 out per 1M tokens); "
                 "grok-imagine-image $0.02 an image and $0.002 an input image; grok-imagine-video $0.05 a second "
                 "at 480p, $0.07 at 720p; text-to-speech (POST /v1/tts) $4.20 per 1M characters")
PRICES = {  # USD
    "image_output": 0.02, "image_input": 0.002,
    "video_second_480p": 0.05, "video_second_720p": 0.07, "video_input": 0.002,
    "chat_input_per_mtok": 1.25, "chat_output_per_mtok": 2.50,
    "tts_per_million_chars": 4.20,
}
ESTIMATED_CHAT = {"plan_story": 0.01, "refine_plan": 0.01, "map_labels": 0.002, "check": 0.004}

VIDEO_RESOLUTIONS = ("480p", "720p")
VIDEO_RESOLUTION = "720p"        # named in every request: the server's own default is 480p
VIDEO_AUDIO = True               # named in every request too
MIN_SECONDS, MAX_SECONDS = 1, 15  # one clip


def models_for(overrides: dict[str, str] | None) -> dict[str, str]:
    """The defaults with a project's or a run's overrides on top (blank overrides ignored)."""
    return {**DEFAULT_MODELS, **{k: v.strip() for k, v in (overrides or {}).items() if v and v.strip()}}


def retired_message(role: str, name: str) -> str | None:
    """One line if `name` is a retired model, naming its replacement and how to switch; else None."""
    new = RETIRED.get(name)
    if new is None:
        return None
    return (f"The {role} model {name} was retired by xAI on {RETIRED_ON}; use {new} instead "
            f"(Settings → Models, or --model {role}={new}).")
