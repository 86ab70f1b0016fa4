"""Tests for runtimes/tts."""
