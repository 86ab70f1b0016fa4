"""Which files make a Kokoro or Piper voice, checked before a worker starts,
so a missing download is one clear line ("voice not downloaded: ...")."""

from __future__ import annotations

import json
from pathlib import Path

from models.errors import VoiceNotDownloaded


def kokoro_voices_file(model: Path, override: str = "") -> Path | None:
    """The voices-*.bin next to a kokoro-*.onnx (or the one named in options)."""
    if override:
        return Path(override)
    found = sorted(Path(model).parent.glob("voices*.bin"))
    return found[-1] if found else None


def is_kokoro_model(model: Path) -> bool:
    model = Path(model)
    return model.suffix.lower() == ".onnx" and "kokoro" in model.name.lower()


def check_kokoro(model: Path, voices_override: str = "") -> Path:
    """The voices file for ``model``; raises VoiceNotDownloaded when a file is missing."""
    model = Path(model)
    if not model.is_file():
        raise VoiceNotDownloaded(f"voice not downloaded: Kokoro model {model} does not exist")
    voices = kokoro_voices_file(model, voices_override)
    if voices is None or not voices.is_file():
        raise VoiceNotDownloaded(f"voice not downloaded: Kokoro needs its voices file "
                                 f"{voices or model.parent / 'voices-v1.0.bin'} next to the model")
    return voices


def piper_config(model: Path) -> Path:
    return Path(f"{model}.json")


def is_piper_model(model: Path) -> bool:
    model = Path(model)
    if model.suffix.lower() != ".onnx" or not piper_config(model).is_file():
        return False
    try:
        config = json.loads(piper_config(model).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and "phoneme_id_map" in config


def check_piper(model: Path) -> Path:
    """The voice's JSON config; raises VoiceNotDownloaded when a file is missing."""
    model = Path(model)
    if not model.is_file():
        raise VoiceNotDownloaded(f"voice not downloaded: Piper voice {model} does not exist")
    config = piper_config(model)
    if not config.is_file():
        raise VoiceNotDownloaded(f"voice not downloaded: Piper voice {model.name} needs its config {config}")
    return config
