"""Numbered schema migrations, applied in order whenever a project opens.

Append new migrations at the end; never edit one that has shipped. Each runs in
a transaction together with its bookkeeping row (sqlite-utils `Migrations`).
"""
from __future__ import annotations

from sqlite_utils import Migrations

migrations = Migrations("dailies")


@migrations()
def m001_initial(db):
    _run(db, """
        CREATE TABLE settings (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE assets (
            hash     TEXT PRIMARY KEY,          -- sha256 hex of the bytes
            ext      TEXT NOT NULL,
            mime     TEXT NOT NULL,
            bytes    INTEGER NOT NULL,
            width    INTEGER,
            height   INTEGER,
            duration REAL,
            created  TEXT NOT NULL
        );
        CREATE TABLE branches (
            name    TEXT PRIMARY KEY,
            parent  TEXT,
            created TEXT NOT NULL
        );
        CREATE TABLE jobs (
            id         INTEGER PRIMARY KEY,
            kind       TEXT NOT NULL,
            branch     TEXT NOT NULL,
            status     TEXT NOT NULL CHECK (status IN
                       ('queued','running','succeeded','failed','cancelled','interrupted')),
            progress   REAL NOT NULL DEFAULT 0,
            message    TEXT NOT NULL DEFAULT '',
            step       TEXT,
            params     TEXT NOT NULL DEFAULT '{}',
            result     TEXT,
            error      TEXT,
            pid        INTEGER,
            cancel     INTEGER NOT NULL DEFAULT 0,
            resumed_from INTEGER REFERENCES jobs(id),
            created    TEXT NOT NULL,
            started    TEXT,
            finished   TEXT
        );
        CREATE TABLE takes (
            id        INTEGER PRIMARY KEY,
            slot      TEXT NOT NULL,
            parent    INTEGER REFERENCES takes(id),
            payload   TEXT,                      -- JSON
            asset     TEXT REFERENCES assets(hash),
            inputs    TEXT NOT NULL DEFAULT '{}',-- JSON {slot: take id} it was made from
            origin    TEXT NOT NULL CHECK (origin IN ('generated','uploaded','edited','restored')),
            provider  TEXT,
            model     TEXT,
            recipe    TEXT,                      -- hash of everything that determined it
            variant   INTEGER NOT NULL DEFAULT 0,
            score     REAL,
            cost_usd  REAL NOT NULL DEFAULT 0,
            job       INTEGER REFERENCES jobs(id),
            note      TEXT,
            created   TEXT NOT NULL
        );
        CREATE INDEX takes_slot ON takes(slot, id);
        CREATE INDEX takes_recipe ON takes(slot, recipe, variant);
        CREATE TABLE heads (
            branch TEXT NOT NULL REFERENCES branches(name),
            slot   TEXT NOT NULL,
            take   INTEGER NOT NULL REFERENCES takes(id),
            PRIMARY KEY (branch, slot)
        );
        CREATE TABLE events (
            id       INTEGER PRIMARY KEY,
            branch   TEXT NOT NULL,
            slot     TEXT NOT NULL,
            old_take INTEGER,
            new_take INTEGER,
            kind     TEXT NOT NULL,              -- set, restore, undo, fork
            grp      TEXT NOT NULL,              -- head moves made together are undone together
            undoes   TEXT,                       -- the grp an undo reverted
            job      INTEGER,
            created  TEXT NOT NULL
        );
        CREATE INDEX events_branch ON events(branch, id);
        CREATE TABLE calls (
            id           INTEGER PRIMARY KEY,
            job          INTEGER,
            slot         TEXT,
            provider     TEXT NOT NULL,
            operation    TEXT NOT NULL,
            model        TEXT,
            prompt       TEXT,
            params       TEXT NOT NULL DEFAULT '{}',
            inputs       TEXT NOT NULL DEFAULT '[]',  -- input asset hashes
            key          TEXT NOT NULL,               -- recipe hash of this exact call
            outcome      TEXT NOT NULL,               -- ok, error
            error        TEXT,
            output_asset TEXT,
            result       TEXT,                        -- JSON payload of a structured answer
            latency_s    REAL NOT NULL,
            cost_usd     REAL NOT NULL DEFAULT 0,
            created      TEXT NOT NULL
        );
        CREATE INDEX calls_key ON calls(key, outcome);
        CREATE TABLE derived (
            source TEXT NOT NULL,
            kind   TEXT NOT NULL,                -- e.g. normalized-720p24
            asset  TEXT NOT NULL REFERENCES assets(hash),
            PRIMARY KEY (source, kind)
        );
        """)


@migrations()
def m002_derived_meta(db):
    # What making a cached product measured (a soundtrack's loudness before correction), as JSON.
    db.execute("ALTER TABLE derived ADD COLUMN meta TEXT")


@migrations()
def m003_deferred(db):
    # Provider requests that keep running on the provider's side (a video render), stored the moment they are
    # started, so a process killed while waiting resumes the request instead of paying for it again.
    _run(db, """
        CREATE TABLE deferred (
            key        TEXT PRIMARY KEY,              -- the call's recipe key (calls.key)
            provider   TEXT NOT NULL,
            request_id TEXT NOT NULL,
            job        INTEGER,
            slot       TEXT,
            started    TEXT NOT NULL
        );
        """)


@migrations()
def m004_job_error_kind(db):
    # Why a job failed, as the CLI's exit code needs it: "input" (bad input, a refused plan: exit 2) or "failed".
    db.execute("ALTER TABLE jobs ADD COLUMN error_kind TEXT")


@migrations()
def m005_job_waiting(db):
    # A job may wait at a review gate: a status of its own (loosening the CHECK in place, which is how SQLite
    # documents a change that leaves every stored row valid) and the stage it waits at.
    _allow(db, "jobs", "('queued','running','succeeded','failed','cancelled','interrupted')", "waiting")
    db.execute("ALTER TABLE jobs ADD COLUMN waiting TEXT")  # the gate: plan, sheets, keyframes, clips


@migrations()
def m006_tags(db):
    # keep / love / hate / rewrite on a take. Takes stay immutable: a tag is a row about a take, not in it.
    _run(db, """
        CREATE TABLE tags (
            take    INTEGER NOT NULL REFERENCES takes(id),
            tag     TEXT NOT NULL CHECK (tag IN ('keep','love','hate','rewrite')),
            created TEXT NOT NULL,
            PRIMARY KEY (take, tag)
        );
        """)


@migrations()
def m007_overrides(db):
    # "Accept anyway": a person's override of a take whose check scored below the bar, and where it came from.
    _run(db, """
        CREATE TABLE overrides (
            take    INTEGER PRIMARY KEY REFERENCES takes(id),
            score   REAL,
            source  TEXT NOT NULL,                -- app or cli
            created TEXT NOT NULL
        );
        """)


# The words of a take: every text value of its payload (prompts, instructions, lines, descriptions), not the
# asset hashes in it, and its note. One expression, used by the triggers and by the backfill.
_TAKE_WORDS = ("(SELECT coalesce(group_concat(value, ' '), '') FROM json_tree(coalesce({t}.payload, '{{}}')) "
               "WHERE type = 'text' AND NOT (length(value) = 64 AND value NOT GLOB '*[^0-9a-f]*'))"
               " || ' ' || coalesce({t}.note, '')")
_TAKE_TAGS = "(SELECT coalesce(group_concat(tag, ' '), '') FROM tags WHERE take = {id})"


@migrations()
def m008_take_text(db):
    # Full-text search for the library (core.library): a take's slot, words and tags in an FTS5 index whose rowid
    # is the take's id. Triggers keep it current (a take is findable the moment it exists, a tag the moment it
    # is set); the takes already there are indexed once here.
    db.execute("CREATE VIRTUAL TABLE take_text USING fts5(slot, words, tags, tokenize = 'porter unicode61')")
    new, old = _TAKE_WORDS.format(t="NEW"), _TAKE_WORDS
    db.execute(f"""CREATE TRIGGER take_text_insert AFTER INSERT ON takes BEGIN
        INSERT INTO take_text (rowid, slot, words, tags) VALUES (NEW.id, NEW.slot, {new}, '');
    END""")
    db.execute(f"""CREATE TRIGGER take_text_update AFTER UPDATE OF slot, payload, note ON takes BEGIN
        UPDATE take_text SET slot = NEW.slot, words = {new} WHERE rowid = NEW.id;
    END""")
    db.execute("CREATE TRIGGER take_text_delete AFTER DELETE ON takes BEGIN "
               "DELETE FROM take_text WHERE rowid = OLD.id; END")
    for event, row in (("INSERT", "NEW"), ("DELETE", "OLD")):
        db.execute(f"""CREATE TRIGGER take_tags_{event.lower()} AFTER {event} ON tags BEGIN
            UPDATE take_text SET tags = {_TAKE_TAGS.format(id=f"{row}.take")} WHERE rowid = {row}.take;
        END""")
    db.execute(f"INSERT INTO take_text (rowid, slot, words, tags) SELECT id, slot, {old.format(t='takes')}, "
               f"{_TAKE_TAGS.format(id='takes.id')} FROM takes")


@migrations()
def m009_reused_origin(db):
    # A take may be re-used: an existing file (a character from the workspace library, a close match found before
    # paying) made a new take of this slot, pointing at the same asset; where it came from is in its payload.
    # The CHECK is loosened in place, as m005 does for job statuses.
    _allow(db, "takes", "('generated','uploaded','edited','restored')", "reused")


@migrations()
def m010_embeddings(db):
    # Re-use before paying (core.pipeline.reuse): what each sheet, keyframe and clip was made from, as a sentence
    # embedding of its request and a key naming the pictures it was made from by content.
    _run(db, """
        CREATE TABLE embeddings (
            take   INTEGER PRIMARY KEY REFERENCES takes(id),
            kind   TEXT NOT NULL,
            model  TEXT NOT NULL,
            key    TEXT NOT NULL,
            vector BLOB NOT NULL
        );
        CREATE INDEX embeddings_kind ON embeddings(kind, model, key);
        """)


def _allow(db, table: str, values: str, value: str) -> None:
    """One more value in a column's CHECK (`values` as the schema spells them), by rewriting the table's SQL in
    place: how SQLite documents a change that leaves every stored row valid."""
    sql = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone()[0]
    if values in sql:
        version = db.execute("PRAGMA schema_version").fetchone()[0]
        db.execute("PRAGMA writable_schema = ON")
        db.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
                   [sql.replace(values, f"{values[:-1]},'{value}')"), table])
        db.execute(f"PRAGMA schema_version = {version + 1}")
        db.execute("PRAGMA writable_schema = OFF")


def _run(db, script: str) -> None:
    # executescript() would COMMIT the migration's transaction first; run statement by statement.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)
