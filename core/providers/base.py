"""The provider protocol: every AI operation Dailies needs, as one small class.

A provider is a class with capability attributes and one method per operation;
the registry in `core.providers` picks it by name. Requests carry both the
structured context (for providers that work from fields, like `offline`) and
the prompt text the pipeline wrote (for providers that send prompts, like
`xai`); the prompt is also what the call log records. Operations return plain
results and the cost of the call; logging, caching and retries live in the
pipeline, not here.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from core.models import Character, CheckResult, LabelMapping, Media, PlanDraft, Scene, StoryPlan


@dataclass(frozen=True)
class PlanRequest:
    concept: str
    labels: list[str] = field(default_factory=list)
    scenes: int | None = None
    style: str | None = None
    aspect_ratio: str = "16:9"
    prompt: str = ""
    variant: int = 0


@dataclass(frozen=True)
class RefineRequest:
    plan: StoryPlan
    instruction: str
    prompt: str


@dataclass(frozen=True)
class SheetRequest:
    character: Character
    style: str
    palette: list[str]
    photo: bytes | None
    prompt: str
    attempt: int = 1
    variant: int = 0
    style_image: bytes | None = None  # the project's art-direction reference (style lock), if it has one


@dataclass(frozen=True)
class KeyframeRequest:
    scene: Scene
    style: str
    palette: list[str]
    references: list[bytes]          # up to 3: the sheets present, then the style lock, then the previous keyframe
    reference_roles: list[str]       # "sheet/NAME", "style" or "previous"
    prompt: str
    attempt: int = 1
    variant: int = 0
    aspect_ratio: str = "16:9"
    style_image: bytes | None = None  # the style lock, also when a third character leaves it no reference place


@dataclass(frozen=True)
class EditRequest:
    """Change a still as words say. `image` is the whole picture or, for an edit inside a region, the crop
    around it (the pipeline crops and pastes back: no provider is trusted to leave the rest alone)."""

    image: bytes
    instruction: str                 # what the person said, e.g. "make the coat red"
    prompt: str                      # the instruction with what must not change (the frozen descriptions)
    kind: str                        # sheet or keyframe
    variant: int = 0


@dataclass(frozen=True)
class CheckRequest:
    kind: str                        # sheet, keyframe, clip
    image: bytes                     # PNG/JPEG of what is checked
    references: list[bytes]          # what it must be consistent with
    reference_roles: list[str]
    prompt: str


@dataclass(frozen=True)
class Ticket:
    """A request the provider keeps working on after it answers (a video render). The provider reports its id
    with `started` the moment it has one and calls `ended` when the request is over for good (failed, expired,
    refused); `request_id` is set when an earlier process started this exact call and did not see it finish,
    so the provider waits for that request instead of paying for a new one. `before_start` runs before any new
    request is bought (the budget check, when resuming made the caller skip it)."""

    request_id: str | None = None
    started: Callable[[str], None] = lambda _request_id: None
    ended: Callable[[], None] = lambda: None
    before_start: Callable[[], None] = lambda: None


@dataclass(frozen=True)
class ClipRequest:
    keyframe: bytes
    prompt: str                      # motion only: camera and action, never appearance
    camera: str
    mood: str
    duration: int
    aspect_ratio: str = "16:9"
    variant: int = 0
    attempt: int = 1                 # corrections ask for steadier motion
    ticket: Ticket | None = field(default=None, compare=False)  # set by Context.call(deferred=True)


@dataclass(frozen=True)
class SpeechRequest:
    """One spoken line. `text` is the words alone; `prompt` is what a provider that reads speech tags is sent
    (the words with the delivery as xAI's tags, e.g. "<whisper>Come closer.</whisper>"), and what the call log
    records. `voice` is one of core.models.VOICES."""

    text: str
    voice: str
    prompt: str
    delivery: str = ""
    speaker: str = ""                # who says it, for messages ("Ada's line 2 in scene 3")
    language: str = "en"
    variant: int = 0


class Provider(Protocol):
    """Abilities are declared class attributes, read without probing for methods."""

    name: ClassVar[str]
    needs_key: ClassVar[bool]
    key_env_var: ClassVar[str | None]
    parallel_clips: ClassVar[int]    # clips in flight at once: CPU-bound locally, network-bound remotely
    can_blend: ClassVar[bool]        # has blend_sheets (the media lab's character blend)
    can_edit: ClassVar[bool]         # has edit_image (edits of a still in words, whole or in a region)
    models: dict[str, str]

    def estimate(self, operation: str, params: dict, n_inputs: int) -> float: ...
    # Before anything is paid for: the key is accepted and the configured models exist (ConfigError/AuthError).
    def preflight(self) -> str: ...
    # Plans come back as drafts: the pipeline checks and repairs them (core.pipeline.plan_checks).
    def plan_story(self, req: PlanRequest) -> tuple[PlanDraft, float]: ...
    def refine_plan(self, req: RefineRequest) -> tuple[PlanDraft, float]: ...
    def map_labels(self, labels: list[str], plan: StoryPlan) -> tuple[LabelMapping, float]: ...
    def make_sheet(self, req: SheetRequest) -> Media: ...
    def check(self, req: CheckRequest) -> tuple[CheckResult, float]: ...
    def compose_keyframe(self, req: KeyframeRequest) -> Media: ...
    def animate_clip(self, req: ClipRequest) -> Media: ...
    # One line of dialogue as audio (Media.ext "wav" or "mp3"); the cost is by the characters sent.
    def speak(self, req: SpeechRequest) -> Media: ...
    # Only where can_edit: a still changed as the instruction says (InputError when it cannot be done).
    def edit_image(self, req: EditRequest) -> Media: ...
    # Only where can_blend: the media lab's blend of two characters.
    def blend_sheets(self, sheet_a: bytes, sheet_b: bytes, *, name: str, weight: float, prompt: str) -> Media: ...
