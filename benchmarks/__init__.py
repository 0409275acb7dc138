"""Benchmarks: measured side by side, never asserted in unit tests."""
