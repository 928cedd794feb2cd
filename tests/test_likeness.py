"""Likeness, measured: dlib's face encoder against real photos (tests/data/faces), the offline cut-outs,
the keyframes' depth layers and parallax clips, and likeness in the pipeline's checks (offline, and xai against
the fake server, where a face that is clearly someone else's is retried without paying for the vision check).

The photos are real people (see tests/data/faces/README.md), so the same-person line means what it says.
"""
from __future__ import annotations

import io
import itertools
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core import faces, jobs
from core.pipeline import likeness
from core.pipeline.plan import add_reference
from core.pipeline.status import status
from core.providers import offline_art as art
from core.providers import offline_cutout
from core.render import layers
from core.store import Project

PHOTOS = Path(__file__).parent / "data" / "faces"
NAMES = ["astronaut", "obama", "biden", "poker-left", "poker-right", "poker-black-dress", "poker-grey-shirt"]
NIGHT = ["#0d1b2a", "#1b263b", "#415a77", "#778da9", "#e0e1dd"]
AUTUMN = ["#3b1f0e", "#8b3a0f", "#d2691e", "#f4a460", "#fff1d6"]


def photo(name: str) -> bytes:
    return (PHOTOS / f"{name}.jpg").read_bytes()


@pytest.fixture(scope="module")
def sheets() -> dict[str, bytes]:
    return {n: art.stylize_sheet(photo(n), n.title(), NIGHT if i % 2 else AUTUMN, 0.9, i)
            for i, n in enumerate(NAMES)}


def test_every_photo_shows_one_face_and_different_people_are_apart():
    for name in NAMES:
        assert len(faces.faces(photo(name))) == 1, name
    for a, b in itertools.combinations(NAMES, 2):
        lk = faces.likeness(photo(a), photo(b))
        assert lk.distance is not None and lk.distance > faces.SAME_PERSON, (a, b, lk)
        assert lk.same_person is False


def test_every_offline_sheet_keeps_the_photos_likeness(sheets):
    for name, sheet in sheets.items():
        lk = faces.likeness(photo(name), sheet)
        assert lk.distance is not None and lk.distance < faces.SAME_PERSON, (name, lk)
        assert lk.label() == f"likeness {lk.distance:.2f}"


CASTS = [("a rooftop under the stars at night", ["astronaut", "poker-grey-shirt"]),
         ("a storm at the lighthouse", ["obama", "biden"]),
         ("a quiet valley at the edge of town", ["poker-left", "poker-right", "poker-black-dress"]),
         ("a snowy forest at dawn", ["poker-grey-shirt"])]


@pytest.fixture(scope="module")
def keyframes(sheets) -> list[tuple[str, list[str], bytes]]:
    return [(setting, cast, art.compose_keyframe(setting, "calm", NIGHT, [sheets[c] for c in cast], None, i,
                                                 names=cast))
            for i, (setting, cast) in enumerate(CASTS)]


def test_every_offline_keyframe_keeps_each_characters_likeness_where_they_stand(keyframes):
    for setting, cast, key in keyframes:
        found = layers.read(key)
        assert [p.name for p in sorted(found.people, key=lambda p: cast.index(p.name))] == cast
        for person in found.people:
            lk = faces.likeness(photo(person.name), key, region=person.box)
            assert lk.distance is not None and lk.distance < faces.SAME_PERSON, (setting, person.name, lk)
        assert layers.note(key) == ""  # every cut-out held


def straight_edges_around(img: Image.Image, person: layers.Person) -> list[tuple[int, int, int, int]]:
    """Long straight lines along a character's box (its top, left or right side) where the character's own
    pixels reach the line: the edge of a pasted card. A cut-out's matte fades before the box's sides and
    follows the head, so it has none; a straight line of the backdrop that happens to lie there (a lamp post,
    a wall) has no character at it and does not count."""
    import cv2

    W, H = img.size
    bx0, by0, bx1, by1 = person.box
    matte = np.asarray(person.alpha, dtype=np.float32) / 255
    edges = cv2.Canny(np.asarray(img.convert("L")), 50, 150)
    side = min(min(W, bx1) - max(0, bx0), min(H, by1) - max(0, by0))
    lines = cv2.HoughLinesP(edges, 1, np.pi / 180, threshold=60, minLineLength=int(0.3 * side), maxLineGap=5)

    def held(xs, ys) -> bool:  # is the character there, just inside the line?
        xs, ys = np.clip(np.asarray(xs) - bx0, 0, matte.shape[1] - 1), np.clip(np.asarray(ys) - by0, 0, matte.shape[0] - 1)
        return float(matte[ys.astype(int), xs.astype(int)].mean()) > 0.5

    found = []
    for lx0, ly0, lx1, ly1 in ([] if lines is None else lines.reshape(-1, 4)):
        n = 20
        xs, ys = np.linspace(lx0, lx1, n), np.linspace(ly0, ly1, n)
        if abs(ly1 - ly0) <= 3 and abs((ly0 + ly1) / 2 - by0) <= 8 and held(xs, ys + 4):
            found.append((lx0, ly0, lx1, ly1))
        if abs(lx1 - lx0) <= 3 and min(ly0, ly1) >= by0 - 8:
            x = (lx0 + lx1) / 2
            if (abs(x - bx0) <= 8 and held(xs + 4, ys)) or (abs(x - bx1) <= 8 and held(xs - 4, ys)):
                found.append((lx0, ly0, lx1, ly1))
    return found


def test_keyframes_show_people_cut_out_with_no_card_edges_around_them(keyframes):
    for setting, cast, key in keyframes:
        img = art.load_image(key)
        for person in layers.read(key).people:
            assert straight_edges_around(img, person) == [], (setting, person.name)


def test_a_failed_cut_out_falls_back_to_a_card_says_so_and_the_edge_measure_sees_it(sheets, monkeypatch):
    monkeypatch.setattr(offline_cutout, "_cut", lambda rgb: offline_cutout.Cutout(None, None, "the cut-out failed"))
    monkeypatch.setattr(offline_cutout, "_CACHE", {})
    key = art.compose_keyframe("a quiet valley", "calm", NIGHT, [sheets["obama"]], None, 1, names=["Obama"])
    assert layers.note(key) == "Obama: the cut-out failed; shown as a card"
    person, = layers.read(key).people
    assert len(straight_edges_around(art.load_image(key), person)) >= 2  # its top and a side at least


def test_the_cut_out_is_a_person_shaped_matte(sheets):
    for name, sheet in sheets.items():
        portrait = art.sheet_portrait(sheet)
        cut = offline_cutout.cut_out(portrait)
        assert cut.ok, (name, cut.note)
        a = np.asarray(cut.alpha, dtype=np.float32) / 255
        x0, y0, x1, y1 = cut.face
        inner = a[y0 + (y1 - y0) // 5:y1, x0 + (x1 - x0) // 6:x1 - (x1 - x0) // 6]
        assert inner.mean() > 0.9                         # the face is in (a brow cut by the photo's edge aside)
        assert a[:20, : max(1, x0 - 40)].mean() < 0.1     # the wall above and beside the head is out
        assert 0.2 < a.mean() < 0.8
    drawn = offline_cutout.cut_out(art.sheet_portrait(art.figure_sheet("Owl", "a wise old owl", AUTUMN, 1)))
    assert drawn.ok and drawn.face is None                # a drawn face: the shape prior alone seeds it


def _shift(a: np.ndarray, b: np.ndarray) -> float:
    from skimage.registration import phase_cross_correlation

    (_, dx), _, _ = phase_cross_correlation(a, b, upsample_factor=4, normalization=None)
    return float(dx)


def test_a_clip_moves_the_people_faster_than_the_backdrop(keyframes, tmp_path):
    from core.media import frame_png
    from core.render.motion import render_move

    setting, cast, key = keyframes[0]
    clip = tmp_path / "pan.mp4"
    clip.write_bytes(render_move(art.load_image(key), "pan right", 2, mood="calm", seed=3, layers=layers.read(key)))
    first = np.asarray(art.load_image(frame_png(clip, at="first")).convert("L"), dtype=np.float32)
    last = np.asarray(art.load_image(frame_png(clip, at="last")).convert("L"), dtype=np.float32)
    sky = _shift(first[20:200], last[20:200])            # above everyone's head
    people = _shift(first[420:700], last[420:700])       # through their faces and shoulders
    assert abs(people) > 8 and abs(people) > 1.4 * abs(sky), (sky, people)
    flat = tmp_path / "flat.mp4"
    flat.write_bytes(render_move(art.load_image(key), "pan right", 2, mood="calm", seed=3))
    f0 = np.asarray(art.load_image(frame_png(flat, at="first")).convert("L"), dtype=np.float32)
    f1 = np.asarray(art.load_image(frame_png(flat, at="last")).convert("L"), dtype=np.float32)
    assert abs(_shift(f0[20:200], f1[20:200]) - _shift(f0[420:700], f1[420:700])) < 2  # one flat slide


def test_the_people_breathe_when_the_camera_holds(keyframes, tmp_path):
    from core.media import frame_png
    from core.render.motion import render_move

    _, _, key = keyframes[3]
    found = layers.read(key)
    clip = tmp_path / "hold.mp4"
    clip.write_bytes(render_move(art.load_image(key), "static", 3, mood="calm", seed=1, layers=found))
    a, b = (np.asarray(art.load_image(frame_png(clip, at=at)), dtype=np.float32) for at in ("first", "last"))
    x0, y0, x1, y1 = found.people[0].box
    inside = np.abs(a - b)[max(0, y0):720, max(0, x0):x1].mean()
    outside = np.abs(a - b)[:, :max(1, x0 - 40)].mean() if x0 > 60 else np.abs(a - b)[:, x1 + 40:].mean()
    assert inside > outside + 0.5, (inside, outside)


def test_layers_ride_inside_the_png_and_a_damaged_chunk_is_ignored(keyframes):
    _, cast, key = keyframes[0]
    found = layers.read(key)
    assert found.plate.size == art.FRAME_SIZE and len(found.people) == 2 and found.people[0].alpha.mode == "L"
    img = Image.open(io.BytesIO(key))
    assert img.size == art.FRAME_SIZE and img.mode == "RGB"
    plain = io.BytesIO()
    img.save(plain, "PNG")
    assert layers.read(plain.getvalue()) is None and layers.read(b"not a png") is None
    assert layers.read(key.replace(b"dailies:layers", b"dailies:layerz")) is None


# --------------------------------------------------------------------------- in the pipeline

def _film(tmp_path: Path, refs: dict[str, bytes], provider: str, concept: str, **params) -> Project:
    project = Project.open(tmp_path / "film")
    for name, data in refs.items():
        add_reference(project, name, data, filename=f"{name}.jpg")
    job = jobs.submit(project, "make", {"concept": concept, "scenes": 2, **params}, provider=provider,
                      background=False)
    row = jobs.get(project, job)
    assert row["status"] == "succeeded", row["message"]
    return project


def test_offline_takes_carry_their_likeness_into_status_and_the_badge(tmp_path):
    coffee = io.BytesIO()
    from skimage import data as skdata

    Image.fromarray(skdata.coffee()).save(coffee, "PNG")  # a photo with no face in it
    project = _film(tmp_path, {"Eileen": photo("astronaut"), "Cup": coffee.getvalue()}, "offline",
                    "Eileen, a retired astronaut, and Cup, a talking teacup, watch the stars")
    slots = {s["slot"]: s for s in status(project)["slots"]}
    sheet = slots["sheet/Eileen"]
    assert sheet["likeness"]["Eileen"]["distance"] < faces.SAME_PERSON
    assert slots["sheet/Cup"]["likeness"]["Cup"] == {"distance": None, "note": "no face found in the reference photo"}
    for n in (1, 2):
        kf = slots[f"keyframe/{n}"]
        if "Eileen" in kf["likeness"]:
            assert kf["likeness"]["Eileen"]["distance"] < faces.SAME_PERSON
    take = project.takes.head("sheet/Eileen")
    assert likeness.badge(take.payload) == f"likeness {sheet['likeness']['Eileen']['distance']:.2f}"
    assert take.payload["attempts"][0]["likeness"]["Eileen"]["distance"] is not None
    assert likeness.badge(project.takes.head("sheet/Cup").payload) == "no face found in the reference photo"


@pytest.mark.parametrize("gate", [True, False])
def test_xai_a_sheet_with_someone_elses_face_is_retried_without_a_paid_check(fake, tmp_path, gate):
    png = io.BytesIO()
    Image.open(PHOTOS / "obama.jpg").save(png, "PNG")  # what a model might draw instead: someone else
    right = io.BytesIO()
    Image.open(PHOTOS / "astronaut.jpg").save(right, "PNG")
    fake.answer_images("Eileen", [png.getvalue(), right.getvalue()])
    project = Project.open(tmp_path / "film")
    likeness.set_gate(project, gate)
    add_reference(project, "Eileen", photo("astronaut"), filename="astronaut.jpg")
    job = jobs.submit(project, "make", {"concept": "Eileen, a retired astronaut, watches the stars", "scenes": 1},
                      provider="xai", background=False)
    assert jobs.get(project, job)["status"] == "succeeded"
    calls = [r for r in project.calls.recent(200) if r["slot"] == "sheet/Eileen"]
    assert sorted(r["operation"] for r in calls) == ["check"] * (1 if gate else 2) + ["make_sheet"] * 2
    take = project.takes.head("sheet/Eileen")
    first, second = take.payload["attempts"]
    assert first["likeness"]["Eileen"]["distance"] > faces.CLEARLY_OTHER
    said = " ".join(first["issues"])
    if gate:  # failed by the free measure alone
        assert "_gate" in first["likeness"] and "not the reference photo's" in said
    else:     # the paid check passed it; the likeness held it back
        assert "_gate" not in first["likeness"] and "drifts from the reference photo" in said
    assert second["likeness"]["Eileen"]["distance"] < 0.05  # the photo itself came back
    assert take.asset == second["asset"]


def test_the_cut_out_is_the_same_matte_however_often_it_is_made(sheets):
    portrait = art.sheet_portrait(sheets["biden"])
    first = offline_cutout._cut(portrait.copy())
    offline_cutout._cut(art.sheet_portrait(sheets["obama"]))  # another cut in between moves OpenCV's generator
    again = offline_cutout._cut(portrait.copy())
    assert first.alpha.tobytes() == again.alpha.tobytes()


def test_in_a_picture_of_two_a_missing_face_is_not_scored_against_the_other(sheets):
    key = art.compose_keyframe("a quiet valley", "calm", NIGHT, [sheets["obama"]], None, 2, names=["Obama"])
    found = faces.likenesses({"Obama": photo("obama"), "Biden": photo("biden")}, key)
    assert found["Obama"].distance < faces.SAME_PERSON
    assert found["Biden"] == faces.Likeness(None, "no face found")  # not Obama's face at 0.8
    both = art.compose_keyframe("a quiet valley", "calm", NIGHT, [sheets["obama"], sheets["biden"]], None, 2,
                                names=["Obama", "Biden"])
    shared = faces.likenesses({"Obama": photo("obama"), "Biden": photo("biden")}, both)
    assert all(lk.distance < faces.SAME_PERSON for lk in shared.values()), shared


def test_a_clip_moves_the_people_without_the_foreground_baked_into_them(keyframes):
    for _, _, key in keyframes:
        found = layers.read(key)
        assert all(p.rgb is not None and p.rgb.size == p.alpha.size for p in found.people)
        plate = np.asarray(found.plate, dtype=np.float32)
        frame = np.asarray(art.load_image(key), dtype=np.float32)
        # The shadows are in the plate: around the people (outside every matte and the foreground) plate and
        # frame agree, shadows included.
        everyone = np.zeros(frame.shape[:2], np.float32)
        for p in found.people:
            x0, y0, x1, y1 = p.box
            cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(1280, x1), min(720, y1)
            matte = np.asarray(p.alpha, np.float32)[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0] / 255
            everyone[cy0:cy1, cx0:cx1] = np.maximum(everyone[cy0:cy1, cx0:cx1], matte)
        fore = np.asarray(found.fore, np.float32)[..., 3] if found.fore is not None else np.zeros(everyone.shape)
        around = (everyone < 0.01) & (fore < 1)
        assert np.abs(plate[around] - frame[around]).mean() < 3
