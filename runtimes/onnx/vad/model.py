"""Silero VAD's ONNX model, run frame by frame with its recurrent state.

The ``silero-vad`` package ships ``silero_vad/data/silero_vad.onnx``; its
Python module imports torch, so Workbench never imports it and only locates
the data file. The model (v5 and later) takes, per call:

* ``input``: float32 [1, 64 + 512] — the last 64 samples of the previous
  window (context) followed by a new 512-sample window at 16 kHz;
* ``state``: float32 [2, 1, 128] — the recurrent state the previous call
  returned (zeros at the start);
* ``sr``: int64 scalar 16000;

and returns ``output`` [1, 1], the probability the window is speech, and
``stateN``, the next state. This is what silero_vad's own OnnxWrapper does.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from runtimes.errors import RuntimeUnavailable

SAMPLE_RATE = 16000
WINDOW = 512  # samples per call at 16 kHz: 32 ms
CONTEXT = 64  # samples of the previous window the model sees again
SIGNATURE = ("input", "state", "sr")
INSTALL_HINT = (
    "pip install --no-deps 'silero-vad>=6,<7' (--no-deps: its Python module needs torch, "
    "Workbench only reads the ONNX file it ships)"
)


def silero_vad_path() -> Path:
    """The ONNX file inside the installed silero-vad package (not imported: it needs torch)."""
    spec = importlib.util.find_spec("silero_vad")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeUnavailable(f"the silero-vad package is not installed; {INSTALL_HINT}")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "data" / "silero_vad.onnx"
        if path.is_file():
            return path
    raise RuntimeUnavailable(f"the silero-vad package has no data/silero_vad.onnx; reinstall it: {INSTALL_HINT}")


def is_silero_signature(input_names: list[str] | tuple[str, ...]) -> bool:
    return tuple(input_names) == SIGNATURE


def example_feed(fill: str, seed: int) -> dict[str, np.ndarray]:
    """Inputs one call of the model accepts: a window with its context, a
    fresh state and the 16 kHz rate. Made-up arrays with open dims set to 1
    are not: the model needs more than one sample and a real sample rate."""
    samples = np.zeros((1, CONTEXT + WINDOW), dtype=np.float32)
    if fill == "random":
        samples = np.random.default_rng(seed).uniform(-0.1, 0.1, samples.shape).astype(np.float32)
    return {
        "input": samples,
        "state": np.zeros((2, 1, 128), dtype=np.float32),
        "sr": np.array(SAMPLE_RATE, dtype=np.int64),
    }


class SileroModel:
    """Speech probability per 512-sample window, keeping state across calls."""

    def __init__(self, ort_session: Any) -> None:
        names = [i.name for i in ort_session.get_inputs()]
        if not is_silero_signature(names):
            raise ValueError(f"not a Silero VAD model: its inputs are {', '.join(names)}, expected input, state, sr")
        self._run = ort_session.run
        self._sr = np.array(SAMPLE_RATE, dtype=np.int64)
        self.reset()

    @classmethod
    def open(cls, path: Path | None = None, threads: int = 1) -> SileroModel:
        """Its own onnxruntime session; one thread, as silero-vad uses: a
        32 ms window is too small to split across cores."""
        from runtimes.onnx.providers import ort_module

        ort = ort_module()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(str(path or silero_vad_path()), options, providers=["CPUExecutionProvider"])
        return cls(session)

    def reset(self) -> None:
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)

    def __call__(self, window: np.ndarray) -> float:
        if window.shape != (WINDOW,):
            raise ValueError(f"Silero VAD takes {WINDOW}-sample windows at {SAMPLE_RATE} Hz, got {window.shape}")
        x = np.concatenate([self._context, window.astype(np.float32, copy=False)])[np.newaxis, :]
        probability, self._state = self._run(None, {"input": x, "state": self._state, "sr": self._sr})
        self._context = x[0, -CONTEXT:]
        return float(probability[0, 0])
