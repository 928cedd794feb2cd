"""A real browser drives the real app: `streamlit run app.py` on a free port, Debian's Chromium through
Playwright. Create a project, plan, upload two faces, run all, wait for the cut, hear a line and see its cue,
give a character another voice, regenerate scene 2, export, download, write stems; a screenshot of every page
lands in tests/artifacts/ for a person to look at."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from core import jobs as _jobs
from core.pipeline.plan import add_reference as _add_reference
from core.pipeline.plan import story_of as _story_of
from tests.conftest import CONCEPT, ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (apt-get install chromium); "
                                       ".ci/run installs it")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(workspace):
    port = free_port()
    env = {**os.environ, "DAILIES_HOME": str(workspace)}
    # No file watcher: a source file edited while the test runs would make Streamlit unload every watched module,
    # core's registry of live jobs with them, and a running job would be taken for interrupted.
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--server.fileWatcherType", "none"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail(f"streamlit did not start: {proc.stdout.read().decode()[-2000:]}")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_a_person_makes_a_film_in_the_browser(server, faces, tmp_path, workspace):
    workspace_dir = workspace
    playwright = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
        page.set_default_timeout(60_000)

        def shot(name):
            # Streamlit scrolls inside its main block, so a full-page shot needs a tall viewport instead; a video
            # that loads late grows the page, so measure again until it stops growing.
            page.wait_for_timeout(800)
            height = 0
            for _ in range(3):
                now = page.evaluate("Math.max(...[...document.querySelectorAll('section, div')]"
                                    ".map(e => e.scrollHeight))")
                if now <= height + 60:
                    break
                height = now
                page.set_viewport_size({"width": 1440, "height": min(max(1000, height + 40), 6000)})
                page.wait_for_timeout(500)
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
            page.set_viewport_size({"width": 1440, "height": 1000})

        def go(title):
            page.get_by_role("link", name=title).first.click()
            page.get_by_role("heading", name=title, level=1).wait_for()

        def wait_idle(timeout=300_000):
            page.wait_for_timeout(1500)
            page.get_by_role("button", name="Cancel").wait_for(state="detached", timeout=timeout)
            page.wait_for_timeout(1500)

        page.goto(server)
        page.get_by_role("heading", name="Story", level=1).wait_for()
        shot("0-no-project")
        page.get_by_label("Project name").first.fill("Harbour Race")
        page.get_by_role("button", name="Create project").first.click()
        page.get_by_label("One line about the film").fill(CONCEPT)
        page.get_by_label("People whose photos you will upload").fill("Ada, Bo")
        page.get_by_role("button", name="Plan", exact=True).click()
        page.get_by_role("heading", name="Ada and Bo").wait_for(timeout=120_000)
        page.get_by_role("button", name="Approve story").click()
        page.get_by_text("approved").first.wait_for()
        shot("1-story")

        go("Design")
        for name in ("Ada", "Bo"):
            uploader = page.locator("[data-testid=stFileUploader]").filter(has_text=f"Upload photos of {name}")
            uploader.locator("input[type=file]").set_input_files(str(faces[name]))
            page.get_by_text(f"{name.lower()}.png").first.wait_for()
        page.wait_for_timeout(1500)
        shot("2-design-photos")

        go("Generate")
        page.get_by_role("button", name="Run all").click()
        # The app's projects are in review mode: the run waits after each stage for Approve and continue.
        for title, stage, name in (("Design", "sheets", "2-design-gate"), ("Shooting", "keyframes", "3-shooting-gate"),
                                   ("Generate", "clips", "4-generate-gate")):
            wait_idle()
            go(title)
            page.get_by_text(f"The run waits for your approval of the {stage}").wait_for(timeout=120_000)
            shot(name)
            page.get_by_role("button", name="Approve and continue").first.click()
        wait_idle()
        try:
            page.locator("video").first.wait_for(timeout=300_000)
        except Exception:
            shot("debug-cut")
            raise
        shot("4-generate")

        # The lines: each with its words and its cue in the cut, and a player of its own audio.
        from core.pipeline.status import status
        from core.pipeline.voice_cast import VOICE_LABELS
        from core.pipeline.voices import line_rows
        from core.store import Project as _Project

        project = _Project.open(next(workspace_dir.iterdir()))
        said, voices = line_rows(project), status(project)["voices"]
        project.close()
        assert said and not [r for r in said if r.stale]
        first = page.locator(f".st-key-line-{said[0].scene}-{said[0].line}")
        first.get_by_text(said[0].text).wait_for()
        first.get_by_text(re.compile(r"\d+\.\d\d–\d+\.\d\d s in the cut")).wait_for()
        audio = first.locator("audio")
        played = audio.evaluate("""a => new Promise(done => {
            const go = () => a.play().then(() => setTimeout(() => done([a.src, a.duration, a.currentTime]), 400),
                                           err => done([a.src, a.duration, -1, String(err)]));
            a.readyState >= 1 ? go() : a.addEventListener("loadedmetadata", go, {once: true});
        })""")
        assert played[0].startswith(server) and played[1] > 0 and played[2] > 0, played
        # Another voice for a speaker: the Design page says which lines need voicing, Generate marks them.
        speaker = next(r.speaker for r in said if r.speaker != said[0].speaker)
        theirs = [r for r in said if r.speaker == speaker]
        other = next(v for v in VOICE_LABELS if v not in voices.values())
        go("Design")
        for attempt in range(3):  # a click while the page still renders can land on a select about to be replaced
            page.wait_for_timeout(1000)
            page.locator("[data-testid=stSelectbox]").filter(has_text=f"Voice of {speaker}").first.click()
            try:
                page.get_by_role("option", name=VOICE_LABELS[other]).click(timeout=10_000)
                break
            except Exception:
                page.keyboard.press("Escape")
                if attempt == 2:
                    shot("debug-voice")
                    raise
        page.get_by_text(f"{speaker} now speaks as {VOICE_LABELS[other]}. Needs regen: scene "
                         f"{theirs[0].position} line {theirs[0].line}").wait_for()
        shot("2-design-voice")
        page.locator(f".st-key-voice-preview-{speaker}").get_by_role("button", name="Preview voice").click()
        wait_idle()
        page.get_by_text(f"Sample: {speaker} as {VOICE_LABELS[other]}").wait_for()
        assert page.locator("audio").first.evaluate(
            "a => new Promise(done => a.readyState >= 1 ? done(a.duration) : "
            "a.addEventListener('loadedmetadata', () => done(a.duration), {once: true}))") > 0
        go("Generate")
        stale_line = page.locator(f".st-key-line-{theirs[0].scene}-{theirs[0].line}")
        stale_line.get_by_text("needs regen").wait_for()
        assert stale_line.get_by_text(VOICE_LABELS[other]).count() == 1
        assert first.get_by_text("needs regen").count() == 0  # the other speaker's line is as it was
        page.get_by_role("button", name=f"Voice all lines ({len(theirs)})").wait_for()
        shot("4-generate-lines")

        page.get_by_role("button", name="Regenerate scene 2").click()
        wait_idle()
        assert stale_line.get_by_text("needs regen").count() == 0  # the new cut voiced them
        page.get_by_role("button", name="Export MP4").click()
        wait_idle()
        with page.expect_download() as info:
            page.get_by_role("button", name="Download MP4").click()
        saved = tmp_path / "film.mp4"
        info.value.save_as(saved)
        assert saved.stat().st_size > 50_000
        page.get_by_role("button", name="Write stems (WAV) for an editor").click()
        wait_idle()
        page.get_by_text("Stems written").wait_for()
        stems = next(workspace_dir.iterdir()) / "exports" / "stems"
        assert sorted(p.name.rsplit("-", 1)[1] for p in stems.iterdir()) == ["dialogue.wav", "effects.wav", "music.wav"]
        shot("5-generate-after-regenerate")

        go("Shooting")
        # An edit in words of keyframe 1, then one inside a region dragged on the picture.
        page.get_by_text("Edit in words").first.click()
        page.get_by_label("What to change").first.fill("brighter")
        page.get_by_role("button", name="Edit", exact=True).first.click()
        wait_idle()
        page.get_by_text("Edit in words").first.click()
        img = page.frame_locator("iframe[title*=image_coordinates]").first.locator("img")
        img.wait_for()
        page.wait_for_timeout(1000)
        box = img.bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.6, steps=8)
        page.mouse.up()
        try:
            page.get_by_text("Region:").first.wait_for(timeout=30_000)
        except Exception:
            shot("debug-region")
            raise
        page.get_by_label("What to change").first.fill("make it teal")
        page.get_by_role("button", name="Edit", exact=True).first.click()
        wait_idle()
        page.get_by_text("Edits: “brighter” → “make it teal”").first.wait_for()
        shot("3-shooting-edits")
        # Keep keyframe 2, change its scene upstream, Run all: it stays, shown kept and stale.
        page.get_by_text("Takes (").nth(1).click()
        page.get_by_role("button", name="keep").first.click()
        page.wait_for_timeout(1500)
        go("Story")
        desc = page.get_by_role("textbox", name="Frozen visual description").first
        desc.fill(desc.input_value() + " She now wears a bright yellow raincoat.")
        page.get_by_role("button", name="Save character").first.click()
        page.wait_for_timeout(1500)
        go("Generate")
        page.get_by_role("button", name="Run all").click()
        for title in ("Design", "Shooting", "Generate"):
            wait_idle()
            go(title)
            button = page.get_by_role("button", name="Approve and continue")
            if button.count():
                button.first.click()
        wait_idle()
        go("Shooting")
        page.get_by_text("kept · stale").first.wait_for(timeout=60_000)
        shot("3-shooting")
        go("History")
        def selectbox(label):
            return page.locator("[data-testid=stMain] [data-testid=stSelectbox]").filter(has_text=label).first
        selectbox("Slot").click()
        page.keyboard.type("keyframe/1")
        page.keyboard.press("Enter")
        page.wait_for_timeout(1500)
        selectbox("Take").click()
        for said in ("brighter", "make it teal"):  # each edit is a take of its own, with what was said
            page.get_by_role("option").filter(has_text=said).first.wait_for()
        page.keyboard.press("Escape")
        shot("6-history")
        # A check under the bar, accepted anyway from its score badge.
        project = _Project.open(next(workspace_dir.iterdir()))
        head = project.takes.head("sheet/Bo")
        project.takes.write("sheet/Bo", asset=head.asset, inputs=head.inputs, origin="generated", score=0.55,
                            recipe=head.recipe, variant=head.variant + 1, parent=head.id,
                            payload={"attempts": [{"attempt": 1, "score": 0.55, "issues": ["the nose drifts"]}]})
        project.close()
        go("Design")
        page.get_by_role("button").filter(has_text="score 0.55").first.click()
        page.get_by_text("the nose drifts").first.wait_for()
        page.get_by_role("button", name="Accept anyway").first.click()
        page.get_by_role("button").filter(has_text="score 0.55 · accepted").first.wait_for()
        shot("2-design-accepted")
        go("Settings")
        shot("7-settings")

        # The library: words of scene 1 find its keyframe; Open shows that take on History.
        project = _Project.open(next(workspace_dir.iterdir()))
        scene = _story_of(project.takes.head("story")).scenes[0]
        keyframe = project.takes.head(f"keyframe/{scene.scene_id}")
        project.close()
        go("Library")
        page.get_by_role("textbox", name="Search").fill(scene.action)
        page.keyboard.press("Enter")
        page.get_by_text(f"#{keyframe.id}").first.wait_for()
        shot("8-library")
        card = page.locator("[data-testid=stVerticalBlock]").filter(
            has_text=re.compile(rf"#{keyframe.id}\s+keyframe/{scene.scene_id}")).last
        card.get_by_role("button", name="Open").click()
        page.get_by_role("heading", name="History", level=1).wait_for()
        page.wait_for_timeout(1500)
        shot("8b-history-opened")
        # (which slot and take it shows is asserted in tests/test_library.py; here a person's click gets there)
        page.get_by_role("button", name="Restore this take").wait_for()

        # A second film of the same concept and photos waits on a re-use offer; taking every offer from the first
        # film finishes it with no picture or clip made.
        second = _Project.open(workspace_dir / "second")
        for name, photo in faces.items():
            _add_reference(second, name, photo.read_bytes(), filename=photo.name)
        job = _jobs.submit(second, "make", {"concept": CONCEPT, "scenes": 3}, background=False)
        assert _jobs.get(second, job)["waiting"] == "reuse"
        page.goto(f"{server}/?project=second")
        page.get_by_text(re.compile(r"asks: Re-use take #\d+ of Harbour Race")).wait_for()
        shot("9-reuse-offer")
        page.get_by_text("The same answer for every offer from Harbour Race").click()
        page.get_by_role("button", name="Re-use it").click()
        wait_idle()
        row = _jobs.get(second, job)
        assert row["status"] == "succeeded", row["message"]
        made = [c for c in second.calls.rows() if c["operation"] in ("make_sheet", "compose_keyframe", "animate_clip")]
        assert made == [] and second.takes.head("clip/1").origin == "reused"
        second.close()
        browser.close()

    from core.media import probe_video

    info = probe_video(saved)
    assert (info.vcodec, info.width, info.height) == ("h264", 1280, 720)
