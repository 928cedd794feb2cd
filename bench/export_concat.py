"""Benchmark 2 — exporting the cut: joining 6 normalized 5 s clips.

Setup (not timed): the offline provider plans a 6-scene film, stylizes two drawn faces into
sheets, composes one keyframe from them and animates it into 6 clips, one per scene, each
with its scene's camera move. Offline clips are written in the cut's normalized form
(core.media.is_normalized), so joining them needs no re-encode.

Measured in one run, best of 3 each, so every method sees the same machine:
  (a) the Dailies join, core.render.segments.join: one ffmpeg process that stream-copies each
      clip's picture between keyframes (concat demuxer, inpoint/outpoint) and muxes a soundtrack
      (here the clips' own sound joined beforehand, not timed), +faststart;
  (b) a plain `ffmpeg -f concat -safe 0 -i list.txt -c copy out.mp4`, same ffmpeg binary;
  (c) MoviePy 2, concatenate_videoclips + write_videofile (libx264, AAC, 24 fps): a full
      decode and re-encode, what a straightforward Python implementation would do.
Then the same join through the project store, on projects whose 6 clips are takes:
  (d) core.pipeline.cut.normalized() on the 6 clips: first time (probe each, record it in
      `derived`) vs. cached (one lookup each);
  (e) the whole export, core.pipeline.run.export: first time (normalized checks, join, store
      the cut take, copy to the destination) vs. again (the cut take is reused; copy only).
First-time store timings use a fresh project per repetition.

Target: (a) within 2x of (b). (c)/(a) is what joining by stream copy saves.
"""
from __future__ import annotations

import concurrent.futures as cf
import itertools
import subprocess
import sys
import tempfile
from pathlib import Path

from common import CONCEPT, OtherLoad, best_of, draw_faces, table, timed, update_section, verdict

REPEAT = 3
TARGET_RATIO = 2.0


def _listing(folder: Path, clips: list[Path]) -> Path:
    path = folder / "sound-list.txt"
    path.write_text("".join(f"file '{c}'\n" for c in clips))
    return path


def make_clips(folder: Path):
    """Six normalized 5 s offline clips from one composed keyframe; returns (plan, clip paths)."""
    from core.providers import get_provider
    from core.pipeline.plan_checks import check_plan
    from core.providers.base import ClipRequest, KeyframeRequest, PlanRequest, SheetRequest

    offline = get_provider("offline")
    faces = draw_faces(folder)
    draft, _ = offline.plan_story(PlanRequest(concept=CONCEPT, labels=list(faces), scenes=6))
    plan = check_plan(draft).plan  # what the pipeline makes of a planner's answer
    sheets = [offline.make_sheet(SheetRequest(character=plan.character(name), style=plan.style,
                                              palette=plan.palette, photo=photo.read_bytes(),
                                              prompt=f"sheet of {name}")).data for name, photo in faces.items()]
    scene = plan.scenes[1]
    keyframe = offline.compose_keyframe(KeyframeRequest(
        scene=scene, style=plan.style, palette=plan.palette, references=sheets,
        reference_roles=[f"sheet/{name}" for name in faces], prompt=f"keyframe of {scene.title}")).data

    def clip(s) -> Path:
        media = offline.animate_clip(ClipRequest(keyframe=keyframe, prompt=f"{s.camera}; {s.action}",
                                                 camera=s.camera, mood=s.mood, duration=5))
        path = folder / f"clip{s.scene_id}.mp4"
        path.write_bytes(media.data)
        return path

    with cf.ThreadPoolExecutor(2) as pool:
        return plan, list(pool.map(clip, plan.scenes))


def film_project(path: Path, plan, clips: list[Path]):
    """A project with a story take and one clip take per scene, as the pipeline leaves it before the cut."""
    from core.store import Project

    project = Project.open(path)
    story = project.takes.add("story", payload={"concept": CONCEPT, "plan": plan.model_dump()})
    heads = {"story": story.id}
    for scene, clip in zip(plan.scenes, clips):
        asset = project.assets.put(clip.read_bytes(), "mp4")
        heads[f"clip/{scene.scene_id}"] = project.takes.add(f"clip/{scene.scene_id}", asset=asset,
                                                            inputs={"story": story.id}).id
    project.takes.set_heads(heads)
    return project


def main() -> None:
    import imageio_ffmpeg
    from moviepy import VideoFileClip, concatenate_videoclips

    from core import media
    from core.pipeline import run
    from core.pipeline.context import Context
    from core.pipeline.cut import normalized
    from core.providers import get_provider

    other = OtherLoad()
    with tempfile.TemporaryDirectory(prefix="dailies-bench-export-") as tmp:
        tmp = Path(tmp)
        print("making 6 offline clips (not timed)...", file=sys.stderr)
        plan, clips = make_clips(tmp)
        infos = [media.probe_video(c) for c in clips]
        all_normalized = all(media.is_normalized(i) for i in infos)
        outputs = {k: tmp / f"{k}.mp4" for k in ("dailies", "ffmpeg", "moviepy")}

        from core.render import segments

        sound = tmp / "sound.m4a"  # the film's one soundtrack, made before the join (not timed)
        media.run(["-f", "concat", "-safe", "0", "-i", str(_listing(tmp, clips)), "-map", "0:a", "-c", "copy",
                   str(sound)], what="joining the clips' sound")
        spans = [segments.Span(c, 0.0, round(i.duration * 2) / 2) for c, i in zip(clips, infos)]

        def dailies():
            segments.join(spans, sound, outputs["dailies"])

        listing = tmp / "list.txt"
        listing.write_text("".join(f"file '{c}'\n" for c in clips))
        ffmpeg_cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                      "-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", str(outputs["ffmpeg"])]

        def plain_ffmpeg():
            subprocess.run(ffmpeg_cmd, check=True)

        def moviepy():
            parts = [VideoFileClip(str(c)) for c in clips]
            try:
                concatenate_videoclips(parts).write_videofile(
                    str(outputs["moviepy"]), codec="libx264", audio_codec="aac", fps=24, logger=None,
                    temp_audiofile_path=str(tmp))
            finally:
                for p in parts:
                    p.close()

        print("timing the three joins...", file=sys.stderr)
        t = {"dailies": best_of(REPEAT, dailies), "ffmpeg": best_of(REPEAT, plain_ffmpeg),
             "moviepy": best_of(REPEAT, moviepy)}
        out_infos = {k: media.probe_video(p) for k, p in outputs.items()}
        sizes = {k: p.stat().st_size / 2**20 for k, p in outputs.items()}

        print("timing the store path...", file=sys.stderr)
        offline = get_provider("offline")
        fresh = itertools.count()

        def new_project():
            return film_project(tmp / f"project{next(fresh)}", plan, clips)

        def assets_of(project):
            return [project.takes.head(f"clip/{s.scene_id}").asset for s in plan.scenes]

        def normalize_all(project):
            for a in assets_of(project):
                normalized(project, a)

        projects = [new_project() for _ in range(REPEAT)]
        norm_first = min(timed(lambda p=p: normalize_all(p)) for p in projects)
        norm_cached = best_of(REPEAT, lambda: normalize_all(projects[0]))

        projects = [new_project() for _ in range(REPEAT)]
        ctxs = [Context(project=p, provider=offline) for p in projects]
        dest = (tmp / f"export{i}.mp4" for i in itertools.count())
        export_first = min(timed(lambda c=c: run.export(c, out=str(next(dest)))) for c in ctxs)
        export_again = best_of(REPEAT, lambda: run.export(ctxs[0], out=str(next(dest))))
        cuts = {len(list(p.db.query("SELECT id FROM takes WHERE slot = 'cut'"))) for p in projects}
        for p in projects:
            p.close()

    ratio, saving = t["dailies"] / t["ffmpeg"], t["moviepy"] / t["dailies"]
    met = ratio <= TARGET_RATIO

    def described(k: str) -> list[str]:
        i = out_infos[k]
        return [f"{i.duration:.2f}", f"{sizes[k]:.1f}", "yes" if media.is_normalized(i) else "no"]

    joins = table(["join (6 x 5 s clips)", "best of 3 s", "output s", "MB", "normalized"], [
        ["(a) Dailies `segments.join`", f"{t['dailies']:.3f}", *described("dailies")],
        ["(b) plain `ffmpeg -f concat -c copy`", f"{t['ffmpeg']:.3f}", *described("ffmpeg")],
        ["(c) MoviePy 2 concatenate + write_videofile", f"{t['moviepy']:.2f}", *described("moviepy")],
    ])
    store = table(["through the project store", "first time s", "cached / again s"], [
        ["(d) `normalized()` x 6", f"{norm_first:.3f}", f"{norm_cached:.4f}"],
        ["(e) `run.export` (assemble cut + copy out)", f"{export_first:.3f}", f"{export_again:.3f}"],
    ])
    body = f"""## 2. Export: joining 6 normalized 5 s clips

The 6 offline clips are {'all' if all_normalized else '**not all**'} in the normalized form
({infos[0].width}x{infos[0].height}, {infos[0].fps:.0f} fps, {infos[0].vcodec}/{infos[0].acodec}).

{joins}

- (a)/(b) = **{ratio:.2f}x** (target ≤ {TARGET_RATIO:.0f}x): {verdict(met)}
- (c)/(a) = **{saving:.0f}x**: MoviePy decodes and re-encodes all {sum(i.duration for i in infos):.0f} s;
  stream copy only rewrites the container.

{store}

(e) "again" reuses the cut take (cut takes per project after all exports: {sorted(cuts)}); what is
left is the Python work, the database look-ups and copying the {sizes['dailies']:.1f} MB file.
"""
    update_section("export_concat", body, other)


if __name__ == "__main__":
    main()
