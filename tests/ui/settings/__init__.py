"""Tests for ui/settings."""
