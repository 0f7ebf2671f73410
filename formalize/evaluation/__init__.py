"""Evaluation: comparison mode, problem families with independent optima, the benchmark runner."""
