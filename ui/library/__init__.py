"""The Library page: search, quants, downloads, local models and whisper models."""
