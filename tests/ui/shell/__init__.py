"""Tests for ui/shell."""
