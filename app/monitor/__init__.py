"""Live metrics: the sampler of a worker's memory and speed, and the rolling series it feeds."""
