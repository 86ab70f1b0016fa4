"""Load options shared by the text-to-speech runtimes."""

from __future__ import annotations

from dataclasses import dataclass

from runtimes.base import Device, LoadOptions


@dataclass
class TtsLoadOptions(LoadOptions):
    """``voice`` is used when a SynthesisRequest names none (espeak-ng: a
    language/voice such as "en-us"; Kokoro: "af_heart"; Piper: a speaker of a
    multi-speaker model). ``voices_file`` overrides Kokoro's voices-*.bin."""

    voice: str = ""
    voices_file: str = ""


def onnx_tts_devices() -> list[Device]:
    """Devices of the ONNX-based voices (Kokoro, Piper): the CPU, and CUDA when installed."""
    import onnxruntime

    devices = [Device("cpu", "cpu", "ONNX Runtime CPU")]
    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        devices.append(Device("cuda:0", "cuda", "ONNX Runtime CUDA"))
    return devices
