"""Quantization comparison: perplexity, KL divergence, speed and memory of
GGUF variants against a reference, computed as llama.cpp's llama-perplexity does."""
