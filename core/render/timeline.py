"""The cut as a list of timed pieces, computed from the plan and the clips.

Every later step reads this: video segments, the sound mix and the subtitles all
agree on when each scene starts because they all come from here. Times are in
seconds; every boundary falls on a half second, where normalized clips have a
keyframe, so each clip body can be stream-copied.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field

from core.errors import InputError
from core.models import ClipAudio, Transition

TITLE_SECONDS = 3.0
CREDITS_SECONDS = 4.0
PRESETS = {"720p": 720, "1080p": 1080}
XFADE = {"crossfade": "fade", "fade": "fadeblack"}


def _ui(label: str, **extra) -> dict:
    """How an option shows in the app: its label, and `labels` for its choices (the CLI uses the names)."""
    return {"label": label, **extra}


class ExportSettings(BaseModel):
    """Everything an export depends on besides the clips; part of the cut take's recipe.

    This model is the one list of export options: the CLI's `export` flags and the Generate page's widgets are
    built from its fields (`options()`), their descriptions are the help texts, so an option added here is
    everywhere at once."""

    model_config = ConfigDict(extra="forbid")
    preset: Literal["720p", "1080p"] = Field("720p", description="output resolution",
                                             json_schema_extra=_ui("Resolution"))
    aspect: Literal["16:9", "9:16", "1:1"] = Field("16:9", description="9:16 for phones, 1:1 for square feeds",
                                                   json_schema_extra=_ui("Aspect"))
    fit: Literal["crop", "letterbox"] = Field("crop", description="how 9:16 and 1:1 reframe the 16:9 film",
                                              json_schema_extra=_ui("Reframe by"))
    transitions: bool = Field(True, description="each scene's transition from the shot list; off = plain cuts",
                              json_schema_extra=_ui("Scene transitions"))
    transition: Transition | None = Field(
        default=None, description="one transition at every scene boundary instead of each scene's own",
        json_schema_extra=_ui("One transition for all", labels={None: "each scene's own"}))
    transition_seconds: float | None = Field(default=None, ge=0.5, le=2.0, multiple_of=0.5,
                                             description="0.5 to 2, in half seconds (default: each scene's own)",
                                             json_schema_extra=_ui("Transition length (s)"))
    clip_audio: ClipAudio | None = Field(
        default=None, description="one treatment of every clip's own sound instead of each scene's own",
        json_schema_extra=_ui("Every clip's sound", labels={None: "each scene's own"}))
    title_card: bool = Field(False, description="open with a title card", json_schema_extra=_ui("Title card"))
    subtitle_line: str = Field("", description="a line under the title on the title card",
                               json_schema_extra=_ui("Line under the title"))
    credits: bool = Field(False, description="end with credits", json_schema_extra=_ui("End credits"))
    dialogue: bool = Field(True, description="the lines spoken in each character's voice (off: subtitles only)",
                           json_schema_extra=_ui("Spoken lines"))
    subtitles: Literal["off", "srt", "burn"] = Field(
        "srt", description="srt and vtt beside the MP4 (default) or burned into the picture",
        json_schema_extra=_ui("Subtitles", labels={"off": "off", "srt": ".srt and .vtt files beside the MP4",
                                                   "burn": "burned into the picture"}))
    music: str | None = Field(default=None, description="a music track (M4A, MP3, WAV, OGG) under the whole film",
                              json_schema_extra=_ui("Music under the whole film", kind="audio"))
    music_volume: float = Field(default=0.6, ge=0.0, le=1.0, description="0 to 1",
                                json_schema_extra=_ui("Music volume"))
    loudness: float = Field(default=-16.0, ge=-30.0, le=-9.0, description="target integrated loudness, LUFS",
                            json_schema_extra=_ui("Loudness (LUFS)"))
    animatic: bool = Field(False, description="a free preview from the keyframes",
                           json_schema_extra=_ui("Animatic", app=False))  # the app has a button for it

    def name(self) -> str:
        """What the file name says about this export."""
        parts = [self.preset, self.aspect.replace(":", "x")]
        if self.aspect != "16:9":
            parts.append(self.fit)
        if self.animatic:
            parts.append("animatic")
        if self.subtitles == "burn":
            parts.append("subs")
        return "-".join(parts)

    @property
    def reframes(self) -> bool:
        return self.preset != "720p" or self.aspect != "16:9" or self.subtitles == "burn"


@dataclass(frozen=True)
class Option:
    """One export option as the CLI and the app show it, read off ExportSettings."""

    name: str                     # the field
    kind: str                     # choice, flag, number, text, audio
    default: Any
    help: str
    label: str
    choices: tuple = ()           # choice: the values (None first when "each scene's own" is one)
    labels: dict = field(default_factory=dict)
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    app: bool = True              # shown on the Generate page

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def options() -> list[Option]:
    out = []
    for name, f in ExportSettings.model_fields.items():
        extra = dict(f.json_schema_extra or {})
        ann = f.annotation
        args = [a for a in get_args(ann) if a is not type(None)]
        literal = next((a for a in args if get_origin(a) is Literal), ann if get_origin(ann) is Literal else None)
        lo = next((getattr(m, "ge") for m in f.metadata if hasattr(m, "ge")), None)
        hi = next((getattr(m, "le") for m in f.metadata if hasattr(m, "le")), None)
        step = next((getattr(m, "multiple_of") for m in f.metadata if hasattr(m, "multiple_of")), None)
        if extra.get("kind") == "audio":
            kind = "audio"
        elif literal is not None:
            kind = "choice"
        elif ann is bool:
            kind = "flag"
        elif ann is str:
            kind = "text"
        else:
            kind = "number"
        choices = tuple(get_args(literal)) if literal is not None else ()
        if kind == "choice" and f.default is None:
            choices = (None, *choices)
        out.append(Option(name=name, kind=kind, default=f.default, help=f.description or "", label=extra["label"],
                          choices=choices, labels=extra.get("labels", {}), minimum=lo, maximum=hi, step=step,
                          app=extra.get("app", True)))
    return out


@dataclass
class Piece:
    kind: Literal["title", "clip", "transition", "credits"]
    start: float              # where it begins in the film
    length: float
    scene: int | None = None  # clip: its scene; transition: the scene it leads into
    clip: str | None = None   # clip: normalized asset
    trim_in: float = 0.0      # clip: the part of the clip this piece shows
    trim_out: float = 0.0
    kind_of_transition: str | None = None
    pair: tuple[str, str] | None = None  # transition: (outgoing clip, incoming clip)


@dataclass
class Timeline:
    pieces: list[Piece] = field(default_factory=list)
    scene_spans: dict[int, tuple[float, float]] = field(default_factory=dict)  # scene -> (start, end), no overlap
    duration: float = 0.0


def effective_scenes(scenes: list, settings: ExportSettings) -> list:
    """The scenes as this export treats them: the export's overrides applied to every scene."""
    changes = {}
    if settings.transition is not None:
        changes["transition"] = settings.transition
    if settings.transition_seconds is not None:
        changes["transition_seconds"] = settings.transition_seconds
    if settings.clip_audio is not None:
        changes["audio"] = settings.clip_audio
    return [s.model_copy(update=changes) for s in scenes] if changes else list(scenes)


def build(scenes: list, clips: dict[int, tuple[str, float]], settings: ExportSettings) -> Timeline:
    """`scenes`: the plan's Scene list; `clips`: scene -> (normalized asset, its length in seconds)."""
    t = Timeline()
    now = 0.0
    if settings.title_card:
        t.pieces.append(Piece("title", 0.0, TITLE_SECONDS))
        now = TITLE_SECONDS
    # How much of each clip's head and tail a transition consumes.
    into = {}
    for i, s in enumerate(scenes):
        d = s.transition_seconds if (settings.transitions and i > 0 and s.transition != "cut") else 0.0
        if d:
            prev_len, this_len = clips[scenes[i - 1].scene_id][1], clips[s.scene_id][1]
            if d > min(prev_len, this_len) / 2:
                raise InputError(f"The {s.transition} into scene {i + 1} lasts {d:g}s, more than half a clip; "
                                 "shorten the transition on the Shooting page.")
        into[s.scene_id] = d
    for i, s in enumerate(scenes):
        asset, length = clips[s.scene_id]
        head = into[s.scene_id]
        tail = into[scenes[i + 1].scene_id] if i + 1 < len(scenes) else 0.0
        start_scene = now - head / 2  # scenes meet halfway through the transition between them
        body = Piece("clip", now, length - head - tail, scene=s.scene_id, clip=asset, trim_in=head,
                     trim_out=length - tail)
        if body.length > 0:
            t.pieces.append(body)
        now += body.length
        t.scene_spans[s.scene_id] = (start_scene, now + tail / 2)
        if tail:
            nxt = scenes[i + 1]
            t.pieces.append(Piece("transition", now, tail, scene=nxt.scene_id, kind_of_transition=nxt.transition,
                                  pair=(asset, clips[nxt.scene_id][0]), trim_in=length - tail))
            now += tail
    if settings.credits:
        t.pieces.append(Piece("credits", now, CREDITS_SECONDS))
        now += CREDITS_SECONDS
    t.duration = now
    return t
