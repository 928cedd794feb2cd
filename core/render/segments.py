"""Video segments of the cut, each made once and cached by what it is made of.

A segment's cache key (the `derived` table's source) is a hash of its inputs:
clip asset hashes, trim points, transition kind and length, card image hash. A
re-export after one scene changed therefore finds every other segment in the
cache, re-encodes only the transitions that touch the changed clip, and joins
everything by stream copy. Segments carry no audio; the sound is mixed apart.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core import media
from core.render.timeline import XFADE
from core.store import Project
from core.store.calls import recipe_hash

SEGMENT_FORM = "segment-v1"


def cached(project: Project, key: dict, make: Callable[[Path], None]) -> str:
    source = recipe_hash(key)
    row = next(project.db.query("SELECT asset FROM derived WHERE source = ? AND kind = ?", [source, SEGMENT_FORM]),
               None)
    if row and project.assets.path(row["asset"]).exists():
        return row["asset"]
    tmp = project.assets.temp_path(".mp4")
    try:
        make(tmp)
        asset = project.assets.put_file(tmp, "mp4")
    finally:
        tmp.unlink(missing_ok=True)
    project.db.execute("INSERT OR REPLACE INTO derived (source, kind, asset) VALUES (?, ?, ?)",
                       [source, SEGMENT_FORM, asset])
    return asset


def body(project: Project, clip: str, start: float, end: float) -> str:
    """The clip's frames in [start, end), stream-copied (start is on a keyframe)."""
    src = project.assets.path(clip)

    def make(out: Path):
        media.run(["-ss", f"{start:.3f}", "-to", f"{end:.3f}", "-i", str(src), "-map", "0:v:0", "-c", "copy",
                   "-an", "-avoid_negative_ts", "make_zero", "-video_track_timescale", str(media.VIDEO_TIMESCALE),
                   "-f", "mp4", str(out)], what="copying a clip into the cut")
    return cached(project, {"body": clip, "start": start, "end": end}, make)


def transition(project: Project, outgoing: str, out_from: float, incoming: str, seconds: float, kind: str) -> str:
    """The last `seconds` of one clip blended into the first `seconds` of the next: the only re-encoded frames."""
    a, b = project.assets.path(outgoing), project.assets.path(incoming)

    def make(out: Path):
        graph = (f"[0:v]settb=AVTB,fps={media.CUT_FPS},format=yuv420p[a];"
                 f"[1:v]settb=AVTB,fps={media.CUT_FPS},format=yuv420p[b];"
                 f"[a][b]xfade=transition={XFADE[kind]}:duration={seconds:g}:offset=0,format=yuv420p[v]")
        media.run(["-ss", f"{out_from:.3f}", "-t", f"{seconds:g}", "-i", str(a), "-t", f"{seconds:g}", "-i", str(b),
                   "-filter_complex", graph, "-map", "[v]", "-an", *video_args(), "-t", f"{seconds:g}",
                   "-f", "mp4", str(out)], what=f"rendering a {kind}")
    return cached(project, {"transition": kind, "from": outgoing, "at": out_from, "to": incoming, "s": seconds},
                  make)


def still(project: Project, png: str, seconds: float) -> str:
    """A card (title, credits) held for `seconds`, fading in and out of black."""
    src = project.assets.path(png)

    def make(out: Path):
        fade = min(0.6, seconds / 4)
        media.run(["-loop", "1", "-framerate", str(media.CUT_FPS), "-i", str(src), "-vf",
                   f"scale={media.CUT_WIDTH}:{media.CUT_HEIGHT},format=yuv420p,fade=t=in:d={fade},"
                   f"fade=t=out:st={seconds - fade}:d={fade}", "-an", *video_args(), "-t", f"{seconds:g}",
                   "-f", "mp4", str(out)], what="rendering a title card")
    return cached(project, {"still": png, "s": seconds}, make)


def video_args() -> list[str]:
    """The cut's video encoder settings without the audio ones (segments are silent)."""
    args = media.h264_args()
    i = args.index("-c:a")
    return args[:i] + args[args.index("-movflags"):]


def join(project: Project, segments: list[str], out: Path) -> None:
    media.concat_copy([project.assets.path(s) for s in segments], out)
