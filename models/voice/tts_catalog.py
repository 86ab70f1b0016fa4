"""Downloadable text-to-speech voices, and where a downloaded one lives.

espeak-ng needs no download (espeakng-loader ships it). Kokoro and Piper
voices come from the Hugging Face Hub through the Library's downloader, into
the HF cache; a copy in ``<models dir>/tts/<engine>/`` is found too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from models.errors import VoiceNotDownloaded, WorkbenchError

TTS_ENGINES = ("espeak", "kokoro", "piper")  # espeak first: the zero-download default


@dataclass(frozen=True)
class TtsVoice:
    engine: str  # "kokoro" or "piper"
    runtime: str  # the runtime registered for it
    title: str
    repo: str  # Hugging Face repo id
    files: tuple[str, ...]  # repo paths, the model first; all land in one folder
    size_mb: int
    default_voice: str
    license: str

    @property
    def file_names(self) -> tuple[str, ...]:
        return tuple(PurePosixPath(f).name for f in self.files)

    def pull_commands(self) -> str:
        return " && ".join(f"workbench pull {self.repo} {f}" for f in self.files)


CATALOG: dict[str, TtsVoice] = {
    "kokoro": TtsVoice(
        engine="kokoro", runtime="kokoro", title="Kokoro-82M v1.0", repo="fastrtc/kokoro-onnx",
        files=("kokoro-v1.0.onnx", "voices-v1.0.bin"), size_mb=337, default_voice="af_heart",
        license="Apache-2.0",
    ),
    "piper": TtsVoice(
        engine="piper", runtime="piper", title="Piper en_US lessac (medium)", repo="rhasspy/piper-voices",
        files=("en/en_US/lessac/medium/en_US-lessac-medium.onnx",
               "en/en_US/lessac/medium/en_US-lessac-medium.onnx.json"),
        size_mb=63, default_voice="", license="MIT (voice: see its MODEL_CARD)",
    ),
}


def voice_entry(engine: str) -> TtsVoice:
    try:
        return CATALOG[engine]
    except KeyError:
        raise WorkbenchError(f"no downloadable voice for {engine!r}; choose from {', '.join(CATALOG)}") from None


def candidate_folders(voice: TtsVoice, cache_dir: Path, models_dir: Path) -> list[Path]:
    """Every folder that may hold the voice: each HF snapshot, then our models folder."""
    repo_folder = cache_dir / ("models--" + voice.repo.replace("/", "--")) / "snapshots"
    subfolder = PurePosixPath(voice.files[0]).parent
    snapshots = sorted(repo_folder.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True) \
        if repo_folder.is_dir() else []
    return [s / subfolder for s in snapshots] + [models_dir / "tts" / voice.engine]


def locate_voice(engine: str, models_dir: Path, cache_dir: Path | None = None) -> Path:
    """The voice's model file, or VoiceNotDownloaded naming what to fetch."""
    from models.download.paths import default_cache_dir

    voice = voice_entry(engine)
    folders = candidate_folders(voice, cache_dir or default_cache_dir(), models_dir)
    for folder in folders:
        if all((folder / name).is_file() for name in voice.file_names):
            return folder / voice.file_names[0]
    raise VoiceNotDownloaded(
        f"voice not downloaded: {voice.title} needs {', '.join(voice.file_names)} from {voice.repo} "
        f"(~{voice.size_mb} MB); download it on the Voice page or run: {voice.pull_commands()} "
        f"(or put the files in {folders[-1]})"
    )
