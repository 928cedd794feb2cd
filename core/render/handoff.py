"""The cut as an editor's timeline: OpenTimelineIO, and through its adapters FCP 7 XML and CMX 3600 EDL.

An editor wants the film in pieces, not flattened: one video track of the scene
clips with their in and out points, the transitions between them, the title and
credit cards as clips of their own, the dialogue, music and effects on separate
audio tracks, and the subtitles as markers. Everything here comes from the same
`Layout` the MP4 is rendered from, so the timeline and the film agree to the frame.

Where Dailies renders a transition of d seconds as the last d seconds of one
clip over the first d of the next, OpenTimelineIO cuts halfway and lets the
transition reach d/2 into each side: the outgoing clip shows up to `length - d/2`,
the incoming one from `d/2`, and each clip's range equals its scene's span in the
film. Crossfades are SMPTE dissolves; a fade through black has no standard name,
so it is a custom transition that says so (and a plain dissolve in an EDL).

Media references are absolute `file://` URLs into the hand-off folder beside the
timeline file, which Resolve, Premiere and Kdenlive all open; moving the folder
means relinking, as with any editor's project.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.errors import InputError, MediaError
from core.media import CUT_FPS
from core.render.film import Layout

FORMATS = {".otio": "OpenTimelineIO", ".xml": "Final Cut Pro 7 XML", ".edl": "CMX 3600 EDL"}
FADE_THROUGH_BLACK = "Fade_Through_Black"
TRACK_NAMES = {"dialogue": "Dialogue", "music": "Music", "effects": "Effects"}


@dataclass(frozen=True)
class Media:
    """The files the timeline points at, already in the hand-off folder."""

    clips: dict[int, Path]            # scene id -> its clip (the cut's normalized form)
    lengths: dict[int, float]         # scene id -> that clip's length in seconds
    names: dict[int, str]             # scene id -> "Scene 2 · The harbour"
    cards: dict[str, Path]            # "title", "credits" -> the card as a short clip
    stems: dict[str, Path]            # "dialogue", "music", "effects" -> full-length WAV


def check_target(path: Path) -> str:
    """The format a timeline file's suffix asks for; one line naming the choices otherwise."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"Hand-off to {path.name}: the file must end in "
                         f"{', '.join(FORMATS)} ({', '.join(FORMATS.values())}).")
    if not path.parent.is_dir():
        raise InputError(f"Cannot write {path}: the folder {path.parent} does not exist.")
    return fmt


def timeline(layout: Layout, media: Media, name: str):
    """The OpenTimelineIO timeline of this layout."""
    import opentimelineio as otio

    def t(seconds: float):
        return otio.opentime.RationalTime(round(seconds * CUT_FPS), CUT_FPS)

    def span(start: float, length: float):
        return otio.opentime.TimeRange(t(start), t(length))

    def clip(label: str, path: Path, start: float, length: float, available: float, **meta):
        ref = otio.schema.ExternalReference(target_url=path.resolve().as_uri(), available_range=span(0, available))
        return otio.schema.Clip(name=label, media_reference=ref, source_range=span(start, length),
                                metadata={"dailies": meta} if meta else {})

    pieces = layout.timeline.pieces
    into = {p.scene: (p.length, p.kind_of_transition) for p in pieces if p.kind == "transition"}
    video = otio.schema.Track(name="Picture", kind=otio.schema.TrackKind.Video)
    order = [p.scene for p in pieces if p.kind == "clip"]
    for p in pieces:
        if p.kind in ("title", "credits"):
            video.append(clip(p.kind.capitalize(), media.cards[p.kind], 0.0, p.length, p.length, card=p.kind))
        elif p.kind == "transition":
            half = t(p.length / 2)
            kind = otio.schema.TransitionTypes.SMPTE_Dissolve if p.kind_of_transition != "fade" \
                else FADE_THROUGH_BLACK
            video.append(otio.schema.Transition(name=p.kind_of_transition, transition_type=kind,
                                                in_offset=half, out_offset=half))
        else:
            head = into.get(p.scene, (0.0, None))[0]
            i = order.index(p.scene)
            tail = into.get(order[i + 1], (0.0, None))[0] if i + 1 < len(order) else 0.0
            length = p.trim_out + tail  # the clip's length as the cut counts it (on the half-second grid)
            video.append(clip(media.names[p.scene], media.clips[p.scene], head / 2, length - head / 2 - tail / 2,
                              max(length, media.lengths[p.scene]), scene=p.scene))
    for start, end, text in layout.captions:
        video.markers.append(otio.schema.Marker(name=text, marked_range=span(start, max(end - start, 1 / CUT_FPS)),
                                                color=otio.schema.MarkerColor.YELLOW))
    out = otio.schema.Timeline(name=name, global_start_time=t(0))
    out.tracks.append(video)
    for stem, path in media.stems.items():
        track = otio.schema.Track(name=TRACK_NAMES.get(stem, stem), kind=otio.schema.TrackKind.Audio)
        track.append(clip(TRACK_NAMES.get(stem, stem), path, 0.0, layout.timeline.duration,
                          layout.timeline.duration, stem=stem))
        out.tracks.append(track)
    return out


def write(tl, path: Path) -> Path:
    """`tl` written in the format `path`'s suffix names."""
    import opentimelineio as otio

    fmt = check_target(path)
    if path.suffix.lower() == ".edl":
        tl = _for_edl(tl)
    tmp = path.with_name(f".{path.name}.part")
    try:
        otio.adapters.write_to_file(tl, str(tmp), adapter_name={".otio": "otio_json", ".xml": "fcp_xml",
                                                                 ".edl": "cmx_3600"}[path.suffix.lower()])
        tmp.replace(path)
    except OSError as err:
        raise MediaError(f"The {fmt} file {path.name} could not be written ({err.strerror or err}).") from None
    except Exception as err:  # noqa: BLE001 - an adapter's own error, said in one line
        raise MediaError(f"The {fmt} writer refused the cut ({' '.join(str(err).split())[:200]}).") from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _for_edl(tl):
    """An EDL holds one picture track and knows only dissolves: the picture, with every transition a dissolve."""
    import copy

    import opentimelineio as otio

    picture = copy.deepcopy(tl.video_tracks()[0])
    for item in picture:
        if isinstance(item, otio.schema.Transition):
            item.transition_type = otio.schema.TransitionTypes.SMPTE_Dissolve
    picture.markers.clear()  # the EDL writer turns markers into locators only on clips
    out = otio.schema.Timeline(name=tl.name, global_start_time=tl.global_start_time)
    out.tracks.append(picture)
    return out
