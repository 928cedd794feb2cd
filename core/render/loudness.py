"""EBU R128 loudness and the peak limiter: ffmpeg's own `ebur128` and `alimiter`, run in-process.

The mix is a float32 planar stereo array at 48 kHz. It is pushed through a PyAV
filter graph in 100 ms frames: `ebur128` updates its integrated loudness once per
100 ms block and tags the frame that completes a block, so on the film's
half-second grid the last frame carries the whole film's value.
"""
from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

from core.errors import MediaError
from core.media import AUDIO_RATE

if TYPE_CHECKING:
    import av

BLOCK = AUDIO_RATE // 10  # samples per pushed frame: one ebur128 block
SILENCE = -70.0  # LUFS: EBU R128's absolute gate; nothing louder means silence
LIMIT_DBFS = -1.5


def integrated(mix: np.ndarray) -> float | None:
    """Integrated loudness of `mix` in LUFS; None for silence."""
    import av

    value = SILENCE
    try:
        for frame in _filtered(mix, [("ebur128", "metadata=1")]):
            value = float(frame.metadata.get("lavfi.r128.I", value))
    except (av.FFmpegError, ValueError) as err:
        raise MediaError(f"The soundtrack's loudness could not be measured ({err}).") from None
    return None if value <= SILENCE else value


def limited(mix: np.ndarray, gain_db: float) -> Iterator[av.AudioFrame]:
    """`mix` raised by `gain_db`, its peaks held under -1.5 dBFS; as float planar stereo frames, same length.

    `latency=1` makes the limiter give back its 5 ms look-ahead, so the sound stays on the picture.
    """
    limit = 10 ** (LIMIT_DBFS / 20)
    return _filtered(mix, [("volume", f"{gain_db:.2f}dB"),
                           ("alimiter", f"limit={limit:.4f}:attack=5:release=50:level=disabled:latency=1"),
                           ("aformat", "sample_fmts=fltp:channel_layouts=stereo")])


def _filtered(mix: np.ndarray, chain: list[tuple[str, str]]) -> Iterator[av.AudioFrame]:
    """Push `mix` through the filters in `chain` and yield what comes out."""
    import av

    def pulled() -> Iterator[av.AudioFrame]:
        while True:
            try:
                yield graph.pull()
            except (av.BlockingIOError, av.EOFError):
                return

    time_base = Fraction(1, AUDIO_RATE)
    graph = av.filter.Graph()
    nodes = [graph.add_abuffer(sample_rate=AUDIO_RATE, format="fltp", layout="stereo", time_base=time_base)]
    nodes += [graph.add(name, args) for name, args in chain]
    graph.link_nodes(*nodes, graph.add("abuffersink")).configure()
    for at in range(0, mix.shape[1], BLOCK):
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(mix[:, at:at + BLOCK]), format="fltp",
                                           layout="stereo")
        frame.sample_rate, frame.pts, frame.time_base = AUDIO_RATE, at, time_base
        graph.push(frame)
        yield from pulled()
    graph.push(None)
    yield from pulled()
