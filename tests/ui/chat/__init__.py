"""Tests for ui/chat."""
