"""Tests for ui/rpc."""
