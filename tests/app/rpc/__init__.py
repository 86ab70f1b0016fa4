"""Tests for app/rpc."""
