"""Downloading model files: HTTP with resume, .part files, hashing, progress and the download jobs."""
