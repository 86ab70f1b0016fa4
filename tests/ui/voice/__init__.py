"""Tests for ui/voice."""
