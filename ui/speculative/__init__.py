"""The Speculative page and the speculative panel in Chat."""
