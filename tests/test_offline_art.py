"""The offline provider's pictures: deterministic, the right sizes, and scored the way the
pipeline needs (a stylised sheet still resembles its photo; a keyframe still shows its cast).

Everything runs on real pixels: the contract checker's drawn faces, a noisy photo-like
portrait, and photos that ship inside scikit-image (the astronaut has a real face).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, UnidentifiedImageError
from skimage import data as skdata

from core.providers import offline_art as art
from tests.fakes.faces import draw_face as face

AUTUMN = ["#3b1f0e", "#8b3a0f", "#d2691e", "#f4a460", "#fff1d6"]
HARBOUR = ["#0b2d3a", "#1f6f8b", "#99c1b9", "#f2d0a9", "#f1faee"]


def photo_like(seed: int = 0, w: int = 900, h: int = 1200) -> Image.Image:
    """A noisy gradient backdrop with a side-lit face ellipse, hair, eyes, mouth and shoulders."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bg = np.stack([60 + 80 * xx / w, 90 + 60 * yy / h, 120 + 40 * (1 - xx / w)], -1)
    bg += rng.normal(0, 12, bg.shape)
    cx, cy, rx, ry = w * 0.5, h * 0.4, w * 0.2, h * 0.19
    inside = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 < 1
    shade = np.clip(1.0 - 0.45 * ((xx - cx + rx * 0.5) / rx) ** 2, 0.3, 1)[..., None]
    skin = np.array([215, 170, 140], np.float32) * shade + rng.normal(0, 6, bg.shape)
    im = np.where(inside[..., None], skin, bg)
    shoulders = ((xx - cx) / (w * 0.42)) ** 2 + ((yy - h * 1.05) / (h * 0.35)) ** 2 < 1
    im = np.where(shoulders[..., None], np.array([50, 60, 90], np.float32) + rng.normal(0, 8, bg.shape), im)
    img = Image.fromarray(np.clip(im, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    for ex in (cx - rx * 0.4, cx + rx * 0.4):
        d.ellipse((ex - 30, cy - 40, ex + 30, cy - 10), fill=(245, 245, 240))
        d.ellipse((ex - 12, cy - 37, ex + 12, cy - 13), fill=(60, 40, 30))
    d.chord((cx - rx, cy - ry * 1.05, cx + rx, cy - ry * 0.2), 180, 360, fill=(40, 30, 25))
    d.arc((cx - 60, cy + 50, cx + 60, cy + 110), 20, 160, fill=(140, 60, 60), width=8)
    return img.filter(ImageFilter.GaussianBlur(1.5))


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> dict[str, bytes]:
    root = tmp_path_factory.mktemp("faces")
    face(root / "fair.png", (230, 190, 160), (70, 40, 20))
    face(root / "dark.png", (150, 100, 70), (20, 20, 30))
    return {
        "fair": (root / "fair.png").read_bytes(),
        "dark": (root / "dark.png").read_bytes(),
        "photo": png_bytes(photo_like()),
        "astronaut": png_bytes(Image.fromarray(skdata.astronaut())),
        "coffee": png_bytes(Image.fromarray(skdata.coffee())),
    }


def crop_of(photo: bytes) -> Image.Image:
    img = art.load_image(photo)
    return art.portrait_crop(img, art.face_box(img))


@pytest.fixture(scope="module")
def sheets(photos) -> dict[str, bytes]:
    return {
        "fair": art.stylize_sheet(photos["fair"], "Ada", AUTUMN, 1.0, 1),
        "dark": art.stylize_sheet(photos["dark"], "Bram", HARBOUR, 1.0, 1),
        "photo": art.stylize_sheet(photos["photo"], "Cleo", AUTUMN, 1.0, 1),
        "astronaut": art.stylize_sheet(photos["astronaut"], "Eileen", HARBOUR, 1.0, 1),
        "owl": art.figure_sheet("Owl", "a wise old owl who keeps the forest's records", AUTUMN, 1),
    }


# --------------------------------------------------------------------------- determinism and sizes

def test_same_inputs_give_byte_identical_pngs_and_a_new_seed_changes_them(photos, sheets):
    assert art.stylize_sheet(photos["fair"], "Ada", AUTUMN, 1.0, 1) == sheets["fair"]
    assert art.stylize_sheet(photos["fair"], "Ada", AUTUMN, 1.0, 2) != sheets["fair"]
    owl = art.figure_sheet("Owl", "a wise old owl who keeps the forest's records", AUTUMN, 1)
    assert owl == sheets["owl"]
    assert art.figure_sheet("Owl", "a wise old owl who keeps the forest's records", AUTUMN, 2) != owl
    key = art.compose_keyframe("enchanted autumn forest", "dusk", AUTUMN, [sheets["fair"]], None, 4)
    assert art.compose_keyframe("enchanted autumn forest", "dusk", AUTUMN, [sheets["fair"]], None, 4) == key
    assert art.compose_keyframe("enchanted autumn forest", "dusk", AUTUMN, [sheets["fair"]], None, 5) != key
    a = art.draw_setting("windy harbour town at sunset", "wistful", HARBOUR, 3)
    assert a.tobytes() == art.draw_setting("windy harbour town at sunset", "wistful", HARBOUR, 3).tobytes()
    assert a.tobytes() != art.draw_setting("windy harbour town at sunset", "wistful", HARBOUR, 4).tobytes()


def test_sheets_frames_and_portraits_have_the_documented_sizes(sheets):
    for sheet in sheets.values():
        assert Image.open(io.BytesIO(sheet)).size == art.SHEET_SIZE
        assert art.sheet_portrait(sheet).size == (640, 720)
    key = art.compose_keyframe("a quiet meadow", "calm", HARBOUR, list(sheets.values())[:3], None, 1)
    assert Image.open(io.BytesIO(key)).format == "PNG"
    assert art.load_image(key).size == art.FRAME_SIZE
    assert art.draw_setting("desert canyon", "noon", AUTUMN, 1).size == art.FRAME_SIZE
    assert art.draw_setting("desert canyon", "noon", AUTUMN, 1, size=(640, 360)).size == (640, 360)


def test_a_keyframe_can_hold_no_one_or_a_crowd(sheets):
    empty = art.load_image(art.compose_keyframe("rainy city street", "night", HARBOUR, [], None, 1))
    crowd = art.load_image(art.compose_keyframe("rainy city street", "night", HARBOUR, [sheets["owl"]] * 5, None, 1))
    assert empty.size == crowd.size == art.FRAME_SIZE
    assert np.abs(np.asarray(empty, float) - np.asarray(crowd, float)).mean() > 4  # cut-outs cover less than cards did


# --------------------------------------------------------------------------- loading and framing

def test_load_image_rejects_bytes_that_are_not_an_image():
    with pytest.raises(UnidentifiedImageError):
        art.load_image(b"definitely not a picture")


def test_load_image_applies_the_exif_orientation():
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 120, 200)).save(buf, "JPEG", exif=exif)
    img = art.load_image(buf.getvalue())
    assert img.mode == "RGB" and img.size == (200, 300)


def test_face_box_finds_the_astronauts_face_and_is_graceful_on_drawn_faces(photos):
    box = art.face_box(art.load_image(photos["astronaut"]))
    assert box is not None
    x0, y0, x1, y1 = box
    # Her face sits around x 170-280, y 60-180 of the 512 px photo.
    assert 140 < (x0 + x1) / 2 < 300 and 60 < (y0 + y1) / 2 < 190 and 60 < x1 - x0 < 160
    for key in ("fair", "dark"):
        found = art.face_box(art.load_image(photos[key]))
        if found is not None:  # the cascade may or may not accept a cartoon face
            fl, ft, fr, fb = found
            assert 170 <= (fl + fr) / 2 <= 470 and 160 <= (ft + fb) / 2 <= 560


def test_a_crop_without_a_detected_face_still_frames_the_drawn_face(photos):
    crop = crop_of(photos["fair"])
    assert crop.size == (640, 720)
    skin = np.all(np.abs(np.asarray(crop, int) - (230, 190, 160)) < 12, axis=-1)
    ys, xs = np.nonzero(skin)
    assert xs.min() > 20 and xs.max() < 620 and ys.min() > 20 and ys.max() < 700
    assert 0.35 < (ys.max() - ys.min()) / 720 < 0.75
    assert abs((xs.min() + xs.max()) / 2 - 320) < 30


def test_a_face_box_gives_a_head_and_shoulders_crop_and_small_photos_are_padded():
    img = photo_like(1, 900, 1200)
    crop = art.portrait_crop(img, (360, 300, 540, 480))
    assert crop.size == (640, 720)
    # A tight 200 px crop of that face is too short for head-and-shoulders framing, so the
    # bottom of the portrait is padded: a smooth smear of the photo's edge, not black or noise.
    tight = img.crop((250, 300, 650, 700)).resize((200, 200))
    padded = art.portrait_crop(tight, (30, 40, 170, 180))
    assert padded.size == (640, 720)
    bottom = np.asarray(padded, float)[-80:]
    assert bottom.mean() > 20 and np.abs(np.diff(bottom, axis=1)).mean() < 2.0


# --------------------------------------------------------------------------- scores

def test_identical_images_score_one_and_unrelated_images_score_low(photos):
    crop = crop_of(photos["photo"])
    assert art.similarity(crop, crop.copy()) == 1.0
    assert art.similarity(crop, crop_of(photos["coffee"])) < 0.6


@pytest.mark.parametrize("key,palette", [("fair", AUTUMN), ("dark", HARBOUR), ("photo", HARBOUR),
                                         ("astronaut", AUTUMN)])
def test_a_stylised_sheet_resembles_its_photo_more_as_strength_drops(photos, key, palette):
    crop = crop_of(photos[key])
    scores = {s: art.similarity(crop, art.sheet_portrait(art.stylize_sheet(photos[key], "X", palette, s, 1)))
              for s in (1.0, 0.6, 0.3)}
    assert 0.75 <= scores[1.0] <= 0.97
    assert scores[0.3] >= 0.85
    assert scores[1.0] <= scores[0.6] + 0.01 <= scores[0.3] + 0.02
    unrelated = art.similarity(crop_of(photos["coffee"]), art.sheet_portrait(
        art.stylize_sheet(photos[key], "X", palette, 1.0, 1)))
    assert unrelated < 0.6


def person(sheet: bytes):
    """A sheet's portrait and its cut-out matte: what the offline keyframe check compares (the person, not
    the sheet's backdrop, which a keyframe replaces with the scene)."""
    from core.providers.offline_cutout import cut_out

    portrait = art.sheet_portrait(sheet)
    return portrait, cut_out(portrait).alpha


@pytest.mark.parametrize("setting", ["enchanted autumn forest", "windy harbour town at sunset",
                                     "a cluttered clockmaker's workshop"])
def test_locate_finds_each_character_in_its_keyframe_and_not_a_stranger(sheets, photos, setting):
    cast = [sheets["astronaut"], sheets["owl"]]
    key = art.load_image(art.compose_keyframe(setting, "dusk", HARBOUR, cast, None, 2, strength=0.5))
    present = [art.locate(key, *person(s)) for s in cast]
    stranger = art.locate(key, crop_of(photos["coffee"]))
    assert min(present) >= 0.8
    assert min(present) - stranger > 0.2


def test_locate_tells_the_two_drawn_faces_apart(sheets):
    key = art.load_image(art.compose_keyframe("a quiet meadow", "day", AUTUMN, [sheets["dark"]], None, 1, 0.5))
    own = art.locate(key, *person(sheets["dark"]))
    other = art.locate(key, *person(sheets["fair"]))
    assert own >= 0.8 and own > other + 0.1


def test_strength_decides_how_far_a_character_is_graded_to_the_scene(sheets):
    args = ("snowy mountain pass", "night", HARBOUR, [sheets["astronaut"]], None, 3)
    strong = np.asarray(art.load_image(art.compose_keyframe(*args, strength=1.0)), float)
    gentle = np.asarray(art.load_image(art.compose_keyframe(*args, strength=0.2)), float)
    assert gentle.mean() > strong.mean()  # night light darkens the standee less at low strength


def test_the_previous_keyframe_nudges_the_grade_for_continuity(sheets):
    red = png_bytes(Image.new("RGB", (320, 180), (200, 30, 30)))
    plain = np.asarray(art.load_image(art.compose_keyframe("a quiet meadow", "day", HARBOUR, [], None, 1)), float)
    nudged = np.asarray(art.load_image(art.compose_keyframe("a quiet meadow", "day", HARBOUR, [], red, 1)), float)
    shift = nudged.reshape(-1, 3).mean(0) - plain.reshape(-1, 3).mean(0)
    assert shift[0] > 3 and shift[2] < -3  # towards red...
    assert np.abs(shift).max() < 40  # ...but only a nudge


# --------------------------------------------------------------------------- what gets drawn

def test_settings_and_moods_change_the_backdrop():
    day = np.asarray(art.draw_setting("a quiet meadow", "bright day", AUTUMN, 1), float)
    night = np.asarray(art.draw_setting("a quiet meadow", "night", AUTUMN, 1), float)
    assert night.mean() < day.mean() - 40
    forest = np.asarray(art.draw_setting("enchanted autumn forest", "day", AUTUMN, 1), float)
    room = np.asarray(art.draw_setting("a cluttered clockmaker's workshop", "day", AUTUMN, 1), float)
    assert np.abs(forest - day).mean() > 15 and np.abs(room - day).mean() > 15
    # Depth: the sky near the horizon is lighter than the near ground.
    assert day[300:340].mean() > day[-60:].mean()


def test_figure_sheets_draw_the_creature_the_description_names():
    kinds = [art.sheet_portrait(art.figure_sheet("N", d, HARBOUR, 1)) for d in
             ("a wise old owl", "a small robot", "a clever fox", "an old clockmaker with a beard")]
    for i in range(len(kinds)):
        for j in range(i + 1, len(kinds)):
            assert art.similarity(kinds[i], kinds[j]) < 0.9
    # The same character keeps its identity across seeds: only small details move.
    a, b = (art.sheet_portrait(art.figure_sheet("Owl", "a wise old owl", AUTUMN, s)) for s in (1, 2))
    assert art.similarity(a, b) > 0.85


def test_a_palette_with_junk_entries_still_draws():
    sheet = art.figure_sheet("Zed", "a traveller", ["not a colour", "#123456"], 1)
    assert Image.open(io.BytesIO(sheet)).size == art.SHEET_SIZE
    assert art.draw_setting("somewhere", "", [], 1).size == art.FRAME_SIZE
