"""Benchmark 9 — the library at scale: 5,000 takes listed and searched.

Setup (not timed): a workspace of 5 projects with 1,000 synthetic takes each (keyframes, clips,
sheets and lines with prompts drawn from a vocabulary, a tenth of them tagged, a third of them
heads), written through the store, so the search index is built by its own triggers.

Measured, best of 5, in one run:
  (a) baseline: the same takes read with one plain `SELECT * FROM takes` per project (no joins,
      no search), and a LIKE scan of the payloads for one word (what a search without an index is);
  (b) the library over all 5 projects: the whole list (newest first, tags and branches joined),
      a one-word search, a two-word search with a kind filter, and the unused filter.
Target: every (b) under 0.5 s.
"""
from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from common import OtherLoad, table, update_section, verdict

PROJECTS, PER_PROJECT, REPEAT, TARGET_S = 5, 1000, 5, 0.5
WORDS = ("lighthouse storm harbour valley forest desert snow city street workshop rain fog dawn dusk night "
         "gull fox owl kite clock lantern boat bridge tower market garden river mountain cliff cave moon").split()


def build(root: Path) -> list[Path]:
    from core.store import Project

    rng = random.Random(7)
    paths = []
    for p in range(PROJECTS):
        project = Project.open(root / f"film-{p}")
        for n in range(PER_PROJECT):
            slot = rng.choice(["keyframe", "clip", "sheet", "line"]) + f"/{n % 12 + 1}"
            prompt = " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 40)))
            take = project.takes.add(slot, payload={"prompt": prompt, "attempts": [{"score": 0.9}]},
                                     origin="generated", model="bench", cost_usd=rng.choice([0, 0.02, 0.05]))
            if n % 10 == 0:
                project.tags.add(take.id, "love")
            if n % 3 == 0:
                project.takes.set_heads({slot: take.id})
        project.close()
        paths.append(project.path)
    return paths


def main() -> None:
    other = OtherLoad()
    import sqlite3

    from core.library import workspace_items

    with tempfile.TemporaryDirectory() as tmp:
        paths = build(Path(tmp))

        def best(fn) -> float:
            times = []
            for _ in range(REPEAT):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
            return min(times)

        def plain():
            for p in paths:
                with sqlite3.connect(p / "project.db") as db:
                    db.execute("SELECT * FROM takes").fetchall()

        def like():
            for p in paths:
                with sqlite3.connect(p / "project.db") as db:
                    db.execute("SELECT id FROM takes WHERE payload LIKE '%lantern%'").fetchall()

        counts = {}

        def run(name, **filters):
            def go():
                counts[name] = len(workspace_items(paths, **filters))
            return best(go)

        rows = [["(a) plain SELECT of every take", f"{best(plain) * 1000:.0f}", PROJECTS * PER_PROJECT],
                ["(a) LIKE scan of the payloads for one word", f"{best(like) * 1000:.0f}", "-"]]
        measured = {"the whole list, newest first": run("all"),
                    "search: lantern": run("one", query="lantern"),
                    "search: storm lighthouse, keyframes only": run("two", query="storm lighthouse", kind="keyframe"),
                    "unused takes": run("unused", unused=True)}
        keys = ["all", "one", "two", "unused"]
        for (what, seconds), key in zip(measured.items(), keys):
            rows.append([f"(b) library: {what}", f"{seconds * 1000:.0f}", counts[key]])
    slowest = max(measured.values())
    body = f"""## 9. The library at scale

{PROJECTS} projects × {PER_PROJECT} synthetic takes (prompts of 12 to 40 words, a tenth tagged, a third heads),
listed and searched across the workspace with `core.library.workspace_items` (opening each project included).

{table(["what", f"best of {REPEAT} ms", "takes"], rows)}

- slowest library query: **{slowest * 1000:.0f} ms** (target < {TARGET_S * 1000:.0f} ms): {verdict(slowest < TARGET_S)}
"""
    update_section("library", body, other)


if __name__ == "__main__":
    main()
