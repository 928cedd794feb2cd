"""One owner for the schema: old projects upgrade in place, and bundles carry every column of every table.

`tests/data/project-m003.sql` is the database of a real 2-scene offline film made by the
release before this one (schema m001-m003), dumped as SQL. Its asset files are not kept
(they are megabytes); nothing asserted here reads them.
"""
from __future__ import annotations

import sqlite3

from core import jobs
from core.bundle import export_bundle, import_bundle
from core.pipeline import scenes
from core.pipeline.plan import story_of
from core.pipeline.status import status
from core.render.film import SOUND_FORM
from core.store import Project
from core.store.migrations import migrations
from tests.conftest import ROOT

OLD = ROOT / "tests" / "data" / "project-m003.sql"


def old_project(tmp_path):
    path = tmp_path / "old"
    (path / "assets").mkdir(parents=True)
    with sqlite3.connect(path / "project.db") as conn:
        conn.executescript(OLD.read_text())
    return path


def rows(db, sql):
    return [dict(r) for r in db.query(sql)]


def test_a_project_from_the_last_release_is_upgraded_in_place(tmp_path):
    path = old_project(tmp_path)
    with sqlite3.connect(path / "project.db") as conn:
        before = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("takes", "heads", "calls")}
        assert "error_kind" not in [c[1] for c in conn.execute("PRAGMA table_info(jobs)")]
    project = Project.open(path)
    assert [m.name for m in migrations.applied(project.db)][-7:] == [
        "m004_job_error_kind", "m005_job_waiting", "m006_tags", "m007_overrides", "m008_take_text",
        "m009_reused_origin", "m010_embeddings"]
    assert project.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    from core.library import items
    story = project.takes.head("story")
    assert story.id in [i.take for i in items(project, query=story.payload["concept"].split()[-1])]  # indexed
    assert "error_kind" in project.db["jobs"].columns_dict and "meta" in project.db["derived"].columns_dict
    assert {t: project.db[t].count for t in ("takes", "heads", "calls")} == before  # nothing lost or rewritten
    st = status(project)
    assert [s["id"] for s in st["scenes"]] == [1, 2] and st["plan_notes"] == []
    assert {s["slot"] for s in st["slots"] if s["stale"]} == set()  # a finished film stays finished
    assert jobs.recent(project)[0]["status"] == "succeeded"


def test_an_old_project_can_be_recut_and_reports_exactly_what_changed(tmp_path):
    project = Project.open(old_project(tmp_path))
    keyframes = {s: project.takes.head(s).asset for s in ("keyframe/1", "keyframe/2")}
    scenes.move_scene(project, 2, to=1)
    assert [s.scene_id for s in story_of(project.takes.head("story")).scenes] == [2, 1]
    assert {s["slot"] for s in status(project)["slots"] if s["stale"]} == {"keyframe/1", "keyframe/2", "cut",
                                                                           "script"}
    assert {s: project.takes.head(s).asset for s in keyframes} == keyframes  # the takes stayed with their scenes
    project.takes.undo()
    assert {s["slot"] for s in status(project)["slots"] if s["stale"]} == set()


def test_a_bundle_round_trip_keeps_every_row_of_every_table(film_copy, tmp_path):
    project = Project.open(film_copy)
    project.takes.fork("alt")
    project.takes.switch("main")
    project.tags.add(project.takes.head("keyframe/2").id, "keep")
    project.tags.add(project.takes.head("clip/1").id, "love")
    zipped = export_bundle(project, tmp_path / "film.zip")
    moved = import_bundle(zipped, tmp_path / "elsewhere" / "film")

    def same(sql, *, drop=()):
        a = [{k: v for k, v in r.items() if k not in drop} for r in rows(project.db, sql)]
        b = [{k: v for k, v in r.items() if k not in drop} for r in rows(moved.db, sql)]
        assert a == b, sql
    same("SELECT * FROM takes ORDER BY id", drop=("job",))
    same("SELECT * FROM heads ORDER BY branch, slot")
    same("SELECT * FROM branches ORDER BY name")
    same("SELECT * FROM calls ORDER BY id", drop=("id", "job"))
    same("SELECT * FROM derived ORDER BY source, kind")  # meta included: the soundtrack's measured loudness
    same("SELECT * FROM assets ORDER BY hash")
    same("SELECT * FROM tags ORDER BY take, tag")
    assert moved.db["tags"].count == 2
    assert any(r["meta"] for r in rows(moved.db, "SELECT meta FROM derived"))
    project.close()


def test_an_export_after_an_import_reuses_the_cut_and_the_soundtrack(film_copy, tmp_path):
    project = Project.open(film_copy)
    moved = import_bundle(export_bundle(project, tmp_path / "film.zip"), tmp_path / "elsewhere" / "film")
    project.close()
    cuts = moved.takes.count("cut")
    job = jobs.get(moved, jobs.submit(moved, "export", {}, background=False))
    assert job["status"] == "succeeded" and moved.takes.count("cut") == cuts  # the same export: the same cut take
    sound = moved.db["derived"].count_where("kind = ?", [SOUND_FORM])
    old = moved.takes.head("cut")
    job = jobs.get(moved, jobs.submit(moved, "export", {"settings": {"subtitles": "off"}}, background=False))
    assert job["status"] == "succeeded" and moved.takes.count("cut") == cuts + 1  # a new export...
    assert moved.db["derived"].count_where("kind = ?", [SOUND_FORM]) == sound     # ...on the carried soundtrack
    assert moved.takes.head("cut").payload["loudness_in"] == old.payload["loudness_in"]
