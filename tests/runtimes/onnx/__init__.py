"""Tests for runtimes/onnx."""
