"""GGUF files: header metadata, validation, vocabularies and the header-only fit estimate."""
