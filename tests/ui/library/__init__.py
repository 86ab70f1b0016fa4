"""Tests for ui/library."""
