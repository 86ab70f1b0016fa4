"""ONNX Runtime execution providers as Workbench devices.

Every well-known provider is listed, so the user sees what exists and how to
get it; one is available only when ``onnxruntime.get_available_providers()``
names it (the installed wheel was built with it). Names are accepted as the
device id ("cuda"), the short name ("CUDA") or onnxruntime's own
("CUDAExecutionProvider"), in any case.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from runtimes.base import Device
from runtimes.errors import RuntimeUnavailable

INSTALL_HINT = "pip install 'onnxruntime>=1.18,<2'"


@dataclass(frozen=True)
class Provider:
    id: str  # the Workbench device id
    short: str  # what the CLI and UI show
    ort_name: str  # onnxruntime's name
    kind: str
    what: str  # the hardware it drives
    how: str  # how to get it when it is missing


PROVIDERS = (
    Provider("cpu", "CPU", "CPUExecutionProvider", "cpu", "any CPU", "part of every onnxruntime wheel"),
    Provider("cuda", "CUDA", "CUDAExecutionProvider", "cuda", "NVIDIA GPUs",
             "install onnxruntime-gpu instead of onnxruntime (needs CUDA 12 and cuDNN 9)"),
    Provider("tensorrt", "TensorRT", "TensorrtExecutionProvider", "cuda", "NVIDIA GPUs through TensorRT",
             "install onnxruntime-gpu and NVIDIA's TensorRT libraries"),
    Provider("coreml", "CoreML", "CoreMLExecutionProvider", "ane", "Apple CPU, GPU and Neural Engine",
             "only in onnxruntime's macOS wheels"),
    Provider("directml", "DirectML", "DmlExecutionProvider", "gpu", "any DirectX 12 GPU on Windows",
             "Windows only: install onnxruntime-directml"),
    Provider("openvino", "OpenVINO", "OpenVINOExecutionProvider", "accel", "Intel CPUs, GPUs and NPUs",
             "install onnxruntime-openvino"),
    Provider("rocm", "ROCm", "ROCMExecutionProvider", "gpu", "AMD GPUs",
             "needs an onnxruntime build with ROCm (AMD publishes wheels for Linux)"),
    Provider("migraphx", "MIGraphX", "MIGraphXExecutionProvider", "gpu", "AMD GPUs through MIGraphX",
             "needs an onnxruntime build with MIGraphX (AMD publishes wheels for Linux)"),
    Provider("qnn", "QNN", "QNNExecutionProvider", "npu", "Qualcomm NPUs", "install onnxruntime-qnn"),
    Provider("dnnl", "oneDNN", "DnnlExecutionProvider", "cpu", "Intel CPUs through oneDNN",
             "needs an onnxruntime build with --use_dnnl"),
    Provider("xnnpack", "XNNPACK", "XnnpackExecutionProvider", "cpu", "ARM and x86 CPUs through XNNPACK",
             "needs an onnxruntime build with --use_xnnpack"),
    Provider("cann", "CANN", "CANNExecutionProvider", "npu", "Huawei Ascend NPUs",
             "needs an onnxruntime build with CANN"),
)
_BY_KEY = {key.lower(): p for p in PROVIDERS for key in (p.id, p.short, p.ort_name)}


def ort_module():
    try:
        import onnxruntime
    except ImportError as exc:
        raise RuntimeUnavailable(f"onnxruntime is not installed ({exc}); {INSTALL_HINT}") from exc
    return onnxruntime


def installed() -> list[str]:
    """onnxruntime's names of the providers this wheel was built with."""
    return list(ort_module().get_available_providers())


def find(name: str) -> Provider:
    provider = _BY_KEY.get(name.strip().lower())
    if provider is None:
        known = ", ".join(p.short for p in PROVIDERS)
        raise ValueError(f"unknown ONNX execution provider {name!r}; known: {known}")
    return provider


def _reason_missing(provider: Provider) -> str:
    if provider.id == "coreml" and sys.platform != "darwin":
        return "Core ML exists only on macOS (onnxruntime's macOS wheels include it)"
    if provider.id == "directml" and sys.platform != "win32":
        return "DirectML exists only on Windows (onnxruntime-directml)"
    return f"not in this onnxruntime build: {provider.how}"


def provider_devices() -> list[Device]:
    """All known providers, available or not, each with the reason."""
    ort = ort_module()
    have = set(ort.get_available_providers())
    devices = []
    for p in PROVIDERS:
        ok = p.ort_name in have
        reason = f"installed (onnxruntime {ort.__version__})" if ok else _reason_missing(p)
        devices.append(Device(p.id, p.kind, f"{p.short}: {p.what}", available=ok, reason=reason))
    return devices


def resolve(names: list[str] | tuple[str, ...]) -> list[Provider]:
    """Known and installed providers for ``names``; raise naming the first that is not."""
    have = set(installed())
    chosen = []
    for name in names:
        provider = find(name)
        if provider.ort_name not in have:
            reason = _reason_missing(provider)
            raise RuntimeUnavailable(f"the {provider.short} execution provider is unavailable: {reason}")
        if provider not in chosen:
            chosen.append(provider)
    return chosen
