"""Edits of a still in words, whole or inside a region: child takes, exact pixels outside the region, one call."""
from __future__ import annotations

import base64
import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from core import jobs
from core.errors import InputError
from core.pipeline.context import Context
from core.pipeline.status import stale_slots
from core.pipeline.stills import Region, edit_still, thread
from core.providers import get_provider
from core.store import Project
from tests.conftest import ROOT, xai_film


@pytest.fixture
def film(film_copy):
    project = Project.open(film_copy)
    yield project
    project.close()


def pixels(project, take) -> np.ndarray:
    return np.asarray(Image.open(project.assets.path(take.asset)).convert("RGB")).astype(int)


def ctx(project) -> Context:
    return Context(project=project, provider=get_provider("offline"))


def test_an_instruction_edit_is_a_child_take_with_the_instruction_as_its_note(film):
    source = film.takes.head("sheet/Ada")
    take = edit_still(ctx(film), "sheet/Ada", "brighter and warmer")
    assert (take.parent, take.note, take.origin) == (source.id, "brighter and warmer", "edited")
    assert take.asset != source.asset and film.takes.head("sheet/Ada").id == take.id
    a, b = pixels(film, source), pixels(film, take)
    assert b.mean() > a.mean() and (b[..., 0] - b[..., 2]).mean() > (a[..., 0] - a[..., 2]).mean()
    again = edit_still(ctx(film), "sheet/Ada", "mirror")
    assert [t.note for t in thread(film, again)] == ["brighter and warmer", "mirror"]


def test_a_box_edit_changes_only_the_pixels_inside_the_box(film):
    source = film.takes.head("keyframe/2")
    box = (260, 330, 320, 300)  # over the first character (the scene around them may already be teal)
    take = edit_still(ctx(film), "keyframe/2", "make it teal", region=Region(box=box))
    a, b = pixels(film, source), pixels(film, take)
    x, y, w, h = box
    inside = np.zeros(a.shape[:2], bool)
    inside[y:y + h, x:x + w] = True
    assert (a[~inside] == b[~inside]).all()           # exact, pixel for pixel
    assert (np.abs(a[inside] - b[inside]).sum(axis=1) > 0).mean() > 0.1  # and the region did change (its main colour)


def test_a_mask_edit_changes_only_where_the_mask_is_white(film):
    source = film.takes.head("keyframe/1")
    w, h = Image.open(film.assets.path(source.asset)).size
    mask = Image.new("L", (w // 4, h // 4), 0)      # any size: it is scaled to the picture
    mask.paste(255, (40, 40, 120, 110))
    buf = io.BytesIO()
    mask.save(buf, format="PNG")
    take = edit_still(ctx(film), "keyframe/1", "darker", region=Region(mask=film.assets.put(buf.getvalue(), "png")))
    big = np.asarray(mask.resize((w, h), Image.Resampling.NEAREST)) >= 128
    a, b = pixels(film, source), pixels(film, take)
    assert (a[~big] == b[~big]).all() and b[big].mean() < a[big].mean()


def test_an_edited_keyframe_makes_its_clip_and_the_next_keyframe_stale_and_run_all_keeps_it(film):
    take = edit_still(ctx(film), "keyframe/2", "zoom in")
    assert {"clip/2", "keyframe/3"} <= stale_slots(film)
    jobs.submit(film, "make", {}, background=False)
    assert film.takes.head("keyframe/2").id == take.id     # the edit is not "repaired" back
    assert film.takes.head("clip/2").inputs["keyframe/2"] == take.id  # the clip was made from it


def test_an_instruction_offline_cannot_do_writes_nothing(film):
    before = film.takes.count("sheet/Ada")
    with pytest.raises(InputError, match="cannot do “give her a hat” offline"):
        edit_still(ctx(film), "sheet/Ada", "give her a hat")
    assert film.takes.count("sheet/Ada") == before


@pytest.mark.parametrize("slot, instruction, region, match", [
    ("clip/1", "brighter", None, "not a still"), ("sheet/Nobody", "brighter", None, "no picture yet"),
    ("sheet/Ada", "   ", None, "Say what to change"), ("keyframe/1", "red", Region(box=(5000, 0, 10, 10)), "not inside"),
])
def test_edits_that_cannot_be_made_say_why(film, slot, instruction, region, match):
    with pytest.raises(InputError, match=match):
        edit_still(ctx(film), slot, instruction, region=region)


def test_the_cli_edits_a_box_and_refuses_what_offline_cannot_do(film_copy, workspace):
    def core(*args):
        return subprocess.run([sys.executable, "-m", "core", *map(str, args), "--project", film_copy], cwd=ROOT,
                              capture_output=True, text=True, timeout=300,
                              env={"PATH": "/usr/bin:/bin", "DAILIES_HOME": str(workspace)})
    p = core("edit", "make the coat red", "--slot", "keyframe/1", "--box", "100,100,300,250")
    assert p.returncode == 0 and p.stdout.strip().endswith(".png"), p.stderr
    project = Project.open(film_copy)
    takes = project.takes.count("keyframe/1")
    p = core("edit", "add a dragon", "--slot", "keyframe/1")
    assert p.returncode == 2 and p.stderr.strip().splitlines()[-1].startswith("error: The offline provider cannot")
    assert project.takes.count("keyframe/1") == takes
    p = core("edit", "red", "--slot", "keyframe/1", "--box", "one,two")
    assert p.returncode == 2 and "X,Y,W,H" in p.stderr
    project.close()


def test_xai_edits_send_one_image_call_with_the_source_or_only_the_crop(fake, tmp_path, faces):
    project, job = xai_film(tmp_path, faces, scenes=1)
    assert job["status"] == "succeeded", job["message"]
    xctx = Context(project=project, provider=get_provider("xai"))
    source = project.takes.head("keyframe/1")
    n = fake.count("image")
    edit_still(xctx, "keyframe/1", "make the sky stormy")
    sent = [r for r in fake.requests if r.kind == "image"][n:]
    assert len(sent) == 1 and sent[0].image_count == 1 and "make the sky stormy" in sent[0].prompt
    img = Image.open(io.BytesIO(base64.b64decode(sent[0].request.image.image_url.split(",", 1)[1])))
    assert img.size == Image.open(project.assets.path(source.asset)).size  # the whole source take
    edit_still(xctx, "keyframe/1", "a red kite", region=Region(box=(200, 100, 300, 200)))
    sent = [r for r in fake.requests if r.kind == "image"][n + 1:]
    crop = Image.open(io.BytesIO(base64.b64decode(sent[0].request.image.image_url.split(",", 1)[1])))
    assert len(sent) == 1 and crop.size == (300 + 2 * 45, 200 + 2 * 30)  # the box and its margin, nothing else
    assert "Change only this part" in sent[0].prompt
