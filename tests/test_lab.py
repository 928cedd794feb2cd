"""The media lab on a real offline film: upscales, interpolation and character blends are new takes with lineage."""
from __future__ import annotations

import hashlib
import io

import av
import pytest
from PIL import Image

from core import lab, media
from core.errors import Cancelled, InputError, ProviderError
from core.pipeline.context import Context, JobHandle
from core.providers import get_provider
from core.providers import offline_art as art
from core.store import Project


@pytest.fixture
def project(film_copy):
    p = Project.open(film_copy)
    yield p
    p.close()


@pytest.fixture
def ctx(project):
    return Context(project=project, provider=get_provider("offline"))


def file_hash(project, asset):
    return hashlib.sha256(project.assets.path(asset).read_bytes()).hexdigest()


def video_frames(path) -> int:
    with av.open(str(path)) as c:
        return c.streams.video[0].frames


@pytest.mark.parametrize("slot", ["sheet/Ada", "keyframe/1", "clip/1"])
def test_upscale_doubles_a_sheet_a_keyframe_and_a_clip_as_a_new_head_take_and_leaves_the_source_alone(project, slot):
    source = project.takes.head(slot)
    before = file_hash(project, source.asset)
    row = project.assets.row(source.asset)
    new = lab.upscale(project, source.id)

    assert new.id != source.id and new.slot == slot
    assert new.parent == source.id and new.origin == "edited" and new.inputs == source.inputs
    assert new.payload == {"lab": "upscale", "factor": 2, "source": source.id,
                           "width": row["width"] * 2, "height": row["height"] * 2}
    assert new.note == f"upscaled 2x from take {source.id}"
    assert project.takes.head(slot).id == new.id
    assert not project.takes.stale(new, project.takes.head_ids())
    # The source is untouched: same take row, same bytes under the same hash.
    assert project.takes.get(source.id) == source and file_hash(project, source.asset) == before == source.asset
    if slot.startswith("clip/"):
        old = media.probe_video(project.assets.path(source.asset))
        info = media.probe_video(project.assets.path(new.asset))
        assert (info.width, info.height) == (old.width * 2, old.height * 2)
        assert info.vcodec == "h264" and round(info.fps) == round(old.fps) and info.acodec == "aac"
        assert abs(info.duration - old.duration) <= 0.1
    else:
        im = Image.open(io.BytesIO(project.assets.read(new.asset)))
        assert im.size == (row["width"] * 2, row["height"] * 2) and im.format == "PNG"


def test_upscale_refuses_other_factors_media_it_cannot_take_and_results_past_the_limits(project):
    keyframe = project.takes.head("keyframe/1")
    with pytest.raises(InputError, match="2x only"):
        lab.upscale(project, keyframe.id, factor=3)
    with pytest.raises(InputError, match="no media file"):
        lab.upscale(project, project.takes.head("story").id)
    with pytest.raises(InputError, match="sheets, keyframes and clips"):
        lab.upscale(project, project.takes.head("cut").id)

    big = lab.upscale(project, lab.upscale(project, keyframe.id).id)          # 1280x720 -> 2560 -> 5120
    assert (big.payload["width"], big.payload["height"]) == (5120, 2880)
    with pytest.raises(InputError, match=r"5120x2880; 2x would be 10240x5760, over the 8192 px limit"):
        lab.upscale(project, big.id)

    clip = lab.upscale(project, project.takes.head("clip/2").id)                # 1280x720 -> 2560x1440
    with pytest.raises(InputError, match=r"2560x1440; 2x would be 5120x2880, over the 4K limit"):
        lab.upscale(project, clip.id)
    assert project.takes.head("clip/2").id == clip.id  # a refusal moves nothing


def test_interpolating_a_clip_to_48_fps_gives_a_48_fps_clip_of_the_same_duration_as_a_new_take(project):
    source = project.takes.head("clip/1")
    old = media.probe_video(project.assets.path(source.asset))
    new = lab.interpolate(project, source.id, fps=48)

    path = project.assets.path(new.asset)
    info = media.probe_video(path)
    assert round(info.fps) == 48 and abs(info.duration - old.duration) <= 0.1
    assert video_frames(path) == round(old.duration * 48)
    assert (info.width, info.height, info.acodec) == (old.width, old.height, "aac")
    assert new.slot == "clip/1" and new.parent == source.id and new.inputs == source.inputs
    assert new.payload == {"lab": "interpolate", "fps": 48, "source": source.id, "mode": "mci"}
    assert project.takes.head("clip/1").id == new.id and project.takes.get(source.id) == source


def test_asking_60_fps_of_a_60_fps_clip_is_refused_with_a_clear_message(project):
    source = project.takes.head("clip/3")
    sixty = lab.interpolate(project, source.id, fps=60, mode="blend")    # the fast mode makes the 60 fps clip
    path = project.assets.path(sixty.asset)
    seconds = media.probe_video(project.assets.path(source.asset)).duration  # the scene's length, not a fixed 5 s
    assert round(media.probe_video(path).fps) == 60 and video_frames(path) == round(seconds * 60)
    with pytest.raises(InputError) as err:
        lab.interpolate(project, sixty.id, fps=60)
    assert str(err.value) == (f"Clip take {sixty.id} is already 60 fps; choose a higher frame rate than the source "
                              "(the lab offers up to 60 fps, so this clip cannot go higher).")
    with pytest.raises(InputError, match=r"already 60 fps.*\(the lab offers up to 60"):
        lab.interpolate(project, sixty.id, fps=48)


def test_asking_24_fps_of_a_24_fps_clip_is_refused_and_only_48_or_60_are_offered(project):
    clip = project.takes.head("clip/2")
    with pytest.raises(InputError) as err:
        lab.interpolate(project, clip.id, fps=24)
    assert str(err.value) == (f"Clip take {clip.id} is already 24 fps; choose a higher frame rate than the source "
                              "(48 or 60 for a 24 fps clip).")
    with pytest.raises(InputError, match="offers 48 or 60 fps, not 30"):
        lab.interpolate(project, clip.id, fps=30)
    with pytest.raises(InputError, match="mode 'optical'"):
        lab.interpolate(project, clip.id, fps=48, mode="optical")
    assert project.takes.head("clip/2").id == clip.id


def test_an_image_or_the_cut_given_to_interpolate_is_refused(project):
    with pytest.raises(InputError, match=r"keyframe/1\) is a still image; frame interpolation works on clips only"):
        lab.interpolate(project, project.takes.head("keyframe/1").id, fps=48)
    with pytest.raises(InputError, match="is the cut; frame interpolation works on clips only"):
        lab.interpolate(project, project.takes.head("cut").id, fps=48)


def test_a_cancelled_interpolation_stops_ffmpeg_and_writes_no_take(project):
    class CancelAtOnce(JobHandle):
        def cancel_requested(self) -> bool:
            return True

    clip = project.takes.head("clip/1")
    n = project.takes.count("clip/1")
    with pytest.raises(Cancelled):
        lab.interpolate(project, clip.id, fps=60, job=CancelAtOnce())
    assert project.takes.count("clip/1") == n and project.takes.head("clip/1").id == clip.id
    assert [p.name for p in (project.assets.root / "tmp").iterdir()] == []


def test_blending_ada_and_bo_gives_a_new_sheet_linked_to_both_and_logged_then_served_from_the_call_log(project, ctx):
    ada, bo = project.takes.head("sheet/Ada"), project.takes.head("sheet/Bo")
    take = lab.blend(ctx, "Ada", "Bo", name="AdaBo")

    assert take.slot == "sheet/AdaBo" and take.origin == "generated" and take.provider == "offline"
    assert take.inputs == {"sheet/Ada": ada.id, "sheet/Bo": bo.id}
    assert take.payload == {"lab": "blend", "from": ["Ada", "Bo"], "weight": 0.5}
    assert project.takes.head("sheet/AdaBo").id == take.id
    call = project.calls.recent(1)[0]
    assert (call["operation"], call["slot"], call["outcome"], call["output_asset"]) == \
        ("blend_characters", "sheet/AdaBo", "ok", take.asset)
    assert ada.asset in call["inputs"] and bo.asset in call["inputs"]

    # A proper sheet of the standard size, whose portrait really lies between the two it came from.
    data = project.assets.read(take.asset)
    assert Image.open(io.BytesIO(data)).format == "PNG" and Image.open(io.BytesIO(data)).size == art.SHEET_SIZE
    pa, pb, pm = (art.sheet_portrait(project.assets.read(a)) for a in (ada.asset, bo.asset, take.asset))
    apart = art.similarity(pa, pb)
    assert art.similarity(pm, pa) > apart and art.similarity(pm, pb) > apart

    calls = project.calls.totals()["total"]
    assert lab.blend(ctx, "Ada", "Bo", name="AdaBo").id == take.id       # the same blend again: nothing new
    project.takes.undo()                                                 # the blend's head move taken back
    assert project.takes.head("sheet/AdaBo") is None
    again = lab.blend(ctx, "Ada", "Bo", name="AdaBo")
    assert again.id != take.id and again.asset == take.asset             # a new take from the logged answer
    assert project.calls.totals()["total"] == calls                      # ... and no new call row

    mostly_ada = lab.blend(ctx, "Ada", "Bo", name="AdaBo", weight=0.25)  # a re-blend of the blend's own name
    assert mostly_ada.parent == again.id and mostly_ada.asset != take.asset
    assert project.calls.totals()["total"] == calls + 1
    pq = art.sheet_portrait(project.assets.read(mostly_ada.asset))
    assert art.similarity(pq, pa) > art.similarity(pq, pb)


def test_invalid_blend_names_characters_and_weights_are_refused(project, ctx):
    for name, message in [("", "Give the blended character a name"), ("   ", "Give the blended character a name"),
                          ("Ada/Bo", "cannot contain '/'"), ("Ada", "'Ada' is already a character"),
                          ("bo", "'Bo' is already a character"), ("x" * 61, "keep it to 60")]:
        with pytest.raises(InputError, match=message):
            lab.blend(ctx, "Ada", "Bo", name=name)
    with pytest.raises(InputError, match="Cy has no sheet on this branch.*Ada, Bo"):
        lab.blend(ctx, "Ada", "Cy", name="AdaCy")
    with pytest.raises(InputError, match="two different characters"):
        lab.blend(ctx, "Ada", "Ada", name="AdaAda")
    for weight in (0, 1, 1.5, "half"):
        with pytest.raises(InputError, match="weight"):
            lab.blend(ctx, "Ada", "Bo", name="AdaBo", weight=weight)
    assert project.takes.count("sheet/AdaBo") == 0 and not [c for c in project.calls.recent()
                                                             if c["operation"] == "blend_characters"]


def test_a_provider_that_cannot_blend_says_so_and_the_failure_is_logged(project):
    ctx = Context(project=project, provider=get_provider("slow-offline"))  # offline's subclass, without blending
    with pytest.raises(ProviderError, match="slow-offline provider cannot blend"):
        lab.blend(ctx, "Ada", "Bo", name="AdaBo")
    call = project.calls.recent(1)[0]
    assert (call["operation"], call["outcome"]) == ("blend_characters", "error")
    assert project.takes.count("sheet/AdaBo") == 0


def test_the_job_kinds_run_the_lab_through_a_context(project, ctx):
    out = lab.JOB_KINDS["upscale"](ctx, take=project.takes.head("sheet/Bo").id)
    assert out == {"take": project.takes.head("sheet/Bo").id, "slot": "sheet/Bo"}
    out = lab.JOB_KINDS["blend"](ctx, a="Ada", b="Bo", name="Boda", weight=0.6)
    assert project.takes.get(out["take"]).payload["weight"] == 0.6 and ctx.job.done == 1
