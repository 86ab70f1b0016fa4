"""Quant lab: importance matrices from the user's text, per-tensor quantization recipes."""
