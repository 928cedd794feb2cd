"""ffmpeg, probing and still-image checks.

The ffmpeg binary is the one imageio-ffmpeg ships, so nobody installs a system
ffmpeg. imageio-ffmpeg has no ffprobe; PyAV reads container metadata instead of
scraping ffmpeg's stderr. Commands are argument lists run through `run()`, which
turns a failure into a `MediaError` that quotes the tail of ffmpeg's own message.
"""
from __future__ import annotations

import functools
import io
import subprocess
from dataclasses import dataclass
from pathlib import Path

from core.errors import InputError, MediaError

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
MAX_PIXELS = 40_000_000
IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}

# The cut's one format: every clip is normalized to this once and then joined by stream copy.
CUT_WIDTH, CUT_HEIGHT, CUT_FPS = 1280, 720, 24
AUDIO_RATE = 48_000
KEY_FRAMES = CUT_FPS // 2   # keyframe interval in frames: 0.5 s
VIDEO_TIMESCALE = 12_288  # 24 fps * 512: identical in every normalized clip, so concat needs no re-timing


@functools.cache
def ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg
        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as err:  # noqa: BLE001 - any failure means the same thing to the user
        raise MediaError(f"ffmpeg was not found ({err}); reinstall with `make venv` (imageio-ffmpeg ships it).") from None


def run(args: list[str], *, what: str, input: bytes | None = None, timeout: float = 600) -> bytes:
    """Run ffmpeg with `args`; on failure raise MediaError naming `what` and ffmpeg's last words."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    try:
        p = subprocess.run(cmd, input=input, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise MediaError(f"ffmpeg took longer than {timeout:.0f}s while {what}.") from None
    if p.returncode != 0:
        tail = p.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise MediaError(f"ffmpeg failed while {what}: {' | '.join(tail) or 'exit ' + str(p.returncode)}")
    return p.stdout


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: float
    duration: float
    vcodec: str
    pix_fmt: str
    acodec: str | None
    audio_rate: int | None
    audio_channels: int | None
    video_timescale: int | None


def probe_video(path: str | Path) -> VideoInfo:
    import av

    try:
        with av.open(str(path)) as c:
            if not c.streams.video:
                raise MediaError(f"{Path(path).name} has no video stream.")
            v = c.streams.video[0]
            a = c.streams.audio[0] if c.streams.audio else None
            duration = (c.duration or 0) / 1_000_000
            return VideoInfo(
                width=v.codec_context.width,
                height=v.codec_context.height,
                fps=float(v.average_rate or v.guessed_rate or 0),
                duration=duration,
                vcodec=v.codec_context.name,
                pix_fmt=v.codec_context.pix_fmt or "",
                acodec=a.codec_context.name if a else None,
                audio_rate=a.codec_context.sample_rate if a else None,
                audio_channels=a.codec_context.channels if a else None,
                video_timescale=v.time_base.denominator if v.time_base else None,
            )
    except MediaError:
        raise
    except Exception as err:  # noqa: BLE001 - PyAV raises many error types for bad files
        raise MediaError(f"{Path(path).name} is not a readable video ({err}).") from None


def probe_audio_seconds(path: str | Path) -> float:
    """The length of an audio file (a spoken line), from its container."""
    import av

    try:
        with av.open(str(path)) as c:
            if not c.streams.audio:
                raise MediaError(f"{Path(path).name} has no sound in it.")
            if c.duration:
                return c.duration / 1_000_000
            a = c.streams.audio[0]
            return float(a.duration * a.time_base) if a.duration and a.time_base else 0.0
    except MediaError:
        raise
    except Exception as err:  # noqa: BLE001 - PyAV raises many error types for bad files
        raise MediaError(f"{Path(path).name} is not readable audio ({err}).") from None


def is_normalized(info: VideoInfo) -> bool:
    return (
        info.vcodec == "h264" and info.pix_fmt == "yuv420p"
        and (info.width, info.height) == (CUT_WIDTH, CUT_HEIGHT)
        and round(info.fps) == CUT_FPS and info.video_timescale == VIDEO_TIMESCALE
        and info.acodec == "aac" and info.audio_rate == AUDIO_RATE and info.audio_channels == 2
    )


def x264_options(*, preset: str = "veryfast", crf: int = 20, keyint: int = KEY_FRAMES,
                 level: str = "4.0") -> dict[str, str]:
    """The x264 settings of every clip Dailies writes, as encoder options (PyAV takes them as they are; the
    in-process encoder in core.render.encode must match them byte for byte in the SPS/PPS, so their streams can
    be concatenated)."""
    return {
        "preset": preset, "crf": str(crf), "profile": "high", "level": level,
        # A keyframe every half second: seeking decodes at most that much, and the cut can stream-copy any span
        # that starts on a half second (transitions come in half-second steps).
        "g": str(keyint), "keyint_min": str(keyint), "sc_threshold": "0",
        # No B-frames: decode order is display order, so a stream copy cut at a keyframe ends on the exact frame
        # asked for (with B-frames the copy drags in the frames they reference).
        "bf": "0",
    }


def h264_args(*, preset: str = "veryfast", crf: int = 20, fps: float | None = CUT_FPS, keyint: int = KEY_FRAMES,
              level: str = "4.0", timescale: int | None = VIDEO_TIMESCALE, audio: str = "aac") -> list[str]:
    """ffmpeg output arguments: x264 with `x264_options`, yuv420p, `fps` (None keeps the source's rate), one track
    `timescale` (None: ffmpeg's choice), and `audio` "aac" (encoded to the cut's form), "copy" or "none".
    The defaults are the cut's own format."""
    options = x264_options(preset=preset, crf=crf, keyint=keyint, level=level)
    args = ["-c:v", "libx264",
            *[a for k, v in options.items() for a in ("-profile:v" if k == "profile" else f"-{k}", v)],
            "-pix_fmt", "yuv420p"]
    if fps is not None:
        args += ["-r", str(fps)]
    if timescale is not None:
        args += ["-video_track_timescale", str(timescale)]
    args += {"aac": ["-c:a", "aac", "-b:a", "160k", "-ar", str(AUDIO_RATE), "-ac", "2"],
             "copy": ["-c:a", "copy"], "none": ["-an"]}[audio]
    return args + ["-movflags", "+faststart"]


def normalize_clip(src: Path, dst: Path) -> None:
    """Re-encode any clip to the cut's format: 1280x720 (letterboxed), 24 fps, yuv420p, AAC stereo (silence if none)."""
    info = probe_video(src)
    vf = (f"scale={CUT_WIDTH}:{CUT_HEIGHT}:force_original_aspect_ratio=decrease,"
          f"pad={CUT_WIDTH}:{CUT_HEIGHT}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={CUT_FPS},format=yuv420p")
    args = ["-i", str(src)]
    if info.acodec is None:
        args += ["-f", "lavfi", "-i", f"anullsrc=r={AUDIO_RATE}:cl=stereo"]
    args += ["-map", "0:v:0", "-map", "0:a:0" if info.acodec else "1:a:0", "-vf", vf,
             "-t", f"{info.duration:.3f}", *h264_args(), "-f", "mp4", str(dst)]
    run(args, what=f"normalizing {src.name}")


def image_info(data: bytes, *, name: str = "the image") -> tuple[str, int, int]:
    """Validate an uploaded still: returns (ext, width, height) or raises InputError naming the file."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(f"{name} is {len(data) / 2**20:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB. "
                         "Use a smaller photo.")
    if not data:
        raise InputError(f"{name} is empty; choose a JPEG, PNG or WebP photo.")
    try:
        with Image.open(io.BytesIO(data)) as im:
            fmt, (w, h) = im.format, im.size
            if w * h > MAX_PIXELS:
                raise InputError(f"{name} is {w}x{h} ({w * h / 1e6:.0f} megapixels); the limit is "
                                 f"{MAX_PIXELS // 1_000_000} megapixels. Use a smaller photo.")
            if fmt not in IMAGE_FORMATS:
                raise InputError(f"{name} is a {fmt} image; use JPEG, PNG or WebP.")
            im.load()  # decode fully: a truncated file fails here, not later in a job
    except InputError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InputError(f"{name} is not a readable image (corrupt, or not JPEG/PNG/WebP).") from None
    return IMAGE_FORMATS[fmt], w, h


def load_image(data: bytes):
    """Image bytes as an upright RGB PIL image: EXIF orientation applied, transparency flattened onto white
    (transparent pixels would turn black in a plain convert; a cut-out reads better on white)."""
    from PIL import Image, ImageOps

    img = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        img = Image.new("RGB", rgba.size, (255, 255, 255))
        img.paste(rgba, mask=rgba.getchannel("A"))
    return img.convert("RGB")


def frame_png(path: str | Path, *, at: str = "last") -> bytes:
    """One frame of a video as PNG bytes: the first, or the last (seeking from the end, no full decode)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="dailies-frame-") as tmp:
        out = Path(tmp) / "frame.png"
        seek = ["-sseof", "-0.1"] if at == "last" else []  # a little over two frames before the end
        run([*seek, "-i", str(path), "-map", "0:v:0", "-fps_mode", "passthrough", "-update", "1",
             "-frames:v", "1000" if at == "last" else "1", "-f", "image2", str(out)],
            what=f"reading the {at} frame of {Path(path).name}")
        if not out.exists():
            raise MediaError(f"No frame could be read from {Path(path).name}.")
        return out.read_bytes()
