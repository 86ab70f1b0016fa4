"""Piper speech synthesis (ONNX voices)."""
