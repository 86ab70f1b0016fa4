"""Tests for runtimes/llama_cpp/rpc."""
