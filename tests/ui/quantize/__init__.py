"""Tests for ui/quantize."""
