"""Kokoro speech synthesis (ONNX)."""
