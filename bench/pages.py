"""Page speed: each workbench page's script run, server side, on a big project.

A project with 20 scenes and 10 takes in every keyframe, clip and sheet slot is
built quickly and honestly: a real offline plan, then takes whose assets are
real, distinct files (a keyframe with the take number drawn on it; a 1 s clip
encoded from it), so every thumbnail is a real decode the first time. Each page
is then run with AppTest: once cold (thumbnails are made and cached by asset
hash) and five times warm. Target: every page at most 0.5 s warm. Pages must not
read whole videos to show a list, so Generate shows posters and plays one clip.
"""
from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, OtherLoad, table, update_section, verdict

SCENES, TAKES, TARGET = 20, 10, 0.5
PAGES = ["story", "design", "shooting", "generate", "history", "settings"]


def build(home: Path) -> None:
    from PIL import Image, ImageDraw

    from core import jobs, media
    from core.pipeline.edits import approve_story
    from core.pipeline.plan import add_reference
    from core.providers import get_provider
    from core.providers.base import KeyframeRequest
    from core.store import Project
    from common import CONCEPT, draw_faces

    project = Project.open(home / "big")
    for name, photo in draw_faces(home).items():
        add_reference(project, name, photo.read_bytes(), filename=photo.name)
    jobs.submit(project, "plan", {"concept": CONCEPT, "scenes": SCENES}, background=False)
    approve_story(project)
    from core.pipeline.plan import story_of
    plan = story_of(project.takes.head("story"))
    base_png = get_provider("offline").compose_keyframe(KeyframeRequest(
        scene=plan.scenes[0], style=plan.style, palette=plan.palette, references=[], reference_roles=[],
        prompt="bench")).data
    base = Image.open(io.BytesIO(base_png)).convert("RGB")

    def still(label: str) -> bytes:
        im = base.copy()
        ImageDraw.Draw(im).text((40, 40), label, fill="white", font_size=64)
        buf = io.BytesIO()
        im.save(buf, "PNG", compress_level=1)
        return buf.getvalue()

    def clip(png: bytes) -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            src, out = Path(tmp) / "k.png", Path(tmp) / "c.mp4"
            src.write_bytes(png)
            media.run(["-loop", "1", "-i", str(src), "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo",
                       "-t", "1", *media.h264_args(preset="ultrafast"), "-shortest", str(out)], what="bench clip")
            return out.read_bytes()

    slots = [f"sheet/{c.name}" for c in plan.characters]
    for n in range(1, SCENES + 1):
        slots += [f"keyframe/{n}", f"clip/{n}"]
    for slot in slots:
        for t in range(TAKES):
            png = still(f"{slot} take {t + 1}")
            data, ext = (clip(png), "mp4") if slot.startswith("clip/") else (png, "png")
            take = project.takes.add(slot, asset=project.assets.put(data, ext), score=0.9, variant=t,
                                     recipe=f"bench:{slot}")
        project.takes.set_heads({slot: take.id})
    project.close()


def time_pages(home: Path) -> list[list[object]]:
    from streamlit.testing.v1 import AppTest

    rows = []
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.query_params["project"] = "big"
        at.run()
        at.switch_page(f"pages/{page}.py")
        t0 = time.perf_counter()
        at.run()
        cold = time.perf_counter() - t0
        assert not at.exception, [e.value for e in at.exception]
        assert at.title[0].value == page.capitalize(), page
        assert not [i for i in at.info if "No project is open" in i.value], f"{page} did not open the project"
        warm = []
        for _ in range(5):
            t0 = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - t0)
        med = statistics.median(warm)
        rows.append([page, f"{cold:.2f}", f"{med:.3f}", f"{max(warm):.3f}", verdict(med <= TARGET)])
    return rows


def main() -> None:
    other = OtherLoad()
    with tempfile.TemporaryDirectory(prefix="dailies-bench-pages-") as tmp:
        home = Path(tmp)
        os.environ["DAILIES_HOME"] = str(home)
        t0 = time.perf_counter()
        build(home)
        built = time.perf_counter() - t0
        print(f"built the project in {built:.1f} s", file=sys.stderr)
        rows = time_pages(home)
    body = f"""## 4. Page script runs on a big project

{SCENES} scenes, {TAKES} takes in every sheet, keyframe and clip slot (real, distinct images and
1 s clips), run with Streamlit's AppTest in-process. "Cold" is the first run of a page (it makes
and caches thumbnails by asset hash); "warm" is the median of the next five. Target: ≤ {TARGET} s warm.

{table(["page", "cold s", "warm median s", "warm max s", f"target ≤ {TARGET} s"], rows)}
"""
    update_section("pages", body, other)


if __name__ == "__main__":
    main()
