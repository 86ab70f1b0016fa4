"""Tests for ui/tensors."""
