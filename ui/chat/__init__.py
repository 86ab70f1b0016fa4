"""The Chat page: the page, its controllers (generation, loading, replies) and ChatSession wiring."""
