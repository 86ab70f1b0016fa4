"""Tests for ui/speculative."""
