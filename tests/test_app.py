"""The workbench through Streamlit's AppTest: every page in every state, and a whole film driven by clicks."""
from __future__ import annotations

import shutil
import time

import pytest
from streamlit.testing.v1 import AppTest

from core import jobs
from core.store import Project
from tests.conftest import ROOT

PAGES = ["pages/story.py", "pages/design.py", "pages/shooting.py", "pages/generate.py", "pages/history.py",
         "pages/library.py",
         "pages/settings.py"]


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


def open_project(at: AppTest, folder: str) -> AppTest:
    at.query_params["project"] = folder
    return at


def assert_clean(at: AppTest, page: str) -> None:
    assert not at.exception, f"{page}: {[e.value for e in at.exception]}"
    assert not [e.value for e in at.error], f"{page}: {[e.value for e in at.error]}"


def wait_for_jobs(at: AppTest, project_path, timeout=300, *, until: str = "succeeded") -> AppTest:
    project = Project.open(project_path)
    deadline = time.monotonic() + timeout
    while jobs.active(project) and time.monotonic() < deadline:
        time.sleep(0.3)
        at.run()  # what a person's browser does: the page keeps polling
    at.run()
    last = jobs.recent(project, 1)[0]
    assert last["status"] == until, last["message"]
    return at


def button(at: AppTest, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, f"no button {label!r}; buttons: {[b.label for b in at.button]}"
    return found[0]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_no_project(page, workspace):
    at = app().run()
    at.switch_page(page).run()
    assert_clean(at, page)
    assert any("No project is open" in i.value for i in at.info)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_a_fresh_project(page, workspace):
    Project.open(workspace / "fresh").close()
    at = open_project(app(), "fresh").run()
    at.switch_page(page).run()
    assert_clean(at, page)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_a_finished_film(page, workspace, finished_film):
    shutil.copytree(finished_film, workspace / "harbour")
    at = open_project(app(), "harbour").run()
    at.switch_page(page).run()
    assert_clean(at, page)


def test_generate_says_when_a_paid_render_waits_to_be_collected(workspace, finished_film):
    shutil.copytree(finished_film, workspace / "harbour")
    project = Project.open(workspace / "harbour")
    at = open_project(app(), "harbour").run()
    at.switch_page("pages/generate.py").run()
    assert not [i for i in at.info if "not yet collected" in i.value]
    project.calls.started("r1:abc", provider="xai", request_id="req-1", job=None, slot="clip/2")
    at.run()
    assert_clean(at, "generate")
    assert [i.value for i in at.info if "1 video render(s) already paid for and not yet collected (clip/2)" in i.value]
    project.close()


def test_a_whole_film_by_clicks(workspace, faces, tmp_path):
    at = app().run()
    at.text_input(key="new-project-name-page").set_value("Harbour Race")
    button(at, "Create project").click().run()
    assert at.query_params["project"] in ("harbour-race", ["harbour-race"])
    path = workspace / "harbour-race"

    at.text_area[0].set_value("Ada, a clockmaker, and Bo, a runaway kite, race the sunset across a windy harbour town")
    at.number_input[0].set_value(3)
    at.text_input[1].set_value("Ada, Bo")  # the names of the photos to come
    button(at, "Plan").click().run()
    wait_for_jobs(at, path)
    assert at.header[0].value == "Ada and Bo"
    button(at, "Approve story").click().run()

    at.switch_page("pages/design.py").run()
    for name in ("Ada", "Bo"):
        at.file_uploader(key=f"upload-{name}").upload(f"{name.lower()}.png", faces[name].read_bytes(), "image/png")
    at.run()
    assert_clean(at, "design")
    project = Project.open(path)
    assert project.takes.head("reference/Ada") and project.takes.head("reference/Bo")

    at.switch_page("pages/generate.py").run()
    button(at, "Run all").click().run()
    run = jobs.recent(project, 1)[0]["id"]
    # A project made in the app is in review mode: the run stops after each stage, on that stage's page.
    for page, stage in (("pages/design.py", "sheets"), ("pages/shooting.py", "keyframes"),
                        ("pages/generate.py", "clips")):
        wait_for_jobs(at, path, until="waiting")
        assert jobs.get(project, run)["waiting"] == stage
        at.switch_page(page).run()
        assert_clean(at, page)
        button(at, "Approve and continue").click().run()
    wait_for_jobs(at, path)
    assert jobs.get(project, run)["status"] == "succeeded"  # the same job, continued at every gate
    cut = project.takes.head("cut")
    assert cut is not None and [v for v in at.get("video")]

    heads = project.takes.head_ids()
    button(at, "Regenerate scene 2").click().run()
    wait_for_jobs(at, path)
    after = project.takes.head_ids()
    assert {s for s in after if after[s] != heads.get(s)} == {"keyframe/2", "clip/2", "cut"}

    button(at, "Export MP4").click().run()
    wait_for_jobs(at, path)
    exported = jobs.recent(project, 1)[0]["result"]["path"]
    assert exported.endswith(".mp4") and (path / "exports").is_dir()
    assert [d for d in at.get("download_button")]
    assert_clean(at, "generate")


def test_an_upload_that_is_not_an_image_is_refused_and_nothing_is_stored(workspace, finished_film):
    shutil.copytree(finished_film, workspace / "harbour")
    at = open_project(app(), "harbour").run()
    at.switch_page("pages/design.py").run()
    project = Project.open(workspace / "harbour")
    before = project.takes.count("reference/Ada")
    at.file_uploader(key="upload-Ada").upload("holiday.png", b"not really a png", "image/png")
    at.run()
    assert any("holiday.png" in e.value and "not a readable image" in e.value for e in at.error)
    assert project.takes.count("reference/Ada") == before


def test_the_export_settings_form_is_the_export_model(workspace, finished_film):
    from core.render.timeline import options

    shutil.copytree(finished_film, workspace / "harbour")
    at = open_project(app(), "harbour").run()
    at.switch_page("pages/generate.py").run()
    shown = {o.label for o in options() if o.app}
    labels = {w.label for w in [*at.selectbox, *at.checkbox, *at.slider, *at.text_input]}
    assert {s for s in shown if s != "Music under the whole film"} <= {lb.split(":")[0] for lb in labels}
    next(s for s in at.selectbox if s.label == "Subtitles").set_value("burn")
    next(c for c in at.checkbox if c.label == "Title card").check()
    next(t for t in at.text_input if t.label == "Line under the title").input("a film by the harbour")
    button(at, "Save export settings").click().run()
    assert_clean(at, "generate")
    saved = Project.open(workspace / "harbour").setting("export_settings")
    assert saved["subtitles"] == "burn" and saved["title_card"] is True
    assert saved["subtitle_line"] == "a film by the harbour" and saved["transition"] is None


def test_a_run_in_review_mode_waits_on_each_page_and_approve_continues_it(workspace):
    from core.pipeline import gates
    from tests.conftest import CONCEPT

    project = Project.open(workspace / "gated")
    gates.set_review_mode(project, True)
    job = jobs.submit(project, "make", {"concept": CONCEPT, "scenes": 1}, background=False)
    at = open_project(app(), "gated").run()
    assert_clean(at, "story")
    assert any("waits for your approval of the plan" in m.value for m in at.markdown)
    button(at, "Approve and continue").click().run()
    deadline = time.monotonic() + 120
    while jobs.get(project, job)["status"] != "waiting" and time.monotonic() < deadline:
        time.sleep(0.3)
    assert jobs.get(project, job)["waiting"] == "sheets"
    at.switch_page("pages/design.py").run()
    assert_clean(at, "design")
    assert any("waits for your approval of the sheets" in m.value for m in at.markdown)
    project.close()


def test_an_edit_in_words_from_the_design_page_makes_a_child_take(workspace, finished_film):
    shutil.copytree(finished_film, workspace / "harbour")
    at = open_project(app(), "harbour").run()
    at.switch_page("pages/design.py").run()
    project = Project.open(workspace / "harbour")
    before = project.takes.head("sheet/Ada")
    at.text_input(key="edit-sheet-0-text").set_value("brighter")
    button(at, "Edit").click().run()
    wait_for_jobs(at, workspace / "harbour")
    after = project.takes.head("sheet/Ada")
    assert after.parent == before.id and after.note == "brighter"
    at.run()
    assert_clean(at, "design")
    assert any("Edits: “brighter”" in c.value for c in at.caption)
    project.close()


def test_accept_anyway_on_a_take_under_the_bar_shows_it_overridden(workspace, finished_film):
    shutil.copytree(finished_film, workspace / "harbour")
    project = Project.open(workspace / "harbour")
    head = project.takes.head("sheet/Bo")
    low = project.takes.write("sheet/Bo", asset=head.asset, inputs=head.inputs, origin="generated", score=0.55,
                              recipe=head.recipe, variant=head.variant + 1, parent=head.id,
                              payload={"attempts": [{"attempt": 1, "score": 0.55, "issues": ["the nose drifts"]}]})
    at = open_project(app(), "harbour").run()
    at.switch_page("pages/design.py").run()
    assert_clean(at, "design")
    assert any("the nose drifts" in m.value for m in at.markdown)  # the check's problems, readable
    button(at, "Accept anyway").click().run()
    assert_clean(at, "design")
    assert project.tags.override(low.id)["source"] == "app"
    assert not [b for b in at.button if b.label == "Accept anyway"]
    assert any("Accepted anyway from the app" in c.value for c in at.caption)
    project.close()


def test_a_voice_chosen_on_the_design_page_is_the_speakers_voice(workspace, finished_film):
    from core.models import VOICES
    from core.pipeline.status import status
    from core.pipeline.voices import line_rows

    shutil.copytree(finished_film, workspace / "harbour")
    project = Project.open(workspace / "harbour")
    before = status(project)["voices"]
    at = open_project(app(), "harbour").run()
    at.switch_page("pages/design.py").run()
    assert_clean(at, "design")
    picks = {s.key: s for s in at.selectbox if (s.key or "").startswith("voice-")}
    assert {f"voice-{n}-{before[n]}" for n in ("Ada", "Bo", "Narrator")} <= set(picks)
    other = next(v for v in VOICES if v not in before.values())
    picks[f"voice-Bo-{before['Bo']}"].set_value(other).run()
    assert_clean(at, "design")
    assert status(project)["voices"] == {**before, "Bo": other}
    redo = [f"scene {r.position} line {r.line}" for r in line_rows(project) if r.speaker == "Bo" and r.stale]
    assert redo and not [r for r in line_rows(project) if r.speaker != "Bo" and r.stale]
    assert any(m.value.startswith("Bo now speaks as") and ", ".join(redo) in m.value for m in at.success)
    assert at.selectbox(key=f"voice-Bo-{other}").value == other  # the select shows the voice now in use
    project.close()


def test_the_story_pages_line_editor_saves_a_scenes_lines(workspace, finished_film):
    from core.models import NARRATOR
    from core.pipeline.plan import story_of

    shutil.copytree(finished_film, workspace / "harbour")
    project = Project.open(workspace / "harbour")
    story = project.takes.head("story")
    first = story_of(story).scenes[0]
    at = open_project(app(), "harbour").run()
    assert_clean(at, "story")
    editor = f"story-lines-{first.scene_id}-{story.id}"
    assert list(at.data_editor(key=editor).value["text"]) == [x.text for x in first.lines]
    at.session_state[editor] = {"edited_rows": {0: {"text": "The harbour bell rings twice.", "delivery": "whisper"}},
                                "added_rows": [{"speaker": NARRATOR, "text": "Then the wind drops.",
                                                "delivery": "plain"}],
                                "deleted_rows": []}
    button(at, "Save lines").click().run()
    assert_clean(at, "story")
    saved = story_of(project.takes.head("story")).scene(first.scene_id).lines
    assert [(x.text, x.delivery) for x in saved][0] == ("The harbour bell rings twice.", "whisper")
    assert (saved[-1].speaker, saved[-1].text, saved[-1].delivery) == (NARRATOR, "Then the wind drops.", "")
    assert len(saved) == len(first.lines) + 1
    assert any(m.value.startswith(f"Saved {len(saved)} lines of scene 1") for m in at.success)
    # A speaker who is not in the scene: one error line, nothing saved.
    head = project.takes.head("story")
    outsider = next(c.name for c in story_of(head).characters if c.name not in first.characters_present) \
        if len(first.characters_present) < len(story_of(head).characters) else "Nobody"
    at.session_state[f"story-lines-{first.scene_id}-{head.id}"] = {
        "edited_rows": {0: {"speaker": outsider}}, "added_rows": [], "deleted_rows": []}
    button(at, "Save lines").click().run()
    assert not at.exception
    assert len(at.error) == 1 and outsider in at.error[0].value and "\n" not in at.error[0].value
    assert project.takes.head("story").id == head.id
    project.close()


def test_saving_the_shot_list_keeps_each_scenes_lines(workspace, finished_film):
    from core.pipeline.plan import story_of

    shutil.copytree(finished_film, workspace / "harbour")
    project = Project.open(workspace / "harbour")
    story = project.takes.head("story")
    before = story_of(story)
    at = open_project(app(), "harbour").run()
    at.switch_page("pages/shooting.py").run()
    assert_clean(at, "shooting")
    table = at.data_editor(key=f"shots-{story.id}").value
    assert list(table["lines"]) == [f"{len(s.lines)}: " + ", ".join(dict.fromkeys(x.speaker for x in s.lines))
                                    if s.lines else "" for s in before.scenes]
    at.session_state[f"shots-{story.id}"] = {"edited_rows": {0: {"mood": "stormy"}}, "added_rows": [],
                                             "deleted_rows": []}
    button(at, "Save shot list").click().run()
    assert_clean(at, "shooting")
    after = story_of(project.takes.head("story"))
    assert after.scenes[0].mood == "stormy"
    assert [s.lines for s in after.scenes] == [s.lines for s in before.scenes]
    project.close()


def test_the_generate_page_hands_the_cut_to_an_editor(workspace, finished_film):
    import shutil

    import opentimelineio as otio

    path = workspace / "harbour"
    shutil.copytree(finished_film, path)
    at = open_project(app(), "harbour")
    at.switch_page("pages/generate.py").run()
    at.radio(key="handoff-format").set_value(".xml").run()
    button(at, "Write the timeline").click().run()
    wait_for_jobs(at, path)
    done = jobs.recent(Project.open(path), 1)[0]["result"]["handoff"]
    assert done["path"].endswith(".xml") and done["format"] == "Final Cut Pro 7 XML"
    tl = otio.adapters.read_from_file(done["path"])
    assert len([c for c in tl.video_tracks()[0] if isinstance(c, otio.schema.Clip)]) == done["clips"] == 3
    assert any(done["path"] in m.value and "Final Cut Pro 7 XML" in m.value for m in at.markdown)
    assert_clean(at, "generate")


def test_a_character_saved_on_the_design_page_is_cast_into_another_film(workspace, finished_film):
    import shutil

    for name in ("harbour", "second"):
        shutil.copytree(finished_film, workspace / name)
    at = open_project(app(), "harbour")
    at.switch_page("pages/design.py").run()
    button(at, "Save to the character library").click().run()  # the first character: Ada
    assert_clean(at, "design")
    second = Project.open(workspace / "second")
    story = second.takes.head("story").id
    at = open_project(app(), "second")
    at.switch_page("pages/design.py").run()
    at.selectbox(key="cast-pick").set_value("ada").run()
    button(at, "Cast into this film").click().run()
    assert_clean(at, "design")
    # the same film copied: Ada's sheet is already that file, so it stays, now kept; nothing was made or paid for
    sheet = second.takes.head("sheet/Ada")
    assert sheet.asset == Project.open(workspace / "harbour").takes.head("sheet/Ada").asset
    assert second.tags.has(sheet.id, "keep") and second.takes.head("story").id == story
    assert any("Cast Ada" in t.value for t in at.toast)


def test_tags_set_on_the_page_or_elsewhere_both_hold(workspace, finished_film):
    import shutil

    path = workspace / "harbour"
    shutil.copytree(finished_film, path)
    project = Project.open(path)
    sheet = project.takes.head("sheet/Ada")
    at = open_project(app(), "harbour")
    at.switch_page("pages/design.py").run()
    pills = at.button_group(key=f"sheet-0-tags-{sheet.id}")
    pills.set_value(["love"]).run()
    assert project.tags.of(sheet.id) == ["love"]  # the person's click
    project.tags.add(sheet.id, "keep")  # set elsewhere (the CLI, a cast) while the page is open
    at.run()
    assert project.tags.of(sheet.id) == ["keep", "love"]
    assert at.button_group(key=f"sheet-0-tags-{sheet.id}").value == ["keep", "love"]
    assert_clean(at, "design")
