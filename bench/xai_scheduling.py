"""Benchmark 5 — scheduling through the real xai provider: does `make` overlap the remote calls?

Benchmark 3 measures the schedule with a provider that only sleeps. This one runs the real
`xai` provider — the real `xai_sdk.Client`, its gRPC channel, retries, rate limiters, video
polling, downloads and probes — against the fake xAI server of the tests
(tests/fakes/xai_server.py, a real gRPC server on 127.0.0.1 in this process) with fixed
latencies: chat (the plan) 1 s, each image (sheet or keyframe) 2 s, each vision check 0.5 s,
and each video 6 s from its start until the deferred request is done. The provider polls the
video every DAILIES_XAI_POLL = 0.1 s, so polling adds little. The fake's checks pass (0.95),
so nothing is retried; the fake's MP4 (a 5 s 720p test pattern) is encoded once before the
runs, as a real API renders on its own machines.

The whole `make` job runs in this process (core.jobs.submit, background=False) for two drawn
faces (add_reference) x 3 scenes, then x 5 scenes. The fake records the time each request
arrives, so the run's timeline is known: a step starts when its request arrives and its
remote part ends a latency later. Three numbers per run:
  wall        submit to return;
  critical    plan + slowest sheet (image + check) + the keyframe chain (n x (image + check))
              + the last clip (video + check) + the cut. The real local work on that path is
              taken from the run itself: between the last video being done and its check
              arriving, the provider sees it done (next poll), downloads and probes the MP4,
              the pipeline stores it and extracts its last frame (the drift check's input);
              the cut (the clip's take, script, normalizing clips, rendering the film, export)
              is the time from the end of the last clip's check to the job's finish time in
              its row;
  sequential  the sum of every latency, as if nothing overlapped.
Target: wall ≤ 1.15 x critical. The critical chain as it happened shows where the rest went:
gaps between its steps are glue (the fake drawing and encoding its answer, gRPC, decoding,
storing assets, the database, data URIs) and, before the last clip, waiting for a free clip
worker (`parallel_clips` = 4). Of the provider's process-wide rate limits only the image one
(5/s) shows: it starts the second sheet 0.2 s after the first, and keyframe 1 waits for both
sheets. Video starts (1/s) are 2.5 s apart anyway.

The fake answers every video of the same length and size with the same MP4, so all clips of a
run are one asset and the cut normalizes it once (the derived cache is by content hash); the
section says how many it re-encoded. With real, distinct clips the cut would normalize every
clip after the last one is checked.
"""
from __future__ import annotations

import os
import re
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from common import CONCEPT, OtherLoad, Step, critical_chain, draw_faces, median, table, timed, update_section, verdict

from core import media
from core.pipeline.cut import NORMAL_FORM
from core.providers.xai import _probe
from core.providers.xai_fit import data_uri, fit_image
from tests.fakes import fake_media
from tests.fakes.xai_server import FakeXai

LATENCY = {"chat": 1.0, "image": 2.0, "check": 0.5, "video": 6.0}
POLL_S = 0.1
SCENE_COUNTS = (3, 5)
TARGET_RATIO = 1.15
KEY = "xai-bench-key"


def label(r) -> str:
    """Which step a request of the fake belongs to, from its prompt (videos are labelled later)."""
    if r.kind == "chat":
        return "plan"
    if r.kind == "image":
        if m := re.search(r"\bScene (\d+), '", r.prompt):
            return f"keyframe {m[1]}"
        if m := re.search(r"name label '([^']+)'", r.prompt):
            return f"sheet {m[1]}"
    if r.kind == "check":
        if m := re.search(r"character sheet of (\S+) keeps", r.prompt):
            return f"check sheet {m[1]}"
        if m := re.search(r"keyframe of scene (\d+)", r.prompt):
            return f"check keyframe {m[1]}"
        if m := re.search(r"last frame of scene (\d+)", r.prompt):
            return f"check clip {m[1]}"
    sys.exit(f"an unexpected {r.kind} request: {r.prompt[:120]!r}")


@dataclass
class Run:
    scenes: int
    wall: float         # submit to return
    finished: float     # the job's finish time (its row), relative to submit
    steps: list[Step]
    chain: list[Step]   # the critical chain as it happened
    seen: float         # the poll that found the last clip done arrived
    stored: float       # the last clip's call was logged: downloaded, probed, stored as an asset
    hold: list[float]   # per clip: video start -> end of its check
    clip_assets: int    # distinct clip files among the scenes
    normalized: int     # clips the cut re-encoded to its format
    takes: dict[str, float]  # slot -> when its take of this job was stored (the last one per slot)

    def gap_before(self, i: int) -> float:
        return self.chain[i].t0 - (self.chain[i - 1].t1 if i else 0.0)

    @property
    def sequential(self) -> float:
        return sum(LATENCY[s.kind] for s in self.steps)

    @property
    def tail(self) -> float:
        """End of the last clip's check -> the job's finish: the answer, the take, script, cut, export."""
        return self.finished - self.chain[-1].t1

    @property
    def clip_gap(self) -> float:
        """The last video done -> its check arrives: poll, download, probe, store, last frame."""
        return self.gap_before(len(self.chain) - 1)

    @property
    def clip_wait(self) -> float:
        """End of the last keyframe's check -> its video start: the answer, the take, a free clip worker."""
        return self.gap_before(len(self.chain) - 2)

    @property
    def latencies(self) -> float:
        return sum(LATENCY[s.kind] for s in self.chain)

    @property
    def critical(self) -> float:
        return self.latencies + self.clip_gap + self.tail


def mono(iso: str, offset: float) -> float:
    """A UTC ISO time from the database (millisecond precision) on the time.monotonic() clock."""
    return datetime.fromisoformat(iso).timestamp() - offset


def run_film(fake: FakeXai, folder: Path, faces: dict[str, Path], scenes: int) -> Run:
    from core import jobs
    from core.pipeline.plan import add_reference
    from core.store import Project

    project = Project.open(folder / f"film-{scenes}-scenes")
    for name, photo in faces.items():
        add_reference(project, name, photo.read_bytes(), filename=photo.name)
    first = len(fake.requests)
    offset = time.time() - time.monotonic()
    t0 = time.monotonic()
    job = jobs.submit(project, "make", {"concept": CONCEPT, "scenes": scenes}, provider="xai", background=False)
    wall = time.monotonic() - t0
    row = jobs.get(project, job)
    if row["status"] != "succeeded":
        sys.exit(f"the {scenes}-scene job {row['status']}: {row['error'] or row['message']}")
    finished = mono(row["finished"], offset) - t0
    logged = {r["slot"]: mono(r["created"], offset) - t0 for r in project.calls.recent(1000)
              if r["operation"] == "animate_clip" and r["job"] == job}
    clip_assets = len({project.takes.head(f"clip/{n}").asset for n in range(1, scenes + 1)})
    normalized = next(project.db.query("SELECT count(*) AS n FROM derived WHERE kind = ? AND source != asset",
                                       [NORMAL_FORM]))["n"]
    takes = {t["slot"]: mono(t["created"], offset) - t0
             for t in project.db.query("SELECT slot, created FROM takes WHERE job = ? ORDER BY id", [job])}
    keyframes = {data_uri(fit_image(project.assets.read(project.takes.head(f"keyframe/{n}").asset))): n
                 for n in range(1, scenes + 1)}
    project.close()

    reqs = fake.requests[first:]
    steps, polls = [], {}
    videos = [r for r in reqs if r.kind == "video"]
    for r in reqs:
        if r.kind == "poll":
            polls.setdefault(r.request.request_id, []).append(r.t - t0)
        elif r.kind == "video":  # which scene: the keyframe it animates
            n = keyframes[r.request.image.image_url]
            steps.append(Step("video", f"clip {n}", r.t - t0, r.t - t0 + LATENCY["video"]))
        elif r.kind != "other":
            steps.append(Step(r.kind, label(r), r.t - t0, r.t - t0 + LATENCY[r.kind]))
    steps.sort(key=lambda s: s.t0)
    names = [s.what for s in steps]
    if len(names) != len(set(names)) or len(videos) != scenes:
        sys.exit(f"expected one request per step (no retries): {sorted(names)}")
    # Each video's polls, in the order the videos started (its first poll follows its start at once; starts
    # are a keyframe apart); the provider stops polling at DONE, so the last poll is the one that saw it done.
    by = {s.what: s for s in steps}
    started = sorted((by[f"clip {n}"].t0, n) for n in range(1, scenes + 1))
    done_seen = {n: max(p) for (_, n), p in zip(started, sorted(polls.values(), key=min))}
    chain = critical_chain(steps)
    k = int(chain[-1].what.split()[-1])
    hold = [by[f"check clip {n}"].t1 - by[f"clip {n}"].t0 for n in range(1, scenes + 1)]
    return Run(scenes, wall, finished, steps, chain, done_seen[k], logged[f"clip/{k}"], hold, clip_assets,
               normalized, takes)


def chain_table(r: Run) -> str:
    rows = [[s.what, f"{LATENCY[s.kind]:.1f}", f"{s.t0:.2f}", f"{s.t1:.2f}", f"{r.gap_before(i):.2f}"]
            for i, s in enumerate(r.chain)]
    rows.insert(-1, ["… seen done (poll)", "", f"{r.seen:.2f}", "", f"{r.seen - r.chain[-2].t1:.2f}"])
    rows.insert(-1, ["… downloaded, probed, stored", "", f"{r.stored:.2f}", "", f"{r.stored - r.seen:.2f}"])
    k = r.chain[-1].what.split()[-1]
    prev = r.chain[-1].t1
    for slot, what in ((f"clip/{k}", f"… clip {k} take stored"), ("script", "… script written"),
                       ("cut", "… cut rendered (normalize, render, store)")):
        if slot in r.takes:
            rows.append([what, "", f"{r.takes[slot]:.2f}", "", f"{r.takes[slot] - prev:.2f}"])
            prev = r.takes[slot]
    rows.append(["… exported, job finished", "", f"{r.finished:.2f}", "", f"{r.finished - prev:.2f}"])
    rows.append(["cut in all (end of check → job finished)", "", f"{r.chain[-1].t1:.2f}", f"{r.finished:.2f}",
                 f"{r.tail:.2f}"])
    rows.append(["job returned", "", f"{r.finished:.2f}", f"{r.wall:.2f}", f"{r.wall - r.finished:.2f}"])
    return table(["critical chain step", "latency s", "start s", "end s", "gap before s"], rows)


def local_clip_work(fake: FakeXai, clip: Path, tmp: Path) -> tuple[float, float, float]:
    """Downloading (and probing) one fake MP4 from the fake's file server, extracting its last frame, and
    normalizing it to the cut's format."""
    (fake.media_dir / "bench-clip.mp4").write_bytes(clip.read_bytes())
    url = f"{fake.http_url}/bench-clip.mp4"

    def download():
        with urllib.request.urlopen(url, timeout=30) as resp:
            _probe(resp.read())
    return (median([timed(download) for _ in range(3)]),
            median([timed(lambda: media.frame_png(clip, at="last")) for _ in range(3)]),
            median([timed(lambda: media.normalize_clip(clip, tmp / "normalized.mp4")) for _ in range(3)]))


def main() -> None:
    other = OtherLoad()
    fake = FakeXai(latency=dict(LATENCY)).start()
    fake.valid_keys = {KEY}
    os.environ.update({"XAI_API_KEY": KEY, "DAILIES_XAI_HOST": fake.host, "DAILIES_XAI_RETRY_BASE": "0.01",
                       "DAILIES_XAI_POLL": str(POLL_S)})
    try:
        with tempfile.TemporaryDirectory(prefix="dailies-bench-xai-") as tmp:
            tmp = Path(tmp)
            faces = draw_faces(tmp)
            print("encoding the fake's MP4 and importing the SDK (not timed)...", file=sys.stderr)
            clip = Path(fake_media.video_file(5, fake_media.video_size("16:9", "720p")).result(timeout=300))
            import xai_sdk.chat  # noqa: F401 - imported on first use otherwise; not part of any schedule
            download_s, frame_s, normalize_s = local_clip_work(fake, clip, tmp)
            runs = []
            for n in SCENE_COUNTS:
                r = run_film(fake, tmp, faces, n)
                print(f"{n} scenes: {r.wall:.2f} s wall\n" + table(
                    ["step", "request arrived s", "latency ends s"],
                    [[s.what, f"{s.t0:.2f}", f"{s.t1:.2f}"] for s in r.steps]), file=sys.stderr)
                runs.append(r)
    finally:
        fake.stop()

    rows, parts = [], []
    for r in runs:
        ratio = r.wall / r.critical
        rows.append([r.scenes, len(r.steps), f"{r.wall:.2f}", f"{r.critical:.2f}", f"{ratio:.2f}",
                     f"{r.sequential:.1f}", f"{r.sequential / r.wall:.1f}x", verdict(ratio <= TARGET_RATIO)])
        glue = r.wall - r.critical - r.clip_wait
        parts.append([r.scenes, f"{r.latencies:.1f}", f"{r.seen - r.chain[-2].t1:.2f}",
                      f"{r.chain[-1].t0 - r.seen:.2f}", f"{r.tail:.2f} ({r.normalized} of {r.clip_assets})",
                      f"{r.clip_wait:.2f}", f"{glue:.2f}"])
    summary = table(["scenes", "requests (no polls)", "wall s", "critical path s", "wall / critical",
                     "sequential s", "sequential / wall", f"target ≤ {TARGET_RATIO}x"], rows)
    breakdown = table(["scenes", "latencies on the path s", "+ poll s", "+ download, store & last frame s",
                       "+ cut s (clips normalized of distinct)", "off path: keyframe take → clip start s",
                       "off path: glue s"], parts)
    worst = max(runs, key=lambda r: r.wall / r.critical)
    chain_glue = sum(worst.gap_before(i) for i in range(len(worst.chain) - 1))
    scenes = " / ".join(str(r.scenes) for r in runs)
    hold = " / ".join(f"{median(r.hold):.2f}" for r in runs)
    key_pace = LATENCY["image"] + LATENCY["check"]
    body = f"""## 5. Scheduling through the real xai provider and a fake xAI server

The real `xai` provider (xai_sdk.Client over gRPC) against the fake xAI server of the tests on
127.0.0.1 with fixed latencies — plan (chat) {LATENCY['chat']:.0f} s, image {LATENCY['image']:.0f} s,
check {LATENCY['check']} s, video {LATENCY['video']:.0f} s until done, polled every {POLL_S} s — runs the
whole `make` job in-process, 2 characters x n scenes. Critical path = plan + slowest sheet
(image + check) + n x (keyframe + check) + last clip (video + check) + the cut, with the real
work on that path measured in the run from the fake's request times and the job's finish time
(seeing the video done, downloading and probing it, storing it and extracting its last frame;
the cut). Of the process-wide rate limits only the image one (5/s) shows: the second sheet starts
0.2 s after the first. Video starts (1/s) and clip workers (`parallel_clips` = 4) do not bind at this pace.

{summary}

Critical path and the rest of the wall time (wall = critical path + keyframe take → clip start + glue):

{breakdown}

- standalone, before the runs, on the fake's 5 s MP4: downloading + probing {download_s:.2f} s;
  last-frame extraction (`media.frame_png`) {frame_s:.2f} s; normalizing it for the cut
  (`media.normalize_clip`) {normalize_s:.2f} s. The fake serves one MP4 for
  every clip, so the cut normalizes once per run; {runs[-1].scenes} distinct clips would cost about
  {runs[-1].scenes * normalize_s:.1f} s there, all after the last clip's check
- a clip holds its worker for {hold} s ({scenes} scenes; median of video {LATENCY['video']:.0f} s + poll +
  download + store + last frame + check {LATENCY['check']} s), so 4 workers take one clip per
  ~{median(runs[-1].hold) / 4:.2f} s while the keyframe chain offers one per {key_pace:.1f} s + glue
- glue between the steps of the {worst.scenes}-scene chain before the last clip's check
  (the fake drawing and base64-encoding each image, gRPC, decoding, storing, data URIs, the
  database): {chain_glue:.2f} s in all

The {runs[-1].scenes}-scene critical chain as it happened (start = the request arrived at the fake):

{chain_table(runs[-1])}
"""
    update_section("xai_scheduling", body, other)


if __name__ == "__main__":
    main()
