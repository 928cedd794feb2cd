"""The soundtrack on its own: real clips made with ffmpeg, checked with ffmpeg's ebur128 and PyAV samples."""
from __future__ import annotations


import av
import numpy as np
import pytest

from core import media
from core.errors import MediaError
from core.models import Scene
from core.render.audio import DUCKED, build_soundtrack
from core.render.timeline import ExportSettings, build
from tests.conftest import integrated_loudness

RATE = media.AUDIO_RATE
AAC_FRAME = 1024 / RATE
LENGTHS = {"c": 2.0, "music": 3.0}  # seconds; every other clip lasts 4


def make(path, audio: str | None, seconds: float = 4.0):
    """A tiny mp4 clip with `audio` (a lavfi source chain) as its AAC stereo 48 kHz track, or none."""
    args = ["-f", "lavfi", "-i", f"color=c=black:s=64x36:r=24:d={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", audio, "-c:a", "aac", "-ar", str(RATE), "-ac", "2"]
    media.run([*args, "-c:v", "libx264", "-preset", "ultrafast", "-t", str(seconds), str(path)],
              what=f"making {path.name}")
    return path


def tone(freq: int, volume: float, seconds: float = 4.0) -> str:
    return f"sine=frequency={freq}:sample_rate={RATE}:duration={seconds},volume={volume}"


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    return {
        "a": make(d / "a.mp4", tone(440, 4.0)),
        "b": make(d / "b.mp4", tone(1000, 4.0)),
        "c": make(d / "c.mp4", tone(700, 4.0, 2.0), 2.0),
        "quiet": make(d / "quiet.mp4", tone(440, 0.05)),
        "loud": make(d / "loud.mp4", f"anoisesrc=d=4:c=brown:r={RATE}:a=1.0:s=3,lowpass=f=900,volume=4"),
        "silent": make(d / "silent.mp4", f"anullsrc=r={RATE}:cl=stereo"),
        "no_audio": make(d / "no_audio.mp4", None),
        "music": make(d / "music.m4a", tone(220, 4.0, 3.0), 3.0),  # shorter than any film: it loops
    }


def film(clips, names, settings=None, music=None, out=None, **scene_fields):
    """Scenes 1..n on the named clips, their timeline, the soundtrack; returns (measured, samples, timeline)."""
    settings = settings or ExportSettings()
    scenes = [Scene(scene_id=i, title=f"Scene {i}", setting="harbour",
                    **{k: v[i - 1] for k, v in scene_fields.items()}) for i in range(1, len(names) + 1)]
    paths = {i: clips[name] for i, name in enumerate(names, 1)}
    timeline = build(scenes, {i: (name, LENGTHS.get(name, 4.0)) for i, name in enumerate(names, 1)}, settings)
    out = out or paths[1].parent / "out.m4a"
    measured = build_soundtrack(timeline, scenes, paths, music, settings, out)
    return measured, decoded(out), timeline


def decoded(path) -> np.ndarray:
    with av.open(str(path)) as c:
        return np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1)


def span(x: np.ndarray, start: float, end: float) -> np.ndarray:
    return x[0, round(start * RATE):round(end * RATE)]


def db(value: float) -> float:
    return 20 * np.log10(max(value, 1e-12))


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x ** 2)))


def level(x: np.ndarray, freq: int) -> float:
    """Amplitude of a `freq` Hz tone in `x` (Hann-windowed FFT, +-3 bins)."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) * 4 / len(x)
    k = round(freq * len(x) / RATE)
    return float(spectrum[k - 3:k + 4].max())


@pytest.mark.parametrize("name,target,with_music", [("quiet", -16.0, False), ("loud", -23.0, False),
                                                    ("quiet", -23.0, True), ("loud", -16.0, True)])
def test_the_soundtrack_lands_on_the_target_loudness(clips, tmp_path, name, target, with_music):
    music = clips["music"] if with_music else None
    out = tmp_path / "out.m4a"
    measured, _, _ = film(clips, [name, name], ExportSettings(loudness=target), music, out)
    assert abs(integrated_loudness(out) - target) <= 0.5
    if not with_music:  # what it returns is the mix before correction: here, the clip's own loudness
        assert measured == pytest.approx(integrated_loudness(clips[name]), abs=0.5)


def test_the_track_is_aac_48k_stereo_from_zero_and_lasts_the_film(clips, tmp_path):
    settings = ExportSettings(title_card=True, credits=True)
    out = tmp_path / "film.m4a"
    _, samples, timeline = film(clips, ["a", "b", "a"], settings, out=out, transition=["cut", "crossfade", "fade"])
    assert timeline.duration == 3 + 4 * 3 - 2 + 4
    with av.open(str(out)) as c:
        s = c.streams.audio[0]
        assert (c.format.name.startswith("mov"), s.codec_context.name, s.rate, s.layout.name) == \
               (True, "aac", RATE, "stereo")
        assert s.start_time == 0 and abs(float(s.duration * s.time_base) - timeline.duration) <= AAC_FRAME
    assert samples.shape[0] == 2 and abs(samples.shape[1] / RATE - timeline.duration) <= AAC_FRAME
    # The title is silence, the first scene's tone starts right after it.
    assert db(rms(span(samples, 0.2, 2.8))) < -70 and db(rms(span(samples, 3.2, 4.0))) > -30


def test_mute_silences_a_scene_and_duck_lowers_it_only_under_music(clips, tmp_path):
    music = clips["music"]
    _, under, _ = film(clips, ["b", "b", "b"], ExportSettings(music_volume=0.5), music, tmp_path / "m.m4a",
                       audio=["keep", "mute", "duck"])
    kept, muted, ducked = (level(span(under, t, t + 1), 1000) for t in (1.5, 5.5, 9.5))
    assert db(ducked) - db(kept) == pytest.approx(db(DUCKED), abs=0.5)  # about -10 dB
    assert db(muted) < db(kept) - 60
    assert level(span(under, 5.5, 6.5), 220) > 0.01  # the music plays on under the muted scene

    _, alone, _ = film(clips, ["b", "b", "b"], out=tmp_path / "n.m4a", audio=["keep", "mute", "duck"])
    assert db(rms(span(alone, 4.5, 7.5))) < -70  # silent over the muted span, away from its edges
    assert db(rms(span(alone, 9.5, 11.5))) == pytest.approx(db(rms(span(alone, 0.5, 2.5))), abs=0.3)


def test_a_crossfade_hands_one_sound_over_to_the_next(clips, tmp_path):
    # Scene 2 (2 s) is wholly consumed by the crossfades on either side: it has no body piece.
    _, x, timeline = film(clips, ["a", "c", "b"], transition=["cut", "crossfade", "crossfade"])
    assert [p.kind for p in timeline.pieces] == ["clip", "transition", "transition", "clip"]

    def tones(start):
        part = span(x, start, start + 0.5)
        return [db(level(part, f)) - db(rms(part) * 2 ** 0.5) for f in (440, 700, 1000)]
    a, c, b = tones(2.0)  # before: only A
    assert a > -1 and c < -40 and b < -40
    a, c, b = tones(3.25)  # middle of A -> C: both, about equally
    assert abs(a - c) < 2 and a > -10 and b < -40
    a, c, b = tones(3.75)  # C near its full height where the two crossfades meet
    assert c > -3 and a < -15 and b < -15
    a, c, b = tones(7.0)  # after: only B
    assert b > -1 and a < -40 and c < -40


def test_silent_clips_without_music_give_a_silent_track_and_no_loudness(clips, tmp_path):
    measured, x, timeline = film(clips, ["silent", "no_audio"], transition=["cut", "crossfade"])
    assert measured is None
    assert abs(x.shape[1] / RATE - timeline.duration) <= AAC_FRAME
    assert np.abs(x).max() < 1e-4


def test_a_loud_clip_is_limited_below_minus_one_dbfs(clips, tmp_path):
    measured, x, _ = film(clips, ["loud"], ExportSettings(loudness=-9.0))
    source_peak = np.abs(decoded(clips["loud"])).max()
    assert db(source_peak) + (-9.0 - measured) > 0  # plain gain would clip: the limiter has work to do
    assert db(np.abs(x).max()) < -1.0


def test_unreadable_music_or_clip_is_a_media_error_that_names_it(clips, tmp_path):
    bad = tmp_path / "theme.mp3"
    bad.write_bytes(np.random.default_rng(1).bytes(4000))
    with pytest.raises(MediaError, match=r"^The music track could not be read \(theme\.mp3.*MP3, WAV, M4A or OGG"):
        film(clips, ["a"], music=bad)
    with pytest.raises(MediaError, match=r"^The music track could not be read \(no_audio\.mp4 has no sound\)"):
        film(clips, ["a"], music=clips["no_audio"])
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\0" * 1000)
    with pytest.raises(MediaError, match=r"scene 2.*broken\.mp4"):
        film({**clips, "broken": broken}, ["a", "broken"])
