"""Helpers shared by the benchmarks (not part of the product)."""
