"""The cut as a list of timed pieces, computed from the plan and the clips.

Every later step reads this: video segments, the sound mix and the subtitles all
agree on when each scene starts because they all come from here. Times are in
seconds; every boundary falls on a half second, where normalized clips have a
keyframe, so each clip body can be stream-copied.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.errors import InputError
from core.models import ClipAudio, Transition

TITLE_SECONDS = 3.0
CREDITS_SECONDS = 4.0
PRESETS = {"720p": 720, "1080p": 1080}
XFADE = {"crossfade": "fade", "fade": "fadeblack"}


class ExportSettings(BaseModel):
    """Everything an export depends on besides the clips; part of the cut take's recipe."""

    model_config = ConfigDict(extra="forbid")
    preset: Literal["720p", "1080p"] = "720p"
    aspect: Literal["16:9", "9:16", "1:1"] = "16:9"
    fit: Literal["crop", "letterbox"] = "crop"
    transitions: bool = True
    transition: Transition | None = Field(
        default=None, description="one transition for every boundary instead of each scene's own")
    transition_seconds: float | None = Field(default=None, ge=0.5, le=2.0, multiple_of=0.5)
    clip_audio: ClipAudio | None = Field(
        default=None, description="one treatment of every clip's own sound instead of each scene's own")
    title_card: bool = False
    subtitle_line: str = ""
    credits: bool = False
    subtitles: Literal["off", "srt", "burn"] = "srt"
    music: str | None = Field(default=None, description="asset hash of an uploaded music track")
    music_volume: float = Field(default=0.6, ge=0.0, le=1.0)
    loudness: float = Field(default=-16.0, ge=-30.0, le=-9.0, description="target integrated loudness, LUFS")
    animatic: bool = False

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
                raise InputError(f"The {s.transition} into scene {s.scene_id} lasts {d:g}s, more than half a clip; "
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
