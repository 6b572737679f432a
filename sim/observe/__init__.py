"""Observation: the per-step recorder, the result tables of a run, the run summary and the
registry of outcomes that every other package reads."""
