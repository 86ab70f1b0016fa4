"""Tests for app/compare."""
