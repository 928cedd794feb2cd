"""The fake xAI server's text-to-speech: what `POST /v1/tts` answers, kept apart from the gRPC fake.

The audio is real MP3 that PyAV decodes: a voiced-sounding tone whose fundamental is
set by the voice (eve highest, leo lowest) and whose length follows the words (speech
tags left out), so tests can measure pitch and timing as they would of real speech.
`TtsRequest` is what the fake records of each request; `_TtsRule` one injected fault.
"""
from __future__ import annotations

import functools
import io
import random
import re
import subprocess
from dataclasses import dataclass

import numpy as np

TTS_PATH = "/v1/tts"
TTS_MAX_CHARS = 15_000
TTS_RATE = 24_000                                   # Hz: xAI's default MP3
TTS_VOICES = {"eve": 180.0, "ara": 150.0, "sal": 120.0, "rex": 100.0, "leo": 85.0}  # fundamental, Hz
TTS_WORDS_PER_SECOND, TTS_MIN_SECONDS = 2.6, 0.6
TTS_MAX_SECONDS = 60.0                              # a cap of the fake's (encoding is the slow part)
_TAG = re.compile(r"\[[a-z ]+\]|</?[a-z]+>", re.IGNORECASE)


@dataclass
class TtsRequest:
    n: int               # 1-based, counting every POST /v1/tts received (refused ones too)
    text: str
    voice_id: str
    language: str
    key: str             # redacted, as the server's error messages show it
    body: dict           # the JSON as sent (or {} if it was not JSON)


@dataclass
class _TtsRule:
    status: int
    nth: list[int] | None
    rate: float
    message: str
    retry_after: float | None
    seed: int

    def hits(self, n: int) -> bool:
        if self.nth is None and not self.rate:
            return True  # no nth and no rate: every request
        if self.nth and n in self.nth:
            return True
        return self.rate > 0 and random.Random(f"{self.seed}:tts:{n}").random() < self.rate


def tts_seconds(text: str) -> float:
    """How long the fake speaks `text`: its words (speech tags left out) at 2.6 a second, at least 0.6 s and, to
    keep tests fast, at most TTS_MAX_SECONDS."""
    words = len(_TAG.sub(" ", text).split())
    return round(min(TTS_MAX_SECONDS, max(TTS_MIN_SECONDS, words / TTS_WORDS_PER_SECOND)), 2)


@functools.lru_cache(maxsize=64)
def tts_mp3(voice: str, seconds: float) -> bytes:
    """A voiced-sounding MP3: harmonics 1..8 of the voice's fundamental (1/k loudness, a slow 5 Hz vibrato), its
    loudness rising and falling at 4 syllables a second, faded in and out. Deterministic."""
    f0 = TTS_VOICES[voice]
    t = np.arange(int(round(seconds * TTS_RATE))) / TTS_RATE
    phase = 2 * np.pi * f0 * t + 0.02 * f0 / 5.0 * np.sin(2 * np.pi * 5.0 * t)  # +-2 % vibrato
    tone = sum(np.sin(k * phase) / k for k in range(1, 9))
    syllables = 0.25 + 0.75 * np.sin(np.pi * 4.0 * t) ** 2
    fade = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.03) if len(t) else t
    pcm = (0.3 * tone * syllables * fade / np.max(np.abs(tone) + 1e-9)).astype(np.float32)
    return _mp3_pyav(pcm) if _pyav_mp3() else _mp3_ffmpeg(pcm)


@functools.cache
def _pyav_mp3() -> bool:
    import av

    if "libmp3lame" not in av.codec.codecs_available:
        return False
    try:
        av.codec.Codec("libmp3lame", "w")
    except Exception:  # noqa: BLE001 - a decoder-only build
        return False
    return True


def _mp3_pyav(pcm: np.ndarray) -> bytes:
    import av

    out = io.BytesIO()
    with av.open(out, mode="w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=TTS_RATE, layout="mono")
        stream.bit_rate = 64_000
        for i in range(0, len(pcm), 4096):
            frame = av.AudioFrame.from_ndarray(pcm[None, i:i + 4096], format="fltp", layout="mono")
            frame.sample_rate = TTS_RATE
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def _mp3_ffmpeg(pcm: np.ndarray) -> bytes:
    import imageio_ffmpeg

    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "f32le", "-ar", str(TTS_RATE), "-ac", "1",
           "-i", "pipe:0", "-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3", "pipe:1"]
    return subprocess.run(cmd, input=pcm.tobytes(), capture_output=True, check=True, timeout=120).stdout
