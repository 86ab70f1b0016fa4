"""Tensor-model files (ONNX, Core ML): validation, conversion and the coremltools import."""
