"""The KV-cache axis of a comparison: cache types and what each one costs in memory."""
