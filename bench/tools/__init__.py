"""Helpers shared by the benchmarks: starting and observing a `canhgac run` instance, feeding it
the demo's city stream, and the statistics the soak reports (pure functions, unit-tested under
tests/bench)."""
