"""Downloadable text-to-speech voices."""
