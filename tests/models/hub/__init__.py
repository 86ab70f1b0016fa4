"""Tests for models/hub."""
