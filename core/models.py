"""Pydantic models shared by the store, the providers, the pipeline and the UI.

`StoryPlan` is the payload of the `story` slot; providers must return exactly
this shape (the xai provider asks Grok for it through structured output, the
offline provider builds it from the concept's words). Character descriptions are
"frozen": written once by the planner and then quoted verbatim in every prompt.
"""
from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

CAMERA_MOVES = (
    "static", "slow push in", "pull back", "pan left", "pan right",
    "tilt up", "tilt down", "dolly in", "dolly out", "orbit",
)
Transition = Literal["cut", "crossfade", "fade"]  # fade = through black
ClipAudio = Literal["keep", "mute", "duck"]
TRANSITIONS = get_args(Transition)
CLIP_AUDIO = get_args(ClipAudio)
ASPECT_RATIOS = ("16:9", "9:16", "1:1")
MIN_DESCRIPTION_WORDS = 80
MAX_SCENES = 24


class Character(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60)
    role: str = ""
    visual_description: str = Field(
        description=f"Frozen visual description, at least {MIN_DESCRIPTION_WORDS} words; never paraphrased."
    )
    personality_cues: list[str] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name_is_a_slot_name(cls, v: str) -> str:
        v = " ".join(v.split())
        if "/" in v:
            raise ValueError("a character name cannot contain '/'")
        return v


class Scene(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scene_id: int = Field(ge=1)
    title: str
    description: str = ""
    characters_present: list[str] = Field(default_factory=list, max_length=3)
    setting: str
    camera: str = "static"
    mood: str = ""
    action: str = ""
    duration_seconds: int = Field(default=5, ge=1, le=15)
    transition: Transition = Field(default="cut", description="into this scene from the previous one")
    transition_seconds: float = Field(default=1.0, ge=0.5, le=2.0, multiple_of=0.5)
    subtitle: str = Field(default="", description="one line of narration or dialogue shown during the scene")
    audio: ClipAudio = Field(default="keep", description="the clip's own sound (duck = lowered under the music)")


class StoryPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    logline: str = ""
    style: str = "storybook illustration, soft painterly light"
    aspect_ratio: str = "16:9"
    palette: list[str] = Field(default_factory=list, description="5 hex colours")
    characters: list[Character] = Field(min_length=1)
    scenes: list[Scene] = Field(min_length=1)

    def character(self, name: str) -> Character | None:
        return next((c for c in self.characters if c.name == name), None)

    def scene(self, n: int) -> Scene:
        return self.scenes[n - 1]


class LabelMapping(BaseModel):
    """Maps uploaded reference labels to planned character names."""

    model_config = ConfigDict(extra="forbid")
    mapping: dict[str, str] = Field(default_factory=dict, description="reference label -> character name")


class CheckResult(BaseModel):
    """A vision/consistency check: 0..1 and the named problems found."""

    model_config = ConfigDict(extra="forbid")
    score: float = Field(ge=0.0, le=1.0)
    issues: list[str] = Field(default_factory=list)


class Media(BaseModel):
    """What a media operation returns: bytes plus the file extension they should be stored under."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    data: bytes
    ext: Literal["png", "jpg", "webp", "mp4"]
    prompt: str = ""
    cost_usd: float = 0.0
