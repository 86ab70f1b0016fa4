"""ONNX Runtime: any .onnx model per execution provider, and Silero VAD
(runtimes.onnx.vad.detector) for the voice pipeline."""
