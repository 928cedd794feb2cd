"""Re-use before paying: before a sheet, keyframe or clip is made, look for a take that already shows it.

Every sheet, keyframe and clip take is indexed when it is made: the words of its
request (the prompt, without a retry's fixes) as a sentence embedding, and a
*key* naming the pictures it was made from by content (a sheet's reference photo
and style lock, a keyframe's reference images, a clip's keyframe). Before the
next such call, the new request is embedded and compared, by cosine, with the
takes of the same kind and the same key in this project and in every project of
the workspace; the closest one at or above the threshold (0.85 by default) is
offered: "re-use take #12 of fox-and-owl (keyframe/2, 0.91 similar)". The key
is what makes the offer safe: words alone would offer a keyframe drawn around
other characters' sheets. A keyframe's words are its scene's own (title,
description, action, mood, camera), not the character descriptions every
keyframe of a film shares, which made two scenes of one film 0.99 alike.

Offers come from the other projects of the workspace. Inside a project the
recipe cache already returns an identical take for free; a near one of the same
slot differs because the person changed something on purpose, and one of another
slot is another subject (a templated description made Bo's sheet 0.9 like Ada's).

The person decides (`ReusePolicy`): `auto` takes every offer, `never` none, and
`ask` asks, on the CLI at the terminal and in the app by stopping the run at a
gate until the offer is answered (and, if the person says so, every other offer
from the same project). A taken offer is a new take of the slot, origin
*reused*, pointing at the same file (copied by hash from the other project),
with the step's own recipe, so the step finds it next time, and the source in
its payload; it costs nothing and no provider call is made.

The embedding model is WordLlama's packaged `l2_supercat` (256 dimensions; the
weights and tokenizer ship inside the `wordllama` wheel, loaded with downloads
disabled): a static token-embedding model, about half a second to load and well
under a millisecond a request, which is what a check before every picture can
afford. Vectors are float32 blobs in the project's `embeddings` table.
"""
from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from core.errors import DailiesError, InputError
from core.store import Project, Take

ReusePolicy = Literal["ask", "auto", "never"]
POLICIES: tuple[str, ...] = ("ask", "auto", "never")
THRESHOLD = 0.85
MODEL = "wordllama-l2-supercat-256"
KINDS = ("sheet", "keyframe", "clip")
DECISIONS = "reuse/decisions"      # project setting: answers to offers, by offer and by source project
PENDING = "reuse/offer"            # project setting: the offer a waiting run asks about

_lock = threading.Lock()
_model = None


@dataclass(frozen=True)
class Offer:
    slot: str                # the slot about to be made
    kind: str
    similarity: float
    project_path: str        # where the offered take lives
    project: str
    take: int
    source_slot: str
    asset: str
    ext: str
    score: float | None

    @property
    def source(self) -> str:
        return f"{self.project_path}#{self.take}"

    def describe(self) -> str:
        return (f"re-use take #{self.take} of {self.project} ({self.source_slot}, {self.similarity:.2f} similar) "
                f"for {self.slot}")

    def as_dict(self) -> dict:
        return asdict(self)


def scene_words(scene) -> str:
    """What a keyframe is indexed by: its scene's own words, not what every keyframe of the film shares."""
    return (f"{scene.title}. {scene.description} Action: {scene.action}. Mood: {scene.mood}. "
            f"Camera: {scene.camera}.")


def check_policy(policy: str) -> str:
    if policy not in POLICIES:
        raise InputError(f"Re-use {policy!r} is not one of {', '.join(POLICIES)}.")
    return policy


def embed(texts: list[str]) -> np.ndarray:
    """Unit vectors (float32, 256-d) for `texts`, from the packaged model (loaded once per process)."""
    global _model
    with _lock:
        if _model is None:
            try:
                import wordllama
                from wordllama import WordLlama
            except ImportError as err:
                raise DailiesError(f"The embedding model is not installed ({err.name}); run the README's install "
                                   "command again.") from None
            _model = WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)
        vectors = _model.embed(list(texts), norm=True)
    return np.asarray(vectors, np.float32).reshape(len(texts), -1)


def index(project: Project, take: Take, kind: str, key: str, vector: np.ndarray) -> None:
    """Remember what `take` was made from (its request's embedding), so a later request can find it."""
    project.conns.get().execute(
        "INSERT OR REPLACE INTO embeddings (take, kind, model, key, vector) VALUES (?, ?, ?, ?, ?)",
        [take.id, kind, MODEL, key, np.asarray(vector, np.float32).tobytes()])


@dataclass
class Candidates:
    """The indexed takes of other projects, read once (a run asks before every picture; reading every project of
    the workspace each time, or opening them as projects, which migrates them, is what it must not do)."""

    rows: list[dict]
    vectors: np.ndarray          # one row per entry of `rows`

    def best(self, slot: str, kind: str, key: str, want: np.ndarray, threshold: float = THRESHOLD) -> Offer | None:
        """The closest take of this kind and key at or above `threshold` whose file is still there."""
        fits = [i for i, r in enumerate(self.rows) if r["kind"] == kind and r["key"] == key]
        if not fits:
            return None
        scores = self.vectors[fits] @ want
        for j in np.argsort(-scores):
            r, score = self.rows[fits[j]], float(scores[j])
            if score < threshold:
                return None
            if r["file"].exists():
                return Offer(slot=slot, kind=kind, similarity=round(min(score, 1.0), 3),
                             project_path=r["project_path"], project=r["project"], take=r["take"],
                             source_slot=r["slot"], asset=r["asset"], ext=r["ext"], score=r["score"])
        return None


def candidates(paths: list[Path]) -> Candidates:
    """Every indexed sheet, keyframe and clip of the projects at `paths` (read-only; a project that cannot be
    read, or was made before the index existed, has none)."""
    import sqlite3

    from core.store import DB_NAME
    from core.store.assets import relpath

    rows: list[dict] = []
    for path in paths:
        path = Path(path).resolve()
        try:
            with sqlite3.connect(f"file:{path / DB_NAME}?mode=ro", uri=True, timeout=2) as db:
                db.row_factory = sqlite3.Row
                named = db.execute("SELECT value FROM settings WHERE key = 'name'").fetchone()
                name = json.loads(named[0]) if named else path.name
                found = db.execute(
                    "SELECT e.take, e.kind, e.key, e.vector, t.slot, t.asset, t.score, a.ext FROM embeddings e "
                    "JOIN takes t ON t.id = e.take JOIN assets a ON a.hash = t.asset "
                    "WHERE e.model = ? AND NOT EXISTS (SELECT 1 FROM tags WHERE take = t.id AND tag = 'hate')",
                    [MODEL]).fetchall()
        except (sqlite3.Error, ValueError):
            continue
        rows += [{**dict(r), "project_path": str(path), "project": name,
                  "file": path / relpath(r["asset"], r["ext"])} for r in found]
    vectors = np.stack([np.frombuffer(r.pop("vector"), np.float32) for r in rows]) if rows else \
        np.zeros((0, 0), np.float32)
    return Candidates(rows, vectors)


def find(project: Project, slot: str, kind: str, text: str, key: str, *, threshold: float = THRESHOLD,
         others: list[Path] | None = None) -> Offer | None:
    """The closest take of this kind and key at or above `threshold` in `others` (the workspace's projects,
    which the job runner lists: core.projects is above the pipeline); never one of `project` itself."""
    others = [Path(p).resolve() for p in others or [] if Path(p).resolve() != project.path]
    return candidates(others).best(slot, kind, key, embed([text])[0], threshold) if others else None


def adopt(project: Project, offer: Offer, *, branch: str | None, recipe: str | None, variant: int,
          inputs: dict[str, int], job: int | None, provider: str | None, model: str | None) -> Take:
    """The offer as a new take of its slot (and the head): the same file, no call, no cost."""
    from core.store.assets import relpath

    try:
        data = (Path(offer.project_path) / relpath(offer.asset, offer.ext)).read_bytes()
    except OSError:
        raise InputError(f"Take #{offer.take} of {offer.project} has lost its file; run `dailies verify` there.") \
            from None
    if project.assets.put(data, offer.ext) != offer.asset:
        raise InputError(f"Take #{offer.take} of {offer.project} is damaged; run `dailies verify` there.")
    head = project.takes.head(offer.slot, branch)
    return project.takes.write(
        offer.slot, branch=branch, asset=offer.asset, inputs=inputs, origin="reused", provider=provider, model=model,
        recipe=recipe, variant=variant, score=offer.score, job=job, parent=head.id if head else None,
        payload={"reused_from": {"project": offer.project, "path": offer.project_path, "take": offer.take,
                                 "slot": offer.source_slot}, "similarity": offer.similarity},
        note=f"re-used take #{offer.take} of {offer.project} ({offer.similarity:.2f} similar)")


def decision(project: Project, offer: Offer) -> bool | None:
    """The person's answer to this offer (or to every offer from its project), if they gave one."""
    answers = project.setting(DECISIONS) or {}
    if f"{offer.slot}|{offer.source}" in answers:
        return answers[f"{offer.slot}|{offer.source}"]
    return answers.get(f"project|{offer.project_path}")


def decide(project: Project, offer: Offer, accept: bool, *, every_from_project: bool = False) -> None:
    answers = dict(project.setting(DECISIONS) or {})
    answers[f"{offer.slot}|{offer.source}"] = bool(accept)
    if every_from_project:
        answers[f"project|{offer.project_path}"] = bool(accept)
    project.set_setting(DECISIONS, answers)
    if (project.setting(PENDING) or {}).get("slot") == offer.slot:
        project.set_setting(PENDING, None)


def pending(project: Project) -> Offer | None:
    """The offer a waiting run asks about."""
    data = project.setting(PENDING)
    return Offer(**data) if data else None


def remember_pending(project: Project, offer: Offer) -> None:
    project.set_setting(PENDING, offer.as_dict())
