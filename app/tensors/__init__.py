"""Tensor-model runs (ONNX, Core ML) and the facts shown about a model."""
