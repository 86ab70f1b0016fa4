"""Tests for models/download."""
