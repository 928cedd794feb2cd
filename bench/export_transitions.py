"""Benchmark 6 — exporting a film with transitions, and re-exporting after one scene changed.

Setup (not timed): a real offline project, made the way a user makes one: two drawn faces as
references, a `make` job for 6 scenes x 5 s, then the shot list edited (core.pipeline.edits.
edit_scenes) so that scenes 3 and 5 come in with a 1 s crossfade and every other boundary is a
cut. The film is 6 x 5 s - 2 x 1 s = 28 s.

Measured in one run, so every method sees the same machine:

1. The export job (`jobs.submit(project, "export", ...)`, the real render path: crossfades
   encoded in process, the loudness-normalized soundtrack mixed in process, one ffmpeg join
   that copies the clip bodies and muxes the sound, cut take, copy to exports/):
   - first export, with empty caches (the `derived` rows of kinds segment-v1 and
     soundtrack-v1 are deleted before each run; best of 3, each with a different
     `music_volume`, which changes the cut take's recipe but not a single output byte: there
     is no music);
   - again with `subtitles: off`: a new cut take, so the film is rendered again, but the
     crossfades and the soundtrack come from the cache (best of 3);
   against
   (a) a plain `ffmpeg -f concat -safe 0 -i list.txt -c copy` of the same 6 normalized clips
       (a cut-only join, 30 s: the floor for any join; best of 3). Target: first export ≤ 3x.
       Two floors are timed too (best of 3), work (a) does not do at all: the soundtrack alone
       (`core.render.audio.build_soundtrack` on the same timeline), and the two crossfades
       alone, made side by side the way the export makes them (decode, blend, x264).
   (b) MoviePy 2 making the same 28 s cut: the 6 clips composited with CrossFadeIn (picture)
       and AudioFadeIn/AudioFadeOut (sound) over the two 1 s overlaps, write_videofile libx264/
       AAC, 24 fps (best of 3). `concatenate_videoclips(method="compose", padding=-1)` builds the
       same CompositeVideoClip, but its padding applies to every boundary, and here 3 of 5
       are cuts, so the start times are given directly. Target: MoviePy ≥ 10x the first export.
2. Scene 4 regenerated (`jobs.submit(project, "regenerate", {"scene": 4})`, 3 times): that job
   makes a new keyframe and clip and then exports the cut; only the export part is timed
   (core.pipeline.run.assemble_cut + export_cut, wrapped for timing). Against: re-normalizing
   that one clip (`core.media.normalize_clip`, to a temp file) plus a stream-copy concat of
   the 6 clips (best of 3). Target: ≤ 1.5x. Which segments were re-made is read from the cut
   takes' payload["parts"] before and after.

Where the time goes: the crossfades, the soundtrack, the join, every probe (PyAV) and every
store write (sha256 + probe) are timed by wrapping those functions in this process only;
nothing in core/ is changed. The crossfades and the soundtrack run side by side in threads, so
each row is the summed time of its calls, and rows can add up to more than the total.
"""
from __future__ import annotations

import concurrent.futures as cf
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

from common import CONCEPT, OtherLoad, best_of, draw_faces, table, update_section, verdict

REPEAT = 3
SCENES = 6
CROSSFADE_INTO = (3, 5)
CROSSFADE_S = 1.0
TARGET_VS_CONCAT = 3.0
TARGET_VS_MOVIEPY = 10.0
TARGET_REEXPORT = 1.5

ROWS = ["crossfades (decode + blend + x264, in process)", "soundtrack (decode, mix, R128, limiter, AAC)",
        "join (one ffmpeg: copy bodies + crossfades, mux sound)", "probes (PyAV)", "store writes (sha256 + record)",
        "copy to exports/"]


# ---------------------------------------------------------------- profiling (this process only)

class Profile:
    """Summed seconds per category and segment-cache hits/misses while one export runs."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.hits = 0
        self.made: list[dict] = []
        self.total = 0.0

    @contextmanager
    def span(self, category: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[category] += time.perf_counter() - t0
            self.calls[category] += 1

    def rows(self) -> dict[str, float]:
        return {r: self.seconds.get(r, 0.0) for r in ROWS}


ACTIVE: list[Profile] = []  # the profile being recorded, if any


@contextmanager
def _maybe_span(category: str):
    if ACTIVE:
        with ACTIVE[-1].span(category):
            yield
    else:
        yield


def _wrap(owner, name: str, category: str) -> None:
    orig = getattr(owner, name)

    def wrapped(*a, **kw):
        with _maybe_span(category):
            return orig(*a, **kw)
    setattr(owner, name, wrapped)


def install_profiling() -> None:
    """Wrap the functions the render path calls through module attributes (nothing is changed on disk)."""
    from core import media
    from core.pipeline import run as run_module
    from core.render import audio, cache, segments
    from core.store.assets import Assets

    _wrap(segments, "transition", ROWS[0])
    _wrap(audio, "build_soundtrack", ROWS[1])
    _wrap(segments, "join", ROWS[2])
    _wrap(media, "probe_video", ROWS[3])
    _wrap(Assets, "put_file", ROWS[4])
    _wrap(run_module, "export_cut", ROWS[5])
    orig_cached = cache.cached

    def cached(project, kind, key, ext, make):
        made = []

        def counting_make(out):
            made.append(True)
            return make(out)
        asset = orig_cached(project, kind, key, ext, counting_make)
        if ACTIVE:
            if made:
                ACTIVE[-1].made.append(key)
            else:
                ACTIVE[-1].hits += 1
        return asset
    cache.cached = cached


@contextmanager
def profiled(into: list[Profile]):
    p = Profile()
    ACTIVE.append(p)
    t0 = time.perf_counter()
    try:
        yield p
    finally:
        p.total = time.perf_counter() - t0
        ACTIVE.pop()
        into.append(p)


# ---------------------------------------------------------------- the project

def make_project(folder: Path):
    from core import jobs
    from core.pipeline.edits import edit_scenes
    from core.pipeline.plan import add_reference, story_of
    from core.store import Project

    project = Project.open(folder / "film")
    for name, photo in draw_faces(folder).items():
        add_reference(project, name, photo.read_bytes(), filename=photo.name)
    job = jobs.submit(project, "make", {"concept": CONCEPT, "scenes": SCENES}, background=False)
    row = jobs.get(project, job)
    if row["status"] != "succeeded":
        sys.exit(f"`make` failed: {row['message']}")
    rows = [s.model_dump() for s in story_of(project.takes.head("story")).scenes]
    for n in CROSSFADE_INTO:
        rows[n - 1].update(transition="crossfade", transition_seconds=CROSSFADE_S)
    edit_scenes(project, rows)
    return project


def clip_paths(project) -> dict[int, Path]:
    """Scene -> the normalized clip the cut uses (offline clips are already normalized: the same file)."""
    from core.pipeline.cut import normalized

    return {n: project.assets.path(normalized(project, project.takes.head(f"clip/{n}").asset))
            for n in range(1, SCENES + 1)}


def timeline_of(project, settings):
    """The timeline render() builds for these settings (same code path: effective_scenes + build)."""
    from core import media
    from core.pipeline.plan import story_of
    from core.render.timeline import build, effective_scenes

    scenes = effective_scenes(story_of(project.takes.head("story")).scenes, settings)
    clips = clip_paths(project)
    lengths = {n: round(media.probe_video(p).duration * 2) / 2 for n, p in clips.items()}
    return scenes, clips, build(scenes, {n: (str(p), lengths[n]) for n, p in clips.items()}, settings)


def piece_names(timeline) -> list[str]:
    names, prev = [], None
    for p in timeline.pieces:
        if p.kind == "clip":
            names.append(f"scene {p.scene} body {p.trim_in:g}-{p.trim_out:g} s (copy)")
            prev = p.scene
        elif p.kind == "transition":
            names.append(f"{p.kind_of_transition} {prev} -> {p.scene}, {p.length:g} s (encode)")
        else:
            names.append(p.kind)
    return names


def export_job(project, settings: dict) -> tuple[float, dict]:
    from core import jobs

    t0 = time.perf_counter()
    job = jobs.submit(project, "export", {"settings": settings}, background=False)
    seconds = time.perf_counter() - t0
    row = jobs.get(project, job)
    if row["status"] != "succeeded":
        sys.exit(f"export failed: {row['message']}")
    return seconds, row["result"]


def forget_renders(project) -> None:
    """Empty the caches an export fills: encoded segments and soundtracks."""
    from core.render.film import SOUND_FORM
    from core.render.segments import SEGMENT_FORM

    project.db.execute("DELETE FROM derived WHERE kind IN (?, ?)", [SEGMENT_FORM, SOUND_FORM])


# ---------------------------------------------------------------- main

def main() -> None:
    home = tempfile.mkdtemp(prefix="dailies-bench-home-")
    os.environ["DAILIES_HOME"] = home  # the project is opened by path; nothing should land in a real workspace
    os.environ.pop("XAI_API_KEY", None)
    try:
        measure()
    finally:
        shutil.rmtree(home, ignore_errors=True)


def measure() -> None:
    import imageio_ffmpeg
    from moviepy import CompositeVideoClip, VideoFileClip, afx, vfx

    from core import jobs, media
    from core.pipeline import run as run_module
    from core.render import audio, encode
    from core.render.timeline import ExportSettings

    other = OtherLoad()
    install_profiling()
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    with tempfile.TemporaryDirectory(prefix="dailies-bench-transitions-") as tmp:
        tmp = Path(tmp)
        print(f"making a {SCENES}-scene offline film (not timed)...", file=sys.stderr)
        project = make_project(tmp)
        clips = clip_paths(project)
        infos = {n: media.probe_video(p) for n, p in clips.items()}
        all_normalized = all(media.is_normalized(i) for i in infos.values())

        # 1. first export (empty segment cache), then again with cached segments
        print("timing the export job...", file=sys.stderr)
        first, first_prof = [], []
        for volume in (0.6, 0.5, 0.4):  # 0.6 is the default: the first run is the default-settings export
            forget_renders(project)
            with profiled(first_prof):
                seconds, result = export_job(project, {"music_volume": volume})
            first.append(seconds)
            if volume == 0.6:
                cut_before = project.takes.head("cut")
                dailies_out = Path(result["path"])
        again, again_prof = [], []
        for volume in (0.6, 0.5, 0.4):
            with profiled(again_prof):
                seconds, _ = export_job(project, {"subtitles": "off", "music_volume": volume})
            again.append(seconds)

        # (a) plain concat copy, and the soundtrack alone
        listing = tmp / "list.txt"
        listing.write_text("".join(f"file '{clips[n]}'\n" for n in sorted(clips)))
        concat_out = tmp / "concat.mp4"
        concat_cmd = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0",
                      "-i", str(listing), "-c", "copy", str(concat_out)]
        t_concat = best_of(REPEAT, lambda: subprocess.run(concat_cmd, check=True))
        settings = ExportSettings()
        scenes, _, timeline = timeline_of(project, settings)
        sound_out = tmp / "sound.m4a"
        t_audio = best_of(REPEAT, lambda: audio.build_soundtrack(timeline, scenes, clips, None, settings, sound_out))
        names = piece_names(timeline)
        # The two crossfades alone, side by side, made the way the export makes them (no cache, no store).
        fades = [p for p in timeline.pieces if p.kind == "transition"]

        def crossfade(i_piece):
            i, p = i_piece
            n = round(p.length * media.CUT_FPS)
            a, b = Path(p.pair[0]), Path(p.pair[1])  # timeline_of() lays out clip paths
            encode.encode(encode.crossfade(encode.decode(a, p.trim_in, n), encode.decode(b, 0.0, n),
                                           p.kind_of_transition), tmp / f"fade{i}.mp4", reference=a)

        def both_fades():
            with cf.ThreadPoolExecutor(len(fades)) as pool:
                list(pool.map(crossfade, enumerate(fades)))
        t_fades = best_of(REPEAT, both_fades)
        t_noop = best_of(REPEAT, lambda: media.run(["-f", "lavfi", "-i", "nullsrc=s=16x16:d=0.04", "-f", "null", "-"],
                                                   what="bench"))

        # (b) MoviePy 2
        print("timing MoviePy...", file=sys.stderr)
        moviepy_out = tmp / "moviepy.mp4"

        def moviepy():
            parts = [VideoFileClip(str(clips[n])) for n in sorted(clips)]
            try:
                placed, t = [], 0.0
                for i, c in enumerate(parts):
                    n = i + 1
                    if n in CROSSFADE_INTO:
                        t -= CROSSFADE_S
                        c = c.with_effects([vfx.CrossFadeIn(CROSSFADE_S), afx.AudioFadeIn(CROSSFADE_S)])
                    if n + 1 in CROSSFADE_INTO:
                        c = c.with_effects([afx.AudioFadeOut(CROSSFADE_S)])
                    placed.append(c.with_start(t))
                    t += c.duration
                CompositeVideoClip(placed, size=parts[0].size).with_duration(t).write_videofile(
                    str(moviepy_out), codec="libx264", audio_codec="aac", fps=24, logger=None,
                    temp_audiofile_path=str(tmp))
            finally:
                for p in parts:
                    p.close()
        t_moviepy = best_of(REPEAT, moviepy)
        durations = {k: media.probe_video(p).duration for k, p in
                     {"dailies": dailies_out, "concat": concat_out, "moviepy": moviepy_out}.items()}

        # 2. regenerate scene 4; time only its export
        print("regenerating scene 4 and timing its export...", file=sys.stderr)
        # regenerate_scene ends with assemble_cut(...) then export_cut(...): a profile spans exactly those two.
        orig_assemble, orig_export_cut = run_module.assemble_cut, run_module.export_cut
        regen, regen_prof, regen_parts = [], [], []
        previous = cut_before
        started: list[float] = []

        def timed_assemble(*a, **kw):
            ACTIVE.append(Profile())
            started.append(time.perf_counter())
            return orig_assemble(*a, **kw)

        def timed_export_cut(*a, **kw):
            try:
                return orig_export_cut(*a, **kw)
            finally:
                p = ACTIVE.pop()
                p.total = time.perf_counter() - started.pop()
                regen_prof.append(p)

        run_module.assemble_cut, run_module.export_cut = timed_assemble, timed_export_cut
        try:
            for i in range(REPEAT):
                job = jobs.submit(project, "regenerate", {"scene": 4}, background=False)
                row = jobs.get(project, job)
                if row["status"] != "succeeded" or len(regen_prof) != i + 1:
                    sys.exit(f"regenerate failed: {row['message']}")
                regen.append(regen_prof[-1].total)
                cut = project.takes.head("cut")
                regen_parts.append((previous.payload["parts"], cut.payload["parts"]))
                previous = cut
        finally:
            run_module.assemble_cut, run_module.export_cut = orig_assemble, orig_export_cut

        new_clip = project.assets.path(project.takes.head("clip/4").asset)
        clips_now = clip_paths(project)
        renorm = tmp / "renormalized.mp4"

        def normalize_and_concat():
            media.normalize_clip(new_clip, renorm)
            listing.write_text("".join(f"file '{clips_now[n]}'\n" for n in sorted(clips_now)))
            subprocess.run(concat_cmd, check=True)
        t_renorm_concat = best_of(REPEAT, normalize_and_concat)
        t_renorm = best_of(REPEAT, lambda: media.normalize_clip(new_clip, renorm))
        regen_clip_normalized = media.is_normalized(media.probe_video(new_clip))
        project.close()

    # ------------------------------------------------------------ report
    best_first, best_again, best_regen = min(first), min(again), min(regen)
    r_concat, r_moviepy, r_regen = best_first / t_concat, t_moviepy / best_first, best_regen / t_renorm_concat
    met1, met2, met3 = r_concat <= TARGET_VS_CONCAT, r_moviepy >= TARGET_VS_MOVIEPY, r_regen <= TARGET_REEXPORT

    def pick(profs, times):
        return profs[times.index(min(times))]
    pf, pa, pr = pick(first_prof, first), pick(again_prof, again), pick(regen_prof, regen)

    exports = table(["6 x 5 s clips, crossfades into scenes 3 and 5", "best of 3 s", "runs s", "film s"], [
        ["Dailies export job, first (empty caches)", f"{best_first:.2f}",
         " / ".join(f"{x:.2f}" for x in first), f"{durations['dailies']:.2f}"],
        ["Dailies export job again, `subtitles: off` (crossfades, soundtrack cached)", f"{best_again:.2f}",
         " / ".join(f"{x:.2f}" for x in again), f"{durations['dailies']:.2f}"],
        ["(a) plain `ffmpeg -f concat -c copy` (cuts only)", f"{t_concat:.3f}", "", f"{durations['concat']:.2f}"],
        ["    the soundtrack alone (`build_soundtrack`)", f"{t_audio:.2f}", "", ""],
        ["    the two crossfades alone, side by side", f"{t_fades:.2f}", "", ""],
        ["(b) MoviePy 2 composite + write_videofile", f"{t_moviepy:.2f}", "", f"{durations['moviepy']:.2f}"],
    ])

    def cells(p: Profile) -> dict[str, str]:
        return {k: f"{v:.3f}" for k, v in p.rows().items()}
    cf_, ca, cr = cells(pf), cells(pa), cells(pr)
    profile = table(["where the export's time goes (s, summed per row)", "first", "again (cached)", "after regen 4"],
                    [[k, cf_[k], ca[k], cr[k]] for k in ROWS]
                    + [["**total**", f"{pf.total:.3f}", f"{pa.total:.3f}", f"{pr.total:.3f}"],
                       ["crossfades and soundtracks made / from cache", f"{len(pf.made)} / {pf.hits}", f"{len(pa.made)} / {pa.hits}",
                        f"{len(pr.made)} / {pr.hits}"]])

    old, new = regen_parts[0]
    same = [a == b for a, b in zip(old, new)]
    parts_rows = [[name, "the same as before" if s else "**new**"] for name, s in zip(names, same)]
    parts_table = table(["piece of the cut (after scene 4 regenerated)", "piece"], parts_rows)
    remade_each = [sum(a != b for a, b in zip(o, n)) for o, n in regen_parts]

    def row(p: Profile, i: int) -> float:
        return p.rows()[ROWS[i]]
    n_copy, n_encode = sum(n.endswith("(copy)") for n in names), sum(n.endswith("(encode)") for n in names)
    floor = t_fades + t_audio

    body = f"""## 6. Export with transitions, and re-export after one scene changed

A real offline project: 6 scenes x 5 s, made by a `make` job, then the shot list edited so
scenes {' and '.join(map(str, CROSSFADE_INTO))} come in with a {CROSSFADE_S:g} s crossfade (the other boundaries
are cuts): a {durations['dailies']:.0f} s film. The clips are {'all' if all_normalized else '**not all**'} in the
normalized form, so the cut is {len(names)} pieces: {n_copy} clip bodies (stream copied straight from the clips)
and {n_encode} crossfades (the only frames re-encoded).

{exports}

- first export / (a) = **{r_concat:.1f}x** (target ≤ {TARGET_VS_CONCAT:g}x): {verdict(met1)}
  (again, crossfades and soundtrack from the cache: **{best_again / t_concat:.1f}x**)
- the floors, measured alone: the two crossfades {t_fades / t_concat:.1f}x of (a), the soundtrack
  {t_audio / t_concat:.1f}x of (a)
- (b) MoviePy / first export = **{r_moviepy:.1f}x** (target ≥ {TARGET_VS_MOVIEPY:g}x): {verdict(met2)}.
  MoviePy encodes all 28 s with x264 `medium`; Dailies encodes only the two crossfades (x264 `veryfast` with a
  cheaper search).

{profile}

"first" is the fastest of the first exports; "after regen 4" is the export part of the fastest
`regenerate` job (its keyframe and clip generation excluded). The crossfades and the soundtrack
run side by side, so the rows add up to more than the total.

### Re-export after scene 4 is regenerated

| re-export after one scene changed | best of 3 s | runs s |
|---|---|---|
| Dailies: export part of the `regenerate` job | {best_regen:.2f} | {' / '.join(f'{x:.2f}' for x in regen)} |
| `normalize_clip` (the new clip 4) + `ffmpeg -f concat -c copy` | {t_renorm_concat:.2f} | |
| of which `normalize_clip` alone | {t_renorm:.2f} | |

- Dailies / (normalize + concat) = **{r_regen:.2f}x** (target ≤ {TARGET_REEXPORT:g}x): {verdict(met3)}
- The regenerated clip is {'already' if regen_clip_normalized else '**not**'} normalized (offline clips are
  written in that form), so Dailies re-encodes no clip here; the comparison still re-encodes the whole 5 s clip.
- Pieces new in each of the 3 re-exports: {', '.join(map(str, remade_each))} of {len(names)}
  (compared by the cut takes' payload["parts"]).

{parts_table}

### Where the time goes

- First export: the two crossfades ({row(pf, 0):.2f} s summed) and the soundtrack ({row(pf, 1):.2f} s) run side
  by side, then one join ({row(pf, 2):.2f} s) copies the clip bodies and muxes the sound; {pf.total:.2f} s in all.
- (a) copies packets and touches no sample. Made alone, the two 1 s crossfades (48 frames decoded, blended and
  encoded at 720p) take {t_fades:.2f} s = {t_fades / t_concat:.1f}x of (a), and the soundtrack (decode, mix,
  EBU R128, limiter, AAC for {durations['dailies']:.0f} s) {t_audio:.2f} s = {t_audio / t_concat:.1f}x; starting an
  ffmpeg process costs {t_noop:.3f} s. Each floor alone is past the {TARGET_VS_CONCAT:g}x target on this machine;
  one after the other they take {floor:.2f} s, and the first export, which makes them side by side on the same
  2 cores and then joins, takes {pf.total:.2f} s. A first export cannot come within {TARGET_VS_CONCAT:g}x of (a)
  here while it encodes any crossfade or any soundtrack.
- Again with the crossfades and the soundtrack cached (an export that changes only subtitles, preset or aspect
  reuses both): {pa.total:.2f} s, of which {row(pa, 2):.2f} s is the join.
- After scene 4 changed: the crossfade 4 -> 5 ({row(pr, 0):.2f} s) and the soundtrack ({row(pr, 1):.2f} s) are
  made again; scene 4's body is a stream copy.
"""
    update_section("export_transitions", body, other)


if __name__ == "__main__":
    main()
