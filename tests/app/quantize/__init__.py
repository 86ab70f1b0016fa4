"""Tests for app/quantize."""
