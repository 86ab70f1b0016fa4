"""espeak-ng, the zero-download voice, registered as "espeak-ng".

Its "model" is the espeak-ng-data folder (``default_model()`` finds the one
espeakng-loader ships, or the system's); the voice is a load option or a
per-request choice.
"""

from __future__ import annotations

from pathlib import Path

from runtimes.base import Availability, Capability, Device, LoadOptions, Runtime, Session
from runtimes.errors import RuntimeUnavailable
from runtimes.registry import register_runtime
from runtimes.tts.options import TtsLoadOptions


def default_model() -> Path:
    from runtimes.tts.espeak.lib import find_espeak

    return find_espeak().data_dir


@register_runtime
class EspeakRuntime(Runtime):
    name = "espeak-ng"
    capabilities = frozenset({Capability.SPEECH_SYNTHESIS})

    def claims(self, model: Path) -> bool:
        from runtimes.tts.espeak.lib import is_espeak_data

        return is_espeak_data(Path(model))

    def availability(self) -> Availability:
        from runtimes.tts.espeak.lib import find_espeak

        try:
            install = find_espeak()
        except RuntimeUnavailable as exc:
            return Availability.no(str(exc))
        return Availability.yes(f"libespeak-ng from {install.source}")

    def devices(self) -> list[Device]:
        return [Device("cpu", "cpu", "espeak-ng formant synthesis (CPU only)")]

    def validate(self, model: Path, options: LoadOptions) -> None:
        from runtimes.errors import LoadFailed
        from runtimes.tts.espeak.lib import is_espeak_data

        TtsLoadOptions.required(options, self.name)
        if not is_espeak_data(Path(model)):
            raise LoadFailed(f"{model} is not an espeak-ng-data folder (it has no phontab)")

    def open_session(self, model: Path, options: LoadOptions) -> Session:
        from runtimes.tts.espeak.lib import find_espeak
        from runtimes.tts.espeak.session import EspeakSession

        self.validate(Path(model), options)
        install = find_espeak()
        if Path(model).resolve() != install.data_dir.resolve():
            # Another data folder (e.g. the system's): use it with the library found.
            install = type(install)(install.library, Path(model), install.source)
        return EspeakSession(install, TtsLoadOptions.required(options, self.name))
