"""xAI text-to-speech: the real TTSClient and XaiProvider.speak against the fake's POST /v1/tts on 127.0.0.1.

What is asserted is what the fake received (body, count), the audio that came back (decoded by PyAV: its
length and its pitch), and what a person sees when the endpoint misbehaves (retries, one-line errors, no key).
"""
from __future__ import annotations

import io
import time

import av
import httpx
import numpy as np
import pytest

from core.errors import AuthError, BadAnswer, ConfigError, ProviderError
from core.providers import get_provider
from core.providers import xai_catalog as catalog
from core.providers.base import SpeechRequest
from core.providers.xai_tts import MAX_TTS_CHARS, TTS_URL_ENV, TTSClient
from tests.conftest import XAI_KEY as KEY
from tests.fakes.xai_server import TTS_VOICES, tts_seconds

LINE = "Ada, the tide is turning. <whisper>Come closer.</whisper> [pause] We run at sunset."
WHAT = "line 2 of scene 3 (Ada)"


@pytest.fixture
def tts(fake, monkeypatch):
    """The fake, with the REST base URL pointed at it too."""
    monkeypatch.setenv(TTS_URL_ENV, fake.http_url + "/v1")
    return fake


@pytest.fixture
def client(tts):
    with TTSClient(KEY) as c:
        yield c


def decode(mp3: bytes) -> tuple[np.ndarray, int, str]:
    with av.open(io.BytesIO(mp3)) as c:
        stream = c.streams.audio[0]
        pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)])
        return pcm.astype(np.float64), stream.rate, stream.codec_context.name


def pitch(pcm: np.ndarray, rate: int) -> float:
    """The fundamental by autocorrelation of the middle 0.4 s, between 60 and 300 Hz."""
    mid = len(pcm) // 2
    x = pcm[mid - int(0.2 * rate): mid + int(0.2 * rate)]
    x = x - x.mean()
    acf = np.correlate(x, x, "full")[len(x) - 1:]
    lo, hi = rate // 300, rate // 60
    return rate / (lo + int(np.argmax(acf[lo:hi])))


def speech(prompt: str = LINE, voice: str = "ara", speaker: str = WHAT) -> SpeechRequest:
    return SpeechRequest(text=prompt, voice=voice, prompt=prompt, speaker=speaker)


# -- success ---------------------------------------------------------------------------------------------
def test_speech_is_mp3_as_long_as_the_words_and_sent_as_xai_asks(tts, client):
    mp3 = client.speak(LINE, "eve", what=WHAT)
    pcm, rate, codec = decode(mp3)
    assert codec.startswith("mp3") and rate == 24_000
    words = 11  # the tags are not words
    assert tts_seconds(LINE) == pytest.approx(words / 2.6, abs=0.01)
    assert abs(len(pcm) / rate - words / 2.6) < 0.25
    assert tts.count("tts") == 1
    (r,) = tts.tts_requests
    assert (r.text, r.voice_id, r.language) == (LINE, "eve", "en")
    assert set(r.body) == {"text", "voice_id", "language"}  # no output_format, no model
    assert KEY not in r.key and KEY not in repr(client)


def test_short_text_is_at_least_the_minimum_and_the_language_is_sent(client, tts):
    pcm, rate, _ = decode(client.speak("Hi.", "leo", "fr", what=WHAT))
    assert 0.55 < len(pcm) / rate < 0.8
    assert tts.tts_requests[-1].language == "fr"


def test_each_voice_has_its_own_pitch(client):
    heard = {v: pitch(*decode(client.speak("One two three four five six.", v, what=WHAT))[:2]) for v in TTS_VOICES}
    for voice, f0 in TTS_VOICES.items():
        assert heard[voice] == pytest.approx(f0, rel=0.06), heard
    assert heard["eve"] > heard["ara"] > heard["sal"] > heard["rex"] > heard["leo"]


def test_provider_speak_returns_mp3_media_costed_by_the_characters(tts):
    provider = get_provider("xai")
    assert provider.models["voice"] == catalog.DEFAULT_MODELS["voice"]
    media = provider.speak(speech(voice="sal"))
    assert media.ext == "mp3" and media.prompt == LINE and decode(media.data)[2].startswith("mp3")
    price = catalog.PRICES["tts_per_million_chars"]
    assert price == 4.20
    assert media.cost_usd == pytest.approx(len(LINE) * 4.20 / 1e6)
    assert provider.estimate("speak", {"chars": 1_000_000}, 0) == pytest.approx(4.20)
    assert tts.tts_requests[-1].voice_id == "sal" and tts.tts_requests[-1].text == LINE


def test_the_preflight_does_not_look_the_voice_up(tts):
    provider = get_provider("xai")
    assert "voice" in catalog.ROLES and "voice" not in catalog.LISTED_AS
    provider.preflight()  # the fake lists no "grok-tts": a lookup would refuse it
    assert tts.count("tts") == 0


# -- rude answers ----------------------------------------------------------------------------------------
def test_a_bad_key_is_an_auth_error_without_the_key(tts, monkeypatch):
    bad = "xai-wrong-secret-9d2e11"
    with pytest.raises(AuthError) as err:
        TTSClient(bad).speak(LINE, "eve", what=WHAT)
    text = str(err.value)
    assert "XAI_API_KEY" in text and "\n" not in text
    assert bad not in text and bad[:2] + "***" not in text
    assert tts.count("tts") == 1  # not retried
    monkeypatch.setenv("XAI_API_KEY", bad)
    with pytest.raises(AuthError) as err:
        get_provider("xai").speak(speech())
    assert bad not in str(err.value)


def test_429_twice_then_success_is_one_result_from_three_requests(client, tts):
    tts.fail_tts(429, nth=[1, 2], message="Too many requests, slow down")
    pcm, rate, _ = decode(client.speak(LINE, "rex", what=WHAT))
    assert len(pcm) / rate > 1
    assert tts.count("tts") == 3


def test_retry_after_is_honoured_up_to_the_longest_delay(tts, monkeypatch):
    monkeypatch.setenv("DAILIES_XAI_RETRY_BASE", "0.1")  # the longest delay 1.6 s; the first jitter at most 0.1 s
    client = TTSClient(KEY)
    assert client.policy.max_delay_s == pytest.approx(1.6)
    tts.fail_tts(503, nth=[1], retry_after=30)
    t0 = time.monotonic()
    client.speak("Wait for it.", "eve", what=WHAT)
    took = time.monotonic() - t0
    assert tts.count("tts") == 2
    assert 1.55 <= took < 5  # waited as told, but capped: not 30 s, and not the jitter (plus the 0.2 s rate limit)


def test_a_persistent_500_is_one_line_naming_the_line(client, tts):
    tts.fail_tts(500, message="upstream\nexploded")
    with pytest.raises(ProviderError) as err:
        client.speak(LINE, "eve", what=WHAT)
    text = str(err.value)
    assert WHAT in text and "HTTP 500" in text and "upstream exploded" in text and "\n" not in text
    assert not isinstance(err.value, AuthError)
    assert tts.count("tts") == client.policy.attempts
    tts.clear_faults()
    assert client.speak("Fine now.", "eve", what=WHAT)


def test_a_400_names_the_line_and_the_servers_reason_and_is_not_retried(tts):
    tts.fail_tts(400, nth=[2], message="Unsupported speech tag <shout>")
    provider = get_provider("xai")
    provider.speak(speech())
    with pytest.raises(ProviderError) as err:
        provider.speak(speech(speaker="the preview of Bo's voice"))
    assert str(err.value) == ("xAI refused the preview of Bo's voice "
                              "(HTTP 400: Unsupported speech tag <shout>).")
    assert tts.count("tts") == 2


def test_a_servers_message_is_scrubbed_of_the_key(client, tts):
    tts.fail_tts(422, nth=[1], message=f"cannot speak for {KEY}")
    with pytest.raises(ProviderError) as err:
        client.speak(LINE, "eve", what=WHAT)
    assert KEY not in str(err.value) and "cannot speak for [key]" in str(err.value)
    tts.fail_tts(400, nth=[2], message="Incorrect API key provided: xa***23.")  # how xAI's REST API refuses a key
    with pytest.raises(AuthError):
        client.speak(LINE, "eve", what=WHAT)


def test_text_over_the_limit_is_refused_unsent(client, tts):
    long = "word " * (MAX_TTS_CHARS // 5) + "x"
    assert len(long) == MAX_TTS_CHARS + 1
    with pytest.raises(ProviderError) as err:
        client.speak(long, "eve", what=WHAT)
    assert WHAT in str(err.value) and "15,000" in str(err.value)
    with pytest.raises(ProviderError):
        client.speak(LINE, "bob", what=WHAT)
    assert tts.count("tts") == 0
    pcm, rate, _ = decode(client.speak(long[:MAX_TTS_CHARS], "eve", what=WHAT))  # exactly the limit is fine
    assert tts.count("tts") == 1 and len(tts.tts_requests[0].text) == MAX_TTS_CHARS
    assert len(pcm) / rate == pytest.approx(60, abs=0.2)  # the fake's cap on 3,000 words


@pytest.mark.parametrize("body,ctype", [(b"<html>Sorry</html>", "audio/mpeg"), (b"", "audio/mpeg"),
                                        (b'{"audio": "later"}', "application/json")])
def test_a_200_that_is_not_audio_is_a_bad_answer(client, tts, body, ctype):
    tts.tts_garbage(nth=[1], body=body, content_type=ctype)
    with pytest.raises(BadAnswer) as err:
        client.speak(LINE, "eve", what=WHAT)
    assert WHAT in str(err.value) and tts.count("tts") == 1
    assert decode(client.speak(LINE, "eve", what=WHAT))[0].size  # only the first was garbage


def test_a_bad_answer_from_the_provider_keeps_its_cost(tts):
    tts.tts_garbage()
    with pytest.raises(BadAnswer) as err:
        get_provider("xai").speak(speech())
    assert err.value.cost_usd == pytest.approx(len(LINE) * 4.20 / 1e6)


def test_a_redirected_grpc_host_without_a_rest_url_speaks_to_that_host_not_the_public_api(fake, monkeypatch):
    monkeypatch.delenv(TTS_URL_ENV)
    provider = get_provider("xai")
    with pytest.raises(ProviderError) as err:  # the fake's gRPC port does not speak HTTP/1.1 JSON
        provider.speak(speech())
    assert provider._tts.url == f"http://{fake.host}/v1/tts" and WHAT in str(err.value)
    assert KEY not in str(err.value) and fake.count("tts") == 0


@pytest.mark.parametrize("url", ["http://api.example.com/v1", "http://10.0.0.5:8080/v1", "ftp://127.0.0.1/v1"])
def test_plaintext_only_to_loopback(tts, monkeypatch, url):
    with pytest.raises(ConfigError) as err:
        TTSClient(KEY, base_url=url)
    assert "\n" not in str(err.value)
    monkeypatch.setenv(TTS_URL_ENV, url)
    with pytest.raises(ConfigError):
        get_provider("xai").speak(speech())
    assert tts.count("tts") == 0


def test_https_and_loopback_urls_are_accepted(tts):
    assert TTSClient(KEY, base_url="https://api.example.com/v1/").url == "https://api.example.com/v1/tts"
    assert TTSClient(KEY, base_url="http://[::1]:9/v1").url == "http://[::1]:9/v1/tts"
    assert TTSClient(KEY).url == tts.http_url + "/v1/tts"


# -- the fake itself, as a raw HTTP client sees it ------------------------------------------------------
def test_the_fake_validates_like_the_api(tts):
    url, auth = tts.http_url + "/v1/tts", {"Authorization": f"Bearer {KEY}"}
    cases = [({"text": "x" * 15_001, "voice_id": "eve"}, "15000"), ({"voice_id": "eve"}, "text"),
             ({"text": "Hi.", "voice_id": "bob"}, "voice_id")]
    for body, said in cases:
        r = httpx.post(url, json=body, headers=auth)
        assert r.status_code == 400 and said in r.json()["error"], r.text
    r = httpx.post(url, json={"text": "Hi.", "voice_id": "eve"}, headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and "Incorrect API key" in r.json()["error"]
    r = httpx.post(url, json={"text": "Hi.", "voice_id": "eve"}, headers=auth)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/mpeg"
    assert r.content == httpx.post(url, json={"text": "Hi.", "voice_id": "eve"}, headers=auth).content
    assert tts.count("tts") == 6 and tts.tts_requests[3].key == "***"


# -- the lines of a film, through the pipeline ------------------------------------------------------------------

def _lines(project):
    from core.pipeline.voices import line_rows

    return line_rows(project)


def test_a_film_sends_one_tts_request_per_line_none_again_and_the_key_on_no_file(fake, tmp_path, faces):
    from core import jobs
    from tests.conftest import CONCEPT, xai_film

    project, job = xai_film(tmp_path, faces)
    assert job["status"] == "succeeded", job["message"]
    rows = _lines(project)
    assert rows and fake.count("tts") == len({(r.text, r.voice, r.delivery) for r in rows})
    sent = {(r.voice_id, r.text) for r in fake.tts_requests}
    assert all(r.asset and not r.stale for r in rows)
    assert sent == {(r.voice, r.text if not r.delivery else sent_text) for r in rows
                    for sent_text in [next(t for v, t in sent if v == r.voice and r.text in t)]}
    assert {r.key for r in fake.tts_requests} != {KEY}  # recorded redacted
    n = fake.count("tts")
    jobs.submit(project, "make", {"concept": CONCEPT, "scenes": 3}, provider="xai", background=False)
    assert fake.count("tts") == n  # unchanged: nothing spoken again
    for path in project.path.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_a_failed_tts_call_names_the_line_and_keeps_every_other_take(fake, tmp_path, faces):
    from core import jobs
    from core.pipeline.edits import set_voice
    from tests.conftest import xai_film

    project, job = xai_film(tmp_path, faces)
    assert job["status"] == "succeeded", job["message"]
    rows = _lines(project)
    speaker = rows[0].speaker
    theirs = [r for r in rows if r.speaker == speaker]
    other = next(v for v in ("eve", "ara", "sal", "rex", "leo") if v != theirs[0].voice)
    set_voice(project, speaker, other)
    fake.fail_tts(400, nth=[fake.count("tts") + 1], message="text could not be synthesized")
    done = jobs.get(project, jobs.submit(project, "lines", {}, provider="xai", background=False))
    assert done["status"] == "failed"
    assert "line " in done["message"] and f"({speaker if speaker != 'Narrator' else 'the narrator'})" \
        in done["message"] and "text could not be synthesized" in done["message"]
    assert "\n" not in done["message"] and KEY not in done["message"]
    after = {r.slot: r for r in _lines(project)}
    # every line of the others is as it was; of this speaker's, all but the refused one were voiced anew
    assert all(after[r.slot].take == r.take for r in rows if r.speaker != speaker)
    remade = [r for r in theirs if after[r.slot].take != r.take]
    assert len(remade) == len(theirs) - 1 and all(after[r.slot].voice == other for r in remade)
    fake.clear_faults()
    again = jobs.get(project, jobs.submit(project, "lines", {}, provider="xai", background=False))
    assert again["status"] == "succeeded", again["message"]
    assert not any(r.stale for r in _lines(project))
