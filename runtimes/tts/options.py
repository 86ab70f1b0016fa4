"""Load options shared by the text-to-speech runtimes."""

from __future__ import annotations

from dataclasses import dataclass

from runtimes.base import LoadOptions


@dataclass
class TtsLoadOptions(LoadOptions):
    """``voice`` is used when a SynthesisRequest names none (espeak-ng: a
    language/voice such as "en-us"; Kokoro: "af_heart"; Piper: a speaker of a
    multi-speaker model). ``voices_file`` overrides Kokoro's voices-*.bin."""

    voice: str = ""
    voices_file: str = ""
