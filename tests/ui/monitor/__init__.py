"""Tests for ui/monitor."""
