"""Shared by the benchmarks: the repository on sys.path, test faces, timing and RESULTS.md sections.

Each benchmark owns one section of RESULTS.md, delimited by HTML comments, and
replaces it in place (or appends it) so a single benchmark can be re-run without
touching the others. `run_all.py` rewrites the header (machine and date) first.
"""
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "RESULTS.md"
CONCEPT = "Ada, a clockmaker, and Bo, a runaway kite, race the sunset across a windy harbour town"


def draw_faces(folder: Path) -> dict[str, Path]:
    """The contract checker's face photos (one definition, in tests/fakes/faces.py)."""
    from tests.fakes.faces import draw_faces as draw

    return draw(folder)


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def best_of(n: int, fn: Callable[[], object]) -> float:
    return min(timed(fn) for _ in range(n))


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def utc_date() -> str:
    return subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip()


class OtherLoad:
    """CPU used by other processes while a benchmark runs: all busy CPU time (/proc/stat) minus our own and our
    children's. Other work on a 2-core machine (e.g. a test run) inflates every timing, so each section says."""

    def __init__(self):
        self.t0, self.busy0, self.own0 = time.monotonic(), self._busy(), self._own()

    @staticmethod
    def _busy() -> float:
        with open("/proc/stat") as f:
            user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, f.readline().split()[1:9])
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own() -> float:
        me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    def cores(self) -> float:
        """Average number of cores other processes kept busy since this object was made."""
        others = (self._busy() - self.busy0) - (self._own() - self.own0)
        return max(0.0, others / max(1e-9, time.monotonic() - self.t0))


def verdict(met: bool) -> str:
    return "**met**" if met else "**missed**"


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A Markdown table (also readable as plain text on stdout)."""
    cells = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def line(r: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"
    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, cells)])


def update_section(key: str, body: str, other: OtherLoad) -> None:
    """Print the section and replace it in RESULTS.md (or append it), leaving the other sections alone."""
    begin, end = f"<!-- begin {key} -->", f"<!-- end {key} -->"
    footer = (f"_Measured {utc_date()}. Other processes kept {other.cores():.2f} of {os.cpu_count()} cores busy "
              "on average meanwhile (0 = the machine was all ours)._")
    print(f"{body.strip()}\n\n{footer}")
    block = f"{begin}\n{body.strip()}\n\n{footer}\n{end}\n"
    text = RESULTS.read_text() if RESULTS.exists() else (
        "# Dailies benchmarks\n\nRun `make bench` (bench/run_all.py) for the machine description.\n\n")
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        rest = rest.split(end, 1)[1].lstrip("\n")
        text = head + block + ("\n" + rest if rest else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    RESULTS.write_text(text)


# -- the critical chain of a film job (benchmarks 3 and 5) ----------------------------------------------

@dataclass(frozen=True)
class Step:
    kind: str    # what it waited on: a key of the benchmark's table of waits
    what: str    # e.g. "sheet Ada", "check keyframe 2", "clip 3"
    t0: float    # start and end, in seconds
    t1: float


def critical_chain(steps: list[Step]) -> list[Step]:
    """plan, the sheet keyframe 1 waited for, keyframes 1..k, clip k: k is the clip whose check ended last."""
    by = {s.what: s for s in steps}
    k = max((s for s in steps if s.what.startswith("check clip ")), key=lambda s: s.t1).what.split()[-1]
    first_key = by["keyframe 1"]
    sheet = max((s for s in steps if s.what.startswith("check sheet ") and s.t1 <= first_key.t0),
                key=lambda s: s.t1).what.split()[-1]
    names = ["plan", f"sheet {sheet}", f"check sheet {sheet}"]
    names += [f"{x} {i}" for i in range(1, int(k) + 1) for x in ("keyframe", "check keyframe")]
    return [by[n] for n in [*names, f"clip {k}", f"check clip {k}"]]
