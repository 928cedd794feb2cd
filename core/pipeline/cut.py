"""Step 6 — cut: normalize each clip once, join them by stream copy, export.

Normalizing (1280x720, 24 fps, yuv420p, AAC stereo, one video timescale) is
what lets the join be a stream copy: every part has identical parameters. A
clip that is already in that format (the offline provider writes it that way)
is used as-is; any other is re-encoded once and the result cached in `derived`
by the source's content hash, so an unchanged clip is never normalized again.
The cut is a take of the `cut` slot; exporting copies (or hard-links) its file
into `exports/` under a name that says what it is.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from core import media
from core.config import slugify
from core.errors import InputError
from core.pipeline.context import Context, StepResult
from core.pipeline.plan import story_of
from core.store import Project, Take

NORMAL_FORM = f"normalized-{media.CUT_WIDTH}x{media.CUT_HEIGHT}-{media.CUT_FPS}fps-v1"


def normalized(project: Project, asset: str) -> str:
    """The asset hash of `asset` in the cut's format, normalizing it on first use."""
    db = project.db
    row = next(db.query("SELECT asset FROM derived WHERE source = ? AND kind = ?", [asset, NORMAL_FORM]), None)
    if row:
        return row["asset"]
    src = project.assets.path(asset)
    if media.is_normalized(media.probe_video(src)):
        out = asset
    else:
        tmp = project.assets.temp_path(".mp4")
        try:
            media.normalize_clip(src, tmp)
            out = project.assets.put_file(tmp, "mp4")
        finally:
            tmp.unlink(missing_ok=True)
    db.execute("INSERT OR IGNORE INTO derived (source, kind, asset) VALUES (?, ?, ?)", [asset, NORMAL_FORM, out])
    return out


def assemble_cut(ctx: Context, story: Take) -> Take:
    plan = story_of(story)
    clips: dict[int, Take] = {}
    for s in plan.scenes:
        clip = ctx.project.takes.head(f"clip/{s.scene_id}", ctx.branch)
        if clip is None:
            raise InputError(f"Scene {s.scene_id} has no clip yet; run the clips before the cut.")
        clips[s.scene_id] = clip
    inputs = {f"clip/{n}": t.id for n, t in clips.items()}
    recipe = {"step": "cut", "form": NORMAL_FORM, "clips": [t.asset for t in clips.values()]}

    def make(_variant: int) -> StepResult:
        parts = []
        for n, clip in clips.items():
            ctx.check_cancel()
            parts.append(normalized(ctx.project, clip.asset))
        tmp = ctx.project.assets.temp_path(".mp4")
        try:
            media.concat_copy([ctx.project.assets.path(p) for p in parts], tmp)
            asset = ctx.project.assets.put_file(tmp, "mp4")
        finally:
            tmp.unlink(missing_ok=True)
        duration = ctx.project.assets.row(asset)["duration"]
        return StepResult(asset=asset, payload={"title": plan.title, "parts": parts, "duration": duration,
                                                "scenes": len(clips), "form": NORMAL_FORM})

    take = ctx.produce("cut", recipe_of=recipe, inputs=inputs, make=make)
    ctx.job.step_done("Cut assembled")
    return take


def export_path(project: Project, take: Take, branch: str) -> Path:
    title = (take.payload or {}).get("title") or project.name
    return project.path / "exports" / f"{slugify(title)}-{slugify(branch)}-cut{take.id}-720p.mp4"


def export_cut(project: Project, take: Take, *, branch: str, out: Path | None = None) -> Path:
    """Place the cut's file at `out` (default: exports/), without re-encoding; return the path."""
    src = project.assets.path(take.asset)
    dst = Path(out).expanduser().resolve() if out else export_path(project, take, branch)
    if dst.suffix.lower() != ".mp4":
        raise InputError(f"Export to {dst.name}: the file name must end in .mp4.")
    if not dst.parent.is_dir():
        raise InputError(f"Cannot export to {dst}: the folder {dst.parent} does not exist.")
    if dst.exists() and dst.stat().st_size == src.stat().st_size:
        return dst  # exports are named by take, so the same size means the same file
    tmp = dst.with_name(f".{dst.name}.part")
    # A copy, not a hard link: a player or editor that writes to the export must not touch the asset.
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)
    return dst
