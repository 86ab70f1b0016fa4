"""Tests for app/speculative."""
