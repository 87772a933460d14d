"""Benchmarks: `python -m bench` runs them all; each prints figures and ratios to a baseline."""
