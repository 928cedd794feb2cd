"""The cut as a film: transitions, titles, subtitles, one soundtrack, presets, animatic, partial re-encodes."""
from __future__ import annotations

import re

import av
import pytest

from core import jobs, media
from core.errors import InputError
from core.pipeline.edits import edit_scenes
from core.pipeline.music import add_music
from core.pipeline.plan import story_of
from core.store import Project
from tests.conftest import integrated_loudness


@pytest.fixture(scope="session")
def music(tmp_path_factory):
    path = tmp_path_factory.mktemp("music") / "theme.m4a"
    media.run(["-f", "lavfi", "-i", "sine=f=220:d=40", "-f", "lavfi", "-i", "sine=f=330:d=40,volume=0.5",
               "-filter_complex", "amix=inputs=2", "-c:a", "aac", str(path)], what="making test music")
    return path


def export(project, **settings):
    job = jobs.submit(project, "export", {"settings": settings}, background=False)
    row = jobs.get(project, job)
    assert row["status"] == "succeeded", row["message"]
    return row["result"]["path"], project.takes.head("cut")


def film_seconds(project) -> int:
    """The plain cut's length: every scene lasts what its lines need, so not a fixed 5 s."""
    return sum(s.duration_seconds for s in story_of(project.takes.head("story")).scenes)


def with_transitions(project):
    rows = [s.model_dump() for s in story_of(project.takes.head("story")).scenes]
    rows[1].update(transition="crossfade", transition_seconds=1.0)
    rows[2].update(transition="fade", transition_seconds=1.0)
    edit_scenes(project, rows)


def test_a_finished_film_with_transitions_titles_burned_subtitles_and_music(film_copy, music):
    project = Project.open(film_copy)
    with_transitions(project)
    track = add_music(project, music.read_bytes(), filename="theme.m4a")
    path, cut = export(project, title_card=True, credits=True, subtitles="burn", music=track, clip_audio="duck")
    info = media.probe_video(path)
    assert (info.vcodec, info.width, info.height, round(info.fps)) == ("h264", 1280, 720, 24)
    with av.open(path) as c:
        assert len(c.streams.audio) == 1
    d1, d2, d3 = [s.duration_seconds for s in story_of(project.takes.head("story")).scenes]
    # 3 s title + the 3 scenes - 2 x 1 s transitions + 4 s credits
    assert abs(info.duration - (3 + d1 + d2 + d3 - 2 + 4)) < 0.1
    assert abs(integrated_loudness(path) - (-16.0)) <= 1.0
    srt = (film_copy / "exports" / path.rsplit("/", 1)[1]).with_suffix(".srt").read_text()
    starts = re.findall(r"(\d\d):(\d\d):(\d\d),(\d\d\d) -->", srt)
    seconds = [int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000 for h, m, s, ms in starts]
    # Scenes start after the title and meet halfway through each transition; each line's cue lies in its scene.
    spans = {"1": 3.0, "2": 3 + d1 - 0.5, "3": 3 + d1 + d2 - 1.5}
    assert cut.payload["scene_starts"] == pytest.approx(spans)
    for cue in cut.payload["cues"]:
        n = list(spans).index(str(cue["scene"]))
        end = list(spans.values())[n + 1] if n + 1 < len(spans) else info.duration - 4
        assert spans[str(cue["scene"])] + 0.2 <= cue["start"] < cue["end"] <= end
    assert seconds == pytest.approx([c["start"] for c in cut.payload["cues"]], abs=0.002)
    assert "Ada" in srt


@pytest.mark.parametrize("preset,aspect,fit,size", [("720p", "9:16", "crop", (720, 1280)),
                                                    ("1080p", "16:9", "crop", (1920, 1080)),
                                                    ("720p", "1:1", "letterbox", (720, 720))])
def test_export_presets_give_the_right_frame(film_copy, preset, aspect, fit, size):
    project = Project.open(film_copy)
    path, cut = export(project, preset=preset, aspect=aspect, fit=fit)
    info = media.probe_video(path)
    assert (info.width, info.height) == size and abs(info.duration - film_seconds(project)) < 0.1
    assert f"{preset}-{aspect.replace(':', 'x')}" in path and cut.payload["settings"]["aspect"] == aspect


def test_each_export_is_a_take_of_the_cut_and_the_same_export_is_reused(film_copy):
    project = Project.open(film_copy)
    before = project.takes.count("cut")
    _, a = export(project, preset="720p", aspect="1:1")
    _, b = export(project, preset="720p", aspect="1:1")
    assert a.id == b.id and project.takes.count("cut") == before + 1


def test_changing_one_scene_re_encodes_only_the_transitions_that_touch_it(film_copy):
    project = Project.open(film_copy)
    with_transitions(project)
    _, first = export(project)
    jobs.submit(project, "regenerate", {"scene": 2}, background=False)
    _, second = export(project)
    old, new = first.payload["parts"], second.payload["parts"]
    assert len(old) == len(new) == 5  # body 1, crossfade, body 2, fade, body 3
    assert old[0] == new[0] and old[4] == new[4]  # scenes 1 and 3: the same clip spans, copied again
    assert old[1] != new[1] and old[2] != new[2] and old[3] != new[3]  # scene 2's new clip and both transitions
    assert all("@" in new[i] for i in (0, 2, 4)) and not any("@" in new[i] for i in (1, 3))  # spans vs encodes


def test_the_soundtrack_is_mixed_once_per_mix_and_reused_by_exports_that_change_only_the_picture(film_copy):
    from core.render.film import SOUND_FORM

    project = Project.open(film_copy)

    def soundtracks():
        return {r["asset"]: r["meta"] for r in project.db.query("SELECT asset, meta FROM derived WHERE kind = ?",
                                                                  [SOUND_FORM])}
    _, first = export(project, subtitles="srt")
    _, second = export(project, subtitles="off", aspect="1:1")
    assert first.id != second.id and len(soundtracks()) == 1
    assert second.payload["loudness_in"] == first.payload["loudness_in"] is not None  # measured once, kept
    path, third = export(project, clip_audio="mute", dialogue=False)
    assert len(soundtracks()) == 2 and third.payload["loudness_in"] is None  # clips muted, no lines: silence
    with av.open(path) as c:
        assert max(abs(f.to_ndarray()).max() for f in c.decode(audio=0)) < 1e-3


def test_an_animatic_previews_the_film_from_keyframes(film_copy):
    project = Project.open(film_copy)
    calls = project.calls.totals()["total"]
    path, cut = export(project, animatic=True)
    assert cut.payload["animatic"] == [1, 2, 3] and "animatic" in path
    assert project.calls.totals()["total"] == calls  # free: no provider call
    assert abs(media.probe_video(path).duration - film_seconds(project)) < 0.1


def test_a_scene_without_a_clip_stands_in_as_an_animatic(film_copy):
    project = Project.open(film_copy)
    project.takes.set_heads({"clip/2": None})
    _, cut = export(project)
    assert cut.payload["animatic"] == [2]


def test_a_transition_longer_than_half_a_clip_is_refused(film_copy):
    project = Project.open(film_copy)
    rows = [s.model_dump() for s in story_of(project.takes.head("story")).scenes]
    rows[1].update(transition="crossfade", transition_seconds=2.0, duration_seconds=3)
    edit_scenes(project, rows)
    project.takes.set_heads({"clip/2": None})  # the animatic follows the new 3 s duration
    with pytest.raises(InputError, match="more than half a clip"):
        from core.pipeline.context import Context
        from core.pipeline.cut import assemble_cut
        from core.providers import get_provider
        from core.render.timeline import ExportSettings
        assemble_cut(Context(project=project, provider=get_provider("offline")), project.takes.head("story"),
                     ExportSettings())


def test_music_that_is_not_audio_is_refused(film_copy, tmp_path):
    project = Project.open(film_copy)
    with pytest.raises(InputError, match="not a readable audio file"):
        add_music(project, b"not music at all", filename="song.mp3")
    with pytest.raises(InputError, match="M4A"):
        add_music(project, b"x", filename="song.flac")
