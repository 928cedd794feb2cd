"""Portable project bundles: export a project (or one branch) to a .zip, import it as a new project, verify.

A bundle is a zip with `manifest.json` and the asset files under their store
names, `assets/ab/<sha256>.<ext>`. The manifest, not a copy of `project.db`, is
the portable form: a database file drags along this machine's job rows, the
provider call log, WAL state and whatever schema version made it, while the
manifest carries exactly what a film is — branches and their heads, the takes
those heads need, the asset rows those takes use and the `derived` cache rows
between included assets — in a documented, versioned JSON shape that a newer
Dailies can read or refuse by `format_version`.

Choices, and why:

* A one-branch bundle holds the takes reachable from the branch's heads (and
  its approved story take) through `parent` and `inputs`, transitively, so every
  take's lineage, staleness check and restore target is present. Assets are
  those the included takes point at, plus any asset hash named in their
  payloads (a cut lists its normalized parts, a step its attempts).
* Rows are read and written through the store's own classes (`rows()` and
  `load()`), whose columns come from the tables themselves: a column a later
  migration adds travels without a change here, and an older bundle that lacks
  it imports with the column's default.
* Take ids are kept: the import is always a new, empty project, so ids cannot
  collide and heads, `inputs` and `parent` links stay valid without rewriting.
  `takes.job` is cleared on import because job rows are local history that is
  not carried; events (undo history) are not carried either.
* The call log is carried, so what the film cost stays with it and a call made
  before the move is still never paid for twice: every call of a whole-project
  bundle, or, for one branch, the calls its jobs made (and job-less calls for
  its slots). Their output assets travel with them, so a replayed call finds its
  output. Calls are new rows on import (ids and `job` are this machine's); a
  bundle without calls (an older one) imports with an empty log.
* Export writes to a temp file in the destination folder and renames it, and
  re-hashes each asset while it writes it, so a damaged store never ships.
* Import treats the zip as hostile. Everything that can be checked from the
  central directory and the manifest is checked before anything is written:
  entry count, total size, per-entry compression ratio (zip bombs), names
  (absolute, `..`, backslashes: zip-slip), duplicates, encryption, entries not
  in the manifest and manifest entries missing from the zip, the manifest's
  shape and format version. Asset bytes are then hashed while being extracted
  into a temp folder next to `dest`, which becomes the project only by one
  rename at the very end; any refusal removes the temp folder, so `dest` is
  never created half-way.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import tempfile
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from core import __version__
from core.errors import InputError
from core.store import DB_NAME, Project
from core.store.assets import MIMES, now
from core.store.assets import relpath as asset_name
from core.store.takes import _BRANCH_RE, ORIGINS

FORMAT = "dailies-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"

MAX_TOTAL_BYTES = 4 * 1024**3        # sum of uncompressed entry sizes
MAX_ENTRIES = 20_000                 # entries in the archive, manifest included
MAX_RATIO = 200                      # uncompressed:compressed, for entries larger than RATIO_MIN_BYTES
RATIO_MIN_BYTES = 10 * 1024**2
MAX_MANIFEST_BYTES = 256 * 1024**2   # the manifest is parsed in memory

_HASH_RE = re.compile(r"^[0-9a-f]{64}$")
_HASH_IN_TEXT = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
# Settings that describe the film rather than this machine's bookkeeping.
_PORTABLE_SETTING = re.compile(r"^(approved/[A-Za-z0-9][A-Za-z0-9._-]{0,39}|budget_usd|provider|models/[\w.-]{1,40})$")
_CHUNK = 1 << 20
_PACKED = {"png", "jpg", "webp", "mp4", "m4a", "mp3", "ogg"}  # already compressed formats


# -- export ----------------------------------------------------------------------------------------

def export_bundle(project: Project, out: Path, *, branch: str | None = None) -> Path:
    """Write the project (or one branch of it) to the .zip `out`; return its resolved path."""
    out = Path(out).expanduser()
    if out.suffix.lower() != ".zip":
        raise InputError(f"The bundle {out} must be a .zip file; give --out a name ending in .zip.")
    out = out.parent.resolve() / out.name
    if not out.parent.is_dir():
        raise InputError(f"The folder {out.parent} for the bundle {out.name} does not exist; create it first.")
    if out.is_dir():
        raise InputError(f"The bundle path {out} is a folder; give a file name ending in .zip.")
    manifest = _manifest(project, branch)

    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", allowZip64=True) as zf:
            zf.writestr(_zinfo(MANIFEST, zipfile.ZIP_DEFLATED),
                        json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False))
            for row in manifest["assets"]:
                _write_asset(project, zf, row)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def _zinfo(name: str, compression: int, size: int | None = None) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = compression
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    if size is not None:
        info.file_size = size  # lets zipfile pick zip64 up front for large files
    return info


def _write_asset(project: Project, zf: zipfile.ZipFile, row: dict) -> None:
    name = asset_name(row["hash"], row["ext"])
    src = project.path / name
    try:
        size = src.stat().st_size
        # Compressed media is stored as is; text (and any uncompressed kind) is deflated.
        method = zipfile.ZIP_STORED if row["ext"] in _PACKED else zipfile.ZIP_DEFLATED
        h = hashlib.sha256()
        with open(src, "rb") as f, zf.open(_zinfo(name, method, size), "w") as dst:
            for chunk in iter(lambda: f.read(_CHUNK), b""):
                h.update(chunk)
                dst.write(chunk)
    except FileNotFoundError:
        raise InputError(f"Cannot export {project.path.name}: the asset file {name} is missing; "
                         "run `verify` and restore the project folder first.") from None
    if h.hexdigest() != row["hash"]:
        raise InputError(f"Cannot export {project.path.name}: the asset file {name} has changed on disk; "
                         "run `verify` and restore the project folder first.")


def _manifest(project: Project, branch: str | None) -> dict:
    db = project.db
    own = not db.conn.in_transaction
    if own:
        db.conn.execute("BEGIN")  # one read snapshot while jobs may be writing
    try:
        branches = {r["name"]: r for r in project.takes.branch_rows()}
        if branch is not None and branch not in branches:
            raise InputError(f"There is no branch {branch!r} to export; branches: {', '.join(branches)}.")
        names = [branch] if branch is not None else list(branches)
        settings = {r["key"]: json.loads(r["value"]) for r in db.query("SELECT key, value FROM settings")}
        takes = {r["id"]: r for r in project.takes.rows()}
        assets = {r["hash"]: r for r in project.assets.rows()}
        derived = project.derived.rows()
        calls = project.calls.rows()
        tags = project.tags.rows()
        overrides = project.tags.override_rows()
    finally:
        if own:
            db.conn.execute("COMMIT")

    approved = {b: settings.get(f"approved/{b}") for b in names}
    if branch is None:
        keep = set(takes)
    else:
        roots = [*branches[branch]["heads"].values(), *([approved[branch]] if approved[branch] in takes else [])]
        keep = _closure(roots, takes)

    used: set[str] = set()
    for tid in keep:
        t = takes[tid]
        if t["asset"]:
            used.add(t["asset"])
        if t["payload"] is not None:
            used.update(h for h in _HASH_IN_TEXT.findall(json.dumps(t["payload"])) if h in assets)
    slots = {takes[tid]["slot"] for tid in keep}
    carried = [c for c in calls if branch is None or c["job_branch"] == branch
               or (c["job_branch"] is None and c["slot"] in slots)]
    used.update(c["output_asset"] for c in carried if c["output_asset"] in assets)
    # Render products cached under a recipe of what made them (soundtracks, transitions, cards) travel too, so an
    # export after an import reuses them instead of rendering again; products of included assets (normalized
    # clips, animatics) travel with those assets.
    cache = [d for d in derived if d["asset"] in assets and (d["source"] in used or d["source"] not in assets)]
    used.update(d["asset"] for d in cache)
    portable = {k: v for k, v in settings.items() if _PORTABLE_SETTING.match(k)
                and not (k.startswith("approved/") and (k[9:] not in names or v not in keep))}
    current = project.branch if project.branch in names else names[0]
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": now(),
        "dailies_version": __version__,
        "project": {"name": project.name, "created": settings.get("created")},
        "current_branch": current,
        "branches": [{**branches[b], "parent": branches[b]["parent"] if branches[b]["parent"] in names else None}
                     for b in names],
        "settings": portable,
        "takes": [takes[i] for i in sorted(keep)],
        "assets": [{**assets[h], "file": asset_name(h, assets[h]["ext"])} for h in sorted(used)],
        "derived": cache,
        "tags": [t for t in tags if t["take"] in keep],
        "overrides": [o for o in overrides if o["take"] in keep],
        "calls": [_call_out(c, assets) for c in carried],
    }


def _closure(roots: Iterable[int], takes: dict[int, dict]) -> set[int]:
    keep: set[int] = set()
    todo = [r for r in roots if r in takes]
    while todo:
        tid = todo.pop()
        if tid in keep:
            continue
        keep.add(tid)
        t = takes[tid]
        links = [t["parent"], *(t["inputs"] or {}).values()]
        todo.extend(i for i in links if isinstance(i, int) and i in takes and i not in keep)
    return keep


def _call_out(row: dict, assets: dict) -> dict:
    c = {k: v for k, v in row.items() if k != "job_branch"}
    if c["output_asset"] not in assets:
        c["output_asset"] = None  # a row whose output file was never stored (an error, a structured answer)
    return c


# -- import ----------------------------------------------------------------------------------------

def import_bundle(bundle: Path, dest: Path) -> Project:
    """Create a new project at `dest` (absent or an empty folder) from `bundle`; all or nothing."""
    bundle = Path(bundle).expanduser()
    dest = Path(dest).expanduser()
    dest = dest.parent.resolve() / dest.name

    def refuse(problem: str) -> InputError:
        return InputError(f"Bundle {bundle}: {problem}")

    if not bundle.is_file():
        raise InputError(f"Bundle {bundle} does not exist or is not a file; check the path.")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise InputError(f"Cannot import into {dest}: it is a file or a folder that is not empty; "
                         "choose a new project folder.")
    try:
        zf = zipfile.ZipFile(bundle)
    except (zipfile.BadZipFile, OSError) as err:
        raise refuse(f"is not a readable .zip ({err}); export it again.") from None
    with zf:
        infos = _check_entries(zf, refuse)
        manifest = _read_manifest(zf, infos, refuse)
        try:
            plan = _check_manifest(manifest, refuse)
        except (TypeError, KeyError, AttributeError) as err:  # a wrong type somewhere deep in hostile JSON
            raise refuse(f"{MANIFEST} is damaged ({type(err).__name__}: {err}); export the bundle again.") from None
        _check_listing(infos, plan, refuse)
        total = sum(i.file_size for i in infos.values())
        return _materialize(zf, infos, manifest, plan, dest, total, refuse)


def _check_entries(zf: zipfile.ZipFile, refuse) -> dict[str, zipfile.ZipInfo]:
    entries = zf.infolist()
    if len(entries) > MAX_ENTRIES:
        raise refuse(f"has too many entries ({len(entries)}, the limit is {MAX_ENTRIES}); refusing to import it.")
    total = sum(i.file_size for i in entries)
    if total > MAX_TOTAL_BYTES:
        raise refuse(f"is too large ({_size(total)} uncompressed, the limit is {_size(MAX_TOTAL_BYTES)}); "
                     "refusing to import it.")
    infos: dict[str, zipfile.ZipInfo] = {}
    for info in entries:
        name = info.filename
        if _unsafe_name(name):
            raise refuse(f"has an entry {name!r} whose path is absolute or leaves the project folder "
                         "(zip-slip); refusing to import it.")
        if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise refuse(f"entry {name!r} expands {info.file_size // max(info.compress_size, 1)}:1 to "
                         f"{_size(info.file_size)} (a zip bomb; the limit is {MAX_RATIO}:1); refusing to import it.")
        if info.flag_bits & 0x1:
            raise refuse(f"entry {name!r} is encrypted; export the bundle again without a password.")
        if name in infos:
            raise refuse(f"has the entry {name!r} twice; export the bundle again.")
        infos[name] = info
    return infos


def _unsafe_name(name: str) -> bool:
    """Absolute, drive-relative, backslashed or dotted paths: anything that could land outside the folder."""
    if not name or "\\" in name or "\x00" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return True
    parts = name[:-1].split("/") if name.endswith("/") else name.split("/")
    return any(p in ("", ".", "..") for p in parts)


def _read_manifest(zf: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo], refuse) -> Any:
    info = infos.get(MANIFEST)
    if info is None:
        raise refuse(f"has no {MANIFEST}; it is not a Dailies bundle.")
    if info.file_size > MAX_MANIFEST_BYTES:
        raise refuse(f"{MANIFEST} is {_size(info.file_size)}, over the {_size(MAX_MANIFEST_BYTES)} limit; "
                     "refusing to import it.")
    try:
        with zf.open(info) as f:
            data = f.read(MAX_MANIFEST_BYTES + 1)
        return json.loads(data.decode("utf-8"))
    except (zipfile.BadZipFile, OSError, EOFError, UnicodeDecodeError, ValueError) as err:
        raise refuse(f"{MANIFEST} cannot be read ({err}); export the bundle again.") from None


def _check_manifest(m: Any, refuse) -> dict:
    """Validate the manifest's shape and links; return the entries expected in the zip and the rows to write."""
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise refuse(f"{MANIFEST} is not a Dailies bundle manifest.")
    version = m.get("format_version")
    if version != FORMAT_VERSION:
        raise refuse(f"uses bundle format version {version!r}, but this Dailies ({__version__}) reads only "
                     f"version {FORMAT_VERSION}; update Dailies or export it again with this version.")

    def bad(what: str) -> InputError:
        return refuse(f"{MANIFEST} is damaged: {what}; export the bundle again.")

    def opt(v, *types) -> bool:
        return v is None or (isinstance(v, types) and not isinstance(v, bool))

    assets: dict[str, dict] = {}
    for a in _list(m, "assets", bad):
        if not isinstance(a, dict):
            raise bad("an asset row is not an object")
        h, ext = a.get("hash"), a.get("ext")
        if not (isinstance(h, str) and _HASH_RE.match(h)) or ext not in MIMES or a.get("mime") != MIMES[ext]:
            raise bad(f"asset {str(h)[:16]!r} has no valid sha256 name or type")
        if a.get("file", asset_name(h, ext)) != asset_name(h, ext):
            raise bad(f"asset {h[:12]} is listed under {a.get('file')!r} instead of {asset_name(h, ext)!r}")
        if not (isinstance(a.get("bytes"), int) and a["bytes"] >= 0) or not opt(a.get("width"), int) \
                or not opt(a.get("height"), int) or not opt(a.get("duration"), int, float) \
                or not isinstance(a.get("created"), str):
            raise bad(f"asset {h[:12]} has a malformed row")
        if h in assets:
            raise bad(f"asset {h[:12]} is listed twice")
        assets[h] = a

    takes: dict[int, dict] = {}
    for t in _list(m, "takes", bad):
        if not isinstance(t, dict) or not isinstance(t.get("id"), int) or isinstance(t.get("id"), bool):
            raise bad("a take row has no integer id")
        tid = t["id"]
        inputs = t.get("inputs")
        ok = (isinstance(t.get("slot"), str) and t["slot"] and t.get("origin") in ORIGINS
              and opt(t.get("parent"), int) and opt(t.get("asset"), str)
              and isinstance(inputs, dict) and all(isinstance(v, int) for v in inputs.values())
              and all(opt(t.get(k), str) for k in ("provider", "model", "recipe", "note"))
              and isinstance(t.get("variant"), int) and opt(t.get("score"), int, float)
              and isinstance(t.get("cost_usd"), (int, float)) and isinstance(t.get("created"), str)
              and (t.get("payload") is not None or t.get("asset") is not None))
        if not ok:
            raise bad(f"take {tid} has a malformed row")
        if tid in takes:
            raise bad(f"take {tid} is listed twice")
        takes[tid] = t
    for t in takes.values():
        if t["parent"] is not None and t["parent"] not in takes:
            raise bad(f"take {t['id']} has parent {t['parent']}, which is not in the bundle")
        if t["asset"] is not None and t["asset"] not in assets:
            raise bad(f"take {t['id']} uses asset {t['asset'][:12]}, which is not in the bundle")

    branches: dict[str, dict] = {}
    for b in _list(m, "branches", bad):
        name = b.get("name") if isinstance(b, dict) else None
        if not (isinstance(name, str) and _BRANCH_RE.match(name)) or name in branches:
            raise bad(f"branch {name!r} is not a valid, unique branch name")
        heads = b.get("heads")
        if not isinstance(heads, dict) or not isinstance(b.get("created"), str) or not opt(b.get("parent"), str):
            raise bad(f"branch {name!r} has a malformed row")
        for slot, tid in heads.items():
            if not isinstance(tid, int) or isinstance(tid, bool) or tid not in takes:
                raise bad(f"branch {name!r} head {slot} points at take {tid!r}, which is not in the bundle")
        branches[name] = b
    if not branches:
        raise bad("it lists no branch")
    if not isinstance(m.get("current_branch"), str) or m["current_branch"] not in branches:
        raise bad(f"the current branch {m.get('current_branch')!r} is not one of its branches")

    derived = []
    for d in m.get("derived") or []:
        if not (isinstance(d, dict) and isinstance(d.get("source"), str) and isinstance(d.get("kind"), str)
                and isinstance(d.get("asset"), str) and d["asset"] in assets):
            raise bad("a derived row is malformed or names an asset that is not in the bundle")
        derived.append(d)
    calls = m.get("calls") or []
    if not isinstance(calls, list):
        raise bad("'calls' is not a list")
    for c in calls:
        ok = (isinstance(c, dict) and all(isinstance(c.get(k), str) and c[k] for k in ("provider", "operation", "key"))
              and c.get("outcome") in ("ok", "error") and isinstance(c.get("created"), str)
              and all(opt(c.get(k), str) for k in ("slot", "model", "prompt", "error"))
              and isinstance(c.get("params"), dict) and isinstance(c.get("inputs"), list)
              and all(isinstance(i, str) for i in c["inputs"])
              and all(isinstance(c.get(k), (int, float)) and not isinstance(c.get(k), bool) and c[k] >= 0
                      for k in ("latency_s", "cost_usd")))
        if not ok:
            raise bad("a call row is malformed")
        if c.get("output_asset") is not None and c["output_asset"] not in assets:
            raise bad(f"a call names output asset {str(c['output_asset'])[:12]}, which is not in the bundle")
    tags = m.get("tags") or []  # a bundle from before tags has none
    from core.store.tags import TAGS
    if not isinstance(tags, list) or any(not (isinstance(t, dict) and t.get("take") in takes and t.get("tag") in TAGS
                                              and isinstance(t.get("created"), str)) for t in tags):
        raise bad("a tag row is malformed or names a take that is not in the bundle")
    overrides = m.get("overrides") or []
    if not isinstance(overrides, list) or any(not (isinstance(o, dict) and o.get("take") in takes
                                                   and isinstance(o.get("source"), str)
                                                   and isinstance(o.get("created"), str)) for o in overrides):
        raise bad("an override row is malformed or names a take that is not in the bundle")
    settings = m.get("settings") or {}
    if not isinstance(settings, dict) or any(not _PORTABLE_SETTING.match(k) for k in settings):
        raise bad("its settings hold keys a bundle does not carry")
    project = m.get("project") if isinstance(m.get("project"), dict) else {}
    return {"assets": assets, "takes": takes, "branches": branches, "derived": derived, "settings": settings,
            "calls": calls, "tags": tags, "overrides": overrides, "name": project.get("name") if isinstance(project.get("name"), str) else None}


def _list(m: dict, key: str, bad) -> list:
    v = m.get(key)
    if not isinstance(v, list):
        raise bad(f"{key!r} is missing or not a list")
    return v


def _check_listing(infos: dict[str, zipfile.ZipInfo], plan: dict, refuse) -> None:
    expected = {asset_name(h, a["ext"]): a for h, a in plan["assets"].items()}
    folders = {"assets/"} | {name.rsplit("/", 1)[0] + "/" for name in expected}
    extra = [n for n in infos if n != MANIFEST and n not in expected and not (n.endswith("/") and n in folders)]
    if extra:
        raise refuse(f"has {len(extra)} entr{'y' if len(extra) == 1 else 'ies'} not listed in its manifest "
                     f"(first: {extra[0]!r}); refusing to import it.")
    missing = [n for n in expected if n not in infos]
    if missing:
        raise refuse(f"is missing {len(missing)} asset file{'s' if len(missing) != 1 else ''} its manifest lists "
                     f"(first: {missing[0]!r}); export it again.")
    for name, a in expected.items():
        if infos[name].file_size != a["bytes"]:
            raise refuse(f"asset {name} is {infos[name].file_size} bytes but the manifest says {a['bytes']} "
                         "(the file was changed); refusing to import it.")


def _materialize(zf, infos, manifest: dict, plan: dict, dest: Path, total: int, refuse) -> Project:
    made = _missing_parents(dest)
    tmp: Path | None = None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        if shutil.disk_usage(dest.parent).free < total + 64 * 1024**2:
            raise refuse(f"needs {_size(total)} free in {dest.parent}, which has less; free some space.")
        tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.import-"))
        for h, a in plan["assets"].items():
            _extract(zf, infos[asset_name(h, a["ext"])], tmp / asset_name(h, a["ext"]), h, refuse)
        _write_rows(tmp, manifest, plan, dest)
        try:
            os.rename(tmp, dest)  # replaces dest only if it is an empty folder
        except OSError as err:
            raise InputError(f"Cannot import into {dest}: {err.strerror}; choose a new project folder.") from None
        tmp = None
    except BaseException as err:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        for d in made:  # innermost first; only folders this import created and left empty
            try:
                d.rmdir()
            except OSError:
                break
        if isinstance(err, OSError):
            raise refuse(f"could not be written to {dest.parent} ({err.strerror or err}); "
                         "check the folder and free space.") from None
        if isinstance(err, sqlite3.Error):
            raise refuse(f"has rows the project database rejects ({err}); export the bundle again.") from None
        raise
    return Project.open(dest)


def _missing_parents(dest: Path) -> list[Path]:
    out = []
    p = dest.parent
    while not p.exists():
        out.append(p)
        p = p.parent
    return out


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, digest: str, refuse) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    n = 0
    try:
        with zf.open(info) as src, open(target, "wb") as dst:
            while chunk := src.read(_CHUNK):
                n += len(chunk)
                if n > info.file_size:
                    raise refuse(f"entry {info.filename!r} is larger than its directory says; refusing to import it.")
                h.update(chunk)
                dst.write(chunk)
    except (zipfile.BadZipFile, EOFError, NotImplementedError, zipfile.LargeZipFile) as err:
        raise refuse(f"entry {info.filename!r} is damaged ({err}); export the bundle again.") from None
    if h.hexdigest() != digest:
        raise refuse(f"asset {info.filename} does not match its sha256 (contents changed after export); "
                     "refusing to import it.")


def _write_rows(root: Path, manifest: dict, plan: dict, dest: Path) -> None:
    project = Project.open(root)
    try:
        with project.conns.transaction() as db:
            db.execute("PRAGMA defer_foreign_keys = ON")
            project.assets.load(list(plan["assets"].values()))
            project.takes.load([plan["takes"][tid] for tid in sorted(plan["takes"])])  # job rows are not carried
            project.takes.load_branches([{**b, "name": name, "parent": b["parent"] if b["parent"] in plan["branches"]
                                          else None} for name, b in plan["branches"].items()])
            project.derived.load(plan["derived"])
            project.calls.load(plan["calls"])
            project.tags.load(plan["tags"])
            project.tags.load_overrides(plan["overrides"])
            settings = {**plan["settings"], "name": plan["name"] or dest.name,
                        "branch": manifest["current_branch"],
                        "imported": {"bundle_created": manifest.get("created"),
                                     "dailies_version": manifest.get("dailies_version"), "at": now()}}
            for key, value in settings.items():
                db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", [key, json.dumps(value)])
    finally:
        project.close()


# -- verify ----------------------------------------------------------------------------------------

def verify(project: Project) -> list[str]:
    """Re-hash every asset and check every take's asset; one human line per problem, [] when all is well."""
    db = project.db
    users: dict[str, list[str]] = {}
    problems: list[str] = []
    known = {r["hash"]: r["ext"] for r in db.query("SELECT hash, ext FROM assets")}
    for t in db.query("SELECT id, slot, asset FROM takes WHERE asset IS NOT NULL ORDER BY id"):
        users.setdefault(t["asset"], []).append(f"take {t['id']} ({t['slot']})")
        if t["asset"] not in known:
            problems.append(f"take {t['id']} ({t['slot']}): asset {t['asset'][:12]}… has no row in {DB_NAME}")
    for digest, found in project.assets.mismatches().items():
        name = asset_name(digest, known[digest])
        used = f"; used by {', '.join(users[digest][:3])}{' and more' if len(users[digest]) > 3 else ''}" \
            if digest in users else ""
        if found is None:
            problems.append(f"{name}: file missing{used}")
        else:
            problems.append(f"{name}: contents changed (expected sha256 {digest[:12]}…, found {found[:12]}…){used}")
    return problems


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"


__all__ = ["export_bundle", "import_bundle", "verify", "FORMAT_VERSION", "MAX_TOTAL_BYTES", "MAX_ENTRIES",
           "MAX_RATIO", "RATIO_MIN_BYTES", "MAX_MANIFEST_BYTES"]
