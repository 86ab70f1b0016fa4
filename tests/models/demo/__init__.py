"""Tests for models/demo."""
