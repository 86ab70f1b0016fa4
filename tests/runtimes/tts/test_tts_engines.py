"""The TTS runtimes: espeak-ng (real speech), Kokoro and Piper (real packages
over tiny synthetic graphs with their signatures), and missing voices."""

from __future__ import annotations

import numpy as np
import pytest

from models.errors import VoiceNotDownloaded
from models.voice.tts_catalog import CATALOG, locate_voice
from runtimes.base import CancelToken, Capability
from runtimes.events import AudioChunk, Done, Error
from runtimes.registry import get_runtime
from runtimes.requests import SynthesisRequest
from runtimes.tts.options import TtsLoadOptions
from tests.support.tts_synthetic_voices import build_kokoro, build_piper


def speak(session, text: str, **kwargs) -> tuple[np.ndarray, int, list]:
    events = list(session.run(SynthesisRequest(text, **kwargs)))
    chunks = [e for e in events if isinstance(e, AudioChunk)]
    audio = np.frombuffer(b"".join(c.samples for c in chunks), dtype=np.float32)
    return audio, (chunks[0].sample_rate if chunks else 0), events


@pytest.fixture(scope="module")
def espeak():
    runtime = get_runtime("espeak-ng")
    from runtimes.tts.espeak.runtime import default_model

    session = runtime.open_session(default_model(), TtsLoadOptions())
    yield session
    session.close()


def test_espeak_is_registered_for_speech_synthesis():
    runtime = get_runtime("espeak-ng")
    assert Capability.SPEECH_SYNTHESIS in runtime.capabilities
    assert runtime.availability().ok, runtime.availability().reason


def test_espeak_speaks_and_longer_text_gives_longer_audio(espeak):
    short, rate, events = speak(espeak, "Hello.")
    long, _, _ = speak(espeak, "Hello. This sentence is a good deal longer than the first one.")
    assert rate == 22050
    assert 0.3 < len(short) / rate < 2.0
    assert len(long) > 2.5 * len(short)
    assert np.sqrt(np.mean(short**2)) > 0.01  # speech, not silence
    done = events[-1]
    assert isinstance(done, Done) and done.result["audio_s"] == pytest.approx(len(short) / rate)


def test_espeak_speed_changes_duration(espeak):
    normal, rate, _ = speak(espeak, "Counting one two three four five six seven.")
    fast, _, _ = speak(espeak, "Counting one two three four five six seven.", speed=2.0)
    assert len(fast) < 0.7 * len(normal)


def test_espeak_bad_requests_are_errors_and_the_session_stays_usable(espeak):
    _, _, events = speak(espeak, "   ")
    assert isinstance(events[-1], Error) and "empty" in events[-1].message
    _, _, events = speak(espeak, "Hello", voice="no-such-voice")
    assert isinstance(events[-1], Error) and "no-such-voice" in events[-1].message
    audio, _, _ = speak(espeak, "Still here.")
    assert len(audio) > 0


def test_espeak_cancel_stops_between_chunks(espeak):
    cancel = CancelToken()
    chunks = []
    for event in espeak.run(SynthesisRequest("A long sentence that goes on and on for a while. " * 4), cancel):
        if isinstance(event, AudioChunk):
            chunks.append(event)
            cancel.cancel()
    assert len(chunks) == 1
    assert event.stats.stop_reason == "cancelled"


def test_espeak_in_a_worker_process():
    from runtimes.tts.espeak.runtime import default_model

    session = get_runtime("espeak-ng").load(default_model(), TtsLoadOptions(voice="en"))
    try:
        audio, rate, events = speak(session, "From the worker.")
        assert len(audio) > rate // 4
        assert session.pid != __import__("os").getpid()
    finally:
        session.close()


def test_kokoro_runtime_over_a_synthetic_model(tmp_path):
    model = build_kokoro(tmp_path)
    runtime = get_runtime("kokoro")
    assert runtime.claims(model)
    session = runtime.open_session(model, TtsLoadOptions())
    short, rate, _ = speak(session, "Hi.")
    long, _, _ = speak(session, "Hi. This is a much longer sentence for the synthetic voice.")
    assert rate == 24000 and len(short) > 0 and len(long) > 2 * len(short)
    assert session.info["voice"] == "af_heart"
    _, _, events = speak(session, "Hi.", voice="zz_nobody")
    assert isinstance(events[-1], Error) and "zz_nobody" in events[-1].message


def test_piper_runtime_over_a_synthetic_voice(tmp_path):
    model = build_piper(tmp_path)
    runtime = get_runtime("piper")
    assert runtime.claims(model) and not get_runtime("kokoro").claims(model)
    session = runtime.open_session(model, TtsLoadOptions())
    short, rate, _ = speak(session, "Hi.")
    long, _, _ = speak(session, "Hi. This is a much longer sentence for the synthetic voice.")
    assert rate == 22050 and len(short) > 0 and len(long) > 2 * len(short)


def test_missing_voice_files_fail_before_any_worker(tmp_path):
    kokoro = build_kokoro(tmp_path / "k")
    (tmp_path / "k" / "voices-synthetic.bin").unlink()
    with pytest.raises(VoiceNotDownloaded, match="voice not downloaded: Kokoro needs its voices file"):
        get_runtime("kokoro").load(kokoro, TtsLoadOptions())
    piper = build_piper(tmp_path / "p")
    (tmp_path / "p" / "synthetic-voice.onnx.json").unlink()
    with pytest.raises(VoiceNotDownloaded, match="needs its config"):
        get_runtime("piper").load(piper, TtsLoadOptions())
    with pytest.raises(VoiceNotDownloaded, match="does not exist"):
        get_runtime("piper").load(tmp_path / "nothing.onnx", TtsLoadOptions())


def test_catalog_says_what_to_download_and_finds_it_once_there(tmp_path):
    models_dir, cache = tmp_path / "models", tmp_path / "hf"
    with pytest.raises(VoiceNotDownloaded) as missing:
        locate_voice("kokoro", models_dir, cache)
    message = str(missing.value)
    assert message.startswith("voice not downloaded: Kokoro-82M")
    assert "fastrtc/kokoro-onnx" in message and "voices-v1.0.bin" in message
    # A Hub snapshot (the layout the Library's downloader writes) is found.
    snapshot = cache / "models--rhasspy--piper-voices" / "snapshots" / "abc123" / "en/en_US/lessac/medium"
    snapshot.mkdir(parents=True)
    for name in CATALOG["piper"].file_names:
        (snapshot / name).write_bytes(b"x")
    assert locate_voice("piper", models_dir, cache) == snapshot / "en_US-lessac-medium.onnx"
    # So is a copy in the models folder.
    folder = models_dir / "tts" / "kokoro"
    folder.mkdir(parents=True)
    for name in CATALOG["kokoro"].file_names:
        (folder / name).write_bytes(b"x")
    assert locate_voice("kokoro", models_dir, cache) == folder / "kokoro-v1.0.onnx"


def test_a_worker_outlives_the_short_lived_thread_that_loaded_it():
    """Children die with the thread that started them (PR_SET_PDEATHSIG); the
    host starts them from one long-lived thread, so a model loaded on a Qt
    pool thread (expires after 30 s idle) or a reply thread stays alive."""
    import threading
    import time

    from runtimes.tts.espeak.runtime import default_model

    box = {}
    loader = threading.Thread(target=lambda: box.update(s=get_runtime("espeak-ng").load(default_model(),
                                                                                         TtsLoadOptions())))
    loader.start()
    loader.join()
    time.sleep(0.5)
    try:
        audio, _, _ = speak(box["s"], "Still alive.")
        assert len(audio) > 0
    finally:
        box["s"].close()


def test_a_catalog_voice_downloads_into_the_cache_where_it_is_found_and_speaks(tmp_path):
    from app.voice.models.download import download_voice
    from models.download.jobs import JobDone
    from models.hub.client import HubClient
    from tests.support.fake_hub import FakeHub, FakeRepo

    voice_dir = tmp_path / "built"
    model = build_piper(voice_dir)
    entry = CATALOG["piper"]
    files = {entry.files[0]: model.read_bytes(), entry.files[1]: (voice_dir / f"{model.name}.json").read_bytes(),
             "README.md": b"voices"}
    hub = FakeHub()
    hub.add(FakeRepo(entry.repo, files))
    hub.start()
    try:
        cache = tmp_path / "hf"
        events = list(download_voice("piper", client=HubClient(endpoint=hub.url), cache_dir=cache))
    finally:
        hub.stop()
    assert isinstance(events[-1], JobDone) and len(events[-1].paths) == 2
    located = locate_voice("piper", tmp_path / "models", cache)
    assert located.read_bytes() == model.read_bytes()
    session = get_runtime("piper").open_session(located, TtsLoadOptions())
    audio, _, _ = speak(session, "Downloaded and speaking.")
    assert len(audio) > 0
