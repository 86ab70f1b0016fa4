"""Tests for app/cli."""
