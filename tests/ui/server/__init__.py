"""Tests for ui/server."""
