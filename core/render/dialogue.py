"""Where each spoken line sits in the film, and the subtitles that follow from it.

A line's take records where its speech really starts and ends inside its audio
file (measured when it was made). Here the lines of a scene are laid out inside
the scene's span on the timeline: a lead-in, then each line with a natural gap
before the next, the block a little later when the scene has room to spare.
A cue is the stretch of film time in which words are heard, so the `.srt`, the
`.vtt`, burned subtitles and the ducking of the music all use the same times.

A scene whose speech does not fit (the real voice was slower than the plan's
estimate) first loses slack (shorter gaps, a shorter lead), then its last line
runs on into the next scene; `overflow` says by how much, for a note.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.models import LINE_GAP, LINE_LEAD, LINE_TAIL, words_seconds

MIN_GAP, MIN_LEAD = 0.15, 0.2


@dataclass(frozen=True)
class Spoken:
    """One line's audio, as the cut hands it over."""

    slot: str             # line/<scene>/<n>
    path: Path
    speech_start: float   # seconds into the file where the words begin
    speech_end: float
    speaker: str
    text: str


@dataclass(frozen=True)
class Cue:
    scene: int
    start: float          # film time the words begin
    end: float
    at: float             # film time the audio file starts (start - its speech_start)
    spoken: Spoken


def place(spans: dict[int, tuple[float, float]], lines: dict[int, list[Spoken]]) -> tuple[list[Cue], dict[int, float]]:
    """Cues for every line in film order, and the seconds by which each scene that overflows does."""
    cues: list[Cue] = []
    overflow: dict[int, float] = {}
    for scene, spoken in lines.items():
        if scene not in spans or not spoken:
            continue
        start, end = spans[scene]
        speech = sum(s.speech_end - s.speech_start for s in spoken)
        room = end - start - LINE_TAIL
        gaps = len(spoken) - 1
        lead, gap = LINE_LEAD, LINE_GAP
        if speech + lead + gap * gaps > room:  # tighten before running over
            gap = max(MIN_GAP, (room - speech - MIN_LEAD) / gaps) if gaps else gap
            lead = max(MIN_LEAD, room - speech - gap * gaps)
        else:  # room to spare: begin a little later, never more than a second and a half in
            lead = min(1.5, lead + (room - speech - lead - gap * gaps) / 3)
        t = start + lead
        for s in spoken:
            length = s.speech_end - s.speech_start
            cues.append(Cue(scene=scene, start=t, end=t + length, at=t - s.speech_start, spoken=s))
            t += length + gap
        over = cues[-1].end - (end - 0.1)
        if over > 0.05:
            overflow[scene] = round(over, 2)
    cues.sort(key=lambda c: c.start)
    return cues, overflow


def _stamp(t: float, sep: str) -> str:
    ms = max(0, round(t * 1000))
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"


def captions(cues: list[Cue], spans: dict[int, tuple[float, float]], scenes: list) -> list[tuple[float, float, str]]:
    """Every subtitle of the film: each line's cue, and for a scene without lines its caption (`subtitle`)
    over the scene, as before lines existed."""
    spoken = {c.scene for c in cues}
    out = [(c.start, c.end, c.spoken.text) for c in cues]
    for s in scenes:
        if s.scene_id in spoken or s.scene_id not in spans:
            continue
        a, b = spans[s.scene_id]
        if s.lines:  # not voiced (spoken lines off): each line for the time it would take to say
            out += _estimated(a, b, [line.text for line in s.lines])
        elif s.subtitle.strip():
            out.append((a + 0.25, b - 0.25, s.subtitle.strip()))
    return sorted(out)


def _estimated(start: float, end: float, texts: list[str]) -> list[tuple[float, float, str]]:
    lengths = [words_seconds(t) for t in texts]
    room = end - start - LINE_LEAD - LINE_TAIL - LINE_GAP * (len(texts) - 1)
    scale = min(1.0, room / sum(lengths)) if room > 0 else 0.5
    t, out = start + LINE_LEAD, []
    for text, length in zip(texts, lengths):
        out.append((t, t + length * scale, text))
        t += length * scale + LINE_GAP
    return out


def srt(items: list[tuple[float, float, str]]) -> str:
    blocks = [f"{i}\n{_stamp(a, ',')} --> {_stamp(b, ',')}\n{text}\n" for i, (a, b, text) in enumerate(items, 1)]
    return "\n".join(blocks)


def vtt(items: list[tuple[float, float, str]]) -> str:
    blocks = [f"{_stamp(a, '.')} --> {_stamp(b, '.')}\n{text}\n" for a, b, text in items]
    return "WEBVTT\n\n" + "\n".join(blocks)
