"""Tests for ui/compare."""
