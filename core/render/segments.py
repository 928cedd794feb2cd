"""The pieces of the cut's picture, and joining them.

Clip bodies are never copied into files of their own: the join reads each one
straight from its normalized clip between two keyframes (the concat demuxer's
`inpoint`/`outpoint`). Only transitions and cards are encoded, each made once
and cached by what it is made of (a hash of clip asset hashes, trim point,
transition kind and length, card image hash), so a re-export after one scene
changed re-encodes only the transitions that touch that scene. The join is one
ffmpeg process that stream-copies the picture and muxes the soundtrack.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core import media
from core.render import cache, encode
from core.render.timeline import XFADE
from core.store import Project

SEGMENT_FORM = "segment-v1"


@dataclass(frozen=True)
class Span:
    """One entry of the join: a whole file, or a clip between two keyframes."""

    path: Path
    inpoint: float | None = None
    outpoint: float | None = None

    def listing(self) -> str:
        line = f"file '{self.path.resolve().as_posix()}'\n"
        if self.inpoint is not None:
            line += f"inpoint {self.inpoint:.3f}\noutpoint {self.outpoint:.3f}\n"
        return line


def cached(project: Project, key: dict, make: Callable[[Path], None]) -> str:
    return cache.cached(project, SEGMENT_FORM, key, "mp4", make)[0]


def body(project: Project, clip: str, start: float, end: float) -> Span:
    """The clip's frames in [start, end): start is on a keyframe and there are no B-frames, so the join
    copies exactly these frames."""
    return Span(project.assets.path(clip), start, end)


def transition(project: Project, outgoing: str, out_from: float, incoming: str, seconds: float, kind: str) -> str:
    """The last `seconds` of one clip blended into the first `seconds` of the next: the only re-encoded frames."""
    a, b = project.assets.path(outgoing), project.assets.path(incoming)
    n = round(seconds * media.CUT_FPS)

    def make(out: Path):
        frames = encode.crossfade(encode.decode(a, out_from, n), encode.decode(b, 0.0, n), kind)
        if not encode.encode(frames, out, reference=a):
            _transition_by_ffmpeg(a, out_from, b, seconds, kind, out)
    return cached(project, {"transition": kind, "from": outgoing, "at": out_from, "to": incoming, "s": seconds},
                  make)


def still(project: Project, png: str, seconds: float, reference: str) -> str:
    """A card (title, credits) held for `seconds`, fading in and out of black."""
    from PIL import Image

    src, ref = project.assets.path(png), project.assets.path(reference)

    def make(out: Path):
        with Image.open(src) as image:
            frames = encode.card(image.convert("RGB"), seconds)
        if not encode.encode(frames, out, reference=ref):
            _still_by_ffmpeg(src, seconds, out)
    # The card takes the film's parameter sets (pixel aspect, colour tags) from the reference clip: key on them.
    headers = hashlib.sha256(encode.parameter_sets(ref)).hexdigest()[:16]
    return cached(project, {"still": png, "s": seconds, "headers": headers}, make)


def join(spans: list[Span], sound: Path, out: Path) -> None:
    """Picture by stream copy from every span in order, with the soundtrack: one ffmpeg process."""
    listing = out.with_suffix(".txt")
    listing.write_text("".join(s.listing() for s in spans))
    try:
        media.run(["-f", "concat", "-safe", "0", "-i", str(listing), "-i", str(sound), "-map", "0:v:0",
                   "-map", "1:a:0", "-c", "copy", "-movflags", "+faststart", "-f", "mp4", str(out)],
                  what="joining the clips into the cut")
    finally:
        listing.unlink(missing_ok=True)


def concat_input(spans: list[Span], folder: Path) -> tuple[list[str], Path]:
    """ffmpeg input arguments that read the joined picture (for an export that re-encodes it anyway)."""
    listing = folder / f".join-{id(spans)}.txt"
    listing.write_text("".join(s.listing() for s in spans))
    return ["-f", "concat", "-safe", "0", "-i", str(listing)], listing


# The ffmpeg command line, for a clip whose parameter sets this process's x264 cannot reproduce.

def _transition_by_ffmpeg(a: Path, out_from: float, b: Path, seconds: float, kind: str, out: Path) -> None:
    graph = (f"[0:v]settb=AVTB,fps={media.CUT_FPS},format=yuv420p[a];"
             f"[1:v]settb=AVTB,fps={media.CUT_FPS},format=yuv420p[b];"
             f"[a][b]xfade=transition={XFADE[kind]}:duration={seconds:g}:offset=0,format=yuv420p[v]")
    media.run(["-ss", f"{out_from:.3f}", "-t", f"{seconds:g}", "-i", str(a), "-t", f"{seconds:g}", "-i", str(b),
               "-filter_complex", graph, "-map", "[v]", "-an", *video_args(), "-t", f"{seconds:g}",
               "-f", "mp4", str(out)], what=f"rendering a {kind}")


def _still_by_ffmpeg(src: Path, seconds: float, out: Path) -> None:
    fade = min(0.6, seconds / 4)
    media.run(["-loop", "1", "-framerate", str(media.CUT_FPS), "-i", str(src), "-vf",
               f"scale={media.CUT_WIDTH}:{media.CUT_HEIGHT},format=yuv420p,fade=t=in:d={fade},"
               f"fade=t=out:st={seconds - fade}:d={fade}", "-an", *video_args(), "-t", f"{seconds:g}",
               "-f", "mp4", str(out)], what="rendering a title card")


def video_args() -> list[str]:
    """The cut's video encoder settings without the audio ones (segments are silent)."""
    args = media.h264_args()
    i = args.index("-c:a")
    return args[:i] + args[args.index("-movflags"):]
