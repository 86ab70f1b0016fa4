"""Tests for app/monitor."""
