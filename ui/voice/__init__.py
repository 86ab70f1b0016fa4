"""The Voice page: controls, transcript, models panel, latency strip and audio I/O."""
