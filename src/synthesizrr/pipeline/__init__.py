"""Stages, fingerprints, the run directory and the runner."""
