"""The media lab: upscale a still or a clip, interpolate a clip to a higher frame rate, blend two characters.

Why every result is a NEW take (never an overwrite):

* Takes are immutable and assets are content-addressed, so "improving" a file in place
  would change the bytes under a hash that other takes, the call log and the cut's
  `derived` cache all point at. A new take with a new asset keeps every old reference true.
* Lineage: an upscale or an interpolation is a take of the SAME slot whose `parent` is
  the source take and whose `inputs` are the source's inputs, with origin "edited". So
  the History page can show before/after, `undo` puts the old head back in one step,
  the new take is not reported stale (it was made from exactly what its source was),
  and a re-run of the pipeline keeps it: `Context._satisfies` walks an edited take's
  parents to the take whose recipe matches.
* A blend is different in kind: it invents a character, so it is a provider operation
  (origin "generated") through `Context.call`, logged, cached by its key (blending the
  same two sheets the same way again is free and makes no new call row) and checked
  against the budget like every other call. The provider's `blend_sheets` does the work:
  real image processing offline (core.providers.offline_blend), a multi-reference edit
  on xai.

Upscaling is plain resampling (Pillow LANCZOS plus a mild unsharp mask for stills,
ffmpeg's lanczos scaler for clips), offered at 2x only and refused past 8192 px a side
for stills and past 4K (2160 px on the short side, 4096 on the long) for clips.

Interpolation is ffmpeg's motion-compensated `minterpolate` (mci, adaptive overlapped
block compensation, bidirectional estimation, variable-size blocks). The filter is
single-threaded and its cost is per interpolated pixel, not per search step (a smaller
`search_param` or another `me` barely changes it: measured ~71 s of CPU for a 5 s 720p
clip to 60 fps whatever the search), so the clip is cut into overlapping time segments
interpolated in parallel, one per core, and joined by stream copy. `mode="blend"`
is the documented fast fallback: frames are cross-faded instead of motion-compensated
(a few seconds, softer motion).

The module also offers job-kind wrappers (`JOB_KINDS`) with the runner's signature
`fn(ctx, **params) -> dict`, for the job runner to register.
"""
from __future__ import annotations

import io
import math
import os
import subprocess
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

from core import media
from core.errors import Cancelled, InputError, MediaError, ProviderError
from core.models import Media
from core.store import Project, Take

UPSCALE_FACTORS = (2,)
MAX_IMAGE_SIDE = 8192
MAX_VIDEO_SHORT, MAX_VIDEO_LONG = 2160, 4096          # 4K: 3840x2160 (or DCI 4096), either orientation
INTERPOLATE_FPS = (48, 60)
INTERPOLATE_MODES = ("mci", "blend")
MCI_FILTER = "minterpolate=fps={fps}:mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1"
BLEND_FILTER = "minterpolate=fps={fps}:mi_mode=blend"
SEGMENT_OVERLAP = 3        # source frames of context each side of a segment boundary (the filter looks 2 ahead)
MIN_SEGMENT_SECONDS = 1.5  # shorter segments are not worth a process of their own
IMAGE_EXTS = ("png", "jpg", "webp")
LAB_SLOTS = ("sheet/", "keyframe/", "clip/")
MAX_NAME = 60

# H.264 levels as (name, max macroblocks per frame, max macroblocks per second): a 1440p or 60 fps
# stream needs more than the 4.0 that media.h264_args() writes, and a player may refuse a stream whose
# header claims a level its size exceeds.
_LEVELS = (("4.0", 8192, 245_760), ("4.2", 8704, 522_240), ("5.0", 22_080, 589_824),
           ("5.1", 36_864, 983_040), ("5.2", 36_864, 2_073_600))


# --------------------------------------------------------------------------- helpers

def _source(project: Project, take_id: int) -> tuple[Take, str]:
    take = project.takes.get(take_id)
    if take.asset is None:
        raise InputError(f"Take {take_id} ({take.slot}) has no media file; the lab works on sheets, keyframes "
                         "and clips.")
    return take, project.assets.row(take.asset)["ext"]


def _kind(slot: str) -> str:
    return slot.split("/", 1)[0]


def _h264(*, width: int, height: int, fps: float, rate: int | None, audio: str) -> list[str]:
    """media.h264_args() for another size or frame rate: the H.264 level the size needs, a keyframe a second.

    `rate`: force this output rate (None keeps the source's); keyframes stay one second apart and the
    track timescale stays rate*512 as in every other clip. `audio`: "copy", "aac" (encode) or "none".
    """
    per_second = round(rate or fps)
    mbs = math.ceil(width / 16) * math.ceil(height / 16)
    level = next((name for name, frame, second in _LEVELS if mbs <= frame and mbs * (rate or fps) <= second),
                 _LEVELS[-1][0])
    whole = rate is not None or abs(fps - round(fps)) < 0.01
    return media.h264_args(fps=rate, keyint=per_second, level=level, timescale=per_second * 512 if whole else None,
                           audio=audio)


def _audio_mode(info: media.VideoInfo) -> str:
    return "none" if info.acodec is None else "copy" if info.acodec == "aac" else "aac"


def _video_stream(path: Path) -> tuple[Fraction, int]:
    """The exact frame rate and the number of frames of the first video stream."""
    import av

    try:
        with av.open(str(path)) as c:
            v = c.streams.video[0]
            rate = Fraction(v.average_rate or v.guessed_rate or media.CUT_FPS)
            frames = v.frames
            if not frames:
                dur = float(v.duration * v.time_base) if v.duration else (c.duration or 0) / 1_000_000
                frames = round(dur * rate)
            return rate, int(frames)
    except Exception as err:  # noqa: BLE001 - PyAV raises many error types for bad files
        raise MediaError(f"{path.name} is not a readable video ({err}).") from None


# --------------------------------------------------------------------------- upscale

def upscale(project: Project, take_id: int, *, factor: int = 2, branch: str | None = None,
            job=None) -> Take:
    """A 2x upscale of a sheet, keyframe (PNG/JPEG/WebP) or clip (MP4) as a new head take of the same slot.

    `job` (a JobHandle) is optional: when given, the encode can be cancelled."""
    if factor not in UPSCALE_FACTORS:
        raise InputError(f"Upscaling by {factor}x is not offered; the lab upscales by 2x only.")
    take, ext = _source(project, take_id)
    kind = _kind(take.slot)
    if not take.slot.startswith(LAB_SLOTS):
        raise InputError(f"Take {take_id} is the {take.slot}; upscaling works on sheets, keyframes and clips.")
    src = project.assets.path(take.asset)
    if kind in ("sheet", "keyframe"):
        if ext not in IMAGE_EXTS:
            raise InputError(f"Take {take_id} ({take.slot}) is a .{ext} file; upscaling takes PNG, JPEG or WebP "
                             "stills.")
        asset, (w, h) = _upscale_image(project, take, src, ext, factor)
        model = "lanczos-2x+unsharp"
    else:
        if ext != "mp4":
            raise InputError(f"Take {take_id} ({take.slot}) is a .{ext} file; upscaling takes MP4 clips.")
        asset, (w, h) = _upscale_clip(project, take, src, factor, job)
        model = "ffmpeg-lanczos-2x"
    new = project.takes.write(take.slot, branch=branch,
                              payload={"lab": "upscale", "factor": factor, "source": take.id, "width": w, "height": h},
                              asset=asset, inputs=take.inputs, origin="edited", parent=take.id, model=model,
                              job=getattr(job, "id", None), note=f"upscaled {factor}x from take {take.id}")
    return new


def _upscale_image(project: Project, take: Take, src: Path, ext: str, factor: int) -> tuple[str, tuple[int, int]]:
    from PIL import Image, ImageFilter

    with Image.open(src) as im:
        w, h = im.size
        if max(w, h) * factor > MAX_IMAGE_SIDE:
            raise InputError(f"Take {take.id} ({take.slot}) is {w}x{h}; {factor}x would be {w * factor}x"
                             f"{h * factor}, over the {MAX_IMAGE_SIDE} px limit on a side.")
        alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
        img = im.convert("RGBA" if alpha else "RGB")
    size = (w * factor, h * factor)
    big = img.resize(size, Image.Resampling.LANCZOS)
    # A mild unsharp mask: LANCZOS alone looks soft at 2x; this restores edge contrast without halos.
    sharp = big.convert("RGB").filter(ImageFilter.UnsharpMask(radius=1.2, percent=45, threshold=2))
    if alpha:
        sharp.putalpha(big.getchannel("A"))
    buf = io.BytesIO()
    if ext == "png":
        sharp.save(buf, "PNG", optimize=False, compress_level=3)
    elif ext == "jpg":
        sharp.convert("RGB").save(buf, "JPEG", quality=95, subsampling=0)
    else:
        sharp.save(buf, "WEBP", quality=95, method=4)
    return project.assets.put(buf.getvalue(), ext), size


def _upscale_clip(project: Project, take: Take, src: Path, factor: int, job) -> tuple[str, tuple[int, int]]:
    info = media.probe_video(src)
    w, h = info.width * factor, info.height * factor
    if min(w, h) > MAX_VIDEO_SHORT or max(w, h) > MAX_VIDEO_LONG:
        raise InputError(f"Clip take {take.id} is {info.width}x{info.height}; {factor}x would be {w}x{h}, over the "
                         f"4K limit ({MAX_VIDEO_SHORT} px on the short side, {MAX_VIDEO_LONG} on the long).")
    tmp = project.assets.temp_path(".mp4")
    try:
        args = ["-i", str(src), "-map", "0:v:0", *(["-map", "0:a:0"] if info.acodec else []),
                "-vf", f"scale=iw*{factor}:ih*{factor}:flags=lanczos,setsar=1",
                *_h264(width=w, height=h, fps=info.fps, rate=None, audio=_audio_mode(info)), "-f", "mp4", str(tmp)]
        _run_all([args], what=f"upscaling clip take {take.id}", job=job)
        return project.assets.put_file(tmp, "mp4"), (w, h)
    finally:
        tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------- interpolate

def interpolate(project: Project, take_id: int, *, fps: int, branch: str | None = None, mode: str = "mci",
                job=None) -> Take:
    """A clip re-timed to 48 or 60 fps by motion-compensated interpolation, as a new head take of its slot.

    `mode="blend"` cross-fades frames instead (fast, softer motion). `job` (a JobHandle) is optional:
    when given, progress is reported and a cancel stops ffmpeg at once."""
    take, ext = _source(project, take_id)
    kind = _kind(take.slot)
    if take.slot == "cut":
        raise InputError(f"Take {take_id} is the cut; frame interpolation works on clips only (the cut is made "
                         "from its clips at 24 fps). Pick a clip take.")
    if kind != "clip" or ext != "mp4":
        what = "a still image" if ext in IMAGE_EXTS else f"a .{ext} file"
        raise InputError(f"Take {take_id} ({take.slot}) is {what}; frame interpolation works on clips only. "
                         "Pick a clip take.")
    if mode not in INTERPOLATE_MODES:
        raise InputError(f"Interpolation mode {mode!r} is not offered; use \"mci\" (motion-compensated) or "
                         "\"blend\" (fast cross-fade).")
    src = project.assets.path(take.asset)
    info = media.probe_video(src)
    src_fps = round(info.fps)
    if fps <= src_fps:
        higher = [f for f in INTERPOLATE_FPS if f > src_fps]
        hint = (f"{' or '.join(map(str, higher))} for a {src_fps} fps clip" if higher
                else f"the lab offers up to {max(INTERPOLATE_FPS)} fps, so this clip cannot go higher")
        raise InputError(f"Clip take {take_id} is already {src_fps} fps; choose a higher frame rate than the "
                         f"source ({hint}).")
    if fps not in INTERPOLATE_FPS:
        raise InputError(f"Interpolation offers {' or '.join(map(str, INTERPOLATE_FPS))} fps, not {fps}.")
    tmp = project.assets.temp_path(".mp4")
    try:
        _interpolate_file(src, tmp, info, fps, mode, job, what=f"interpolating clip take {take_id} to {fps} fps")
        asset = project.assets.put_file(tmp, "mp4")
    finally:
        tmp.unlink(missing_ok=True)
    new = project.takes.write(take.slot, branch=branch,
                              payload={"lab": "interpolate", "fps": fps, "source": take.id, "mode": mode},
                              asset=asset, inputs=take.inputs, origin="edited", parent=take.id,
                              model=f"ffmpeg-minterpolate-{mode}", job=getattr(job, "id", None),
                              note=f"interpolated to {fps} fps from take {take.id}"
                                   + (" (motion-compensated)" if mode == "mci" else " (frame blend)"))
    return new


def _interpolate_file(src: Path, dst: Path, info: media.VideoInfo, fps: int, mode: str, job, *, what: str) -> None:
    """Interpolate `src` to `fps` into `dst`: segments in parallel (video only), then one stream-copy join
    that adds the source's audio.

    A segment interpolates source frames [m_i - K, m_(i+1) + K] and keeps only its own output frames
    [k_i, k_(i+1)) (exact output timestamps: minterpolate's output timebase is 1/fps and its output
    timestamps count from 0 on the same grid in every segment, so the pieces meet without a gap or a
    repeat, and the K frames of context make the motion at the seam the same as in one pass). The last
    segment pads two copies of the final frame, because the filter only emits frames up to the
    second-newest input and the final frame's display time would otherwise be lost.
    """
    rate, n_frames = _video_stream(src)
    if n_frames < 2:
        raise MediaError(f"{src.name} has {n_frames} frame(s); there is nothing to interpolate between.")
    duration = Fraction(n_frames) / rate
    total_out = math.floor(duration * fps + Fraction(1, 2))
    parts = 1 if mode == "blend" else max(1, min(os.cpu_count() or 1, 4, int(duration / MIN_SEGMENT_SECONDS)))
    cuts = [round(i * n_frames / parts) for i in range(parts + 1)]           # source frame boundaries
    outs = [min(total_out, math.ceil(Fraction(m) / rate * fps)) for m in cuts]  # output frame boundaries
    outs[-1] = total_out
    flt = (MCI_FILTER if mode == "mci" else BLEND_FILTER).format(fps=fps)
    video = _h264(width=info.width, height=info.height, fps=fps, rate=fps, audio="none")
    video = [a for a in video if a not in ("-movflags", "+faststart")]
    with tempfile.TemporaryDirectory(prefix="lab-", dir=dst.parent) as tmp:
        jobs, pieces = [], []
        for i in range(parts):
            first, last = max(0, cuts[i] - SEGMENT_OVERLAP), min(n_frames, cuts[i + 1] + SEGMENT_OVERLAP)
            pad = ",tpad=stop=2:stop_mode=clone" if i == parts - 1 else ""
            vf = (f"setpts=PTS-STARTPTS,trim=start_frame={first}:end_frame={last}{pad},{flt},"
                  f"trim=start_pts={outs[i]}:end_pts={outs[i + 1]},setpts=PTS-STARTPTS")
            piece = Path(tmp) / f"part{i}.mp4"
            pieces.append(piece)
            jobs.append((["-i", str(src), "-map", "0:v:0", "-vf", vf, *video, "-f", "mp4", str(piece)],
                         outs[i + 1] - outs[i]))
        _run_all([a for a, _ in jobs], what=what, job=job, frames=[n for _, n in jobs])
        listing = Path(tmp) / "parts.txt"
        listing.write_text("".join(f"file '{p.as_posix()}'\n" for p in pieces))
        audio = _audio_mode(info)
        args = ["-f", "concat", "-safe", "0", "-i", str(listing)]
        if audio != "none":
            args += ["-i", str(src), "-map", "0:v:0", "-map", "1:a:0"]
        args += ["-c:v", "copy", "-video_track_timescale", str(fps * 512),
                 *(["-c:a", "copy"] if audio == "copy" else
                   ["-c:a", "aac", "-b:a", "160k", "-ar", str(media.AUDIO_RATE), "-ac", "2"] if audio == "aac"
                   else ["-an"]),
                 "-t", f"{float(duration):.6f}", "-movflags", "+faststart", "-f", "mp4", str(dst)]
        media.run(args, what=f"{what} (joining the segments)")


def _run_all(arg_lists: list[list[str]], *, what: str, job=None, frames: list[int] | None = None,
             timeout: float = 1800) -> None:
    """Run ffmpeg commands in parallel; report progress and honour cancel when a job handle is given."""
    cmd0 = [media.ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    with tempfile.TemporaryDirectory(prefix="lab-progress-") as tmp:
        procs = []
        try:
            for i, args in enumerate(arg_lists):
                prog = Path(tmp) / f"p{i}.txt"
                procs.append((subprocess.Popen([*cmd0, "-progress", str(prog), *args], stdin=subprocess.DEVNULL,
                                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), prog))
            start, last_report = time.monotonic(), 0.0
            while any(p.poll() is None for p, _ in procs):
                time.sleep(0.25)
                if job is not None and job.cancel_requested():
                    raise Cancelled()
                if time.monotonic() - start > timeout:
                    raise MediaError(f"ffmpeg took longer than {timeout:.0f}s while {what}.")
                if job is not None and frames and time.monotonic() - last_report > 1.0:
                    last_report = time.monotonic()
                    done = sum(min(n, _progress_frames(prog)) for (_, prog), n in zip(procs, frames))
                    job.report(min(0.99, done / max(1, sum(frames))), f"{what[0].upper()}{what[1:]}: "
                               f"{100 * done / max(1, sum(frames)):.0f}%")
            for p, _ in procs:
                if p.returncode != 0:
                    tail = p.stderr.read().decode(errors="replace").strip().splitlines()[-3:]
                    raise MediaError(f"ffmpeg failed while {what}: {' | '.join(tail) or 'exit ' + str(p.returncode)}")
        finally:
            for p, _ in procs:
                if p.poll() is None:
                    p.kill()
                p.wait()
                if p.stderr:
                    p.stderr.close()


def _progress_frames(path: Path) -> int:
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return 0
    for line in reversed(lines):
        if line.startswith("frame="):
            try:
                return int(line.split("=", 1)[1])
            except ValueError:
                return 0
    return 0


# --------------------------------------------------------------------------- blend

def blend_prompt(a: str, b: str, name: str, weight: float) -> str:
    return (f"Blend the two characters shown in these reference sheets into ONE new character named {name}: "
            f"{round((1 - weight) * 100)}% {a} (first image) and {round(weight * 100)}% {b} (second image). "
            "One face that shares the features of both, in the same illustrated style; not two faces side by "
            f"side. Keep the reference-sheet layout: a single front portrait, a name label reading \"{name}\", "
            "and the film's palette swatches below it.")


def _validate_name(project: Project, name: str, a: str, b: str) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise InputError("Give the blended character a name.")
    if "/" in name:
        raise InputError(f"The name {name!r} cannot contain '/'; choose a plain name such as \"{a}{b}\".")
    if len(name) > MAX_NAME:
        raise InputError(f"The name {name[:20]!r}... is {len(name)} characters; keep it to {MAX_NAME}.")
    low = name.lower()
    order = {"character": 0, "reference": 1, "sheet": 2}   # name the clearest reason first
    for slot in sorted(project.takes.counts(), key=lambda s: (order.get(s.partition("/")[0], 3), s)):
        kind, _, who = slot.partition("/")
        if kind not in ("character", "reference", "sheet") or who.lower() != low:
            continue
        if kind == "sheet" and who == name and all((t.payload or {}).get("lab") == "blend"
                                                   for t in project.takes.of_slot(slot)):
            continue  # an earlier blend of this name: blending again makes a new take of it
        what = "a character of the story" if kind != "sheet" else "the name of an existing sheet"
        raise InputError(f"{who!r} is already {what}; choose a new name for the blend.")
    if low in (a.lower(), b.lower()):
        raise InputError(f"The blend needs a name of its own, not {name!r}.")
    return name


def blend(ctx, a: str, b: str, *, name: str, weight: float = 0.5) -> Take:
    """Blend the sheets of characters `a` and `b` into a new character `name` (slot sheet/<name>).

    `weight` is the share of `b` (0.5 = even; 0.25 = mostly `a`). Goes through `ctx.call`, so it is
    logged and cached like every provider call; the take links both source sheets as its inputs."""
    project = ctx.project
    a, b = " ".join(str(a or "").split()), " ".join(str(b or "").split())
    if not a or not b:
        raise InputError("Choose two characters to blend.")
    if a == b:
        raise InputError(f"Blending {a} with {a} makes {a}; choose two different characters.")
    try:
        weight = round(float(weight), 3)
    except (TypeError, ValueError):
        raise InputError(f"The blend weight must be a number between 0 and 1, not {weight!r}.") from None
    if not 0.0 < weight < 1.0:
        raise InputError(f"The blend weight must be between 0 and 1 (0.5 is an even mix), not {weight}.")
    sheets: dict[str, Take] = {}
    for who in (a, b):
        head = project.takes.head(f"sheet/{who}", ctx.branch)
        if head is None or head.asset is None:
            have = sorted(s.split("/", 1)[1] for s in project.takes.heads(ctx.branch) if s.startswith("sheet/"))
            raise InputError(f"{who} has no sheet on this branch; make the sheets first"
                             + (f" (characters with sheets: {', '.join(have)})." if have else "."))
        sheets[who] = head
    name = _validate_name(project, name, a, b)
    slot = f"sheet/{name}"
    prompt = blend_prompt(a, b, name, weight)
    sheet_a, sheet_b = (project.assets.read(sheets[w].asset) for w in (a, b))
    provider = ctx.provider

    def run() -> Media:
        if not provider.can_blend:
            raise ProviderError(f"The {provider.name} provider cannot blend characters; "
                                "use the offline provider or one that supports blending.")
        return provider.blend_sheets(sheet_a, sheet_b, name=name, weight=weight, prompt=prompt)

    asset, cost = ctx.call("blend_characters", slot=slot, model_role="image", prompt=prompt,
                           params={"from": [a, b], "name": name, "weight": weight},
                           inputs=[sheets[a].asset, sheets[b].asset], fn=run)
    inputs = {f"sheet/{a}": sheets[a].id, f"sheet/{b}": sheets[b].id}
    payload = {"lab": "blend", "from": [a, b], "weight": weight}
    head = project.takes.head(slot, ctx.branch)
    if head is not None and head.asset == asset and head.inputs == inputs and head.payload == payload:
        return head  # the same blend is already the head: nothing to write
    take = project.takes.write(slot, branch=ctx.branch, payload=payload, asset=asset, inputs=inputs,
                               origin="generated", provider=provider.name, model=provider.models.get("image"),
                               cost_usd=cost, job=ctx.job_id, parent=head.id if head else None,
                               note=f"blend of {a} and {b} ({round((1 - weight) * 100)}/{round(weight * 100)})")
    ctx.job.step_done(f"Blended {a} and {b} into {name}")
    return take


def job_upscale(ctx, take: int, factor: int = 2) -> dict:
    ctx.job.plan_units(1)
    new = upscale(ctx.project, take, factor=factor, branch=ctx.branch, job=ctx.job)
    ctx.job.step_done(f"Upscaled take {take} ({new.slot}) to {new.payload['width']}x{new.payload['height']}")
    return {"take": new.id, "slot": new.slot}


def job_interpolate(ctx, take: int, fps: int, mode: str = "mci") -> dict:
    ctx.job.plan_units(1)
    new = interpolate(ctx.project, take, fps=fps, branch=ctx.branch, mode=mode, job=ctx.job)
    ctx.job.step_done(f"Interpolated take {take} ({new.slot}) to {fps} fps")
    return {"take": new.id, "slot": new.slot}


def job_blend(ctx, a: str, b: str, name: str, weight: float = 0.5) -> dict:
    ctx.job.plan_units(1)
    new = blend(ctx, a, b, name=name, weight=weight)
    return {"take": new.id, "slot": new.slot}


JOB_KINDS: dict[str, Any] = {"upscale": job_upscale, "interpolate": job_interpolate, "blend": job_blend}
