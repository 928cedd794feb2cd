"""Benchmark 1 — an offline film made from the command line, the way a user makes one.

Measured: the wall time of `python -m core make` run as a subprocess (interpreter start,
imports and all) for 2 characters (two real face photos) x 3 scenes x 5 s with the offline
provider, each run in a fresh project and a fresh DAILIES_HOME; 3 runs, min and median.
The CPU time of the child process is reported too: on 2 cores the wall time cannot drop
below half of it. Then a second `make` on the unchanged project, which should reuse every
take: its wall time and the number of provider calls it logged (expected 0).

Where the time goes comes from the last run's call log (calls per operation, summed
latency) and the clip attempts: a clip whose drift check fails is animated again.

The faces are two real photos (tests/data/faces), as a new user's would be, so the face-aware steps (the
cut-outs, the likeness measure) do their real work.

Baseline, measured in the same run: a bare ffmpeg encode of a film of the same length (a synthetic 1280x720
24 fps picture and sound, ffmpeg's own default settings: libx264 at its default preset, AAC), best of 3. It
says what this machine does with the film's length when there is nothing to make, only frames to encode.

Targets: a fresh `make` in at most 20 s wall on this 2-core machine, and within 2x the bare encode.
"""
from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from common import CONCEPT, ROOT, OtherLoad, median, table, update_section, verdict

RUNS = 3
SCENES = 3
TARGET_S = 20.0
TARGET_X = 2.0
PHOTOS = {"Ada": ROOT / "tests" / "data" / "faces" / "astronaut.jpg",
          "Bo": ROOT / "tests" / "data" / "faces" / "poker-grey-shirt.jpg"}


def film_seconds(project: Path) -> float:
    from core.media import probe_video

    export = max((project / "exports").glob("*.mp4"), key=lambda p: p.stat().st_mtime)
    return float(probe_video(export).duration)


def bare_encode(seconds: float, tmp: Path) -> float:
    """Wall seconds of one plain ffmpeg encode of `seconds` of 720p24 picture and sound, ffmpeg's defaults."""
    from core.media import ffmpeg_exe

    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
           "-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=24:duration={seconds:.2f}",
           "-f", "lavfi", "-i", f"anoisesrc=d={seconds:.2f}:c=pink:r=48000:a=0.1",
           "-c:v", "libx264", "-c:a", "aac", "-shortest", str(tmp / "bare.mp4")]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t0


def child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def make(project: Path, faces: dict[str, Path], home: Path) -> tuple[float, float]:
    """One `python -m core make`; returns (wall s, child CPU s). Fails loudly if the command fails."""
    env = {k: v for k, v in os.environ.items() if k != "XAI_API_KEY"}
    env["DAILIES_HOME"] = str(home)
    cmd = [sys.executable, "-m", "core", "make", CONCEPT, "--project", str(project), "--scenes", str(SCENES),
           "--provider", "offline", *[a for name, p in faces.items() for a in ("--ref", f"{name}={p}")]]
    cpu0, t0 = child_cpu(), time.perf_counter()
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, child_cpu() - cpu0
    if p.returncode != 0:
        sys.exit(f"`make` failed (exit {p.returncode}):\n{p.stderr[-2000:]}")
    return wall, cpu


def query(project: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(f"file:{project / 'project.db'}?mode=ro", uri=True) as db:
        return db.execute(sql).fetchall()


def job_seconds(project: Path, job_id: int) -> float:
    (started, finished), = query(project, f"SELECT started, finished FROM jobs WHERE id = {job_id}")
    return (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()


def main() -> None:
    other = OtherLoad()
    runs = []
    with tempfile.TemporaryDirectory(prefix="dailies-bench-make-") as tmp:
        tmp = Path(tmp)
        faces = PHOTOS
        for i in range(RUNS):
            project = tmp / f"run{i}" / "film"
            wall, cpu = make(project, faces, tmp / f"run{i}" / "home")
            runs.append((wall, cpu, job_seconds(project, 1)))
            print(f"run {i + 1}: {wall:.1f} s wall, {cpu:.1f} s CPU", file=sys.stderr)

        calls_before = query(project, "SELECT COUNT(*) FROM calls")[0][0]
        again_wall, again_cpu = make(project, faces, tmp / f"run{RUNS - 1}" / "home")
        new_calls = query(project, "SELECT COUNT(*) FROM calls")[0][0] - calls_before
        ops = query(project, "SELECT operation, COUNT(*), SUM(latency_s) FROM calls WHERE job = 1 "
                             "GROUP BY operation ORDER BY SUM(latency_s) DESC")
        attempts = query(project, "SELECT slot, COUNT(*) FROM calls WHERE job = 1 AND operation = 'animate_clip' "
                                  "GROUP BY slot ORDER BY slot")
        length = film_seconds(project)
        bare = min(bare_encode(length, tmp) for _ in range(3))

    walls = [w for w, _, _ in runs]
    cores = os.cpu_count()
    floors = [c / cores for _, c, _ in runs]
    best, med = min(walls), median(walls)
    met = med <= TARGET_S
    ratio = med / bare
    run_rows = [[i + 1, f"{w:.1f}", f"{c:.1f}", f"{j:.1f}", f"{w - j:.1f}"] for i, (w, c, j) in enumerate(runs)]
    run_table = table(["run", "wall s", "CPU s (user+sys)", "job s (in the DB)", "start-up + refs s"], run_rows)
    op_table = table(["operation (last run)", "calls", "summed latency s (parallel calls overlap)"],
                     [[op, n, f"{lat:.1f}"] for op, n, lat in ops])
    clip_attempts = ", ".join(f"{slot}: {n}" for slot, n in attempts)
    body = f"""## 1. Offline `make` from the command line

`python -m core make CONCEPT --scenes {SCENES} --ref Ada=… --ref Bo=… --provider offline` as a subprocess,
2 characters (two real photos, tests/data/faces) x {SCENES} scenes, fresh project and DAILIES_HOME each run.

{run_table}

- fresh `make`: min **{best:.1f} s**, median **{med:.1f} s** wall
- its CPU time over the {cores} cores, the floor for any schedule: min {min(floors):.1f} s, median {median(floors):.1f} s
- second `make` on the unchanged project: **{again_wall:.2f} s** wall ({again_cpu:.2f} s CPU),
  **{new_calls}** new provider calls
- target ≤ {TARGET_S:.0f} s wall (median): {verdict(met)}
- the film is {length:.1f} s long; a bare ffmpeg encode of that length (defaults, best of 3) takes **{bare:.1f} s**:
  the `make` is **{ratio:.2f}x** it; target ≤ {TARGET_X:.0f}x: {verdict(ratio <= TARGET_X)}

Where the time of the last fresh run went (its call log):

{op_table}

Clip animations per scene (1 = the drift check passed first time): {clip_attempts}.
"""
    update_section("make_offline", body, other)


if __name__ == "__main__":
    main()
