"""Benchmark 1 — an offline film made from the command line, the way a user makes one.

Measured: the wall time of `python -m core make` run as a subprocess (interpreter start,
imports and all) for 2 characters (two drawn face photos) x 3 scenes x 5 s with the offline
provider, each run in a fresh project and a fresh DAILIES_HOME; 3 runs, min and median.
The CPU time of the child process is reported too: on 2 cores the wall time cannot drop
below half of it. Then a second `make` on the unchanged project, which should reuse every
take: its wall time and the number of provider calls it logged (expected 0).

Where the time goes comes from the last run's call log (calls per operation, summed
latency) and the clip attempts: a clip whose drift check fails is animated again.

Target: a fresh `make` in at most 20 s wall on this 2-core machine.
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

from common import CONCEPT, ROOT, OtherLoad, draw_faces, median, table, update_section, verdict

RUNS = 3
SCENES = 3
TARGET_S = 20.0


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
        faces = draw_faces(tmp)
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

    walls = [w for w, _, _ in runs]
    cores = os.cpu_count()
    floors = [c / cores for _, c, _ in runs]
    best, med = min(walls), median(walls)
    met = med <= TARGET_S
    run_rows = [[i + 1, f"{w:.1f}", f"{c:.1f}", f"{j:.1f}", f"{w - j:.1f}"] for i, (w, c, j) in enumerate(runs)]
    run_table = table(["run", "wall s", "CPU s (user+sys)", "job s (in the DB)", "start-up + refs s"], run_rows)
    op_table = table(["operation (last run)", "calls", "summed latency s (parallel calls overlap)"],
                     [[op, n, f"{lat:.1f}"] for op, n, lat in ops])
    clip_attempts = ", ".join(f"{slot}: {n}" for slot, n in attempts)
    body = f"""## 1. Offline `make` from the command line

`python -m core make CONCEPT --scenes {SCENES} --ref Ada=… --ref Bo=… --provider offline` as a subprocess,
2 characters x {SCENES} scenes x 5 s, fresh project and DAILIES_HOME each run.

{run_table}

- fresh `make`: min **{best:.1f} s**, median **{med:.1f} s** wall
- its CPU time over the {cores} cores, the floor for any schedule: min {min(floors):.1f} s, median {median(floors):.1f} s
- second `make` on the unchanged project: **{again_wall:.2f} s** wall ({again_cpu:.2f} s CPU),
  **{new_calls}** new provider calls
- target ≤ {TARGET_S:.0f} s wall (median): {verdict(met)}

Where the time of the last fresh run went (its call log):

{op_table}

Clip animations per scene (1 = the drift check passed first time): {clip_attempts}.
"""
    update_section("make_offline", body, other)


if __name__ == "__main__":
    main()
