"""Experiments: replicate seeds, executors, the results folder, ``run`` and ``compare``."""
