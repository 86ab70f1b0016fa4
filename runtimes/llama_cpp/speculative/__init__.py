"""Speculative decoding over llama.cpp: draft models, prompt lookup, exactness gate, back-off."""
