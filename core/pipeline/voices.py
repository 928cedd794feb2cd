"""The spoken lines: one slot per line, `line/<scene id>/<n>`, made before the cut.

A line is an asset like a keyframe: it has takes, can be played, regenerated,
tagged and restored. Its inputs are the scene's lines (`lines/<id>`) and the
speaker's voice (`voice/<name>`), so changing one character's voice makes only
that character's lines stale, and rewording a line remakes only the lines of
that scene whose words changed (the others are found again by their recipe,
which is the words, the delivery, the voice and the provider: never paid for
twice).

When a line is made, where its words really begin and end inside the audio is
measured (energy above a floor) and kept with the take: the cut places lines by
it, so subtitles sit on the speech and not on the file's silence.

Lines run two at a time (offline: while Piper speaks one line, ffmpeg shifts the
pitch of the one before; xai: two requests in flight). If one fails, the others
finish and keep their takes, and the error names the line that failed.
"""
from __future__ import annotations

import concurrent.futures as cf
from dataclasses import dataclass

import numpy as np

from core.errors import BudgetExceeded, Cancelled, DailiesError
from core.models import NARRATOR, Line, StoryPlan
from core.pipeline import prompts
from core.pipeline.context import Context, StepResult
from core.pipeline.parts import lines_part, scene_label, voice_part
from core.pipeline.voice_cast import choose_voices
from core.providers.base import SpeechRequest
from core.store import Project, Take

LINE_WORKERS = 2
FLOOR_DB = -35.0        # below the line's peak: where speech is taken to begin and end


def line_slot(scene_id: int, n: int) -> str:
    return f"line/{scene_id}/{n}"


def line_label(project: Project, scene_id: int, n: int, speaker: str, branch: str | None = None) -> str:
    """How a person names a line: "Ada's line 2 in scene 3" (by the scene's position now)."""
    who = "the narrator" if speaker == NARRATOR else speaker
    return f"line {n} of {scene_label(project, scene_id, branch).lower()} ({who})"


def voices_of(plan: StoryPlan) -> dict[str, str]:
    return choose_voices(plan)


def make_line(ctx: Context, scene_id: int, n: int, *, regenerate: bool = False) -> Take:
    """The take of line `n` (1-based) of the scene with this id."""
    lines_take = lines_part(ctx.project, scene_id, ctx.branch)
    lines = [Line.model_validate(x) for x in lines_take.payload["lines"]]
    if not 1 <= n <= len(lines):
        raise _no_line(ctx.project, scene_id, n, len(lines), ctx.branch)
    line = lines[n - 1]
    voice_take = voice_part(ctx.project, line.speaker, ctx.branch)
    voice = voice_take.payload["voice"]
    slot = line_slot(scene_id, n)
    label = line_label(ctx.project, scene_id, n, line.speaker, ctx.branch)
    recipe = {"step": "line", "provider": ctx.provider.name, "model": ctx.provider.models.get("voice"),
              "text": line.text, "delivery": line.delivery, "voice": voice}
    inputs = {f"lines/{scene_id}": lines_take.id, f"voice/{line.speaker}": voice_take.id}

    def make(variant: int) -> StepResult:
        try:
            asset, cost = _speak(ctx, slot, line.text, line.delivery, voice, label, variant)
        except (Cancelled, BudgetExceeded):
            raise
        except DailiesError as err:
            raise _named(err, label) from None
        timing = measure(ctx.project, asset)
        return StepResult(asset=asset, cost_usd=cost, model=ctx.provider.models.get("voice"),
                          payload={"scene": scene_id, "line": n, "speaker": line.speaker, "text": line.text,
                                   "delivery": line.delivery, "voice": voice, **timing})

    take = ctx.produce(slot, recipe_of=recipe, inputs=inputs, make=make, regenerate=regenerate)
    return take


def preview_voice(ctx: Context, speaker: str, voice: str) -> str:
    """An audio asset of `speaker`'s first line in the story (or a greeting) in `voice`, for the Design page."""
    from core.errors import InputError
    from core.models import VOICES
    from core.pipeline.plan import story_of

    if voice not in VOICES:
        raise InputError(f"Voice {voice!r} is not one of {', '.join(VOICES)}.")
    story = ctx.project.takes.head("story", ctx.branch)
    plan = story_of(story) if story else None
    names = [c.name for c in plan.characters] if plan else []
    if speaker != NARRATOR and speaker not in names:
        raise InputError(f"{speaker} is not a character of the story; the speakers are "
                         f"{', '.join([*names, NARRATOR])}.")
    said = next((line for s in (plan.scenes if plan else []) for line in s.lines if line.speaker == speaker), None)
    text = said.text if said else (f"Hello. I am {speaker}." if speaker != NARRATOR else "Once upon a time.")
    asset, _cost = _speak(ctx, f"voice/{speaker}", text, said.delivery if said else "", voice,
                          f"the preview of {speaker}'s voice", 0)
    return asset


def _speak(ctx: Context, slot: str, text: str, delivery: str, voice: str, label: str,
           variant: int) -> tuple[str, float]:
    """The one logged text-to-speech call: (asset, cost); the same words, delivery and voice again are free."""
    prompt = prompts.speech_prompt(text, delivery)
    req = SpeechRequest(text=text, voice=voice, prompt=prompt, delivery=delivery, speaker=label, variant=variant)
    return ctx.call("speak", slot=slot, model_role="voice", prompt=prompt,
                    params={"voice": voice, "delivery": delivery, "variant": variant, "chars": len(prompt)},
                    inputs=[], fn=lambda: ctx.provider.speak(req))


def make_lines(ctx: Context, plan: StoryPlan) -> dict[int, list[Take]]:
    """Every line of the film, up to date: scene id -> its line takes in order."""
    todo = [(s.scene_id, n) for s in plan.scenes for n in range(1, len(s.lines) + 1)]
    if not todo:
        return {}
    ctx.job.say(f"Voicing {len(todo)} line{'s' * (len(todo) != 1)}")
    done: dict[tuple[int, int], Take] = {}
    errors: list[BaseException] = []
    # The same words in the same voice (a refrain, a repeated "Yes.") are one call: such lines run one after
    # another in one worker, so the second finds the first's answer instead of paying for it at the same time.
    voices = voices_of(plan)
    groups: dict[tuple, list[tuple[int, int]]] = {}
    for s in plan.scenes:
        for n, line in enumerate(s.lines, start=1):
            groups.setdefault((line.text, line.delivery, voices.get(line.speaker)), []).append((s.scene_id, n))

    def run(members: list[tuple[int, int]]) -> list[tuple[tuple[int, int], Take | BaseException]]:
        out = []
        for sid, n in members:
            try:
                out.append(((sid, n), make_line(ctx, sid, n)))
            except (Cancelled, BudgetExceeded):
                raise
            except BaseException as err:  # noqa: BLE001 - the others finish and keep their takes; raised below
                out.append(((sid, n), err))
        return out

    with cf.ThreadPoolExecutor(LINE_WORKERS, thread_name_prefix="line") as pool:
        futures = [pool.submit(run, members) for members in groups.values()]
        for f in cf.as_completed(futures):
            try:
                results = f.result()
            except BaseException as err:  # noqa: BLE001 - cancelled or over budget: nothing new starts
                errors.append(err)
                for other in futures:
                    other.cancel()
                continue
            for key, value in results:
                if isinstance(value, BaseException):
                    errors.append(value)
                else:
                    done[key] = value
    if errors:
        raise next((e for e in errors if isinstance(e, Cancelled)), errors[0])
    ctx.job.say(f"{len(todo)} line{'s' * (len(todo) != 1)} voiced")
    return {s.scene_id: [done[(s.scene_id, n)] for n in range(1, len(s.lines) + 1)] for s in plan.scenes
            if s.lines}


def measure(project: Project, asset: str) -> dict:
    """Where the words are in a line's audio: {duration, speech_start, speech_end} in seconds."""
    from core.render.audio import decode_mono

    path = project.assets.path(asset)
    mono = decode_mono(path, f"The audio of a line ({path.name})", "regenerate the line")
    return speech_span(mono)


def speech_span(mono: np.ndarray, rate: int = 48_000) -> dict:
    """The first and last 10 ms window whose level is within FLOOR_DB of the loudest one."""
    n = rate // 100
    frames = len(mono) // n
    duration = round(len(mono) / rate, 3)
    if frames == 0:
        return {"duration": duration, "speech_start": 0.0, "speech_end": duration}
    rms = np.sqrt(np.mean(mono[:frames * n].reshape(frames, n) ** 2, axis=1))
    loud = np.flatnonzero(rms >= rms.max() * 10 ** (FLOOR_DB / 20)) if rms.max() > 0 else np.array([], int)
    if not loud.size:
        return {"duration": duration, "speech_start": 0.0, "speech_end": duration}
    return {"duration": duration, "speech_start": round(loud[0] * n / rate, 3),
            "speech_end": round(min(len(mono), (loud[-1] + 1) * n) / rate, 3)}


@dataclass(frozen=True)
class LineRow:
    """A line as the Generate page and `lines --json` list it."""

    scene: int
    position: int
    line: int
    slot: str
    speaker: str
    voice: str
    text: str
    delivery: str
    take: int | None
    asset: str | None
    seconds: float | None
    stale: bool


def line_rows(project: Project, branch: str | None = None) -> list[LineRow]:
    """Every line of the story with its take (None before it is voiced) and whether it needs regen."""
    from core.pipeline.plan import story_of

    story = project.takes.head("story", branch)
    if story is None:
        return []
    plan = story_of(story)
    voices = voices_of(plan)
    heads = project.takes.heads(branch)
    ids = {s: t.id for s, t in heads.items()}
    out = []
    for position, s in enumerate(plan.scenes, start=1):
        for n, line in enumerate(s.lines, start=1):
            take = heads.get(line_slot(s.scene_id, n))
            voice = heads.get(f"voice/{line.speaker}")
            voice = voice.payload["voice"] if voice else voices.get(line.speaker, "")
            fresh = take is not None and (take.payload or {}).get("text") == line.text and \
                (take.payload or {}).get("voice") == voice and (take.payload or {}).get("delivery") == line.delivery
            out.append(LineRow(scene=s.scene_id, position=position, line=n, slot=line_slot(s.scene_id, n),
                               speaker=line.speaker, voice=voice, text=line.text, delivery=line.delivery,
                               take=take.id if take else None, asset=take.asset if take else None,
                               seconds=(take.payload or {}).get("duration") if take else None,
                               stale=take is None or not fresh or project.takes.stale(take, ids)))
    return out


def _no_line(project: Project, scene_id: int, n: int, count: int, branch: str | None):
    from core.errors import InputError

    where = scene_label(project, scene_id, branch)
    return InputError(f"{where} has {count} line{'s' * (count != 1)}; there is no line {n}"
                      + (" (add lines on the Story page or with `dailies line add`)." if not count else "."))


def _named(err: DailiesError, label: str) -> DailiesError:
    """The same error, saying which line it was about (unless it already does)."""
    text = str(err)
    if label.lower() in text.lower():
        return err
    named = type(err).__new__(type(err))
    named.args = (f"Voicing {label}: {text[0].lower() + text[1:] if text else 'failed'}",)
    named.__dict__.update(err.__dict__)
    return named
