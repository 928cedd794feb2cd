"""Benchmark 7 — this tree against an earlier commit, in the same run, on the same machine.

Why: this machine's speed drifts from day to day (a shared host), so a number measured in
another session says little about a change. Here the earlier commit (BASE, default the
last benchmarked release) is checked out into a temporary git worktree and both trees make
the same offline film from the command line, alternating, RUNS times each: a fresh `make`
(2 characters x 3 scenes) and a second `make` on the unchanged project. Both use this
venv's packages, so only the code differs.

    .venv/bin/python bench/against_release.py [BASE]
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import CONCEPT, ROOT, OtherLoad, draw_faces, median, table, update_section

BASE = "51532ea"  # the release benchmarked before the Grok-today and re-cut work
RUNS = 3


def make(tree: Path, project: Path, home: Path, faces: dict[str, Path]) -> float:
    env = {**os.environ, "DAILIES_HOME": str(home), "PYTHONPATH": str(tree)}
    env.pop("XAI_API_KEY", None)
    args = [sys.executable, "-m", "core", "make", CONCEPT, "--project", str(project), "--scenes", "3",
            "--provider", "offline", *[a for n, p in faces.items() for a in ("--ref", f"{n}={p}")]]
    t0 = time.perf_counter()
    p = subprocess.run(args, cwd=tree, env=env, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise SystemExit(f"make in {tree} failed: {p.stderr.strip().splitlines()[-1:]}")
    return time.perf_counter() - t0


def main(base: str = BASE) -> None:
    load = OtherLoad()
    with tempfile.TemporaryDirectory(prefix="dailies-ab-") as tmp:
        tmp = Path(tmp)
        old = tmp / "base"
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(old), base], cwd=ROOT, check=True)
        try:
            (tmp / "faces").mkdir()
            faces = draw_faces(tmp / "faces")
            times: dict[str, dict[str, list[float]]] = {t: {"fresh": [], "again": []} for t in ("base", "this")}
            for i in range(RUNS):
                for name, tree in (("base", old), ("this", ROOT)):
                    project, home = tmp / f"{name}-{i}", tmp / f"home-{name}-{i}"
                    times[name]["fresh"].append(make(tree, project, home, faces))
                    times[name]["again"].append(make(tree, project, home, faces))
                    print(f"run {i + 1} {name}: fresh {times[name]['fresh'][-1]:.1f}s, "
                          f"again {times[name]['again'][-1]:.2f}s", file=sys.stderr)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT)
            shutil.rmtree(old, ignore_errors=True)
    rows = [[f"{name} ({base if name == 'base' else 'this tree'})", f"{median(t['fresh']):.1f}",
             f"{min(t['fresh']):.1f}", f"{median(t['again']):.2f}"] for name, t in times.items()]
    fresh = median(times["this"]["fresh"]) / median(times["base"]["fresh"])
    again = median(times["this"]["again"]) / median(times["base"]["again"])
    update_section("against_release", f"""## 7. This tree against {base}, in the same run

`python -m core make` (offline, 2 characters x 3 scenes) from each tree, alternating, {RUNS} times each;
the same venv, so only the code differs.

{table(["tree", "fresh make median s", "fresh min s", "make again median s"], rows)}

- this / base: fresh **{fresh:.2f}x**, again **{again:.2f}x** (1.00 = as fast; the plan checks, the
  models preflight and the scene links should cost nothing measurable)
""", load)


if __name__ == "__main__":
    main(*sys.argv[1:2])
