"""Models that run on the engine."""
