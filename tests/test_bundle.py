"""Portable bundles: export, import elsewhere, verify; hostile archives are refused and leave nothing behind."""
from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from core import bundle, jobs
from core.bundle import export_bundle, import_bundle, verify
from core.errors import InputError
from core.store import Project


@pytest.fixture(scope="module")
def forked_film(finished_film, tmp_path_factory) -> Path:
    """The finished film plus a fork `alt` whose scene 1 was regenerated; shared, only read by the tests."""
    path = tmp_path_factory.mktemp("forked") / "harbour"
    shutil.copytree(finished_film, path)
    project = Project.open(path)
    project.takes.fork("alt")
    job = jobs.submit(project, "regenerate", {"scene": 1}, background=False)
    assert jobs.get(project, job)["status"] == "succeeded"
    project.takes.switch("main")
    project.close()
    return path


def heads_by_hash(project: Project, branch: str) -> dict[str, str | None]:
    return {slot: take.asset for slot, take in project.takes.heads(branch).items()}


def asset_hashes(project: Project) -> set[str]:
    return {r["hash"] for r in project.db.query("SELECT hash FROM assets")}


def manifest_of(path: Path) -> dict:
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("manifest.json"))


def rezip(src: Path, dst: Path, *, change: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None,
          compression: int = zipfile.ZIP_STORED) -> Path:
    """Copy a bundle entry by entry, replacing some entries' bytes and adding others."""
    change, add = change or {}, add or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, change.get(info.filename, zin.read(info.filename)))
        for name, data in add.items():
            zout.writestr(name, data)
    return dst


def assert_refused(archive: Path, dest: Path, match: str) -> InputError:
    """The import raises InputError naming the problem; dest does not exist and its folder holds no leftovers."""
    parent = dest.parent
    before = sorted(p.name for p in parent.iterdir()) if parent.exists() else None
    with pytest.raises(InputError, match=match) as caught:
        import_bundle(archive, dest)
    assert str(archive) in str(caught.value)
    assert "\n" not in str(caught.value)
    assert not dest.exists()
    after = sorted(p.name for p in parent.iterdir()) if parent.exists() else None
    assert after == before
    return caught.value


@pytest.fixture(scope="module")
def full_bundle(forked_film, tmp_path_factory) -> Path:
    project = Project.open(forked_film)
    try:
        return export_bundle(project, tmp_path_factory.mktemp("bundles") / "harbour.zip")
    finally:
        project.close()


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    d = tmp_path / "elsewhere"
    d.mkdir()
    return d


def test_a_bundle_imported_elsewhere_has_the_same_heads_and_assets_on_every_branch(forked_film, full_bundle,
                                                                                   elsewhere):
    source = Project.open(forked_film)
    copy = import_bundle(full_bundle, elsewhere / "harbour")
    assert copy.path == (elsewhere / "harbour").resolve()
    assert verify(copy) == []
    assert set(copy.takes.branches()) == set(source.takes.branches()) == {"main", "alt"}
    assert copy.branch == source.branch == "main"
    assert copy.name == source.name
    for branch in source.takes.branches():
        assert heads_by_hash(copy, branch) == heads_by_hash(source, branch)
        assert copy.takes.head_ids(branch) == source.takes.head_ids(branch)  # ids kept, so links still hold
        for slot, take in source.takes.heads(branch).items():
            assert copy.takes.head(slot, branch).payload == take.payload
            assert copy.takes.head(slot, branch).inputs == take.inputs
    used = {r["asset"] for r in source.db.query("SELECT asset FROM takes WHERE asset IS NOT NULL")}
    assert used <= asset_hashes(copy) <= asset_hashes(source)
    for digest in asset_hashes(copy):
        assert copy.assets.read(digest) == source.assets.read(digest)
    # The call log travels too: what the film cost, and every output a replayed call needs.
    assert copy.calls.totals() == source.calls.totals() and copy.calls.totals()["total"] > 0
    outputs = [r["output_asset"] for r in copy.db.query("SELECT output_asset FROM calls WHERE outcome = 'ok'")]
    assert any(outputs) and all(copy.assets.path(h).exists() for h in outputs if h)
    assert copy.calls.by_slot() == source.calls.by_slot()
    assert {r["job"] for r in copy.db.query("SELECT job FROM calls")} == {None}  # job rows stay on this machine
    # The bundle is a manifest plus asset files: no database travels with it.
    with zipfile.ZipFile(full_bundle) as zf:
        assert "project.db" not in zf.namelist()
        assert all(n == "manifest.json" or n.startswith("assets/") for n in zf.namelist())


def test_a_one_branch_bundle_after_forking_holds_only_that_branch(forked_film, tmp_path, elsewhere):
    source = Project.open(forked_film)
    alt = export_bundle(source, tmp_path / "alt.zip", branch="alt")
    manifest = manifest_of(alt)
    assert [b["name"] for b in manifest["branches"]] == ["alt"]
    assert manifest["branches"][0]["heads"] == source.takes.head_ids("alt")
    assert manifest["current_branch"] == "alt"
    assert manifest["format_version"] == bundle.FORMAT_VERSION

    copy = import_bundle(alt, elsewhere / "alt-only")
    assert verify(copy) == []
    assert copy.branch == "alt"
    assert heads_by_hash(copy, "alt") == heads_by_hash(source, "alt")
    assert copy.takes.heads("main") == {}  # `main` always exists in a project, but nothing came with it

    # The other way round: main's bundle leaves out the takes and files made only on the fork.
    main = manifest_of(export_bundle(source, tmp_path / "main.zip", branch="main"))
    fork_only = set(source.takes.head_ids("alt").values()) - set(source.takes.head_ids("main").values())
    assert fork_only and not fork_only & {t["id"] for t in main["takes"]}
    fork_files = {source.takes.get(t).asset for t in fork_only} - {None}
    assert fork_files and not fork_files & {a["hash"] for a in main["assets"]}
    assert [b["name"] for b in main["branches"]] == ["main"]
    # Calls go with the branch whose jobs made them: the fork's regenerate is in alt's bundle, not main's.
    fork_calls = {(r["key"], r["created"]) for r in source.db.query(
        "SELECT calls.key, calls.created FROM calls JOIN jobs ON jobs.id = calls.job WHERE jobs.branch = 'alt'")}
    assert fork_calls and fork_calls <= {(c["key"], c["created"]) for c in manifest["calls"]}
    assert not fork_calls & {(c["key"], c["created"]) for c in main["calls"]}


@pytest.mark.parametrize("damage, match", [
    (lambda c: c.update(output_asset="0" * 64), "names output asset 000000000000, which is not in the bundle"),
    (lambda c: c.update(cost_usd=-1), "a call row is malformed"),
    (lambda c: c.update(outcome="maybe"), "a call row is malformed"),
])
def test_a_bundle_with_a_damaged_call_row_is_refused(full_bundle, tmp_path, elsewhere, damage, match):
    manifest = manifest_of(full_bundle)
    damage(manifest["calls"][0])
    archive = rezip(full_bundle, tmp_path / "bad.zip", change={"manifest.json": json.dumps(manifest).encode()})
    assert_refused(archive, elsewhere / "bad", match)


def test_a_carried_call_that_cannot_be_replayed_is_made_again(full_bundle, tmp_path, elsewhere):
    from core.pipeline.context import Context

    manifest = manifest_of(full_bundle)
    call = next(c for c in manifest["calls"] if c["operation"] == "check" and c["outcome"] == "ok")
    call["result"] = {"not": "a check result"}  # e.g. written by another version
    archive = rezip(full_bundle, tmp_path / "odd.zip", change={"manifest.json": json.dumps(manifest).encode()})
    copy = import_bundle(archive, elsewhere / "odd")
    from core.providers import get_provider

    ctx = Context(project=copy, provider=get_provider("offline"))
    row = next(copy.db.query("SELECT * FROM calls WHERE key = ? AND outcome = 'ok'", [call["key"]]))
    assert ctx._replay("check", row) is None  # a cache miss, not a crash
    good = next(copy.db.query("SELECT * FROM calls WHERE operation = 'make_sheet' AND outcome = 'ok'"))
    assert ctx._replay("make_sheet", good) == good["output_asset"]  # a carried output replays


def test_a_bundle_without_calls_imports_with_an_empty_log(full_bundle, tmp_path, elsewhere):
    manifest = manifest_of(full_bundle)
    del manifest["calls"]
    archive = rezip(full_bundle, tmp_path / "older.zip", change={"manifest.json": json.dumps(manifest).encode()})
    copy = import_bundle(archive, elsewhere / "older")
    assert copy.calls.totals()["total"] == 0 and verify(copy) == []


def test_an_unknown_branch_or_a_bad_destination_is_refused_before_writing(forked_film, tmp_path):
    source = Project.open(forked_film)
    with pytest.raises(InputError, match="no branch 'nope'"):
        export_bundle(source, tmp_path / "x.zip", branch="nope")
    with pytest.raises(InputError, match=r"\.zip"):
        export_bundle(source, tmp_path / "x.tar")
    with pytest.raises(InputError, match="does not exist"):
        export_bundle(source, tmp_path / "missing" / "x.zip")
    assert [p.name for p in tmp_path.iterdir() if "x." in p.name or p.name == "missing"] == []


def test_an_entry_that_climbs_out_with_dotdot_is_refused(full_bundle, tmp_path, elsewhere):
    evil = rezip(full_bundle, tmp_path / "evil.zip", add={"../evil.txt": b"gotcha"})
    assert_refused(evil, elsewhere / "film", "'../evil.txt'.*zip-slip")
    assert not (tmp_path / "evil.txt").exists() and not (elsewhere / "evil.txt").exists()


def test_an_entry_with_an_absolute_path_is_refused(full_bundle, tmp_path, elsewhere):
    target = tmp_path / "planted.txt"
    evil = rezip(full_bundle, tmp_path / "abs.zip", add={str(target): b"gotcha"})
    assert_refused(evil, elsewhere / "film", "absolute")
    assert not target.exists()


def test_a_zip_bomb_is_refused(full_bundle, tmp_path, elsewhere):
    bomb = rezip(full_bundle, tmp_path / "bomb.zip", add={"assets/00/zeros.mp4": bytes(50 * 1024 * 1024)},
                 compression=zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(bomb) as zf:  # the 50 MB of zeros packs to almost nothing
        assert zf.getinfo("assets/00/zeros.mp4").compress_size < 1024 * 1024
    assert_refused(bomb, elsewhere / "film", "zip bomb")


def test_an_archive_that_is_too_large_is_refused(full_bundle, elsewhere, monkeypatch):
    monkeypatch.setattr(bundle, "MAX_TOTAL_BYTES", 1024 * 1024)
    assert_refused(full_bundle, elsewhere / "film", "too large")


def test_an_archive_with_too_many_files_is_refused(full_bundle, elsewhere, monkeypatch):
    monkeypatch.setattr(bundle, "MAX_ENTRIES", 5)
    assert_refused(full_bundle, elsewhere / "film", r"too many entries \(\d+, the limit is 5\)")


def test_a_tampered_asset_is_refused_and_nothing_is_left_behind(full_bundle, tmp_path):
    name = next(a["file"] for a in manifest_of(full_bundle)["assets"] if a["ext"] == "png")
    with zipfile.ZipFile(full_bundle) as zf:
        data = bytearray(zf.read(name))
    data[len(data) // 2] ^= 0xFF  # same size, different bytes
    tampered = rezip(full_bundle, tmp_path / "tampered.zip", change={name: bytes(data)})
    # The hash check runs while extracting, after the folders were made: they must all be gone again.
    dest = tmp_path / "not" / "yet" / "film"
    error = assert_refused(tampered, dest, "does not match its sha256")
    assert name in str(error)
    assert not (tmp_path / "not").exists()


def test_an_asset_whose_size_changed_is_refused(full_bundle, tmp_path, elsewhere):
    name = manifest_of(full_bundle)["assets"][0]["file"]
    with zipfile.ZipFile(full_bundle) as zf:
        data = zf.read(name)
    tampered = rezip(full_bundle, tmp_path / "grown.zip", change={name: data + b"extra"})
    assert_refused(tampered, elsewhere / "film", "bytes but the manifest says")


def test_entries_missing_from_or_unknown_to_the_manifest_are_refused(full_bundle, tmp_path, elsewhere):
    extra = rezip(full_bundle, tmp_path / "extra.zip", add={"assets/ab/notes.txt": b"hi"})
    assert_refused(extra, elsewhere / "film", "not listed in its manifest")
    name = manifest_of(full_bundle)["assets"][0]["file"]
    short = tmp_path / "short.zip"
    with zipfile.ZipFile(full_bundle) as zin, zipfile.ZipFile(short, "w") as zout:
        for info in zin.infolist():
            if info.filename != name:
                zout.writestr(info.filename, zin.read(info.filename))
    assert_refused(short, elsewhere / "film", f"missing 1 asset file.*{name}")


def test_a_newer_bundle_format_is_refused_with_a_clear_message(full_bundle, tmp_path, elsewhere):
    manifest = manifest_of(full_bundle)
    manifest["format_version"] = 99
    newer = rezip(full_bundle, tmp_path / "newer.zip", change={"manifest.json": json.dumps(manifest).encode()})
    assert_refused(newer, elsewhere / "film", "format version 99.*reads only version 1.*update Dailies")


def test_import_refuses_a_folder_that_is_not_empty(full_bundle, elsewhere):
    (elsewhere / "film").mkdir()
    (elsewhere / "film" / "mine.txt").write_text("keep me")
    with pytest.raises(InputError, match="not empty"):
        import_bundle(full_bundle, elsewhere / "film")
    assert [p.name for p in (elsewhere / "film").iterdir()] == ["mine.txt"]


def test_verify_reports_a_changed_and_a_missing_asset_file_and_is_empty_when_clean(film_copy):
    project = Project.open(film_copy)
    assert verify(project) == []
    keyframe = project.takes.head("keyframe/1")
    clip = project.takes.head("clip/2")
    changed = project.assets.path(keyframe.asset)
    changed.write_bytes(changed.read_bytes() + b"tampered")
    project.assets.path(clip.asset).unlink()
    problems = verify(project)
    assert len(problems) == 2
    changed_line = next(p for p in problems if "contents changed" in p)
    assert changed_line.startswith(f"assets/{keyframe.asset[:2]}/{keyframe.asset}.png: contents changed")
    assert f"expected sha256 {keyframe.asset[:12]}" in changed_line and "keyframe/1" in changed_line
    missing_line = next(p for p in problems if "missing" in p)
    assert missing_line.startswith(f"assets/{clip.asset[:2]}/{clip.asset}.mp4: file missing")
    assert "clip/2" in missing_line
