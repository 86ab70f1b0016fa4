"""The Runtimes page: runtime cards, build panel, GPU help and the report."""
