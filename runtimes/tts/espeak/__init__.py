"""espeak-ng speech synthesis."""
