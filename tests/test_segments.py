"""The cut's picture: in-process transitions and cards, and the join that copies clip bodies between keyframes."""
from __future__ import annotations

import subprocess

import av
import numpy as np
import pytest
from PIL import Image

from core import media
from core.render import encode, segments
from core.store import Project

FPS = media.CUT_FPS


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, object]:
    """Two real normalized 2 s clips (different pictures and tones) and a 3 s soundtrack."""
    folder = tmp_path_factory.mktemp("clips")
    out = {}
    for name, source, tone in [("a", "testsrc2", 440), ("b", "smptebars", 880)]:
        raw = folder / f"{name}-raw.mp4"
        media.run(["-f", "lavfi", "-i", f"{source}=s=640x360:r=30:d=2", "-f", "lavfi", "-i", f"sine=f={tone}:d=2",
                   "-c:v", "libx264", "-c:a", "aac", "-shortest", str(raw)], what="making a test clip")
        media.normalize_clip(raw, folder / f"{name}.mp4")
        out[name] = folder / f"{name}.mp4"
    out["sound"] = folder / "sound.m4a"
    media.run(["-f", "lavfi", "-i", "sine=f=330:d=3", "-c:a", "aac", "-ar", "48000", "-ac", "2", str(out["sound"])],
              what="making a test soundtrack")
    return out


@pytest.fixture
def project(tmp_path, clips):
    p = Project.open(tmp_path / "p")
    p.hashes = {k: p.assets.put(clips[k].read_bytes(), "mp4") for k in ("a", "b")}
    yield p
    p.close()


def frames_of(path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray() for f in c.decode(video=0)]


def test_a_crossfade_made_in_process_has_the_clips_parameter_sets_and_blends_them(clips, tmp_path):
    a, b = encode.decode(clips["a"], 1.0, FPS), encode.decode(clips["b"], 0.0, FPS)
    out = tmp_path / "x.mp4"
    assert encode.encode(encode.crossfade(a, b, "crossfade"), out, reference=clips["a"])
    assert encode.parameter_sets(out) == encode.parameter_sets(clips["a"]) != b""
    info = media.probe_video(out)
    assert (info.width, info.height, info.video_timescale) == (1280, 720, media.VIDEO_TIMESCALE)
    made = frames_of(out)
    assert len(made) == FPS
    y = slice(0, media.CUT_HEIGHT)
    first, middle, last = (m[y].astype(float) for m in (made[0], made[FPS // 2], made[-1]))
    # Early frames look like A, late ones like B, the middle like both (within coding error).
    assert np.abs(first - a[0][y]).mean() < np.abs(first - b[0][y]).mean()
    assert np.abs(last - b[-1][y]).mean() < np.abs(last - a[-1][y]).mean()
    halfway = (a[FPS // 2][y].astype(float) + b[FPS // 2][y]) / 2
    assert np.abs(middle - halfway).mean() < 4


def test_a_fade_through_black_is_black_in_the_middle(clips, tmp_path):
    n = FPS
    made = list(encode.crossfade(encode.decode(clips["a"], 1.0, n), encode.decode(clips["b"], 0.0, n), "fade"))
    lumas = [m[:media.CUT_HEIGHT].mean() for m in made]
    assert min(lumas) < encode.BLACK_Y + 6 and lumas.index(min(lumas)) in (n // 2 - 1, n // 2)
    assert lumas[0] > 40 and lumas[-1] > 40


def test_a_card_fades_in_holds_and_fades_out(tmp_path, clips):
    image = Image.new("RGB", (media.CUT_WIDTH, media.CUT_HEIGHT), (200, 180, 40))
    made = list(encode.card(image, 2.0))
    assert len(made) == 2 * FPS
    lumas = [m[:media.CUT_HEIGHT].mean() for m in made]
    assert lumas[0] < lumas[6] and lumas[-1] < lumas[-7]
    assert lumas[FPS] == pytest.approx(max(lumas)) and lumas[FPS] > 100


def test_the_join_copies_bodies_exactly_and_decodes_cleanly(project, clips, tmp_path):
    a, b = project.hashes["a"], project.hashes["b"]
    fade = segments.transition(project, a, 1.5, b, 0.5, "crossfade")
    spans = [segments.body(project, a, 0.0, 1.5), segments.Span(project.assets.path(fade)),
             segments.body(project, b, 0.5, 2.0)]
    out = tmp_path / "film.mp4"
    segments.join(spans, clips["sound"], out)
    decoded = subprocess.run([media.ffmpeg_exe(), "-v", "error", "-i", str(out), "-f", "null", "-"],
                             capture_output=True, text=True)
    assert decoded.returncode == 0 and decoded.stderr == ""  # ffmpeg reports any decoding error here
    film = frames_of(out)
    assert len(film) == 3.5 * FPS
    source_a, source_b = frames_of(clips["a"]), frames_of(clips["b"])
    # Bodies are stream copies: bit-identical to the clips' own frames.
    assert all(np.array_equal(film[i], source_a[i]) for i in range(0, 36, 7))
    assert np.array_equal(film[-1], source_b[-1]) and np.array_equal(film[48], source_b[12])
    info = media.probe_video(out)
    assert info.acodec == "aac" and info.duration == pytest.approx(3.5, abs=0.05)


def test_when_this_process_cannot_match_the_clips_headers_the_transition_comes_from_ffmpeg(
        project, clips, monkeypatch, tmp_path):
    # Another x264 build could write other parameter sets; simulate one that turns CABAC off.
    monkeypatch.setitem(encode.X264, "x264-params", encode.X264["x264-params"] + ":cabac=0")
    a, b = project.hashes["a"], project.hashes["b"]
    n = FPS // 2
    probe = tmp_path / "probe.mp4"
    assert not encode.encode(encode.crossfade(encode.decode(clips["a"], 1.5, n), encode.decode(clips["b"], 0, n),
                                              "crossfade"), probe, reference=clips["a"])
    fade = segments.transition(project, a, 1.5, b, 0.5, "fade")
    assert encode.parameter_sets(project.assets.path(fade)) == encode.parameter_sets(clips["a"])
    out = tmp_path / "film.mp4"
    segments.join([segments.body(project, a, 0.0, 1.5), segments.Span(project.assets.path(fade)),
                   segments.body(project, b, 0.5, 2.0)], clips["sound"], out)
    assert len(frames_of(out)) == 3.5 * FPS


def test_a_clip_without_frames_at_the_start_point_is_a_clear_error(clips):
    with pytest.raises(media.MediaError, match="a.mp4 has no frames at 9"):
        encode.decode(clips["a"], 9.0, 4)
