"""Demo models the project writes itself (tiny GGUF ladders, draft pairs, vision, whisper, ONNX, Core ML)."""
