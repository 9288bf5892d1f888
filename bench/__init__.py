"""Benchmarks: each runs its baseline beside the project in one run and prints the ratio."""
