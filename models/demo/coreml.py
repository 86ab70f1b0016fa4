"""Demo Core ML packages for ``workbench demo-models --kinds coreml``.

A tiny image classifier (conv -> relu -> global average pool -> linear ->
softmax) written with the MIL builder, so it builds anywhere coremltools
installs, no torch needed. Where torch is installed the same network is also
written as a torch.nn.Module, traced and converted, so both conversion paths
give a package to inspect (and, on a Mac, to predict and benchmark).
Weights are seeded random: the point is the plumbing, not the answers.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from models.tensor.coreml_convert import convert_torch_module, save_mil_program

INPUT_SHAPE = (1, 3, 32, 32)  # N, C, H, W
CHANNELS = 16
CLASSES = 10
MIL_NAME = "demo-convnet.mlpackage"
TORCH_NAME = "demo-convnet-torch.mlpackage"


def demo_weights(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    in_channels = INPUT_SHAPE[1]
    return {
        "conv_w": (rng.standard_normal((CHANNELS, in_channels, 3, 3)) * 0.2).astype(np.float32),
        "conv_b": (rng.standard_normal(CHANNELS) * 0.1).astype(np.float32),
        "fc_w": (rng.standard_normal((CLASSES, CHANNELS)) * 0.3).astype(np.float32),
        "fc_b": (rng.standard_normal(CLASSES) * 0.1).astype(np.float32),
    }


def demo_program(seed: int = 0) -> Any:
    """The classifier as a MIL program: input "image", output "probs"."""
    from models.tensor.coremltools_import import import_coremltools

    ct = import_coremltools()
    mb = ct.converters.mil.Builder
    w = demo_weights(seed)

    @mb.program(input_specs=[mb.TensorSpec(shape=INPUT_SHAPE)])
    def program(image: Any) -> Any:
        x = mb.conv(x=image, weight=w["conv_w"], bias=w["conv_b"], pad_type="same", name="conv")
        x = mb.relu(x=x, name="relu")
        x = mb.reduce_mean(x=x, axes=[2, 3], keep_dims=False, name="pool")
        x = mb.linear(x=x, weight=w["fc_w"], bias=w["fc_b"], name="fc")
        return mb.softmax(x=x, axis=-1, name="probs")

    return program


def demo_torch_module(seed: int = 0) -> Any:
    """The same classifier as a torch.nn.Module with the same weights."""
    import torch
    from torch import nn

    class ConvNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(INPUT_SHAPE[1], CHANNELS, 3, padding=1)
            self.fc = nn.Linear(CHANNELS, CLASSES)

        def forward(self, image: torch.Tensor) -> torch.Tensor:
            x = torch.relu(self.conv(image)).mean(dim=(2, 3))
            return torch.softmax(self.fc(x), dim=-1)

    module = ConvNet()
    w = demo_weights(seed)
    with torch.no_grad():
        module.conv.weight.copy_(torch.from_numpy(w["conv_w"]))
        module.conv.bias.copy_(torch.from_numpy(w["conv_b"]))
        module.fc.weight.copy_(torch.from_numpy(w["fc_w"]))
        module.fc.bias.copy_(torch.from_numpy(w["fc_b"]))
    return module


def build_demo_coreml(out_dir: Path, progress: Any = None, seed: int = 0) -> list[tuple[str, Path]]:
    """Write the MIL demo package, and the traced-torch one where torch is installed."""
    with_torch = importlib.util.find_spec("torch") is not None
    total = 2 if with_torch else 1
    out_dir = Path(out_dir)
    if progress is not None:
        progress(0, total, "coreml: MIL builder")
    description = "Workbench demo classifier (random weights)"
    files = [("coreml-mil", save_mil_program(demo_program(seed), out_dir / MIL_NAME, short_description=description))]
    if with_torch:
        import torch

        if progress is not None:
            progress(1, total, "coreml: traced torch")
        example = torch.zeros(INPUT_SHAPE)
        path = convert_torch_module(
            demo_torch_module(seed), [example], out_dir / TORCH_NAME, ["image"], ["probs"],
            short_description=description,
        )
        files.append(("coreml-torch", path))
    if progress is not None:
        progress(total, total, "done")
    return files
