"""Benchmark 8 — the voice track of the offline film, against the synthesizer's own time.

Setup (not timed): the offline provider plans the 2-character, 3-scene film of the other
benchmarks (its lines: the two characters and the narrator), and the Piper voice is loaded
once, so neither side pays for loading the model.

Measured in one run, alternating, best of 5 each, so both see the same machine:
  (a) Piper alone: `offline_voice.synthesize` on every line of the film, one after another, with
      the same text and pace the offline voice asks for: the synthesizer's own time;
  (b) the Dailies voice track: `voices.make_lines` on a fresh project (every line a logged provider
      call, stored as a take, its speech measured: pitch shift with the formants kept by Rubber Band
      in process (pedalboard), resampling by libswresample (PyAV), levels, WAV), then every line placed in the film and mixed onto the dialogue bus
      (`dialogue.place`, `audio._dialogue`).
Target: (b) at most 1.5x (a).
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from common import CONCEPT, OtherLoad, table, update_section, verdict

REPEAT = 5
TARGET_RATIO = 1.5


def main() -> None:
    other = OtherLoad()
    from core.models import StoryPlan
    from core.pipeline.context import Context
    from core.pipeline.parts import sync_parts
    from core.pipeline.voices import make_lines, voices_of
    from core.providers import get_provider
    from core.providers import offline_voice as ov
    from core.providers.offline_plan import plan_offline
    from core.render import audio, dialogue
    from core.render.dialogue import Spoken
    from core.store import Project

    plan: StoryPlan = plan_offline(CONCEPT, ["Ada", "Bo"], 3, None, "16:9", seed=1)
    voices = voices_of(plan)
    lines = [(line, voices[line.speaker]) for s in plan.scenes for line in s.lines]
    ov._piper()  # the model, loaded once for both sides

    def piper_alone() -> float:
        t0 = time.perf_counter()
        for line, voice in lines:
            shape, how = ov.SHAPES[voice], ov.DELIVERY[line.delivery]
            words = f"Ha ha ha! {line.text}" if how.before == "laugh" else line.text
            ov.synthesize(words, shape.formant / (shape.pace * how.pace))
        return time.perf_counter() - t0

    def dailies(folder: Path) -> float:
        project = Project.open(folder)
        story = project.takes.add("story", payload={"concept": CONCEPT, "plan": plan.model_dump()},
                                  origin="generated")
        project.takes.set_heads({"story": story.id})
        sync_parts(project, story)
        ctx = Context(project=project, provider=get_provider("offline"))
        t0 = time.perf_counter()
        made = make_lines(ctx, plan)
        spans, at = {}, 0.0
        for s in plan.scenes:
            spans[s.scene_id] = (at, at + s.duration_seconds)
            at += s.duration_seconds
        spoken = {n: [Spoken(slot=t.slot, path=project.assets.path(t.asset), speech_start=t.payload["speech_start"],
                             speech_end=t.payload["speech_end"], speaker=t.payload["speaker"],
                             text=t.payload["text"]) for t in takes] for n, takes in made.items()}
        cues, _ = dialogue.place(spans, spoken)
        audio._dialogue(cues, audio._samples(at))
        took = time.perf_counter() - t0
        project.close()
        return took

    alone, track = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(REPEAT):
            alone.append(piper_alone())
            track.append(dailies(Path(tmp) / f"p{i}"))
    a, b = min(alone), min(track)
    ratio = b / a
    spoken_s = sum(len(line.text.split()) for line, _ in lines) / 2.6
    rows = [["(a) Piper alone, every line in turn", f"{a:.2f}", " ".join(f"{x:.2f}" for x in alone)],
            ["(b) Dailies voice track (lines as takes, shifted, measured, placed, mixed)", f"{b:.2f}",
             " ".join(f"{x:.2f}" for x in track)]]
    body = f"""## 8. The offline voice track

The film of the other benchmarks: {len(plan.scenes)} scenes, {len(lines)} lines
({', '.join(sorted({line.speaker for line, _ in lines}))}), about {spoken_s:.0f} s of speech.

{table(["what", f"best of {REPEAT} s", "all runs s"], rows)}

- (b)/(a) = **{ratio:.2f}x** (target ≤ {TARGET_RATIO}x): {verdict(ratio <= TARGET_RATIO)}
- Lines are voiced two at a time, so the pitch shift of one line runs while Piper speaks the next; on 2 cores
  both compete with onnxruntime's own threads. What (b) costs on top of (a): the in-process Rubber Band shift
  (about 30 ms a line), resampling, levels, storing and logging each take, measuring where its words are, the
  placing and the dialogue bus (lines read back as plain WAV, not through a decoder).
- Before (stop 16): one ffmpeg process a line for the shift and PyAV decoding each line twice made (b) 2.15x.
"""
    update_section("voices", body, other)


if __name__ == "__main__":
    main()
