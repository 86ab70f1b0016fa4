"""Tests for app/chat."""
