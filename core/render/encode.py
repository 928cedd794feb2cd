"""The few frames an export re-encodes (transitions, title, credits), made in this process.

A crossfade is 12 to 48 frames. Started as an ffmpeg process with `xfade`, most
of its time went to starting, probing, seeking and filtering rather than to
encoding; here PyAV decodes exactly the frames needed, numpy blends them in
YUV, and PyAV's libx264 encodes them, all without leaving the process.

The segments are joined to the normalized clips by stream copy, so their H.264
parameter sets (SPS/PPS) must be byte-identical to the clips'. The encoder
options below change only how hard x264 searches (motion estimation, subpixel
refinement, trellis, adaptive quantization, lookahead), never a header field;
`encode()` checks the result against a reference clip and returns False when
they differ, so the caller can fall back to the ffmpeg command line that made
the clips.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np

from core import media
from core.errors import MediaError

W, H, FPS = media.CUT_WIDTH, media.CUT_HEIGHT, media.CUT_FPS
# The clips' x264 settings (media.x264_options) ...
X264 = {**media.x264_options(),
        # ... plus a cheaper search, none of which appears in the SPS/PPS (adaptive quantization stays on, so
        # fades through black do not band).
        "x264-params": "subme=1:me=dia:trellis=0:mbtree=0:rc-lookahead=0:partitions=none:fast-pskip=1:"
                       "sliced-threads=1"}
BLACK_Y, BLACK_C = 16, 128  # video-range black in YUV


def decode(path: Path, start: float, count: int) -> list[np.ndarray]:
    """`count` frames from `start` (a keyframe) as yuv420p arrays (Y, then U, then V rows), padded by repeating
    the last frame if the clip runs short."""
    import av

    frames: list[np.ndarray] = []
    try:
        with av.open(str(path)) as c:
            v = c.streams.video[0]
            v.thread_type = "AUTO"
            c.seek(round(start / v.time_base), stream=v, backward=True)
            for f in c.decode(v):
                if f.time is not None and f.time < start - 0.5 / FPS:
                    continue
                if (f.width, f.height, f.format.name) != (W, H, "yuv420p"):
                    f = f.reformat(width=W, height=H, format="yuv420p")
                frames.append(f.to_ndarray())
                if len(frames) == count:
                    break
    except MediaError:
        raise
    except Exception as err:  # noqa: BLE001 - PyAV raises many error types for bad files
        raise MediaError(f"{path.name} could not be decoded for a transition ({err}).") from None
    if not frames:
        raise MediaError(f"{path.name} has no frames at {start:g} s.")
    return frames + [frames[-1]] * (count - len(frames))


def black() -> np.ndarray:
    frame = np.full((H * 3 // 2, W), BLACK_C, np.uint8)
    frame[:H] = BLACK_Y
    return frame


def mix(a: np.ndarray, b: np.ndarray, weight: float) -> np.ndarray:
    """(1 - weight) * a + weight * b, in 8-bit fixed point."""
    w = round(weight * 256)
    return ((a.astype(np.uint16) * (256 - w) + b.astype(np.uint16) * w + 128) >> 8).astype(np.uint8)


def crossfade(a: list[np.ndarray], b: list[np.ndarray], kind: str) -> Iterator[np.ndarray]:
    """A dissolve ("crossfade") or a fade through black ("fade") over len(a) frames."""
    n, dark = len(a), black()
    for i, (fa, fb) in enumerate(zip(a, b)):
        p = (i + 0.5) / n
        if kind == "crossfade":
            yield mix(fa, fb, p)
        else:
            yield mix(fa, dark, p * 2) if p < 0.5 else mix(dark, fb, p * 2 - 1)


def card(image, seconds: float) -> Iterator[np.ndarray]:
    """A still (PIL image) held for `seconds`, fading in from and out to black."""
    import av

    frame = av.VideoFrame.from_image(image.convert("RGB")).reformat(width=W, height=H, format="yuv420p").to_ndarray()
    n = round(seconds * FPS)
    fade = max(1, round(min(0.6, seconds / 4) * FPS))
    dark = black()
    for i in range(n):
        level = min(1.0, (i + 0.5) / fade, (n - i - 0.5) / fade)
        yield frame if level >= 1.0 else mix(dark, frame, level)


def encode(frames: Iterable[np.ndarray], out: Path, reference: Path) -> bool:
    """Encode yuv420p frames at the cut's format into `out`; False if this process could not make a stream
    that joins to `reference` (its parameter sets differ, or PyAV failed), in which case `out` is not used."""
    import av

    try:
        signal, headers = _reference(reference)  # pixel aspect and colour tags are in the SPS too: take the clip's
        with av.open(str(out), "w", format="mp4",
                     options={"video_track_timescale": str(media.VIDEO_TIMESCALE)}) as c:
            v = c.add_stream("libx264", rate=FPS, options=X264)
            v.width, v.height, v.pix_fmt = W, H, "yuv420p"
            v.codec_context.time_base = Fraction(1, FPS)
            for name, value in signal.items():
                if value is not None:
                    setattr(v.codec_context, name, value)
            for i, array in enumerate(frames):
                f = av.VideoFrame.from_ndarray(array, format="yuv420p")
                f.pts, f.time_base = i, Fraction(1, FPS)
                c.mux(v.encode(f))
            c.mux(v.encode(None))
        return parameter_sets(out) == headers
    except (av.FFmpegError, OSError, ValueError):
        return False  # e.g. a PyAV without libx264: the ffmpeg command line makes the segment instead


SIGNAL = ("sample_aspect_ratio", "color_range", "colorspace", "color_primaries", "color_trc")


def _reference(path: Path) -> tuple[dict, bytes]:
    """The clip's SPS signal fields and its avcC record, from one open."""
    import av

    with av.open(str(path)) as c:
        cc = c.streams.video[0].codec_context
        return {name: getattr(cc, name) for name in SIGNAL}, bytes(cc.extradata or b"")


def parameter_sets(path: Path) -> bytes:
    """The stream's avcC record (profile, level, SPS, PPS)."""
    import av

    with av.open(str(path)) as c:
        return bytes(c.streams.video[0].codec_context.extradata or b"")
