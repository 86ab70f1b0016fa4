"""Tests for app/voice."""
