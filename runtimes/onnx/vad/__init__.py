"""Voice activity detection on the Silero ONNX model."""
