"""Which runtime, file and options each voice stage loads, from what a user
names: a model path (STT, LLM, VAD) or a TTS engine ("espeak", "kokoro",
"piper") with an optional model file."""

from __future__ import annotations

from pathlib import Path

from app.paths import models_dir
from app.voice.models.loaded import ModelChoice
from models.errors import WorkbenchError
from models.voice.tts_catalog import TTS_ENGINES, locate_voice, voice_entry
from runtimes.base import Capability
from runtimes.registry import get_runtime, runtime_for

TTS_RUNTIMES = {"espeak": "espeak-ng", "kokoro": "kokoro", "piper": "piper"}


def vad_choice(path: str | Path | None = None) -> ModelChoice:
    from runtimes.onnx.vad.model import silero_vad_path

    return ModelChoice("onnxruntime", Path(path) if path else silero_vad_path(), None, "Silero VAD")


def _require(path: str | Path, capability: Capability, what: str):
    path = Path(path)
    if not path.exists():
        raise WorkbenchError(f"{what} model {path} does not exist")
    runtime = runtime_for(path)
    if capability not in runtime.capabilities:
        raise WorkbenchError(f"{path.name} is a {runtime.name} model, not a {what} model")
    return runtime


def stt_choice(path: str | Path, language: str = "auto", n_threads: int | None = None) -> ModelChoice:
    runtime = _require(path, Capability.TRANSCRIPTION, "speech-to-text")
    from runtimes.whisper_cpp.options import WhisperLoadOptions

    return ModelChoice(runtime.name, Path(path), WhisperLoadOptions(n_threads=n_threads, extra={"language": language}))


def llm_choice(path: str | Path, n_ctx: int = 2048, n_threads: int | None = None) -> ModelChoice:
    runtime = _require(path, Capability.TEXT_GENERATION, "language")
    from runtimes.llama_cpp.options import LlamaLoadOptions

    return ModelChoice(runtime.name, Path(path), LlamaLoadOptions(n_ctx=n_ctx, n_threads=n_threads))


def tts_choice(engine: str, model: str | Path | None = None, voice: str = "",
               models_folder: Path | None = None) -> ModelChoice:
    """espeak needs no file; kokoro and piper use ``model`` or the downloaded
    catalog voice (VoiceNotDownloaded says what to fetch when there is none)."""
    from runtimes.tts.options import TtsLoadOptions

    if engine not in TTS_RUNTIMES:
        raise WorkbenchError(f"unknown TTS engine {engine!r}; choose from {', '.join(TTS_ENGINES)}")
    runtime = TTS_RUNTIMES[engine]
    options = TtsLoadOptions(voice=voice)
    if engine == "espeak":
        from runtimes.tts.espeak.runtime import default_model

        return ModelChoice(runtime, Path(model) if model else default_model(), options, "espeak-ng")
    path = Path(model) if model else locate_voice(engine, models_folder or models_dir())
    get_runtime(runtime).validate(path, options)  # a missing voices/config file: VoiceNotDownloaded now
    return ModelChoice(runtime, path, options, voice_entry(engine).title if not model else path.name)
