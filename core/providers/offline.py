"""The offline provider: free, deterministic, no network, real media.

It is the default without an API key and the reference implementation the
tests and benchmarks run on, so it does every operation for real: a plan from
the concept's words (offline_plan), sheets stylized from the uploaded photo or
drawn, keyframes composed from the sheets over a drawn setting (offline_art),
clips animated from the keyframe by a camera move rendered frame by frame, and
consistency checks computed from image similarity, and speech from a packaged
Piper voice (offline_voice). Same request, same bytes:
every random choice is seeded from the request's prompt and variant.
"""
from __future__ import annotations

import difflib
import hashlib
import os
from typing import ClassVar

import numpy as np
from PIL import Image

from core.models import CheckResult, LabelMapping, Media, PlanDraft, StoryPlan
from core.providers import offline_art as art
from core.providers import register
from core.errors import InputError
from core.providers.base import (CheckRequest, ClipRequest, EditRequest, KeyframeRequest, PlanRequest, RefineRequest,
                                 SheetRequest, SpeechRequest)
from core.providers.offline_cutout import cut_out
from core.providers.offline_plan import plan_offline
from core.providers.offline_refine import refine_offline
from core.render.motion import render_move


def seed_of(*parts) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()[:4], "big")


@register("offline")
class OfflineProvider:
    name: ClassVar[str] = "offline"
    needs_key: ClassVar[bool] = False
    key_env_var: ClassVar[str | None] = None
    parallel_clips: ClassVar[int] = max(1, os.cpu_count() or 1)  # each clip keeps a core busy rendering
    can_blend: ClassVar[bool] = True
    can_edit: ClassVar[bool] = True

    def __init__(self, **_options):  # model overrides do not apply: the offline models are built in
        self.models = {"plan": "offline-planner-1", "image": "offline-art-1", "check": "offline-similarity-1",
                       "video": "offline-camera-1", "voice": "offline-voice-1"}

    def estimate(self, operation: str, params: dict, n_inputs: int) -> float:
        return 0.0  # free

    def preflight(self) -> str:
        return "built in"  # no key, no network, no models to look up

    # -- text ----------------------------------------------------------------------------------
    def plan_story(self, req: PlanRequest) -> tuple[PlanDraft, float]:
        plan = plan_offline(req.concept, req.labels, req.scenes, req.style, req.aspect_ratio,
                            seed=seed_of(req.concept, req.variant))
        return PlanDraft.of(plan), 0.0

    def refine_plan(self, req: RefineRequest) -> tuple[PlanDraft, float]:
        return PlanDraft.of(refine_offline(req.plan, req.instruction)), 0.0

    def map_labels(self, labels: list[str], plan: StoryPlan) -> tuple[LabelMapping, float]:
        """Closest name by spelling, then by role ("Fox" -> the character whose role is fox), then in order."""
        names = [c.name for c in plan.characters]
        mapping: dict[str, str] = {}
        free = list(names)
        for label in labels:
            exact = next((n for n in free if n.lower() == label.lower()), None)
            role = next((c.name for c in plan.characters if c.name in free and c.role.lower() == label.lower()), None)
            close = difflib.get_close_matches(label, free, n=1, cutoff=0.6)
            choice = exact or role or (close[0] if close else (free[0] if free else None))
            if choice:
                mapping[label] = choice
                free.remove(choice)
        return LabelMapping(mapping=mapping), 0.0

    # -- images --------------------------------------------------------------------------------
    def make_sheet(self, req: SheetRequest) -> Media:
        seed = seed_of(req.prompt, req.variant)
        strength = max(0.2, 0.9 - 0.3 * (req.attempt - 1))  # a failed check asks for a closer likeness
        if req.photo is not None:
            data = art.stylize_sheet(req.photo, req.character.name, req.palette, strength, seed)
        else:
            data = art.figure_sheet(req.character.name, req.character.visual_description, req.palette, seed)
        return Media(data=_styled(data, req.style_image), ext="png", prompt=req.prompt)

    def compose_keyframe(self, req: KeyframeRequest) -> Media:
        cast = [(r, role.split("/", 1)[1]) for r, role in zip(req.references, req.reference_roles)
                if role.startswith("sheet/")]
        previous = next((r for r, role in zip(req.references, req.reference_roles) if role == "previous"), None)
        strength = max(0.2, 1.0 - 0.35 * (req.attempt - 1))
        data = art.compose_keyframe(f"{req.scene.setting}. {req.scene.description}", req.scene.mood, req.palette,
                                    [r for r, _ in cast], previous, seed_of(req.prompt, req.variant), strength,
                                    names=[n for _, n in cast])
        return Media(data=_styled(data, req.style_image), ext="png", prompt=req.prompt)

    def check(self, req: CheckRequest) -> tuple[CheckResult, float]:
        image = art.load_image(req.image)
        if req.kind == "sheet":
            portrait = art.sheet_portrait(req.image)
            if req.references:
                photo = art.load_image(req.references[0])
                score = art.similarity(art.portrait_crop(photo, art.face_box(photo)), portrait)
                issues = [] if score >= 0.8 else ["the face drifts from the reference photo; keep its likeness"]
            else:
                score = palette_fit(portrait, req.prompt)
                issues = [] if score >= 0.8 else ["colours stray from the film's palette"]
        elif req.kind == "keyframe":
            scores, issues = [], []
            for ref, role in zip(req.references, req.reference_roles):
                if not role.startswith("sheet/"):
                    continue
                portrait = art.sheet_portrait(ref)
                s = art.locate(image, portrait, cut_out(portrait).alpha)  # the person, not the sheet's backdrop
                scores.append(s)
                if s < 0.8:
                    issues.append(f"{role.split('/', 1)[1]} looks off-model; match the reference sheet")
            score = min(scores) if scores else art.similarity(image, art.load_image(req.references[0])) \
                if req.references else 1.0
        else:  # clip: is the last frame still a view of the keyframe?
            score = framing(image, art.load_image(req.references[0]))
            issues = [] if score >= 0.8 else ["the shot drifts away from the keyframe"]
        return CheckResult(score=round(float(score), 4), issues=issues), 0.0

    # -- video ---------------------------------------------------------------------------------
    def animate_clip(self, req: ClipRequest) -> Media:
        seed = seed_of(req.prompt, req.variant)
        from core.render import layers

        data = render_move(art.load_image(req.keyframe), req.camera, req.duration, mood=req.mood, seed=seed,
                           amount=1.0 / req.attempt, layers=layers.read(req.keyframe))  # a drift correction asks for a smaller move
        return Media(data=data, ext="mp4", prompt=req.prompt)

    def speak(self, req: SpeechRequest) -> Media:
        from core.providers.offline_voice import speak

        return Media(data=speak(req.text, req.voice, req.delivery, variant=req.variant), ext="wav", prompt=req.prompt)

    def edit_image(self, req: EditRequest) -> Media:
        from core.providers.offline_edit import CannotEdit, edit

        try:
            img = edit(art.load_image(req.image), req.instruction)
        except CannotEdit as err:
            raise InputError(str(err)) from None
        return Media(data=art._png(img), ext="png", prompt=req.prompt)

    def blend_sheets(self, sheet_a: bytes, sheet_b: bytes, *, name: str, weight: float, prompt: str) -> Media:
        from core.providers.offline_blend import offline_blend

        return Media(data=offline_blend(sheet_a, sheet_b, name, weight), ext="png", prompt=prompt)


def _styled(png: bytes, style_image: bytes | None, strength: float = 0.55) -> bytes:
    """The style lock offline: the picture's colours moved toward the reference's (a Reinhard transfer of each
    channel's mean and spread in Lab), `strength` of the way. A keyframe's depth layers take the same transfer,
    so its clip's parallax shows the styled colours."""
    if style_image is None:
        return png
    from skimage import color

    from core.render import layers as depth

    img = np.asarray(art.load_image(png)).astype(np.float64) / 255
    ref = np.asarray(art.load_image(style_image).resize((256, 256))).astype(np.float64) / 255
    lab, rlab = color.rgb2lab(img), color.rgb2lab(ref)
    mu, sd = lab.reshape(-1, 3).mean(0), lab.reshape(-1, 3).std(0) + 1e-6
    rmu, rsd = rlab.reshape(-1, 3).mean(0), rlab.reshape(-1, 3).std(0) + 1e-6

    def move(pic: Image.Image) -> Image.Image:
        x = color.rgb2lab(np.asarray(pic.convert("RGB")).astype(np.float64) / 255)
        moved = (x - mu) / sd * (sd + (rsd - sd) * strength) + mu + (rmu - mu) * strength
        return Image.fromarray((np.clip(color.lab2rgb(moved), 0, 1) * 255).round().astype(np.uint8))

    out = move(Image.fromarray((img * 255).round().astype(np.uint8)))
    found = depth.read(png)
    if found is None:
        return art._png(out)
    found.plate = move(found.plate)
    for person in found.people:
        if person.rgb is not None:
            person.rgb = move(person.rgb)
    if found.fore is not None:
        found.fore = Image.merge("RGBA", (*move(found.fore).split(), found.fore.getchannel("A")))
    return depth.encode(out, found, depth.note(png))


def framing(frame: Image.Image, keyframe: Image.Image) -> float:
    """How well a video frame matches some window of its keyframe, 0..1.

    A camera move shows a zoomed or panned window of the keyframe, so the frame is matched, at the
    zooms a move can reach, against the keyframe by normalised cross-correlation (match_template);
    a frame whose content drifted (new objects, changed faces) matches no window well.
    """
    from skimage.feature import match_template

    key = np.asarray(keyframe.convert("L").resize((320, 180), Image.Resampling.BILINEAR), dtype=np.float32)
    best = -1.0
    for zoom in (1.0, 1.08, 1.16, 1.24, 1.32):
        w, h = round(320 / zoom), round(180 / zoom)
        needle = np.asarray(frame.convert("L").resize((w, h), Image.Resampling.BILINEAR), dtype=np.float32)
        best = max(best, float(match_template(key, needle).max()))
    return float(np.clip(best, 0.0, 1.0))


def palette_fit(img: Image.Image, prompt: str) -> float:
    """How much of a drawn figure stays within the film's palette (plus neutrals), 0..1."""
    import re
    hexes = re.findall(r"#[0-9a-fA-F]{6}", prompt)
    colours = [tuple(int(h[i:i + 2], 16) for i in (1, 3, 5)) for h in hexes]
    colours += [(0, 0, 0), (255, 255, 255), (200, 200, 200), (128, 128, 128)]
    px = np.asarray(img.convert("RGB").resize((64, 64)), dtype=np.float32).reshape(-1, 1, 3)
    dist = np.sqrt(((px - np.asarray(colours, dtype=np.float32)[None]) ** 2).sum(-1)).min(1)
    return float(np.clip(np.exp(-dist / 80.0).mean() * 1.15, 0, 1))

