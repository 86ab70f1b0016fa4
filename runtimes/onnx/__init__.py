"""ONNX Runtime: any .onnx model per execution provider, and Silero VAD
(runtimes.onnx.vad) for the voice pipeline."""
