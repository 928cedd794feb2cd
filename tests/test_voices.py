"""Voices: lines in the story, one voice per character, the dialogue mixed into the film and timed by its speech.

The film is the shared offline one (conftest `finished_film`: Ada and Bo, 3 scenes, the narrator in the first and
the last): its lines are real Piper speech, measured here as a listener would: where the energy is, the pitch of
each speaker, the film's loudness, and how far the music steps down under the words.
"""
from __future__ import annotations

import io
import json
import re
import wave
from pathlib import Path

import numpy as np
import pytest

from core import jobs
from core.cli import main
from core.errors import InputError
from core.models import NARRATOR, PlanDraft
from core.pipeline.edits import edit_lines, set_voice
from core.pipeline.music import add_music
from core.pipeline.plan import story_of
from core.pipeline.plan_checks import check_plan
from core.pipeline.scenes import split_scene
from core.pipeline.voice_cast import choose_voices, leaning
from core.pipeline.voices import line_rows, speech_span
from core.render.audio import decode_mono
from core.render.loudness import integrated
from core.store import Project
from tests.conftest import integrated_loudness

RATE = 48_000


def pitch(x: np.ndarray, rate: int = RATE) -> float:
    """Median fundamental of the voiced 10 ms frames, 60-400 Hz, by Praat's pitch tracker (parselmouth).

    A hand-rolled autocorrelation read harmonics on a deep voice whose fundamental is weak (the vowel of "you"
    in leo's voice came out an octave up); Praat's path through the candidates does not."""
    import parselmouth

    track = parselmouth.Sound(x.astype(np.float64), sampling_frequency=rate).to_pitch(
        time_step=0.01, pitch_floor=60, pitch_ceiling=400)
    found = track.selected_array["frequency"]
    found = found[found > 0]
    return float(np.median(found)) if found.size else 0.0


def test_the_pitch_measure_reads_a_known_voice():
    """The measure the voice tests rest on, against vowel-like tones of known pitch (one with a weak
    fundamental, as a deep voice has)."""
    t = np.arange(RATE) / RATE
    for f0 in (72.0, 88.0, 104.0, 150.0, 190.0):
        phase = 2 * np.pi * f0 * t
        tone = sum((0.02 if k == 1 and f0 < 80 else 1 / (1 + ((k * f0 - 700) / 150) ** 2) + 0.05)
                   * np.sin(k * phase) for k in range(1, int(4000 / f0)))
        tone = (0.3 * tone / np.abs(tone).max()).astype(np.float32)
        assert pitch(tone) == pytest.approx(f0, rel=0.03)


def wav_channels(path: Path) -> np.ndarray:
    """A 24-bit stereo stem as float (2, n)."""
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (2, 3, RATE)
        raw = np.frombuffer(w.readframes(w.getnframes()), np.uint8).reshape(-1, 3)
    ints = (raw[:, 0].astype(np.int32) | raw[:, 1].astype(np.int32) << 8 | raw[:, 2].astype(np.int32) << 16)
    ints = np.where(ints >= 2 ** 23, ints - 2 ** 24, ints)
    return (ints.reshape(-1, 2).T / 2 ** 23).astype(np.float32)


def db(x: np.ndarray) -> float:
    return 20 * np.log10(max(float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))), 1e-9))


def cues_of(srt: str) -> list[tuple[float, float, str]]:
    out = []
    for block in srt.strip().split("\n\n"):
        _, stamps, text = block.split("\n", 2)
        a, b = [int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000
                for h, m, s, ms in re.findall(r"(\d+):(\d+):(\d+),(\d+)", stamps)]
        out.append((a, b, text))
    return out


def music_wav(seconds: float = 40.0) -> bytes:
    """A soft pad: three detuned chord tones with a slow swell, as a WAV file."""
    t = np.arange(int(seconds * RATE)) / RATE
    pad = sum(np.sin(2 * np.pi * f * t) for f in (196.0, 246.9, 293.7)) / 3
    pad *= 0.5 * (0.8 + 0.2 * np.sin(2 * np.pi * 0.2 * t))
    pcm = (np.stack([pad, pad], axis=1) * 32767 * 0.5).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def export(project, **params) -> dict:
    job = jobs.submit(project, "export", params, background=False)
    row = jobs.get(project, job)
    assert row["status"] == "succeeded", row["message"]
    return row["result"]


@pytest.fixture(scope="module")
def voiced(tmp_path_factory, finished_film):
    """The shared film exported with music under it and its stems: (project path, result, stems folder)."""
    import shutil

    path = tmp_path_factory.mktemp("voiced") / "film"
    shutil.copytree(finished_film, path)
    project = Project.open(path)
    track = add_music(project, music_wav(), filename="pad.wav")
    stems = path.parent / "stems"
    result = export(project, settings={"music": track, "music_volume": 0.8}, stems=str(stems))
    project.close()
    return path, result, stems


def test_the_offline_film_speaks_its_lines_inside_their_cues(voiced):
    path, result, stems = voiced
    project = Project.open(path)
    plan = story_of(project.takes.head("story"))
    speakers = {line.speaker for s in plan.scenes for line in s.lines}
    assert {"Ada", "Bo", NARRATOR} <= speakers and len(plan.scenes) == 3
    srt = Path(result["path"]).with_suffix(".srt").read_text()
    vtt = Path(result["path"]).with_suffix(".vtt").read_text()
    cues = cues_of(srt)
    assert len(cues) == sum(len(s.lines) for s in plan.scenes)
    assert vtt.startswith("WEBVTT") and vtt.count(" --> ") == len(cues)
    assert [c[2] for c in cues] == [line.text for s in plan.scenes for line in s.lines]
    dialogue = wav_channels(stems / f"{Path(result['path']).stem}-dialogue.wav")[0]
    inside = np.zeros(dialogue.size, bool)
    for a, b, _ in cues:
        inside[int(a * RATE):int(b * RATE)] = True
        words = dialogue[int(a * RATE):int(b * RATE)]
        assert db(words) > -35, "a cue without speech in it"
        # the speech fills its cue: its first and last 50 ms are not silent
        assert db(words[:2400]) > -55 and db(words[-2400:]) > -55
    # outside the cues (a little margin for the ramps of the words themselves): silence
    margin = np.convolve(inside, np.ones(RATE // 20), mode="same") > 0
    assert db(dialogue[~margin]) < -60


def test_characters_sound_different_and_each_sounds_the_same_in_every_scene(voiced):
    path, _, _ = voiced
    project = Project.open(path)
    by_speaker: dict[str, list[float]] = {}
    for row in line_rows(project):
        if row.delivery in ("shout", "whisper"):  # a shout is higher on purpose
            continue
        audio = decode_mono(project.assets.path(row.asset), "a line", "regenerate it")
        by_speaker.setdefault(row.speaker, []).append(pitch(audio))
    ada, bo = np.median(by_speaker["Ada"]), np.median(by_speaker["Bo"])
    assert max(ada, bo) / min(ada, bo) >= 1.15, by_speaker
    for speaker, values in by_speaker.items():
        assert max(values) / min(values) <= 1.10, (speaker, values)
    assert len(by_speaker["Ada"]) >= 2  # Ada speaks in more than one scene


def test_the_film_is_at_minus_16_lufs_and_the_music_steps_down_under_every_line(voiced):
    path, result, stems = voiced
    assert abs(integrated_loudness(result["path"]) - (-16.0)) <= 1.0
    name = Path(result["path"]).stem
    dialogue = wav_channels(stems / f"{name}-dialogue.wav")
    music = wav_channels(stems / f"{name}-music.wav")
    effects = wav_channels(stems / f"{name}-effects.wav")
    assert dialogue.shape == music.shape == effects.shape
    cues = cues_of(Path(result["path"]).with_suffix(".srt").read_text())
    for a, b, text in cues:
        voice, under = dialogue[:, int(a * RATE):int(b * RATE)], music[:, int(a * RATE):int(b * RATE)]
        assert db(voice) - db(under) >= 10, text
    # ...and comes back up between lines: the music is louder in the longest gap than under the lines
    gaps = [(b, c) for (_, b, _), (c, _, _) in zip(cues, cues[1:]) if c - b > 1.2]
    a, b = max(gaps, key=lambda g: g[1] - g[0])
    assert db(music[:, int((a + 0.5) * RATE):int((b - 0.2) * RATE)]) > db(music[:, int(cues[0][0] * RATE):
                                                                                int(cues[0][1] * RATE)]) + 4
    # the stems add up to the film's mix before its limiter: their sum is at the film's loudness
    assert abs(integrated(dialogue + music + effects) - (-16.0)) <= 1.0


def test_changing_one_voice_remakes_exactly_that_characters_lines_and_remixes(film_copy):
    project = Project.open(film_copy)
    before = {r.slot: r.take for r in line_rows(project)}
    calls_before = len(project.calls.rows())  # in the order they were made
    cut_before = project.takes.head("cut").id
    voices = choose_voices(story_of(project.takes.head("story")))
    other = next(v for v in ("eve", "ara", "sal", "rex", "leo") if v not in voices.values())
    set_voice(project, "Bo", other)
    rows = line_rows(project)
    assert {r.slot for r in rows if r.stale} == {r.slot for r in rows if r.speaker == "Bo"}
    job = jobs.submit(project, "regenerate_stale", {}, background=False)
    assert jobs.get(project, job)["status"] == "succeeded"
    new = project.calls.rows()[calls_before:]
    bo_lines = {r.slot for r in rows if r.speaker == "Bo"}
    assert sorted(c["slot"] for c in new) == sorted(bo_lines) and {c["operation"] for c in new} == {"speak"}
    after = {r.slot: r for r in line_rows(project)}
    assert all(after[s].take != before[s] for s in bo_lines) and all(after[s].voice == other for s in bo_lines)
    assert all(after[s].take == before[s] for s in before if s not in bo_lines)
    assert project.takes.head("cut").id != cut_before and not any(r.stale for r in after.values())
    # nothing but lines was remade: every sheet, keyframe and clip head is the take it was
    # (and an unchanged re-run pays for nothing and writes no new cut)
    job = jobs.submit(project, "export", {}, background=False)
    assert jobs.get(project, job)["status"] == "succeeded"
    assert len(project.calls.rows()) == calls_before + len(new)


def test_a_line_is_a_slot_regenerated_tagged_and_restored_like_any_take(film_copy, capsys):
    project = Project.open(film_copy)
    row = line_rows(project)[0]
    assert main(["line", "regenerate", "--project", str(film_copy), "--scene", "1", "--line", "1"]) == 0
    new = project.takes.head(row.slot)
    assert new.id != row.take and new.asset != row.asset  # another variant: paced a little apart
    assert main(["tag", "--project", str(film_copy), "--take", str(new.id), "love"]) == 0
    assert "love" in project.tags.of(new.id)
    assert main(["undo", "--project", str(film_copy)]) == 0
    assert project.takes.head("cut").id is not None
    capsys.readouterr()
    assert main(["lines", "--project", str(film_copy), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["slot"] == row.slot and {"start", "end", "voice", "speaker"} <= set(listed[0])


def test_editing_lines_by_hand_checks_speakers_and_lengthens_the_scene(film_copy, capsys):
    project = Project.open(film_copy)
    plan = story_of(project.takes.head("story"))
    first = plan.scenes[0]
    assert "Bo" not in first.characters_present
    with pytest.raises(InputError, match="Bo, who is not in the scene"):
        edit_lines(project, first.scene_id, [{"speaker": "Bo", "text": "I am not here."}])
    long = ("The harbour wakes before the town does, and the gulls argue over the boats while the tide turns and "
            "the old clock on the quay ticks toward the hour when the race begins.")
    story = edit_lines(project, first.scene_id, [{"speaker": NARRATOR, "text": long}, {"speaker": "Ada",
                                                                                      "text": "Ready."}])
    assert story_of(story).scene(first.scene_id).duration_seconds > first.duration_seconds
    rows = [r for r in line_rows(project) if r.scene == first.scene_id]
    assert [r.stale for r in rows] == [True, True]
    assert main(["line", "set", "--project", str(film_copy), "--scene", "1", "--line", "3", "--text", "Go!",
                 "--speaker", "Ada", "--delivery", "shout"]) == 0
    assert [x.text for x in story_of(project.takes.head("story")).scene(first.scene_id).lines][-1] == "Go!"
    assert main(["line", "set", "--project", str(film_copy), "--scene", "1", "--line", "9", "--text", "x"]) == 2
    assert "out of range" in capsys.readouterr().err
    assert main(["voice", "Nobody", "eve", "--project", str(film_copy)]) == 2


def test_a_scene_whose_lines_cannot_fit_says_so_and_splits(film_copy):
    project = Project.open(film_copy)
    plan = story_of(project.takes.head("story"))
    scene = plan.scenes[-1]
    words = "The lanterns came on one by one along the quay that night."
    edit_lines(project, scene.scene_id, [{"speaker": NARRATOR, "text": words}] * 4)
    plan = story_of(project.takes.head("story"))
    assert plan.scene(scene.scene_id).duration_seconds == 15
    notes = project.takes.head("story").payload["notes"]  # what the Story page and `status` show
    assert any(f"Scene {len(plan.scenes)}'s lines need about" in n and "split the scene" in n for n in notes)
    story = split_scene(project, len(plan.scenes))
    split = story_of(story)
    assert len(split.scenes) == len(plan.scenes) + 1
    assert [len(s.lines) for s in split.scenes[-2:]] == [2, 2]
    assert all(s.duration_seconds < 15 for s in split.scenes[-2:])


@pytest.mark.parametrize("draft,expect", [
    # a speaker not in the cast is read by the narrator; one of the cast who is not in the scene joins it
    ({"speaker": "The Harbourmaster", "text": "Tide's turning."}, {"speaker": NARRATOR, "note": "not in the cast"}),
    ({"speaker": "bo", "text": "Wait for me!"}, {"speaker": "Bo", "present": ["Ada", "Bo"]}),
    ({"speaker": "voice-over", "text": "Once, in a windy town."}, {"speaker": NARRATOR}),
    ({"speaker": "Ada", "text": "Hush.", "delivery": "Whispering"}, {"speaker": "Ada", "delivery": "whisper"}),
    ({"speaker": "Ada", "text": "Hmm.", "delivery": "sarcastic"}, {"speaker": "Ada", "delivery": ""}),
    ({"speaker": "Ada", "text": "word " * 150}, {"speaker": "Ada", "note": "at most"}),
])
def test_the_plan_check_repairs_lines_a_model_gets_wrong(draft, expect):
    plan = PlanDraft.model_validate({
        "title": "T", "characters": [{"name": "Ada", "visual_description": "a " * 90},
                                     {"name": "Bo", "visual_description": "b " * 90}],
        "scenes": [{"scene_id": 1, "title": "One", "setting": "harbour", "characters_present": ["Ada"],
                    "duration_seconds": 3, "lines": [draft]}]})
    checked = check_plan(plan)
    scene = checked.plan.scenes[0]
    line = scene.lines[0]
    assert line.speaker == expect["speaker"]
    assert line.delivery == expect.get("delivery", line.delivery)
    if "present" in expect:
        assert scene.characters_present == expect["present"]
    if "note" in expect:
        assert any(expect["note"] in n for n in checked.notes)
    assert len(line.text) <= 400
    assert scene.duration_seconds >= 3


def test_a_subtitle_without_lines_becomes_narration_and_a_scene_is_lengthened_for_its_lines():
    plan = PlanDraft.model_validate({
        "title": "T", "characters": [{"name": "Ada", "visual_description": "a " * 90}],
        "scenes": [{"scene_id": 1, "title": "One", "setting": "harbour", "subtitle": "The tide came in.",
                    "duration_seconds": 2},
                   {"scene_id": 2, "title": "Two", "setting": "quay", "characters_present": ["Ada"],
                    "duration_seconds": 2, "lines": "Ada looks out to sea, counting the boats coming home."}]})
    checked = check_plan(plan)
    one, two = checked.plan.scenes
    assert [(x.speaker, x.text) for x in one.lines] == [(NARRATOR, "The tide came in.")] and one.subtitle == ""
    assert two.lines[0].speaker == NARRATOR and two.duration_seconds >= 5
    assert any("lengthened" in n for n in checked.notes)


def test_voices_are_chosen_apart_and_kept():
    plan = check_plan(PlanDraft.model_validate({
        "title": "T", "characters": [
            {"name": "Mara", "role": "grandmother", "visual_description": "She wears a shawl. " * 20},
            {"name": "Tom", "role": "fisherman", "visual_description": "He has a beard. " * 20},
            {"name": "Kit", "role": "kite", "visual_description": "A red kite. " * 20}],
        "scenes": [{"scene_id": 1, "title": "One", "setting": "harbour"}]})).plan
    voices = plan.voices
    assert voices["Mara"] in ("eve", "ara") and voices["Tom"] in ("leo", "rex")
    assert len({voices[n] for n in ("Mara", "Tom", "Kit")}) == 3 and NARRATOR in voices
    assert leaning("the queen and her daughter") == "high" and leaning("a lamp") == "middle"
    kept = choose_voices(plan.model_copy(update={"voices": {"Tom": "eve"}}))
    assert kept["Tom"] == "eve" and kept["Mara"] != "eve"


def test_speech_span_finds_the_words_inside_silence():
    x = np.zeros(RATE * 2, np.float32)
    x[int(0.5 * RATE):int(1.25 * RATE)] = 0.3 * np.sin(np.arange(int(0.75 * RATE)) * 0.05)
    span = speech_span(x)
    assert span["duration"] == 2.0
    assert abs(span["speech_start"] - 0.5) <= 0.011 and abs(span["speech_end"] - 1.25) <= 0.011


def test_stems_and_export_errors_are_one_line(film_copy, tmp_path, capsys):
    afile = tmp_path / "a-file"
    afile.write_text("x")
    assert main(["export", "--project", str(film_copy), "--stems", str(afile)]) == 2
    assert main(["export", "--project", str(film_copy), "--stems", str(tmp_path / "no" / "where")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("error: --stems") for line in err)


def test_a_voice_preview_from_the_cli_is_a_sample_file_and_changes_nothing(film_copy, tmp_path, capsys):
    project = Project.open(film_copy)
    story = project.takes.head("story").id
    assert main(["voice", "Bo", "eve", "--project", str(film_copy), "--preview", str(tmp_path / "bo")]) == 0
    out = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert out == tmp_path / "bo.wav" and pitch(decode_mono(out, "the preview", "again")) > 150  # eve is high
    assert project.takes.head("story").id == story  # a preview changes no voice
    assert main(["voice", "Nobody", "eve", "--project", str(film_copy), "--preview", str(tmp_path / "x")]) == 2
    assert "Nobody is not a character of the story" in capsys.readouterr().err
