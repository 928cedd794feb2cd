"""Run every benchmark and rewrite bench/RESULTS.md: the machine and date first, then one section each.

`make bench` runs this. Each benchmark is its own process (as `python bench/NAME.py` would
be), so one does not inherit another's imports, threads or caches; each writes its own
section. A benchmark that fails leaves a section saying so and the others still run.
"""
from __future__ import annotations

import platform
import subprocess
import sys

from common import RESULTS, ROOT, OtherLoad, update_section, utc_date

BENCHMARKS = ["make_offline", "export_concat", "scheduling", "pages", "xai_scheduling", "export_transitions",
              "against_release", "voices", "library"]


def out(cmd: list[str]) -> str:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True).stdout.strip()


def machine() -> list[tuple[str, str]]:
    import imageio_ffmpeg

    with open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "unknown")
    with open("/proc/meminfo") as f:
        kib = next(int(line.split()[1]) for line in f if line.startswith("MemTotal:"))
    commit = out(["git", "rev-parse", "--short", "HEAD"]) or "unknown"
    if out(["git", "status", "--porcelain", "--", "core"]):
        commit += " + uncommitted changes in core/"
    ffmpeg = out([imageio_ffmpeg.get_ffmpeg_exe(), "-version"]).splitlines()[0]
    return [("date", utc_date()), ("commit", commit), ("CPUs (nproc)", out(["nproc"])), ("CPU", cpu),
            ("RAM", f"{kib / 2**20:.1f} GiB"), ("OS", platform.platform()),
            ("Python", sys.version.split()[0]), ("ffmpeg", f"{ffmpeg} (imageio-ffmpeg {imageio_ffmpeg.__version__})")]


def main() -> int:
    rows = "\n".join(f"| {k} | {v} |" for k, v in machine())
    RESULTS.write_text(f"""# Dailies benchmarks

Written by `bench/run_all.py` (`make bench`). Each benchmark also runs alone
(`.venv/bin/python bench/NAME.py`) and then rewrites only its own section. Timings are
wall-clock; each section says how busy the machine was with other work meanwhile.

| machine | |
|---|---|
{rows}
""")
    failed = []
    for name in BENCHMARKS:
        print(f"== {name}", flush=True)
        other = OtherLoad()
        p = subprocess.run([sys.executable, str(ROOT / "bench" / f"{name}.py")], cwd=ROOT)
        if p.returncode != 0:
            failed.append(name)
            update_section(name, f"## {name}\n\n**Failed** (exit {p.returncode}); run "
                                 f"`.venv/bin/python bench/{name}.py` to see why.", other)
    print(f"\nwrote {RESULTS.relative_to(ROOT)}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
