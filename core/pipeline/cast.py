"""The character library: a character saved from one film and cast into another, looking and sounding the same.

A saved character is what makes it that person on screen: the frozen description
(name, role, looks, personality), the reference photo, the chosen sheet, the voice
and the person's tags. It lives in the workspace, beside the projects, in a
folder of its own (`<workspace>/.library/characters/<slug>/`): `character.json`
and the files named by their sha256, so saving the same sheet twice stores it once
and a file is checked against its name when it is cast.

Casting into a project brings all of it: the character joins the story (or, in a
story that already has someone of that name, replaces their description), keeps
its voice, its photo becomes the project's reference, and its sheet becomes the
head of `sheet/<name>` as a *reused* take tagged keep, so the sheets step uses it
instead of paying for a new one. A project with no story yet gets the photo now
and the rest when its story is planned (`apply_pending`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.config import slugify, workspace
from core.errors import InputError, NotFound
from core.store import Project
from core.store.assets import now, write_atomic

FORMAT = 1
PENDING = "pending_casts"   # project setting: library names to cast once the story exists


def root(base: Path | None = None) -> Path:
    return (base or workspace()) / ".library" / "characters"


@dataclass
class Saved:
    name: str
    role: str
    visual_description: str
    personality_cues: list[str]
    voice: str | None
    sheet: str                       # file name in the folder: <sha256>.<ext>
    reference: str | None
    tags: list[str] = field(default_factory=list)
    origin: dict = field(default_factory=dict)   # project, takes it was saved from
    saved: str = ""
    format: int = FORMAT
    folder: Path | None = None

    @property
    def key(self) -> str:
        return self.folder.name if self.folder else slugify(self.name, fallback="character")

    def as_dict(self) -> dict:
        d = asdict(self)
        d.pop("folder")
        return d


def save(project: Project, name: str, *, tags: list[str] | tuple[str, ...] = (), base: Path | None = None,
         branch: str | None = None) -> Saved:
    """`name` of `project` (its current description, sheet, photo and voice) into the workspace library."""
    heads = project.takes.heads(branch)
    part = heads.get(f"character/{name}")
    if part is None:
        names = sorted(s.split("/", 1)[1] for s in heads if s.startswith("character/"))
        raise NotFound(f"{name} is not a character of this story; the characters are {', '.join(names) or 'none'}.")
    sheet = heads.get(f"sheet/{name}")
    if sheet is None or not sheet.asset:
        raise InputError(f"{name} has no sheet yet; make the sheets (Design page) before saving {name}.")
    ref, voice = heads.get(f"reference/{name}"), heads.get(f"voice/{name}")
    folder = root(base) / slugify(name, fallback="character")
    folder.mkdir(parents=True, exist_ok=True)
    saved = Saved(name=name, role=part.payload.get("role", ""),
                  visual_description=part.payload["visual_description"],
                  personality_cues=list(part.payload.get("personality_cues", [])),
                  voice=voice.payload.get("voice") if voice else None,
                  sheet=_keep(project, sheet.asset, folder),
                  reference=_keep(project, ref.asset, folder) if ref and ref.asset else None,
                  tags=sorted(set(tags)), origin={"project": project.name, "path": str(project.path),
                                                  "sheet_take": sheet.id, "score": sheet.score},
                  saved=now(), folder=folder)
    write_atomic(folder / "character.json", json.dumps(saved.as_dict(), indent=2).encode())
    return saved


def listed(base: Path | None = None) -> list[Saved]:
    """Every saved character, by name (a folder whose manifest cannot be read is left out)."""
    out = []
    for manifest in sorted(root(base).glob("*/character.json")):
        try:
            out.append(_read(manifest.parent))
        except InputError:
            continue
    return sorted(out, key=lambda s: s.name.lower())


def get(key: str, base: Path | None = None) -> Saved:
    """A saved character by its library name (the folder, or the character's name)."""
    folder = root(base) / slugify(key, fallback="character")
    if not (folder / "character.json").is_file():
        have = [s.key for s in listed(base)]
        raise NotFound(f"{key!r} is not in the character library; it holds {', '.join(have) or 'nobody yet'} "
                       "(save one from the Design page or with `dailies character save`).")
    return _read(folder)


def cast(project: Project, key: str, *, base: Path | None = None, branch: str | None = None) -> dict:
    """Bring a saved character into `project`; returns what happened, for a message."""
    from core.pipeline.plan import add_reference

    saved = get(key, base)
    _file(saved, saved.sheet)  # a damaged or missing file is refused before anything in the project changes
    if saved.reference:
        add_reference(project, saved.name, _file(saved, saved.reference), filename=f"{saved.name} (library)",
                      branch=branch)
    if project.takes.head("story", branch) is None:
        pending = [k for k in project.setting(PENDING, []) if k != saved.key] + [saved.key]
        project.set_setting(PENDING, pending)
        return {"name": saved.name, "pending": True, "sheet": None}
    return _into_story(project, saved, branch)


def apply_pending(project: Project, *, base: Path | None = None, branch: str | None = None) -> list[dict]:
    """The casts asked for before the story existed, now that it does."""
    done = []
    for key in project.setting(PENDING, []):
        try:
            done.append(_into_story(project, get(key, base), branch))
        except NotFound:
            continue
    project.set_setting(PENDING, [])
    return done


def _into_story(project: Project, saved: Saved, branch: str | None) -> dict:
    from core.pipeline.edits import edit_story
    from core.pipeline.plan import story_of

    plan = story_of(project.takes.head("story", branch))
    character = {"name": saved.name, "role": saved.role, "visual_description": saved.visual_description,
                 "personality_cues": saved.personality_cues}
    others = [c.model_dump() for c in plan.characters if c.name != saved.name]
    joined = saved.name not in {c.name for c in plan.characters}
    voices = {**plan.voices, **({saved.name: saved.voice} if saved.voice else {})}
    edit_story(project, {"characters": [*others, character] if joined else
                         [character if c.name == saved.name else c.model_dump() for c in plan.characters],
                         "voices": voices}, branch=branch, note=f"cast {saved.name} from the character library")
    data = _file(saved, saved.sheet)
    asset = project.assets.put(data, saved.sheet.rsplit(".", 1)[1])
    head = project.takes.head(f"sheet/{saved.name}", branch)
    if head is not None and head.asset == asset:
        take = head
    else:
        take = project.takes.write(f"sheet/{saved.name}", branch=branch, asset=asset, origin="reused",
                                   score=saved.origin.get("score"), parent=head.id if head else None,
                                   payload={"character": saved.name, "reused_from": {"library": saved.key,
                                                                                    **saved.origin}},
                                   note=f"cast from the character library ({saved.origin.get('project')})")
    project.tags.add(take.id, "keep")  # the sheets step uses it as it is, rather than paying for another
    return {"name": saved.name, "pending": False, "sheet": take.id, "joined": joined}


def _keep(project: Project, asset: str, folder: Path) -> str:
    ext = project.assets.row(asset)["ext"]
    name = f"{asset}.{ext}"
    dst = folder / name
    if not dst.exists():
        write_atomic(dst, project.assets.read(asset))
    return name


def _file(saved: Saved, name: str) -> bytes:
    path = saved.folder / name
    try:
        data = path.read_bytes()
    except OSError:
        raise NotFound(f"The library's copy of {saved.name}'s {name} is missing; save {saved.name} again.") from None
    if hashlib.sha256(data).hexdigest() != name.split(".")[0]:
        raise InputError(f"The library's copy of {saved.name}'s {name} is damaged; save {saved.name} again.")
    return data


def _read(folder: Path) -> Saved:
    try:
        data = json.loads((folder / "character.json").read_text())
        return Saved(**{k: v for k, v in data.items() if k in Saved.__dataclass_fields__}, folder=folder)
    except (OSError, ValueError, TypeError) as err:
        raise InputError(f"The character library entry {folder.name} cannot be read ({err}).") from None


