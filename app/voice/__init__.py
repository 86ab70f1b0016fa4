"""The voice pipeline, Qt-free: audio source -> VAD -> STT -> LLM -> TTS -> audio sink.

Frames in and out are numpy float32 mono arrays, so it runs headless (files,
tests, the CLI) and under the desktop app (ui/voice/audio_io.py pushes microphone
frames and pulls speaker frames).
"""
