"""Whisper models: the downloadable catalog, ggml file format and validation."""
