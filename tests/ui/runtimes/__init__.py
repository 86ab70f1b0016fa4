"""Tests for ui/runtimes."""
