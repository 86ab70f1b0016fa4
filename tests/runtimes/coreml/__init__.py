"""Tests for runtimes/coreml."""
