"""A planner's answer, checked as a whole before anything is paid for, and repaired where that is safe.

Why: a plan is the input of every later step, and a model answers with JSON that
fits its schema and is still wrong: three scenes all numbered 3, a cast member
called "the owl" who is not in the cast, "ada" for "Ada", four characters in a
scene that can hold three reference images, twelve-word "frozen" descriptions,
four scenes when three were asked for. Left alone, each of those surfaces much
later as a keyframe or clip failure after money was spent. Here they surface at
plan time, as `Finding`s:

- every finding is a *problem* (told to the model when it is asked again, once)
  and a *repair* (what was done when the answer still has it);
- repairs are made only where they are safe: renumber scenes by position, drop a
  name that resolves to no one, keep the first three characters of a scene, cut
  extra scenes, clamp a duration, fall back to a valid transition or palette;
- what still works is kept and only noted: a description under 80 words, fewer
  scenes than asked;
- a plan with no character or no scene has nothing to repair: `usable` is False
  and the caller refuses it in one line.

Names resolve in a fixed order: exactly; then ignoring case, spacing,
punctuation and a leading article or title ("the", "Dr."); then by a first
name, another part of the name or a quoted nickname, or as the start of a first
name ("Sam" for "Samantha") — only when exactly one character fits.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from core.models import (ASPECT_RATIOS, CLIP_AUDIO, DELIVERIES, MAX_LINE_CHARS, MAX_LINES, MAX_PRESENT, MAX_SCENES,
                         MAX_SECONDS, MIN_DESCRIPTION_WORDS, MIN_SECONDS, NARRATOR, TRANSITIONS, Character, Line,
                         PlanDraft, Scene, StoryPlan, lines_seconds)
from core.pipeline.voice_cast import choose_voices

DEFAULT_STYLE = "storybook illustration, soft painterly light"
DEFAULT_PALETTE = ["#264653", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51"]
_HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
_LEADING = {"the", "a", "an", "dr", "doctor", "mr", "mrs", "ms", "miss", "mx", "sir", "lady", "lord", "captain",
            "capt", "professor", "prof", "old", "young", "little", "aunt", "uncle", "grandma", "grandpa"}
_QUOTED = re.compile(r"[\"“”'‘’]([^\"“”'‘’]+)[\"“”'‘’]")


@dataclass(frozen=True)
class Finding:
    problem: str       # what is wrong, in words a model and a person both read
    repair: str        # what was done about it when the answer kept it
    ask: bool = True   # worth asking the model again (a name that resolved anyway is only noted)

    @property
    def note(self) -> str:
        return f"{self.problem}: {self.repair}"


@dataclass
class PlanCheck:
    plan: StoryPlan | None                 # the repaired plan; None when nothing is usable
    findings: list[Finding] = field(default_factory=list)
    refusal: str | None = None             # why the plan is unusable (no character, no scene)

    @property
    def usable(self) -> bool:
        return self.plan is not None

    @property
    def problems(self) -> list[str]:
        return [f.problem for f in self.findings if f.ask] + ([self.refusal] if self.refusal else [])

    @property
    def notes(self) -> list[str]:
        return [f.note for f in self.findings]


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.casefold())  # letters and digits of any script


def _same(name: str) -> str:
    """Case, spacing and punctuation ignored (two characters with this key have one name)."""
    return " ".join(_words(name)) or name.casefold().strip()


def _key(name: str) -> str:
    """As `_same`, and a leading article or title ignored too: "The  Owl." -> "owl" (for reading a cast list)."""
    words = _words(name)
    while len(words) > 1 and words[0] in _LEADING:
        words = words[1:]
    return " ".join(words) or name.casefold().strip()


class Cast:
    """Resolves the names a model wrote to the characters of the plan."""

    def __init__(self, names: list[str]):
        self.names = names
        self._by_same = {_same(n): n for n in names}
        keys = [_key(n) for n in names]
        self._by_key = {k: n for k, n in zip(keys, names) if keys.count(k) == 1}  # "Old Tom" and "Tom": no guess

    def resolve(self, written: str) -> str | None:
        if written in self.names:
            return written
        if _same(written) in self._by_same:
            return self._by_same[_same(written)]
        key = _key(written)
        if not key:
            return None
        if key in self._by_key:
            return self._by_key[key]
        first = key.split()[0]
        for test in (
            lambda n: _key(n).split()[:1] == [first],                       # first name: "Ada" for "Ada Lovelace"
            lambda n: key in _key(n).split() or key in _nicknames(n),       # a part of the name, or its nickname
            lambda n: len(key) >= 3 and " " not in key and _key(n).split()[0].startswith(key),  # "Sam", Samantha
        ):
            fits = [n for n in self.names if test(n)]
            if len(fits) == 1:
                return fits[0]
            if len(fits) > 1:
                return None  # ambiguous: no guess
        return None


def _nicknames(name: str) -> set[str]:
    return {_key(m) for m in _QUOTED.findall(name)}


def _clean_name(name: str) -> str:
    return " ".join(name.replace("/", "-").split())[:60].strip()


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


_NARRATION = {"", "narrator", "narration", "voice over", "voiceover", "vo", "v o", "storyteller", "off screen"}
_DELIVERY_WORDS = {"whispered": "whisper", "whispering": "whisper", "whispers": "whisper", "shouted": "shout",
                   "shouting": "shout", "shouts": "shout", "yell": "shout", "yelled": "shout", "loud": "shout",
                   "softly": "soft", "quiet": "soft", "quietly": "soft", "gentle": "soft", "slowly": "slow",
                   "quickly": "fast", "rapid": "fast", "laughing": "laugh", "laughs": "laugh", "chuckle": "laugh",
                   "sighing": "sigh", "sighs": "sigh", "paused": "pause", "beat": "pause", "normal": "",
                   "neutral": "", "none": "", "calm": ""}


def _delivery(written: str) -> str | None:
    """A delivery as a model may write it ("Whispering", "[laugh]"); None when it is none of the known ones."""
    word = " ".join(_words(written))
    if word in DELIVERIES:
        return word
    return _DELIVERY_WORDS.get(word)


def _cut_text(text: str, limit: int) -> str:
    """At most `limit` characters, ending at a sentence or a word when one is near."""
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    return cut[:end + 1] if end > limit // 2 else cut.rsplit(" ", 1)[0]


def _lines(n: int, scene, present: list[str], cast: "Cast", found: list[Finding]) -> list[Line]:
    """A scene's lines: each speaker a character of the scene or the narrator (a character of the cast who speaks
    in a scene they are not in joins it while there is room), a known delivery, a text of a sensible length."""
    drafts = [d for d in scene.lines if " ".join(d.text.split())]
    if len(drafts) < len(scene.lines):
        found.append(Finding(f"Scene {n} has a line with no words", "left out", ask=False))
    if len(drafts) > MAX_LINES:
        found.append(Finding(f"Scene {n} has {len(drafts)} lines ({MAX_LINES} at most)", f"kept the first {MAX_LINES}"))
        drafts = drafts[:MAX_LINES]
    out: list[Line] = []
    for d in drafts:
        text = " ".join(d.text.split())
        written = " ".join(d.speaker.split())
        if " ".join(_words(written)) in _NARRATION:
            speaker = NARRATOR
        else:
            speaker = cast.resolve(written)
            if speaker is None:
                found.append(Finding(f"Scene {n} has a line by {written!r}, who is not in the cast",
                                     "given to the narrator"))
                speaker = NARRATOR
            elif speaker not in present:
                if len(present) < MAX_PRESENT:
                    present.append(speaker)
                    found.append(Finding(f"Scene {n} has a line by {speaker}, who is not in the scene",
                                         f"{speaker} added to the scene"))
                else:
                    found.append(Finding(f"Scene {n} has a line by {speaker}, who is not in the scene (which is "
                                         "full)", "given to the narrator"))
                    speaker = NARRATOR
            elif speaker != written:
                found.append(Finding(f"Scene {n} has a line by {written!r}", f"read as {speaker}", ask=False))
        delivery = _delivery(d.delivery)
        if delivery is None:
            found.append(Finding(f"Scene {n} asks for the delivery {d.delivery!r} (one of "
                                 f"{', '.join(x for x in DELIVERIES if x)})", "spoken plainly", ask=False))
            delivery = ""
        if len(text) > MAX_LINE_CHARS:
            found.append(Finding(f"A line of scene {n} has {len(text)} characters ({MAX_LINE_CHARS} at most)",
                                 "cut short"))
            text = _cut_text(text, MAX_LINE_CHARS)
        out.append(Line(speaker=speaker, text=text, delivery=delivery))
    return out


def check_plan(draft: PlanDraft, *, scenes: int | None = None, aspect_ratio: str | None = None,
               style: str | None = None, ids_from: int | None = None, known_ids: set[int] | None = None,
               voices: dict[str, str] | None = None) -> PlanCheck:
    """Check `draft` against what was asked (`scenes`, `aspect_ratio`, `style`) and repair it into a StoryPlan.

    A fresh plan numbers its scenes 1 to N. A revision of an existing plan (`ids_from`: the first id no scene of
    the project has had) keeps each scene's stable id, so its takes stay with it; only an id that is missing or
    repeated, or that belonged to a scene no longer in the film (`known_ids`: the plan's current ids), is
    replaced by a new one. `voices`: the voices the characters already have (a revision keeps them)."""
    found: list[Finding] = []

    # -- characters -------------------------------------------------------------------------------------------
    characters: list[Character] = []
    seen: dict[str, str] = {}
    for i, c in enumerate(draft.characters, start=1):
        name = _clean_name(c.name)
        if not name:
            found.append(Finding(f"Character {i} has no name", "left out"))
            continue
        if name != " ".join(c.name.split()):
            found.append(Finding(f"The name {c.name!r} cannot contain '/'", f"written {name!r}"))
        if _same(name) in seen:
            found.append(Finding(f"Two characters are named {name!r}", f"kept the first ({seen[_same(name)]!r})"))
            continue
        seen[_same(name)] = name
        words = len(c.visual_description.split())
        if words < MIN_DESCRIPTION_WORDS:
            found.append(Finding(f"{name}'s visual description has {words} words ({MIN_DESCRIPTION_WORDS} asked)",
                                 "kept as written"))
        characters.append(Character(name=name, role=" ".join(c.role.split()),
                                    visual_description=" ".join(c.visual_description.split()),
                                    personality_cues=[" ".join(x.split()) for x in c.personality_cues if x.strip()]))
    cast = Cast([c.name for c in characters])

    # -- scene count and ids ----------------------------------------------------------------------------------
    drafts = list(draft.scenes)
    limit = min(scenes, MAX_SCENES) if scenes else MAX_SCENES
    if len(drafts) > limit:
        asked = f"{scenes} were asked for" if scenes else f"{MAX_SCENES} is the most a film has"
        found.append(Finding(f"The plan has {len(drafts)} scenes and {asked}", f"cut to the first {limit}"))
        drafts = drafts[:limit]
    elif scenes and 0 < len(drafts) < scenes:
        found.append(Finding(f"The plan has {len(drafts)} scene{'s' * (len(drafts) != 1)} and {scenes} were "
                             "asked for", f"kept {len(drafts)}"))
    ids = [s.scene_id for s in drafts]
    if ids_from is None:
        if ids != list(range(1, len(drafts) + 1)):
            found.append(Finding(f"Scene ids are {', '.join(map(str, ids))} instead of 1 to {len(drafts)} in order",
                                 "renumbered by position"))
        ids = list(range(1, len(drafts) + 1))
    else:
        seen_ids: set[int] = set()
        fresh = max([ids_from, *[i + 1 for i in ids]])
        fresh = max(fresh, ids_from)
        for k, sid in enumerate(ids):
            old = known_ids is None or sid in known_ids or sid >= ids_from
            if sid < 1 or sid in seen_ids or not old:
                why = ("which another scene has" if sid in seen_ids else "which is not an id" if sid < 1
                       else "which a removed scene had")
                found.append(Finding(f"Scene {k + 1} has the id {sid}, {why}", f"given the new id {fresh}"))
                ids[k], fresh = fresh, fresh + 1
            seen_ids.add(ids[k])

    # -- each scene -------------------------------------------------------------------------------------------
    scene_list: list[Scene] = []
    for n, (s, sid) in enumerate(zip(drafts, ids), start=1):
        present: list[str] = []
        for written in s.characters_present:
            name = cast.resolve(written)
            if name is None:
                found.append(Finding(f"Scene {n} named {written!r}, who is not in the cast", "dropped"))
                continue
            if name != written:
                found.append(Finding(f"Scene {n} named {written!r}", f"read as {name}", ask=False))
            if name not in present:
                present.append(name)
        if len(present) > MAX_PRESENT:
            found.append(Finding(f"Scene {n} has {len(present)} characters ({MAX_PRESENT} at most, one reference "
                                 "image each)", f"kept {_and(present[:MAX_PRESENT])}"))
            present = present[:MAX_PRESENT]
        lines = _lines(n, s, present, cast, found)
        if not lines and " ".join(s.subtitle.split()):  # a scene's subtitle becomes its narration
            lines = [Line(speaker=NARRATOR, text=_cut_text(" ".join(s.subtitle.split()), MAX_LINE_CHARS)
                          if len(" ".join(s.subtitle.split())) > MAX_LINE_CHARS else " ".join(s.subtitle.split()))]
        seconds = s.duration_seconds
        whole = int(round(min(max(seconds, MIN_SECONDS), MAX_SECONDS)))
        if not MIN_SECONDS <= seconds <= MAX_SECONDS:
            found.append(Finding(f"Scene {n} lasts {seconds:g} s ({MIN_SECONDS} to {MAX_SECONDS} s a clip)",
                                 f"set to {whole} s"))
        whole = fit_lines(n, whole, lines, found)
        transition = s.transition.strip().lower()
        if transition not in TRANSITIONS:
            found.append(Finding(f"Scene {n} asks for the transition {s.transition!r} (one of "
                                 f"{', '.join(TRANSITIONS)})", "set to cut"))
            transition = "cut"
        fade = min(max(round(s.transition_seconds * 2) / 2, 0.5), 2.0)
        audio = s.audio.strip().lower()
        audio = audio if audio in CLIP_AUDIO else "keep"
        title = " ".join(s.title.split()) or f"Scene {n}"
        scene_list.append(Scene(
            scene_id=sid, title=title, description=" ".join(s.description.split()), characters_present=present,
            setting=" ".join(s.setting.split()) or (scene_list[-1].setting if scene_list else title),
            camera=" ".join(s.camera.split()).lower() or "static", mood=" ".join(s.mood.split()),
            action=" ".join(s.action.split()), duration_seconds=whole, transition=transition,
            transition_seconds=fade, subtitle="" if lines else " ".join(s.subtitle.split()), lines=lines,
            audio=audio))

    # -- the look ---------------------------------------------------------------------------------------------
    wanted_ratio = aspect_ratio or "16:9"
    ratio = draft.aspect_ratio.strip() or wanted_ratio
    if ratio != wanted_ratio or ratio not in ASPECT_RATIOS:
        if draft.aspect_ratio.strip():
            found.append(Finding(f"The plan is in {draft.aspect_ratio!r} and {wanted_ratio} was asked for",
                                 f"set to {wanted_ratio}"))
        ratio = wanted_ratio if wanted_ratio in ASPECT_RATIOS else "16:9"
    palette = [_hex(p) for p in draft.palette if _HEX.match(p.strip())]
    if len(palette) < len(draft.palette):
        bad = [p for p in draft.palette if not _HEX.match(p.strip())]
        found.append(Finding(f"The palette has {', '.join(map(repr, bad[:3]))}, which are not hex colours",
                             "left out"))
    palette = (palette + [c for c in DEFAULT_PALETTE if c not in palette])[:max(5, len(palette))]

    refusal = None
    if not characters:
        refusal = "The plan has no characters"
    elif not scene_list:
        refusal = "The plan has no scenes"
    if refusal:
        return PlanCheck(plan=None, findings=found, refusal=refusal)
    plan = StoryPlan(title=" ".join(draft.title.split()) or "Untitled", logline=" ".join(draft.logline.split()),
                     style=" ".join(draft.style.split()) or style or DEFAULT_STYLE, aspect_ratio=ratio,
                     palette=palette, characters=characters, scenes=scene_list)
    plan.voices = choose_voices(plan, keep=voices)
    return PlanCheck(plan=plan, findings=found)


def fit_lines(n: int, seconds: int, lines: list[Line], found: list[Finding]) -> int:
    """A scene's length, raised to what its lines need; one that cannot fit in one clip is kept at the most a
    clip holds, and the finding says to split it."""
    need = math.ceil(lines_seconds(lines) - 0.05)
    if need <= seconds:
        return seconds
    if need <= MAX_SECONDS:
        found.append(Finding(f"Scene {n}'s lines need about {need} s and it lasted {seconds} s",
                             f"lengthened to {need} s", ask=False))
        return need
    found.append(Finding(f"Scene {n}'s lines need about {need} s, more than the {MAX_SECONDS} s one clip holds",
                         f"kept at {MAX_SECONDS} s; split the scene (`scene split`) or shorten its lines"))
    return MAX_SECONDS


def _hex(value: str) -> str:
    v = value.strip().lstrip("#").lower()
    return "#" + ("".join(ch * 2 for ch in v) if len(v) == 3 else v)


def remaining(plan: StoryPlan) -> list[str]:
    """The notes a valid plan still earns (a hand edit's plan: descriptions under 80 words, lines that need more
    than one clip's length)."""
    checked = check_plan(PlanDraft.of(plan), aspect_ratio=plan.aspect_ratio, ids_from=plan.next_scene_id())
    return [f.note for f in checked.findings if f.repair.startswith("kept as written") or "split the scene" in f.repair]


def reask_prompt(prompt: str, draft: PlanDraft, problems: list[str]) -> str:
    """The planning prompt again, with the last answer and everything wrong with it: the model's one second try."""
    listed = "\n".join(f"- {p}." for p in problems)
    return (f"{prompt}\n\nYour last answer had these problems:\n{listed}\n"
            "Answer again with the whole plan, fixing every problem and keeping everything else. "
            "Use only the names in `characters` in `characters_present`.\n"
            f"Your last answer as JSON:\n{draft.model_dump_json()}")
