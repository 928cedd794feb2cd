"""The project store: migrations, content-addressed assets, takes, heads, branches, undo, staleness."""
from __future__ import annotations

import hashlib
import sqlite3

import pytest

from core.errors import InputError
from core.store import Project
from core.store.migrations import migrations


def test_migrations_build_the_schema_from_a_blank_database(tmp_path):
    project = Project.open(tmp_path / "p")
    tables = set(project.db.table_names())
    assert {"settings", "assets", "branches", "jobs", "takes", "heads", "events", "calls", "derived"} <= tables
    applied = [m.name for m in migrations.applied(project.db)]
    assert applied == ["m001_initial", "m002_derived_meta", "m003_deferred", "m004_job_error_kind",
                       "m005_job_waiting", "m006_tags", "m007_overrides", "m008_take_text", "m009_reused_origin",
                       "m010_embeddings"]
    assert "meta" in project.db["derived"].columns_dict
    assert project.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    project.close()
    again = Project.open(tmp_path / "p")  # re-opening applies nothing twice
    assert [m.name for m in migrations.applied(again.db)] == applied
    assert again.branch == "main"


def test_open_refuses_a_folder_that_is_not_a_project(tmp_path):
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty"):
        Project.open(tmp_path / "stuff")
    assert (tmp_path / "stuff" / "notes.txt").read_text() == "mine"


def test_assets_are_content_addressed_and_deduplicated(tmp_path):
    project = Project.open(tmp_path / "p")
    data = b"\x89PNG fake but bytes are bytes" * 10
    h1 = project.assets.put(data, "md")
    path = project.assets.path(h1)
    mtime = path.stat().st_mtime_ns
    h2 = project.assets.put(data, "md")
    assert h1 == h2 == hashlib.sha256(data).hexdigest()
    assert path == tmp_path / "p" / "assets" / h1[:2] / f"{h1}.md"
    assert path.stat().st_mtime_ns == mtime  # never rewritten
    assert project.db.execute("SELECT count(*) FROM assets").fetchone()[0] == 1
    assert not list(path.parent.glob(".tmp-*"))  # the temp file was renamed into place


def test_an_image_asset_records_its_dimensions(tmp_path, faces):
    project = Project.open(tmp_path / "p")
    h = project.assets.put(faces["Ada"].read_bytes(), "png")
    row = project.assets.row(h)
    assert (row["mime"], row["width"], row["height"]) == ("image/png", 640, 800)


def test_a_failed_write_leaves_no_partial_asset(tmp_path, monkeypatch):
    project = Project.open(tmp_path / "p")
    import core.store.assets as assets_mod

    def boom(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(assets_mod.os, "replace", boom)
    with pytest.raises(OSError):
        project.assets.put(b"some bytes", "md")
    assert not [p for p in (tmp_path / "p" / "assets").rglob("*") if p.is_file()]


def test_verify_reports_a_tampered_asset(tmp_path):
    project = Project.open(tmp_path / "p")
    h = project.assets.put(b"original", "md")
    assert project.assets.verify() == []
    project.assets.path(h).write_bytes(b"tampered")
    assert project.assets.verify() == [h]


def _take(project, slot, text, **kw):
    return project.takes.add(slot, payload={"text": text}, **kw)


def test_fork_copies_heads_and_no_takes(tmp_path):
    project = Project.open(tmp_path / "p")
    a = _take(project, "story", "one")
    b = _take(project, "sheet/Ada", "two", inputs={"story": a.id})
    project.takes.set_heads({"story": a.id, "sheet/Ada": b.id})
    takes_before = project.db.execute("SELECT count(*) FROM takes").fetchone()[0]
    project.takes.fork("alt")
    assert project.branch == "alt"
    assert project.takes.head_ids("alt") == project.takes.head_ids("main")
    assert project.db.execute("SELECT count(*) FROM takes").fetchone()[0] == takes_before
    c = _take(project, "story", "three")
    project.takes.set_heads({"story": c.id})
    assert project.takes.head("story", "main").id == a.id  # main is untouched
    with pytest.raises(InputError, match="already exists"):
        project.takes.fork("alt")
    with pytest.raises(InputError, match="not valid"):
        project.takes.fork("../evil")


def test_a_take_is_stale_when_an_input_slot_moved(tmp_path):
    project = Project.open(tmp_path / "p")
    k1 = _take(project, "keyframe/1", "k1")
    k2 = _take(project, "keyframe/2", "k2", inputs={"keyframe/1": k1.id})
    project.takes.set_heads({"keyframe/1": k1.id, "keyframe/2": k2.id})
    assert not project.takes.stale(k2, project.takes.head_ids())
    k1b = _take(project, "keyframe/1", "k1 again", parent=k1.id)
    project.takes.set_heads({"keyframe/1": k1b.id})
    assert project.takes.stale(k2, project.takes.head_ids())


def test_undo_puts_back_a_whole_group_of_head_moves(tmp_path):
    project = Project.open(tmp_path / "p")
    a1, b1 = _take(project, "a", "1"), _take(project, "b", "1")
    project.takes.set_heads({"a": a1.id, "b": b1.id})
    a2, b2 = _take(project, "a", "2"), _take(project, "b", "2")
    project.takes.set_heads({"a": a2.id, "b": b2.id})
    assert sorted(project.takes.undo()) == ["a", "b"]
    assert project.takes.head_ids() == {"a": a1.id, "b": b1.id}
    project.takes.undo()
    assert project.takes.head_ids() == {}
    with pytest.raises(InputError, match="Nothing to undo"):
        project.takes.undo()
    assert project.db.execute("SELECT count(*) FROM takes").fetchone()[0] == 4  # takes are never deleted


def test_restore_moves_the_head_to_an_older_take(tmp_path):
    project = Project.open(tmp_path / "p")
    t1, t2 = _take(project, "story", "1"), _take(project, "story", "2")
    project.takes.set_heads({"story": t2.id})
    project.takes.restore(t1.id)
    assert project.takes.head("story").id == t1.id
    kinds = [e["kind"] for e in project.takes.events()]
    assert kinds[0] == "restore"


def test_connections_are_per_thread_and_concurrent_writers_wait(tmp_path):
    import threading

    project = Project.open(tmp_path / "p")
    errors = []

    def writer(i):
        try:
            for j in range(25):
                t = _take(project, f"s/{i}", str(j))
                project.takes.set_heads({f"s/{i}": t.id})
        except Exception as err:  # noqa: BLE001
            errors.append(err)
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert project.db.execute("SELECT count(*) FROM takes").fetchone()[0] == 100
    assert isinstance(project.db.conn, sqlite3.Connection)
