"""Tests for runtimes/whisper_cpp."""
