"""Pydantic models shared by the store, the providers, the pipeline and the UI.

`StoryPlan` is the payload of the `story` slot: strict, so everything downstream
can rely on it (names resolve, 1-15 s scenes, at most 3 characters a scene).
Character descriptions are "frozen": written once by the planner and then quoted
verbatim in every prompt.

A planner does not answer with a StoryPlan but with a `PlanDraft`: the same
fields with every hard limit turned into advice, and types coerced where a model
is sloppy ("5s", a comma-separated cast). A real model answers with JSON that
fits its schema and is still wrong (repeated scene ids, names that are not in
the cast, four scenes when three were asked for); parsing it strictly would turn
each slip into a crash. `core.pipeline.plan_checks` checks a draft as a whole,
asks again once, and repairs what is left into a StoryPlan.
"""
from __future__ import annotations

import math
import re
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
MAX_PRESENT = 3                 # characters in one scene: the image models take at most 3 reference images
MIN_SECONDS, MAX_SECONDS = 1, 15  # what the video model renders in one clip

# Dialogue. A speaker is a character of the scene or the narrator. A delivery is one of the words xAI's speech
# tags understand; the offline voice renders each one as a change of level, pace or pitch.
NARRATOR = "Narrator"
DELIVERIES = ("", "whisper", "shout", "soft", "slow", "fast", "laugh", "sigh", "pause")
MAX_LINES = 8                     # lines in one scene
MAX_LINE_CHARS = 400              # one line's text (xAI takes 15,000 characters a request; a line is a sentence or two)
# The voices a character can have: the names xAI's text-to-speech uses, which the offline voice renders too.
VOICES = ("eve", "ara", "sal", "rex", "leo")
# Timing, used by the planner's checks and the placement of lines in a scene (core.pipeline.voices measures the
# real speech; this is the estimate before there is any).
WORDS_PER_SECOND = 2.6
LINE_LEAD, LINE_GAP, LINE_TAIL = 0.5, 0.4, 0.5


def words_seconds(text: str) -> float:
    """How long a line is likely to take spoken, before it is."""
    return max(0.6, len(text.split()) / WORDS_PER_SECOND)


def lines_seconds(lines: list["Line"]) -> float:
    """The length a scene needs for its lines: a lead-in, each line with a gap between, a tail."""
    if not lines:
        return 0.0
    return LINE_LEAD + sum(words_seconds(l.text) + (1.0 if l.delivery == "pause" else 0.0) for l in lines) \
        + LINE_GAP * (len(lines) - 1) + LINE_TAIL


class Line(BaseModel):
    """One spoken line: who says it, the words, and how (an optional delivery)."""

    model_config = ConfigDict(extra="forbid")
    speaker: str = Field(min_length=1, max_length=60, description=f"a character of the scene, or {NARRATOR!r}")
    text: str = Field(min_length=1, max_length=MAX_LINE_CHARS)
    delivery: Literal[DELIVERIES] = ""  # type: ignore[valid-type]

    @field_validator("text", "speaker")
    @classmethod
    def _one_line(cls, v: str) -> str:
        v = " ".join(v.split())
        if not v:
            raise ValueError("cannot be empty")
        return v


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
    """One shot. `scene_id` is its identity, not its place: it never changes when scenes are inserted, moved or
    removed, and every slot made for the scene is named by it (`keyframe/<scene_id>`). Its place in the film is
    its position in `StoryPlan.scenes` (1-based), which is what people and the CLI's `--scene N` count."""

    model_config = ConfigDict(extra="forbid")

    scene_id: int = Field(ge=1, description="the scene's stable id; a new scene takes the largest id plus one")
    title: str
    description: str = ""
    characters_present: list[str] = Field(default_factory=list, max_length=MAX_PRESENT)
    setting: str
    camera: str = "static"
    mood: str = ""
    action: str = ""
    duration_seconds: int = Field(default=5, ge=MIN_SECONDS, le=MAX_SECONDS)
    transition: Transition = Field(default="cut", description="into this scene from the previous one")
    transition_seconds: float = Field(default=1.0, ge=0.5, le=2.0, multiple_of=0.5)
    subtitle: str = Field(default="", description="a caption for a scene without lines (its lines are its subtitles)")
    # Dialogue and narration, in order (a part of its own: `lines/<id>`, read by the voices and the cut alone).
    lines: list[Line] = Field(default_factory=list, max_length=MAX_LINES)
    audio: ClipAudio = Field(default="keep", description="the clip's own sound (duck = lowered under the music)")
    # The clip's own motion, changed without touching the keyframe (a part of its own: `motion/<id>`).
    motion: str = Field(default="", description="the clip's motion prompt; empty: from the camera and the action")
    clip_camera: str | None = Field(default=None, description="the clip's camera move, if not the scene's camera")


class StoryPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    logline: str = ""
    style: str = "storybook illustration, soft painterly light"
    aspect_ratio: str = "16:9"
    palette: list[str] = Field(default_factory=list, description="5 hex colours")
    characters: list[Character] = Field(min_length=1)
    scenes: list[Scene] = Field(min_length=1)
    # The style lock: the asset hash of one art-direction image for every sheet and keyframe (part of `look`).
    style_lock: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    # Who sounds like what: a character's name (or NARRATOR) -> one of VOICES (each a part: `voice/<name>`).
    voices: dict[str, str] = Field(default_factory=dict)

    @field_validator("voices")
    @classmethod
    def _known_voices(cls, v: dict[str, str]) -> dict[str, str]:
        bad = sorted(x for x in v.values() if x not in VOICES)
        if bad:
            raise ValueError(f"unknown voice {bad[0]!r}; the voices are {', '.join(VOICES)}")
        return v

    @model_validator(mode="after")
    def _scene_ids_are_unique(self) -> "StoryPlan":
        ids = [s.scene_id for s in self.scenes]
        if len(set(ids)) != len(ids):
            raise ValueError(f"scene ids must be unique, not {ids}")
        return self

    def character(self, name: str) -> Character | None:
        return next((c for c in self.characters if c.name == name), None)

    def scene(self, scene_id: int) -> Scene:
        """The scene with this id (not this position: see `at`)."""
        for s in self.scenes:
            if s.scene_id == scene_id:
                return s
        raise KeyError(scene_id)

    def at(self, position: int) -> Scene:
        """The scene at this 1-based position in the film."""
        if not 1 <= position <= len(self.scenes):
            raise IndexError(position)
        return self.scenes[position - 1]

    def position(self, scene_id: int) -> int:
        return next(i for i, s in enumerate(self.scenes, start=1) if s.scene_id == scene_id)

    def previous(self, scene_id: int) -> Scene | None:
        """The scene just before this one in the film (the keyframe chain's link)."""
        p = self.position(scene_id)
        return self.scenes[p - 2] if p > 1 else None

    def next_scene_id(self) -> int:
        return max((s.scene_id for s in self.scenes), default=0) + 1


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        return " ".join(_text(x) for x in v)
    return str(v)


def _names(v: Any) -> list[str]:
    """A cast as a model may write it: a list, or one string "Ada, Bo and Cy"."""
    if v is None:
        return []
    if isinstance(v, str):
        v = re.split(r"\s*(?:,|;|\band\b|&)\s*", v)
    if not isinstance(v, (list, tuple)):
        v = [v]
    return [str(x).strip() for x in v if str(x).strip()]


def _number(v: Any, default: float) -> float:
    """"5", "5s", "5 seconds", 5.0 -> 5.0; anything without a number -> default."""
    if isinstance(v, bool) or v is None:
        return default
    if isinstance(v, (int, float)):
        return float(v) if math.isfinite(v) else default  # JSON's NaN and Infinity are not durations
    m = re.search(r"-?\d+(?:\.\d+)?", str(v))
    return float(m.group()) if m else default


def _all_required(schema: dict, _cls=None) -> None:
    schema["required"] = list(schema.get("properties", {}))


class _Draft(BaseModel):
    # Unknown keys are ignored and missing ones default: the checks, not the parser, judge a draft. The schema
    # a model is shown still asks for every field.
    model_config = ConfigDict(extra="ignore", json_schema_extra=_all_required)


class CharacterDraft(_Draft):
    name: str = ""
    role: str = ""
    visual_description: str = Field(
        default="", description=f"Frozen visual description, at least {MIN_DESCRIPTION_WORDS} words "
                                "(face, hair, build, clothing, colours); never paraphrased.")
    personality_cues: list[str] = Field(default_factory=list)

    _text_fields = field_validator("name", "role", "visual_description", mode="before")(lambda v: _text(v))
    _cues = field_validator("personality_cues", mode="before")(lambda v: _names(v))


class LineDraft(_Draft):
    speaker: str = Field(default="", description=f"a name from the scene's characters_present, or {NARRATOR!r}")
    text: str = Field(default="", description="the words spoken, one or two sentences")
    delivery: str = Field(default="", description="empty, or one of: " + ", ".join(d for d in DELIVERIES if d))

    _text_fields = field_validator("speaker", "text", "delivery", mode="before")(lambda v: _text(v))


class SceneDraft(_Draft):
    scene_id: int = Field(default=0, description="1 for the first scene, then 2, 3... in order")
    title: str = ""
    description: str = ""
    characters_present: list[str] = Field(
        default_factory=list, description=f"names of the characters in the scene, spelled exactly as in "
                                          f"`characters`; at most {MAX_PRESENT}")
    setting: str = ""
    camera: str = Field(default="static", description="one of: " + ", ".join(CAMERA_MOVES))
    mood: str = ""
    action: str = ""
    duration_seconds: float = Field(default=5, description=f"{MIN_SECONDS} to {MAX_SECONDS} seconds")
    transition: str = Field(default="cut", description="into this scene: " + ", ".join(TRANSITIONS))
    transition_seconds: float = Field(default=1.0, description="0.5 to 2, in half seconds")
    subtitle: str = Field(default="", description="leave empty when the scene has lines")
    lines: list[LineDraft] = Field(default_factory=list, description=f"the scene's dialogue and narration in order, "
                                   f"1 to 4 lines, at most {MAX_LINES}; the scene must last long enough to say them")
    audio: str = Field(default="keep", description="the clip's own sound: " + ", ".join(CLIP_AUDIO))

    @field_validator("lines", mode="before")
    @classmethod
    def _line_objects(cls, v: Any) -> list:
        if isinstance(v, str):  # one line of text where a list was asked for
            return [{"speaker": NARRATOR, "text": v}] if v.strip() else []
        if isinstance(v, dict):
            v = [v]
        return [x if isinstance(x, dict) else {"speaker": NARRATOR, "text": _text(x)}
                for x in (v or []) if x] if isinstance(v, (list, tuple)) else []

    _text_fields = field_validator("title", "description", "setting", "camera", "mood", "action", "transition",
                                   "subtitle", "audio", mode="before")(lambda v: _text(v))
    _present = field_validator("characters_present", mode="before")(lambda v: _names(v))
    _id = field_validator("scene_id", mode="before")(lambda v: int(_number(v, 0)))
    _seconds = field_validator("duration_seconds", mode="before")(lambda v: _number(v, 5))
    _fade = field_validator("transition_seconds", mode="before")(lambda v: _number(v, 1.0))


class PlanDraft(_Draft):
    """What a planner answers (and the schema a model is asked to fill): a StoryPlan before its checks."""

    title: str = ""
    logline: str = ""
    style: str = ""
    aspect_ratio: str = ""
    palette: list[str] = Field(default_factory=list, description="5 hex colours, e.g. #1f6f8b")
    characters: list[CharacterDraft] = Field(default_factory=list)
    scenes: list[SceneDraft] = Field(default_factory=list)

    _text_fields = field_validator("title", "logline", "style", "aspect_ratio", mode="before")(lambda v: _text(v))
    _palette = field_validator("palette", mode="before")(lambda v: _names(v))

    @field_validator("characters", "scenes", mode="before")
    @classmethod
    def _objects(cls, v: Any) -> list:
        if isinstance(v, dict):  # one object where a list was asked for
            v = [v]
        return [x for x in (v or []) if isinstance(x, dict)] if isinstance(v, (list, tuple)) else []

    @classmethod
    def of(cls, plan: "StoryPlan | PlanDraft") -> "PlanDraft":
        return plan if isinstance(plan, PlanDraft) else cls.model_validate(plan.model_dump())


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
    ext: Literal["png", "jpg", "webp", "mp4", "wav", "mp3"]
    prompt: str = ""
    cost_usd: float = 0.0
