"""Tests for runtimes/llama_cpp/speculative."""
