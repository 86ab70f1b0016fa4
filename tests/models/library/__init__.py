"""Tests for models/library."""
