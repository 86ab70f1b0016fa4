"""Tiny ONNX graphs with Kokoro's and Piper's input/output signatures, so the
Kokoro and Piper runtimes are tested end to end (phonemes -> ids -> ONNX ->
audio) without a 300 MB download. Each token becomes a short tone whose pitch
follows the token id, so the audio length follows the text."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

SAMPLES_PER_TOKEN = 240


def _tone_graph(ids_input: str, extra_inputs: list, output: str, out_shape: list[int], rate: int) -> onnx.ModelProto:
    """ids (int64 [1, n]) -> sin(cumulative phase) with n * SAMPLES_PER_TOKEN samples."""
    step = 2 * np.pi * 110.0 / rate
    nodes = [
        helper.make_node("Cast", [ids_input], ["ids_f"], to=TensorProto.FLOAT),
        helper.make_node("Tile", ["ids_f", "repeats"], ["tiled"]),
        helper.make_node("Mul", ["tiled", "step"], ["increments"]),
        helper.make_node("CumSum", ["increments", "axis"], ["phase"]),
        helper.make_node("Sin", ["phase"], ["wave"]),
        helper.make_node("Mul", ["wave", "gain"], ["scaled"]),
        helper.make_node("Reshape", ["scaled", "shape"], [output]),
    ]
    initializers = [
        helper.make_tensor("repeats", TensorProto.INT64, [2], [1, SAMPLES_PER_TOKEN]),
        helper.make_tensor("step", TensorProto.FLOAT, [], [step / 20.0]),
        helper.make_tensor("axis", TensorProto.INT64, [], [1]),
        helper.make_tensor("gain", TensorProto.FLOAT, [], [0.3]),
        helper.make_tensor("shape", TensorProto.INT64, [len(out_shape)], out_shape),
    ]
    graph = helper.make_graph(
        nodes, "synthetic-tts",
        [helper.make_tensor_value_info(ids_input, TensorProto.INT64, [1, "n"]), *extra_inputs],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, [d if d > 0 else "samples" for d in out_shape])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def build_kokoro(folder: Path, voices: tuple[str, ...] = ("af_heart", "bm_test")) -> Path:
    """kokoro-synthetic.onnx and voices-synthetic.bin (an npz of [510, 1, 256] styles)."""
    folder.mkdir(parents=True, exist_ok=True)
    extra = [helper.make_tensor_value_info("style", TensorProto.FLOAT, [1, 256]),
             helper.make_tensor_value_info("speed", TensorProto.FLOAT, [1])]
    model = _tone_graph("input_ids", extra, "waveform", [-1], 24000)
    path = folder / "kokoro-synthetic.onnx"
    onnx.save(model, path)
    rng = np.random.default_rng(0)
    with open(folder / "voices-synthetic.bin", "wb") as f:
        np.savez(f, **{v: rng.standard_normal((510, 1, 256)).astype(np.float32) for v in voices})
    return path


def build_piper(folder: Path, rate: int = 22050) -> Path:
    """synthetic-voice.onnx and its .onnx.json with Piper's default phoneme map."""
    from piper.phoneme_ids import DEFAULT_PHONEME_ID_MAP

    folder.mkdir(parents=True, exist_ok=True)
    extra = [helper.make_tensor_value_info("input_lengths", TensorProto.INT64, [1]),
             helper.make_tensor_value_info("scales", TensorProto.FLOAT, [3])]
    model = _tone_graph("input", extra, "output", [1, 1, -1], rate)
    path = folder / "synthetic-voice.onnx"
    onnx.save(model, path)
    config = {
        "audio": {"sample_rate": rate},
        "espeak": {"voice": "en-us"},
        "phoneme_type": "espeak",
        "num_symbols": 256,
        "num_speakers": 1,
        "inference": {"noise_scale": 0.667, "length_scale": 1.0, "noise_w": 0.8},
        "phoneme_id_map": DEFAULT_PHONEME_ID_MAP,
    }
    Path(f"{path}.json").write_text(json.dumps(config), encoding="utf-8")
    return path
