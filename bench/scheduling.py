"""Benchmark 3 — scheduling: does `make` overlap work as far as its dependency graph allows?

A provider that only waits, like a remote API, makes the schedule visible. `SleepyProvider`
(registered as "bench-sleepy", the way tests/conftest.py registers SlowOffline) sleeps for a
fixed time per operation — plan 0.5 s, each image (make_sheet, compose_keyframe) 1 s, each
check 0.2 s, each clip (animate_clip) 3 s — and then returns real media that the offline
provider made once at start-up: a sheet per character, a keyframe and a 5 s clip. Each scene
gets its own copy of the keyframe PNG and clip MP4 (they differ only in metadata), so every
call, asset and cut part is distinct as in a real film. Its checks always pass (0.95), so
nothing is retried: this measures scheduling, not media.

The whole `make` job runs in this process (core.jobs.submit, background=False) for two drawn
faces (add_reference) x 3 scenes, then x 5 scenes. Every sleep is recorded, so the timeline
of the run is known. Three numbers per run:
  wall        submit to return;
  critical    plan + slowest sheet (image + check) + the keyframe chain (n x (image + check))
              + the last clip (clip + check) + the cut. Two pieces of real work sit on that
              path and are taken from the run itself: between the last clip and its check the
              pipeline stores the MP4 and extracts its last frame with ffmpeg (the drift
              check's input); the cut (script, normalized checks, join, export) is the time
              from the last clip's check to the end of the job;
  sequential  the sum of every sleep, as if nothing overlapped.
Target: wall ≤ 1.15 x critical (and far below sequential). The critical chain as it happened
shows where the rest went: gaps between its steps are pipeline glue (storing assets, the
database, reading references) and, before the last clip, waiting for a free clip worker
(the provider's `parallel_clips`; this one waits like a remote API, so it allows 4).
"""
from __future__ import annotations

import io
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from common import CONCEPT, OtherLoad, Step, critical_chain, draw_faces, median, table, timed, update_section, verdict

from core import media
from core.models import CheckResult, Media
from core.providers import register
from core.providers.offline import OfflineProvider

SLEEP = {"plan": 0.5, "image": 1.0, "check": 0.2, "clip": 3.0}
SCENE_COUNTS = (3, 5)
TARGET_RATIO = 1.15


@dataclass
class Canned:
    """Real media made once by the offline provider, and what each file stands for."""
    sheets: dict[str, bytes] = field(default_factory=dict)
    keyframes: dict[int, bytes] = field(default_factory=dict)
    clips: dict[int, bytes] = field(default_factory=dict)
    subject: dict[bytes, str] = field(default_factory=dict)  # file -> character name or scene number


@register("bench-sleepy")
class SleepyProvider(OfflineProvider):
    """Waits like a remote provider, then answers at once with canned media; records every wait."""

    name = "bench-sleepy"
    parallel_clips: ClassVar[int] = 4  # waits on the network, not on local cores, like the xai provider
    canned: ClassVar[Canned] = Canned()
    timeline: ClassVar[list[Step]] = []
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def _wait(self, kind: str, what: str) -> None:
        t0 = time.monotonic()
        time.sleep(SLEEP[kind])
        with self._lock:
            self.timeline.append(Step(kind, what, t0, time.monotonic()))

    def plan_story(self, req):
        self._wait("plan", "plan")
        return super().plan_story(req)  # the real offline plan: about a millisecond

    def make_sheet(self, req):
        self._wait("image", f"sheet {req.character.name}")
        return Media(data=self.canned.sheets[req.character.name], ext="png", prompt=req.prompt)

    def compose_keyframe(self, req):
        self._wait("image", f"keyframe {req.scene.scene_id}")
        return Media(data=self.canned.keyframes[req.scene.scene_id], ext="png", prompt=req.prompt)

    def check(self, req):
        # A clip is checked on its last frame against its keyframe, which says which scene it is.
        subject = self.canned.subject[req.references[0] if req.kind == "clip" else req.image]
        self._wait("check", f"check {req.kind} {subject}")
        return CheckResult(score=0.95), 0.0

    def animate_clip(self, req):
        n = self.canned.subject[req.keyframe]
        self._wait("clip", f"clip {n}")
        return Media(data=self.canned.clips[int(n)], ext="mp4", prompt=req.prompt)


def can_media(folder: Path, faces: dict[str, Path], scenes: int) -> float:
    """Fill SleepyProvider.canned with real offline media; returns the time of one last-frame extraction."""
    from PIL import Image, PngImagePlugin

    from core.pipeline.plan_checks import check_plan
    from core.providers.base import ClipRequest, KeyframeRequest, PlanRequest, SheetRequest

    offline = OfflineProvider()
    canned = SleepyProvider.canned
    draft, _ = offline.plan_story(PlanRequest(concept=CONCEPT, labels=list(faces), scenes=scenes))
    plan = check_plan(draft).plan  # what the pipeline makes of a planner's answer
    for c in plan.characters:
        photo = faces[c.name].read_bytes() if c.name in faces else None
        canned.sheets[c.name] = offline.make_sheet(SheetRequest(character=c, style=plan.style, palette=plan.palette,
                                                                photo=photo, prompt=f"sheet of {c.name}")).data
        canned.subject[canned.sheets[c.name]] = c.name
    scene = plan.scenes[-1]
    key = offline.compose_keyframe(KeyframeRequest(
        scene=scene, style=plan.style, palette=plan.palette, references=list(canned.sheets.values())[:3],
        reference_roles=[f"sheet/{n}" for n in canned.sheets][:3], prompt="keyframe")).data
    clip = folder / "clip.mp4"
    clip.write_bytes(offline.animate_clip(ClipRequest(keyframe=key, prompt=scene.camera, camera=scene.camera,
                                                      mood=scene.mood, duration=5)).data)
    image = Image.open(io.BytesIO(key))
    for n in range(1, scenes + 1):
        info = PngImagePlugin.PngInfo()
        info.add_text("scene", str(n))
        out = io.BytesIO()
        image.save(out, "PNG", pnginfo=info)
        canned.keyframes[n] = out.getvalue()
        canned.subject[canned.keyframes[n]] = str(n)
        copy = folder / f"clip{n}.mp4"
        subprocess.run([media.ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", str(clip),
                        "-map", "0", "-c", "copy", "-map_metadata", "-1", "-metadata", f"comment=scene {n}",
                        "-video_track_timescale", str(media.VIDEO_TIMESCALE), "-movflags", "+faststart",
                        str(copy)], check=True)
        if not media.is_normalized(media.probe_video(copy)):
            sys.exit(f"setup: the copy of the clip for scene {n} is not in the normalized form")
        canned.clips[n] = copy.read_bytes()
    return median([timed(lambda: media.frame_png(clip, at="last")) for _ in range(3)])


@dataclass
class Run:
    scenes: int
    wall: float
    steps: list[Step]   # relative to submit
    chain: list[Step]   # the critical chain as it happened
    tail: float         # last clip check -> job end: the cut

    def gap_before(self, i: int) -> float:
        return self.chain[i].t0 - (self.chain[i - 1].t1 if i else 0.0)

    @property
    def sequential(self) -> float:
        return sum(SLEEP[s.kind] for s in self.steps)

    @property
    def frame_gap(self) -> float:
        """Storing the last clip and extracting its last frame, before its check."""
        return self.gap_before(len(self.chain) - 1)

    @property
    def clip_wait(self) -> float:
        """From the last keyframe's check to the last clip's start: waiting for a clip worker."""
        return self.gap_before(len(self.chain) - 2)

    @property
    def clip_hold(self) -> float:
        """Median time a clip holds its worker: the clip, storing it, its last frame, its check."""
        by = {s.what: s for s in self.steps}
        return median([by[f"check clip {n}"].t1 - by[f"clip {n}"].t0 for n in range(1, self.scenes + 1)])

    @property
    def critical(self) -> float:
        return sum(SLEEP[s.kind] for s in self.chain) + self.frame_gap + self.tail


def run_film(folder: Path, faces: dict[str, Path], scenes: int) -> Run:
    from core import jobs
    from core.pipeline.plan import add_reference
    from core.store import Project

    project = Project.open(folder / f"film-{scenes}-scenes")
    for name, photo in faces.items():
        add_reference(project, name, photo.read_bytes(), filename=photo.name)
    SleepyProvider.timeline.clear()
    t0 = time.monotonic()
    job = jobs.submit(project, "make", {"concept": CONCEPT, "scenes": scenes}, provider="bench-sleepy",
                      background=False)
    wall = time.monotonic() - t0
    row = jobs.get(project, job)
    project.close()
    if row["status"] != "succeeded":
        sys.exit(f"the {scenes}-scene job {row['status']}: {row['error'] or row['message']}")
    steps = sorted((Step(s.kind, s.what, s.t0 - t0, s.t1 - t0) for s in SleepyProvider.timeline),
                   key=lambda s: s.t0)
    chain = critical_chain(steps)
    return Run(scenes, wall, steps, chain, wall - chain[-1].t1)


def chain_table(r: Run) -> str:
    rows = [[s.what, f"{SLEEP[s.kind]:.1f}", f"{s.t0:.2f}", f"{s.t1:.2f}", f"{r.gap_before(i):.2f}"]
            for i, s in enumerate(r.chain)]
    rows.append(["cut (script, join, export)", "", f"{r.chain[-1].t1:.2f}", f"{r.wall:.2f}", f"{r.tail:.2f}"])
    return table(["critical chain step", "sleep s", "start s", "end s", "gap before s"], rows)


def main() -> None:
    workers = SleepyProvider.parallel_clips
    other = OtherLoad()
    with tempfile.TemporaryDirectory(prefix="dailies-bench-sched-") as tmp:
        tmp = Path(tmp)
        faces = draw_faces(tmp)
        print("making the canned media (not timed)...", file=sys.stderr)
        frame_s = can_media(tmp, faces, max(SCENE_COUNTS))
        runs = []
        for n in SCENE_COUNTS:
            r = run_film(tmp, faces, n)
            print(f"{n} scenes: {r.wall:.2f} s wall\n" + table(
                ["step", "start s", "end s"], [[s.what, f"{s.t0:.2f}", f"{s.t1:.2f}"] for s in r.steps]),
                file=sys.stderr)
            runs.append(r)

    rows, parts = [], []
    for r in runs:
        ratio = r.wall / r.critical
        rows.append([r.scenes, len(r.steps), f"{r.wall:.2f}", f"{r.critical:.2f}", f"{ratio:.2f}",
                     f"{r.sequential:.1f}", f"{r.sequential / r.wall:.1f}x", verdict(ratio <= TARGET_RATIO)])
        sleeps = sum(SLEEP[s.kind] for s in r.chain)
        glue = r.wall - r.critical - r.clip_wait
        parts.append([r.scenes, f"{sleeps:.1f}", f"{r.frame_gap:.2f}", f"{r.tail:.2f}", f"{r.clip_wait:.2f}",
                      f"{glue:.2f}"])
    summary = table(["scenes", "provider calls", "wall s", "critical path s", "wall / critical",
                     "sequential s", "sequential / wall", f"target ≤ {TARGET_RATIO}x"], rows)
    breakdown = table(["scenes", "sleeps on the path s", "+ store & last frame s", "+ cut s",
                       "off path: clip-worker wait s", "off path: glue s"], parts)
    scenes = " / ".join(str(r.scenes) for r in runs)
    hold = " / ".join(f"{r.clip_hold:.2f}" for r in runs)
    pace = " / ".join(f"{r.clip_hold / workers:.2f}" for r in runs)
    body = f"""## 3. Scheduling with a provider that sleeps

A provider that waits like a remote API (plan 0.5 s, image 1 s, check 0.2 s, clip 3 s; real media
made once beforehand; checks pass) runs the whole `make` job in-process, 2 characters x n scenes.
Critical path = plan + slowest sheet + n x keyframe + last clip, with the real work on that path
measured in the run (storing the last clip and extracting its last frame for the drift check; the cut).

{summary}

Critical path and the rest of the wall time (wall = critical path + clip-worker wait + glue):

{breakdown}

- last-frame extraction alone (`media.frame_png` on a 5 s clip, before the runs): {frame_s:.2f} s
- a clip holds its worker for {hold} s ({scenes} scenes; median of clip 3 s + storing + last frame + check);
  clip workers here: the provider's `parallel_clips` = {workers}, so at most one clip starts per
  {pace} s, while the keyframe chain accepts one keyframe per {SLEEP['image'] + SLEEP['check']:.1f} s

The {runs[-1].scenes}-scene critical chain as it happened:

{chain_table(runs[-1])}
"""
    update_section("scheduling", body, other)


if __name__ == "__main__":
    main()
