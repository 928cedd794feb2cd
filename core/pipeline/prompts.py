"""Prompt text for every operation, shared by all providers.

The rules from the design notes live here: frozen character descriptions are
quoted verbatim, never paraphrased; video prompts describe motion only (camera
and action), because the keyframe already carries every detail of appearance;
fix prompts name the problems the check found and nothing else.
"""
from __future__ import annotations

from core.models import Character, Scene


def plan_prompt(concept: str, labels: list[str], scenes: int | None, style: str | None, aspect_ratio: str) -> str:
    lines = [
        "Plan a short film from this concept as a StoryPlan.",
        f"Concept: {concept.strip()}",
        f"Aspect ratio: {aspect_ratio}.",
        "Give every character a frozen visual description of at least 80 words (face, hair, build, clothing,"
        " colours) that can be repeated verbatim in every image prompt; a palette of 5 hex colours;"
        " 3 to 5 scenes unless told otherwise, each with setting, camera move, mood, action,"
        " duration_seconds (3-8) and transition (cut or crossfade).",
    ]
    if scenes:
        lines.append(f"Exactly {scenes} scenes.")
    if style:
        lines.append(f"Art style: {style}.")
    if labels:
        lines.append(f"Reference photos were uploaded for: {', '.join(labels)}. Use these names for those characters.")
    return "\n".join(lines)


def sheet_prompt(style: str, palette: list[str], character: Character, has_photo: bool,
                 fix: list[str] | None = None, style_lock: bool = False) -> str:
    if has_photo:
        head = (f"{style}. Transform this photo into a character portrait while preserving the person's exact"
                " facial features, face shape and likeness.")
    else:
        head = f"{style}. A character portrait."
    text = (f"{head} {character.visual_description} Standing in a neutral three-quarter pose against a plain light"
            f" gray background. Character design reference sheet, name label '{character.name}'."
            f" Palette: {', '.join(palette)}.")
    if style_lock:
        text += " The last image is the film's art-direction reference: match its look, not its content."
    return _with_fix(text, fix)


def keyframe_prompt(style: str, palette: list[str], scene: Scene, characters: list[Character], roles: list[str],
                    fix: list[str] | None = None) -> str:
    refs = "; ".join(
        f"image {i + 1} is the reference sheet of {r.split('/', 1)[1]}" if r.startswith("sheet/")
        else f"image {i + 1} is the film's art-direction reference (match its look and palette, not its content)"
        if r == "style" else f"image {i + 1} is the previous scene's keyframe (match its lighting and continuity)"
        for i, r in enumerate(roles))
    people = " ".join(f"{c.name}: {c.visual_description}" for c in characters)
    text = (f"{style}. Scene {scene.scene_id}, '{scene.title}'. Setting: {scene.setting}. Mood: {scene.mood}."
            f" Action: {scene.action}. Camera framing for a {scene.camera} shot. {people} References: {refs}."
            f" Keep every character exactly as in their reference sheet. Palette: {', '.join(palette)}.")
    return _with_fix(text, fix)


def check_prompt(kind: str, subject: str) -> str:
    return {
        "sheet": f"Score 0..1 how well this character sheet of {subject} keeps the likeness of the reference "
                 "photo and follows the description; list concrete problems.",
        "keyframe": f"Score 0..1 how consistent the characters in this keyframe of {subject} are with their "
                    "reference sheets; list each character that is off-model and how.",
        "clip": f"Score 0..1 how closely this last frame of {subject} still matches its keyframe (drift); "
                "list what changed.",
    }[kind]


def motion_prompt(scene: Scene, fix: list[str] | None = None) -> str:
    """Camera and action only: appearance comes from the keyframe. A scene's own motion prompt replaces both."""
    if scene.motion.strip():
        return _with_fix(f"{scene.motion.strip().rstrip('.')}. Smooth, steady motion.", fix)
    camera = scene.clip_camera or scene.camera
    text = f"{camera.capitalize()}. {scene.action.rstrip('.')}. Mood: {scene.mood}. Smooth, steady motion."
    return _with_fix(text, fix)


def _with_fix(text: str, fix: list[str] | None) -> str:
    if not fix:
        return text
    return f"{text} Fix these problems from the last attempt: {'; '.join(fix)}."


# A line's delivery as xAI's speech tags: wrapping tags for a way of speaking, inline ones for a sound or a beat.
WRAPPING_TAGS = {"whisper": "whisper", "shout": "loud", "soft": "soft", "slow": "slow", "fast": "fast"}
INLINE_TAGS = {"laugh": "[laugh]", "sigh": "[sigh]", "pause": "[pause]"}


def speech_prompt(text: str, delivery: str = "") -> str:
    """What a text-to-speech call is sent for one line: its words with the delivery as a speech tag."""
    text = " ".join(text.split())
    if delivery in WRAPPING_TAGS:
        tag = WRAPPING_TAGS[delivery]
        return f"<{tag}>{text}</{tag}>"
    if delivery in INLINE_TAGS:
        return f"{INLINE_TAGS[delivery]} {text}"
    return text
