"""The offline backdrops: each family of place is picked from the words and drawn as itself, the hour and the
weather change the picture, the same inputs give the same pixels, and the foreground layer keeps off faces.

Pictures are compared the way a person would notice: colour statistics (mean and spread of each Lab channel)
and layout (the correlation of a coarse 16x9 grid of lightness). A contact sheet of every family, and of a
few hours and weathers, is saved to tests/artifacts/backdrops/ for a person to look at.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from skimage.color import rgb2lab

from core.providers import offline_settings as bd
from core.providers.offline_art import _finish_frame
from core.providers.offline_draw import FRAME_SIZE, _font

PALETTE = ["#264653", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "backdrops"

# One representative setting per family, in clear weather unless the family is the weather.
FAMILIES = {
    "valley": ("a quiet valley at the edge of town", "calm"),
    "forest": ("an old forest", "still"),
    "sea": ("the harbour", "bright"),
    "lighthouse": ("the lighthouse on the cliffs", "windy"),
    "city": ("a busy city street", "lively"),
    "interior": ("a cosy sitting room", "warm"),
    "workshop": ("a clockmaker's workshop", "busy"),
    "night sky": ("the rooftops under a starry sky", "wonder"),
    "space": ("a space station orbiting a planet", "awe"),
    "desert": ("desert dunes", "hot"),
    "snow": ("a snowy mountain pass", "quiet"),
    "storm": ("caught in the storm", "fear"),
}
STORM_LIGHTHOUSE = ("a storm at the lighthouse", "tense")
QUIET_VALLEY = ("a quiet valley at the edge of town", "calm")


def render(setting: str, mood: str, seed: int = 1, size=FRAME_SIZE) -> tuple[Image.Image, float]:
    img, ground = bd._scene(setting, mood, PALETTE, seed, size)
    return img, ground


def frame(setting: str, mood: str, seed: int = 1) -> Image.Image:
    """What a keyframe's plate looks like: the backdrop reduced and finished, the foreground over it."""
    img, _ = render(setting, mood, seed)
    out = _finish_frame(img.reduce(2), bd._time_of_day(f"{setting} {mood}".lower()) == "night")
    fore = bd._foreground(setting, mood, PALETTE, seed, FRAME_SIZE)
    return out if fore is None else Image.alpha_composite(out.convert("RGBA"), fore).convert("RGB")


def stats(img: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    small = np.asarray(img.convert("RGB").resize((160, 90), Image.Resampling.BOX), dtype=np.float64) / 255
    lab = rgb2lab(small)
    colour = np.concatenate([lab.reshape(-1, 3).mean(0), lab.reshape(-1, 3).std(0)])
    layout = lab[..., 0].reshape(9, 10, 16, 10).mean((1, 3)).ravel()
    return colour, layout


def colour_gap(a, b) -> float:
    return float(np.linalg.norm(stats(a)[0] - stats(b)[0]))


def layout_corr(a, b) -> float:
    return float(np.corrcoef(stats(a)[1], stats(b)[1])[0, 1])


def lum(img: Image.Image) -> np.ndarray:
    x = np.asarray(img.convert("RGB"), dtype=np.float64)
    return x[..., 0] * 0.299 + x[..., 1] * 0.587 + x[..., 2] * 0.114


def chroma(img: Image.Image) -> float:
    lab = rgb2lab(np.asarray(img.convert("RGB").resize((160, 90), Image.Resampling.BOX), dtype=np.float64) / 255)
    return float(np.hypot(lab[..., 1], lab[..., 2]).mean())


@pytest.fixture(scope="module")
def drawn() -> dict[str, tuple[Image.Image, float]]:
    """Every family's representative backdrop at 1x and its ground y. (How long a scene takes is measured by
    bench/make_offline.py, not asserted here.)"""
    out = {}
    for family, (setting, mood) in FAMILIES.items():
        img, ground = render(setting, mood)
        out[family] = (img.reduce(2), ground)
    return out


# --------------------------------------------------------------------------- reading the words

def test_each_family_is_named_from_the_words_of_its_setting():
    assert {bd._family(s, m) for s, m in FAMILIES.values()} == set(FAMILIES)
    for family, (setting, mood) in FAMILIES.items():
        assert bd._family(setting, mood) == family
    # The first place word wins: a valley at the edge of town is a valley, a harbour town a harbour.
    assert bd._family("a quiet valley at the edge of town", "") == "valley"
    assert bd._family("harbour town at sunset", "wistful") == "sea"
    assert bd._family(*STORM_LIGHTHOUSE) == "lighthouse"
    assert bd._family("the old pier", "stormy") == "sea"
    assert bd._family("rainy city street", "night") == "city"
    assert bd._family("enchanted autumn forest", "dusk") == "forest"
    assert bd._family("a cluttered clockmaker's workshop", "") == "workshop"
    assert bd._family("the library", "hushed") == "interior"
    assert bd._family("the surface of the moon", "lonely") == "space"
    assert bd._family("the rooftops, morning light", "") == "city"  # rooftops by day are a town
    assert bd._family("the rooftops, under a deep night sky", "") == "night sky"
    # With no place named, the weather or the sky is the place.
    assert bd._family("out in the open", "a gathering storm") == "storm"
    assert bd._family("somewhere", "under the stars") == "night sky"
    assert bd._family("somewhere", "") == "valley"
    assert bd._family("", "") == "valley"
    # Words are whole words: "start" is not a star, "portrait" no port, "seasons" no sea.
    assert bd._family("the start of the seasons", "a portrait") == "valley"


def test_the_hour_and_the_weather_are_read_from_the_words():
    assert bd._time_of_day("a quiet meadow bright day") == "day"
    assert bd._time_of_day("the forest, under a deep night sky") == "night"
    assert bd._time_of_day("the harbour, at dawn") == "dawn"
    assert bd._time_of_day("the harbour, golden late afternoon") == "dusk"
    assert bd._time_of_day("windy harbour town at sunset") == "dusk"
    assert bd._time_of_day("a moonlit beach") == "night"
    assert bd._time_of_day("the start of it, morning light") == "day"
    assert bd._weather("a storm at the lighthouse") == "storm"
    assert bd._weather("rainy city street night") == "rain"
    assert bd._weather("a misty forest") == "fog"
    assert bd._weather("a grey day") == "cloudy"
    assert bd._weather("a snowy mountain pass") == "snow"
    assert bd._weather("a quiet valley") == "clear"
    assert bd._weather("caught in the open", "storm") == "storm"  # the storm family brings its weather


# --------------------------------------------------------------------------- what gets drawn

def test_every_family_draws_at_twice_the_size_with_room_to_stand(drawn):
    img, ground = render(*FAMILIES["valley"], size=(640, 360))
    assert img.size == (1280, 720) and img.mode == "RGB"
    for family, (img, ground) in drawn.items():
        assert img.size == FRAME_SIZE, family
        h = 1280 * FRAME_SIZE[1] / FRAME_SIZE[0]
        assert 0.62 * h < ground <= h, family  # feet in the lower third, inside the frame
    portrait, ground = render("the harbour", "", size=(720, 1280))
    assert portrait.size == (1440, 2560) and 0.62 * 1280 * 1280 / 720 < ground <= 1280 * 1280 / 720


def test_pictures_of_different_families_differ_in_colour_or_layout(drawn):
    pairs = []
    for a, b in itertools.combinations(FAMILIES, 2):
        gap, corr = colour_gap(drawn[a][0], drawn[b][0]), layout_corr(drawn[a][0], drawn[b][0])
        pairs.append((a, b, gap, corr))
        assert gap > 6 or corr < 0.7, (a, b, gap, corr)  # never alike in both
    # Most pairs differ clearly in both.
    assert sum(gap > 10 and corr < 0.7 for _, _, gap, corr in pairs) >= 0.8 * len(pairs)


def test_a_storm_at_the_lighthouse_is_not_a_quiet_valley():
    storm, valley = frame(*STORM_LIGHTHOUSE), frame(*QUIET_VALLEY)
    assert colour_gap(storm, valley) > 15
    assert layout_corr(storm, valley) < 0.6
    assert lum(storm).mean() < lum(valley).mean() - 25  # darker...
    assert chroma(storm) < chroma(valley) - 5  # ...and greyer
    assert bd._family(*STORM_LIGHTHOUSE) != bd._family(*QUIET_VALLEY)


@pytest.mark.parametrize("setting", ["a quiet valley", "a busy city street", "the harbour", "an old forest"])
def test_night_is_darker_than_day_and_dusk_warmer(setting):
    day, night = render(setting, "bright day")[0].reduce(2), render(setting, "night")[0].reduce(2)
    dusk, dawn = render(setting, "at sunset")[0].reduce(2), render(setting, "at dawn")[0].reduce(2)
    assert lum(night).mean() < lum(day).mean() - 35
    warmth = [float(np.asarray(x, float)[..., 0].mean() - np.asarray(x, float)[..., 2].mean()) for x in (day, dusk)]
    assert warmth[1] > warmth[0] + 8
    assert colour_gap(dawn, day) > 5 and colour_gap(dawn, dusk) > 3


@pytest.mark.parametrize("setting", ["a quiet valley", "the harbour", "a busy city street", "desert dunes"])
def test_storm_and_rain_are_darker_and_greyer_than_clear_weather(setting):
    clear = render(setting, "clear and sunny")[0].reduce(2)
    for weather in ("a thunderstorm", "pouring rain"):
        wet = render(setting, weather)[0].reduce(2)
        assert lum(wet).mean() < lum(clear).mean() - 12, weather
        assert chroma(wet) < chroma(clear) - 3, weather
    fog = render(setting, "thick fog")[0].reduce(2)
    assert lum(fog).std() < lum(clear).std()  # fog flattens the contrast


def test_snow_whitens_the_ground_and_weather_applies_across_families():
    for setting in ("a quiet valley", "an old forest"):
        plain, snowy = render(setting, "")[0].reduce(2), render(setting, "in the snow")[0].reduce(2)
        assert lum(snowy)[-200:].mean() > lum(plain)[-200:].mean() + 40
    harbour, storm = render("the harbour", "calm")[0].reduce(2), render("the harbour", "a storm")[0].reduce(2)
    assert colour_gap(harbour, storm) > 10
    city_day, city_night = render("a city street", "day")[0].reduce(2), render("a city street", "night")[0].reduce(2)
    # Lit windows and lamps at night: the brightest bits stay bright while the street goes dark.
    assert np.percentile(lum(city_night), 99.5) > 180 and lum(city_night).mean() < lum(city_day).mean() - 30


def test_the_same_inputs_give_the_same_pixels_and_a_new_seed_a_new_picture():
    for setting, mood in (STORM_LIGHTHOUSE, FAMILIES["city"], FAMILIES["space"]):
        a, ga = render(setting, mood, seed=3)
        b, gb = render(setting, mood, seed=3)
        assert a.tobytes() == b.tobytes() and ga == gb
        c, _ = render(setting, mood, seed=4)
        assert c.tobytes() != a.tobytes()
        assert np.abs(np.asarray(c, float) - np.asarray(a, float)).mean() > 3  # not just a pixel or two
        fa = bd._foreground(setting, mood, PALETTE, 3, FRAME_SIZE)
        fb = bd._foreground(setting, mood, PALETTE, 3, FRAME_SIZE)
        assert fa.tobytes() == fb.tobytes()


# --------------------------------------------------------------------------- the foreground layer

@pytest.mark.parametrize("family", list(FAMILIES))
def test_the_foreground_keeps_off_the_faces(family):
    setting, mood = FAMILIES[family]
    for seed in (1, 2):
        fore = bd._foreground(setting, mood, PALETTE, seed, FRAME_SIZE)
        assert fore is not None, family  # every family has something in front
        assert fore.mode == "RGBA" and fore.size == FRAME_SIZE
        a = np.asarray(fore.getchannel("A"), dtype=np.float64)
        h, w = a.shape
        assert a[int(0.15 * h):int(0.55 * h), int(0.2 * w):int(0.8 * w)].max() <= 4, family
        assert (a > 8).mean() < 0.3, family  # mostly transparent
        assert a[int(0.85 * h):].sum() + a[:, : int(0.2 * w)].sum() + a[:, int(0.8 * w):].sum() \
            >= 0.95 * a.sum(), family  # at the bottom and the edges


@pytest.mark.parametrize("setting", ["a quiet valley", "the harbour", "an old forest", "desert dunes",
                                     "a busy city street", "a snowy mountain pass", "caught in the storm"])
def test_outdoor_foregrounds_are_not_empty(setting):
    a = np.asarray(bd._foreground(setting, "", PALETTE, 1, FRAME_SIZE).getchannel("A"), dtype=np.float64)
    assert (a > 128).mean() > 0.005
    if bd._weather(f"{setting} heavy rain") == "rain":  # (snow beats rain: a snowy pass stays snowy)
        rainy = np.asarray(bd._foreground(setting, "heavy rain", PALETTE, 1, FRAME_SIZE).getchannel("A"), dtype=float)
        h = a.shape[0]

        def streaks(x):  # translucent strokes down the sides of the frame, between the branches and the grass
            mid = x[int(0.2 * h):int(0.8 * h)]
            return int(((mid > 20) & (mid < 140)).sum())
        assert streaks(rainy) > streaks(a) + 1000  # rain near the lens


# --------------------------------------------------------------------------- for a person to look at

def _sheet(items: list[tuple[str, Image.Image]], cols: int, cell=(640, 360)) -> Image.Image:
    rows = (len(items) + cols - 1) // cols
    sheet = Image.new("RGB", (cell[0] * cols, (cell[1] + 28) * rows), (24, 24, 28))
    d = ImageDraw.Draw(sheet)
    for i, (label, img) in enumerate(items):
        x, y = (i % cols) * cell[0], (i // cols) * (cell[1] + 28)
        sheet.paste(img.resize(cell, Image.Resampling.LANCZOS), (x, y + 28))
        d.text((x + 8, y + 6), label, font=_font(16), fill=(236, 236, 230))
    return sheet


def test_contact_sheets_are_saved_for_a_person_to_look_at():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    families = [(f"{f}: {s} / {m}", frame(s, m)) for f, (s, m) in FAMILIES.items()]
    _sheet(families, 3).save(ARTIFACTS / "families.png")
    pair = [(f"{bd._family(*x)}: {x[0]} / {x[1]}", frame(*x)) for x in (STORM_LIGHTHOUSE, QUIET_VALLEY)]
    _sheet(pair, 2).save(ARTIFACTS / "storm_lighthouse_vs_quiet_valley.png")
    looks = [("a quiet valley", "at dawn"), ("a quiet valley", "at sunset"), ("a quiet valley", "night"),
             ("an old forest", "thick fog"), ("a storm over the harbour", ""), ("a busy city street", "night, rain"),
             ("a snowy city street", "evening"), ("the beach", "golden hour"), ("a lake in the mountains", "grey"),
             ("the surface of the moon", ""), ("a farm", "pouring rain"), ("desert dunes", "at sunset")]
    _sheet([(f"{bd._family(s, m)}: {s} / {m}", frame(s, m)) for s, m in looks], 3).save(ARTIFACTS / "hours_and_weather.png")
    for name in ("families.png", "storm_lighthouse_vs_quiet_valley.png", "hours_and_weather.png"):
        assert Image.open(ARTIFACTS / name).size[0] >= 1280
