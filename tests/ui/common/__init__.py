"""Tests for ui/common."""
