"""Tests for models/gguf."""
