"""The engine: the market's state in arrays and one step as a fixed sequence of phases over
it (``phases/``, one module each), with per-phase random streams. Knows nothing of Mesa,
files or reports, so a sweep worker or a batched backend can step it alone."""
