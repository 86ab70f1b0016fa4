"""A small ctypes binding to libespeak-ng (speak_lib.h), synchronous mode.

The library comes from the ``espeakng-loader`` wheel (it ships libespeak-ng
and its data on every OS) or, failing that, from the system. espeak-ng keeps
global state, so one process hosts one engine: the worker process gives us
that for free.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from runtimes.errors import LoadFailed, RuntimeUnavailable

AUDIO_OUTPUT_SYNCHRONOUS = 2
ESPEAK_CHARS_UTF8 = 1
ESPEAK_RATE = 1  # espeak_PARAMETER: words per minute
DEFAULT_RATE_WPM = 175  # espeakRATE_NORMAL
EE_OK = 0
INSTALL_HINT = "pip install espeakng-loader (or install the espeak-ng system package)"


class EspeakEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),  # a union of int / char* / char[8]; unused here
    ]


class EspeakVoice(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_char_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                                  ctypes.POINTER(EspeakEvent))


@dataclass(frozen=True)
class EspeakInstall:
    library: str  # path or soname of libespeak-ng
    data_dir: Path  # the espeak-ng-data folder
    source: str  # "espeakng-loader" or "system"


def find_espeak() -> EspeakInstall:
    """espeakng-loader's bundled library first (same everywhere), else the system's."""
    try:
        import espeakng_loader

        data = Path(espeakng_loader.get_data_path())
        library = espeakng_loader.get_library_path()
        if Path(library).is_file():
            return EspeakInstall(library, data, "espeakng-loader")
    except (ImportError, RuntimeError):
        pass
    library = ctypes.util.find_library("espeak-ng")
    if library:
        for folder in (Path("/usr/lib/x86_64-linux-gnu"), Path("/usr/lib/aarch64-linux-gnu"), Path("/usr/lib"),
                       Path("/usr/share"), Path("/usr/local/share"), Path("/opt/homebrew/share")):
            if (folder / "espeak-ng-data" / "phontab").is_file():
                return EspeakInstall(library, folder / "espeak-ng-data", "system")
    raise RuntimeUnavailable(f"espeak-ng is not installed; {INSTALL_HINT}")


def is_espeak_data(path: Path) -> bool:
    return Path(path).is_dir() and (Path(path) / "phontab").is_file()


class Espeak:
    """One initialised engine. ``synth`` calls ``on_samples(int16 bytes)`` per
    buffer; the callback returns True to abort (cancel)."""

    def __init__(self, install: EspeakInstall, buffer_ms: int = 60) -> None:
        try:
            self._lib = ctypes.CDLL(install.library)
        except OSError as exc:
            raise RuntimeUnavailable(f"could not load {install.library}: {exc}; {INSTALL_HINT}") from exc
        self._declare()
        # espeak_Initialize takes the folder that *contains* espeak-ng-data.
        rate = self._lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, buffer_ms,
                                           str(install.data_dir.parent).encode(), 0)
        if rate <= 0:
            raise LoadFailed(f"espeak-ng could not start with data in {install.data_dir}")
        self.sample_rate = rate
        self.install = install
        self._sink: Callable[[bytes], bool] | None = None
        self._callback = SYNTH_CALLBACK(self._on_synth)  # kept: ctypes must not free it

        self._lib.espeak_SetSynthCallback(self._callback)

    def _declare(self) -> None:
        lib = self._lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [SYNTH_CALLBACK]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(EspeakVoice))
        lib.espeak_Terminate.argtypes = []
        lib.espeak_Terminate.restype = ctypes.c_int

    def _on_synth(self, samples, count, _events) -> int:
        if count > 0 and samples and self._sink is not None:
            if self._sink(ctypes.string_at(samples, count * 2)):
                return 1  # abort synthesis
        return 0

    def voices(self) -> list[str]:
        listed = self._lib.espeak_ListVoices(None)
        names, index = [], 0
        while listed[index]:
            identifier = listed[index].contents.identifier
            if identifier:  # "gmw/en-US": SetVoiceByName takes the file name part
                names.append(identifier.decode().rsplit("/", 1)[-1].lower())
            index += 1
        return names

    def set_voice(self, name: str) -> None:
        if self._lib.espeak_SetVoiceByName(name.encode()) != EE_OK:
            raise LoadFailed(f"espeak-ng has no voice {name!r} (try en-us, en, de, fr, es ...)")

    def set_speed(self, speed: float) -> None:
        self._lib.espeak_SetParameter(ESPEAK_RATE, max(80, min(450, round(DEFAULT_RATE_WPM * speed))), 0)

    def synth(self, text: str, on_samples: Callable[[bytes], bool]) -> None:
        data = text.encode("utf-8") + b"\0"
        self._sink = on_samples
        try:
            status = self._lib.espeak_Synth(data, len(data), 0, 0, 0, ESPEAK_CHARS_UTF8, None, None)
        finally:
            self._sink = None
        if status != EE_OK:
            raise RuntimeError(f"espeak-ng failed to synthesize (error {status})")

    def close(self) -> None:
        self._lib.espeak_Terminate()
