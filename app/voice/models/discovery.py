"""What the Voice page can offer for each stage: the model files the user has
and which TTS voices are ready. Walks folders and asks runtimes, so the UI
calls it on a worker thread."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from models.errors import WorkbenchError
from models.hub.quants import is_mmproj
from models.voice.tts_catalog import CATALOG, locate_voice

MAX_FILES = 200  # a huge folder must not flood a picker


@dataclass(frozen=True)
class TtsOption:
    engine: str  # "espeak", "kokoro", "piper"
    title: str
    path: Path | None  # None: not downloaded (or not installed)
    problem: str = ""  # why it cannot be used now


@dataclass(frozen=True)
class WhisperOption:
    name: str  # catalog name: "base.en-q5_1"
    title: str  # "whisper base.en-q5_1 (57 MiB)"; "base.en-q5_1 (57 MiB) — not downloaded" when it is not
    path: Path | None  # None: not downloaded yet


@dataclass
class VoiceDiscovery:
    vad: list[Path] = field(default_factory=list)
    stt: list[Path] = field(default_factory=list)
    llm: list[Path] = field(default_factory=list)
    tts: list[TtsOption] = field(default_factory=list)
    whisper: list[WhisperOption] = field(default_factory=list)  # the suggested catalog models
    problems: list[str] = field(default_factory=list)


def _walk(folders: list[Path], pattern: str) -> list[Path]:
    found: list[Path] = []
    for folder in folders:
        try:
            for path in sorted(folder.rglob(pattern)):
                if len(found) >= MAX_FILES:
                    return found
                if path.is_file() and path not in found:
                    found.append(path)
        except OSError:
            continue  # an unreadable folder offers nothing
    return found


def whisper_files(folders: list[Path]) -> list[Path]:
    from models.whisper.validate import is_whisper_ggml

    return [p for p in _walk(folders, "*.bin") if is_whisper_ggml(p)]


def gguf_files(recent: list[str], folders: list[Path]) -> list[Path]:
    found = [Path(p) for p in recent if Path(p).is_file() and not is_mmproj(Path(p).name)]
    return found + [p for p in _walk(folders, "*.gguf") if p not in found and not is_mmproj(p.name)]


def tts_options(models_dir: Path) -> list[TtsOption]:
    from runtimes.errors import RuntimeUnavailable

    options = []
    try:
        from runtimes.tts.espeak.runtime import default_model

        options.append(TtsOption("espeak", "espeak-ng (built in)", default_model()))
    except RuntimeUnavailable as exc:
        options.append(TtsOption("espeak", "espeak-ng", None, str(exc)))
    for engine, voice in CATALOG.items():
        try:
            options.append(TtsOption(engine, voice.title, locate_voice(engine, models_dir)))
        except WorkbenchError as exc:
            options.append(TtsOption(engine, f"{voice.title} — not downloaded ({voice.size_mb} MB)", None, str(exc)))
    return options


def whisper_options(models_dir: Path, cache_dir: Path | None = None) -> list[WhisperOption]:
    """The suggested whisper.cpp models with their size, and where each is if downloaded."""
    from models.whisper.catalog import SUGGESTED, catalog_entry, locate

    options = []
    for name in SUGGESTED:
        entry = catalog_entry(name)
        path = locate(entry, models_dir, cache_dir)
        size = f"{entry.approx_bytes / 2**20:.0f} MiB"
        title = f"whisper {name} ({size})" if path else f"{name} ({size}) — not downloaded"
        options.append(WhisperOption(name, title, path))
    return options


def discover_voice_models(models_dir: Path, extra_dirs: list[Path], recent: list[str]) -> VoiceDiscovery:
    folders = [Path(models_dir), *[Path(d) for d in extra_dirs]]
    found = VoiceDiscovery(stt=whisper_files(folders), llm=gguf_files(recent, folders),
                           tts=tts_options(Path(models_dir)), whisper=whisper_options(Path(models_dir)))
    found.stt = [p for p in found.stt if p not in {o.path for o in found.whisper}]  # listed once, by name
    try:
        from runtimes.onnx.vad.model import silero_vad_path

        found.vad.append(silero_vad_path())
    except WorkbenchError as exc:
        found.problems.append(str(exc))
    return found
