"""The Monitor page and the metrics strip."""
