"""The Compare page: setup, the run job, table, plot and histogram."""
