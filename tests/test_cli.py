"""The command-line contract: errors are one line with exit 2; results are the last stdout line."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import CONCEPT, ROOT


def core(*args, home, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("XAI_API_KEY", "DAILIES_XAI_HOST")}
    env["DAILIES_HOME"] = str(home)
    env.update(env_extra or {})
    p = subprocess.run([sys.executable, "-m", "core", *map(str, args)], capture_output=True, text=True,
                       env=env, cwd=ROOT, timeout=600)
    return p.returncode, p.stdout, p.stderr


def assert_one_line_error(rc, err, *words):
    lines = [line for line in err.splitlines() if line.strip()]
    assert rc == 2, err
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for w in words:
        assert w.lower() in lines[0].lower(), lines[0]


@pytest.fixture
def not_an_image(tmp_path):
    p = tmp_path / "not-an-image.png"
    p.write_text("hello")
    return p


def test_an_empty_concept_is_refused_before_anything_is_created(tmp_path, workspace):
    rc, _, err = core("make", "   ", "--project", tmp_path / "b1", home=workspace)
    assert_one_line_error(rc, err, "concept is empty")
    assert not (tmp_path / "b1").exists()


def test_a_missing_reference_photo_is_named(tmp_path, workspace):
    rc, _, err = core("make", CONCEPT, "--project", tmp_path / "b2", "--ref", f"Ada={tmp_path / 'missing.png'}",
                      home=workspace)
    assert_one_line_error(rc, err, "missing.png", "does not exist")


def test_a_file_that_is_not_an_image_is_named(tmp_path, workspace, not_an_image):
    rc, _, err = core("make", CONCEPT, "--project", tmp_path / "b3", "--ref", f"Ada={not_an_image}", home=workspace)
    assert_one_line_error(rc, err, "not-an-image.png", "not a readable image")


def test_a_malformed_ref_says_the_expected_form(tmp_path, workspace, faces):
    rc, _, err = core("make", CONCEPT, "--project", tmp_path / "b", "--ref", str(faces["Ada"]), home=workspace)
    assert_one_line_error(rc, err, "NAME=PATH")


def test_an_unknown_provider_lists_the_known_ones(tmp_path, workspace):
    rc, _, err = core("make", CONCEPT, "--project", tmp_path / "b4", "--provider", "dalle", home=workspace)
    assert_one_line_error(rc, err, "unknown provider", "offline")


def test_xai_without_a_key_says_how_to_set_it(tmp_path, workspace):
    rc, _, err = core("make", CONCEPT, "--project", tmp_path / "b5", "--provider", "xai", home=workspace)
    assert_one_line_error(rc, err, "XAI_API_KEY")


def test_scenes_out_of_range_is_refused(tmp_path, workspace):
    rc, _, err = core("make", CONCEPT, "--project", tmp_path / "b6", "--scenes", "40", home=workspace)
    assert_one_line_error(rc, err, "--scenes 40")


def test_commands_on_a_missing_project_are_bad_input(tmp_path, workspace):
    for args in (("status", "--project", tmp_path / "nope", "--json"), ("undo", "--project", tmp_path / "nope"),
                 ("regenerate", "--project", tmp_path / "nope", "--scene", "1")):
        rc, _, err = core(*args, home=workspace)
        assert_one_line_error(rc, err, "not a Dailies project")


def test_unknown_arguments_are_one_line(workspace):
    rc, _, err = core("make", "--frobnicate", home=workspace)
    assert_one_line_error(rc, err)


def test_regenerate_a_scene_out_of_range_is_bad_input(film_copy, workspace):
    rc, _, err = core("regenerate", "--project", film_copy, "--scene", "7", home=workspace)
    assert_one_line_error(rc, err, "--scene 7", "1 to 3")


def test_status_json_has_the_contract_shape(film_copy, workspace):
    rc, out, err = core("status", "--project", film_copy, "--json", home=workspace)
    assert rc == 0, err
    st = json.loads(out)
    assert st["branch"] == "main"
    assert {"total", "cost_usd"} <= set(st["calls"]) and st["calls"]["total"] > 0
    assert {"path", "asset"} <= set(st["cut"]) and st["cut"]["path"].endswith(".mp4")
    slots = {s["slot"]: s for s in st["slots"]}
    assert {"story", "sheet/Ada", "sheet/Bo", "keyframe/1", "clip/3", "script", "cut"} <= set(slots)
    assert all({"slot", "head", "asset", "takes", "stale"} <= set(s) for s in st["slots"])
    assert not any(s["stale"] for s in st["slots"])


def test_export_writes_the_cut_to_the_named_file(film_copy, workspace, tmp_path):
    out = tmp_path / "final.mp4"
    rc, stdout, err = core("export", "--project", film_copy, "--out", out, home=workspace)
    assert rc == 0, err
    assert stdout.strip().splitlines()[-1] == str(out)
    assert out.stat().st_size > 10_000
    rc, _, err = core("export", "--project", film_copy, "--out", tmp_path / "final.mov", home=workspace)
    assert_one_line_error(rc, err, ".mp4")


def test_branch_and_undo_from_the_command_line(film_copy, workspace):
    rc, _, err = core("branch", "--project", film_copy, "alt", home=workspace)
    assert rc == 0, err
    st = json.loads(core("status", "--project", film_copy, "--json", home=workspace)[1])
    assert st["branch"] == "alt" and set(st["branches"]) == {"main", "alt"}
    rc, _, err = core("branch", "--project", film_copy, "alt", home=workspace)
    assert_one_line_error(rc, err, "already exists")
    rc, _, err = core("undo", "--project", film_copy, home=workspace)
    assert_one_line_error(rc, err, "nothing to undo")  # a fresh fork has no head moves of its own
