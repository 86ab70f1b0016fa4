"""Tests for runtimes."""
