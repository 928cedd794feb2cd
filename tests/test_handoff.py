"""Handing the cut to an editor: the OpenTimelineIO file reads back as the cut, and FCP XML and EDL open too."""
from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from core.cli import main
from core.pipeline.plan import story_of
from core.store import Project

FRAME = 1 / 24


def read(path: Path):
    return otio.adapters.read_from_file(str(path))


def local(url: str) -> Path:
    assert url.startswith("file://"), url
    return Path(url.removeprefix("file://"))


@pytest.fixture(scope="module")
def handed(tmp_path_factory, finished_film):
    """The shared film exported with a title, credits and 1 s crossfades, handed off as .otio."""
    import shutil

    path = tmp_path_factory.mktemp("handoff") / "film"
    shutil.copytree(finished_film, path)
    target = path.parent / "cut.otio"
    assert main(["export", "--project", str(path), "--title-card", "--credits", "--transition", "crossfade",
                 "--transition-seconds", "1", "--otio", str(target)]) == 0
    return path, target


def test_the_timeline_reads_back_as_the_cut(handed):
    path, target = handed
    project = Project.open(path)
    cut = project.takes.head("cut")
    plan = story_of(project.takes.head("story"))
    tl = read(target)
    video = tl.video_tracks()[0]
    clips = [i for i in video if isinstance(i, otio.schema.Clip)]
    assert [c.name for c in clips] == ["Title", *[f"Scene {i} · {s.title}" for i, s in
                                                  enumerate(plan.scenes, start=1)], "Credits"]
    # each scene's clip lasts what its scene lasts in the cut (from one scene's start to the next)
    starts = [cut.payload["scene_starts"][str(s.scene_id)] for s in plan.scenes]
    ends = [*starts[1:], cut.payload["duration"] - 4.0]  # the credits are the last 4 s
    for clip, a, b in zip(clips[1:-1], starts, ends):
        assert clip.duration().to_seconds() == pytest.approx(b - a, abs=FRAME)
    assert clips[0].duration().to_seconds() == pytest.approx(3.0)
    assert video.duration().to_seconds() == pytest.approx(cut.payload["duration"], abs=FRAME)
    # a dissolve at every boundary between scenes, half a second into each side
    transitions = [i for i in video if isinstance(i, otio.schema.Transition)]
    assert len(transitions) == len(plan.scenes) - 1
    assert all(t.transition_type == otio.schema.TransitionTypes.SMPTE_Dissolve and
               t.in_offset.to_seconds() == t.out_offset.to_seconds() == 0.5 for t in transitions)
    # the sound as three tracks the length of the film; the subtitles as markers at the cues
    audio = tl.audio_tracks()
    assert [t.name for t in audio] == ["Dialogue", "Music", "Effects"]
    assert all(t.duration().to_seconds() == pytest.approx(cut.payload["duration"], abs=FRAME) for t in audio)
    cues = cut.payload["cues"]
    assert [m.name for m in video.markers] == [c["text"] for c in cues]
    assert video.markers[0].marked_range.start_time.to_seconds() == pytest.approx(cues[0]["start"], abs=FRAME)
    # every reference points at a file in the folder beside the timeline, and the clips are the cut's own
    media = target.with_name("cut-media")
    for item in [*clips, *[c for t in audio for c in t]]:
        file = local(item.media_reference.target_url)
        assert file.parent == media and file.stat().st_size > 0
        if item.name.startswith("Scene"):
            available = item.media_reference.available_range.duration.to_seconds()
            assert item.source_range.end_time_exclusive().to_seconds() <= available + FRAME
    assert (media / "subtitles.srt").read_text().count(" --> ") == len(cues)


def test_fcp_xml_and_edl_hold_the_same_clips(handed, tmp_path):
    path, _ = handed
    for suffix in (".xml", ".edl"):
        target = tmp_path / f"cut{suffix}"
        assert main(["export", "--project", str(path), "--title-card", "--credits", "--transition", "crossfade",
                     "--transition-seconds", "1", "--otio", str(target)]) == 0
        tl = read(target)
        video = tl.video_tracks()[0]
        names = [i.name for i in video if isinstance(i, otio.schema.Clip)]
        assert names[0] == "Title" and names[-1] == "Credits" and len(names) == 5, (suffix, names)
        assert sum(isinstance(i, otio.schema.Transition) for i in video) == 2
        assert video.duration().to_seconds() == pytest.approx(read(path.parent / "cut.otio").duration().to_seconds(),
                                                              abs=FRAME)
        if suffix == ".xml":
            assert len(tl.audio_tracks()) == 3


def test_a_bad_hand_off_target_is_one_line(film_copy, tmp_path, capsys):
    assert main(["export", "--project", str(film_copy), "--otio", str(tmp_path / "cut.mov")]) == 2
    assert main(["export", "--project", str(film_copy), "--otio", str(tmp_path / "no" / "cut.otio")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2, err
    assert ".otio, .xml, .edl" in err[0] and "does not exist" in err[1]
    assert [p.name for p in tmp_path.iterdir()] == ["film"]  # nothing written beside the project
