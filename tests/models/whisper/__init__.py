"""Tests for models/whisper."""
