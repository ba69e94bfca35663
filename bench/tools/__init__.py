"""Helpers shared by the benchmarks (not part of the product): starting and observing a
`canhgac run` instance, feeding it the demo's city stream, the statistics the soak reports
(pure functions, unit-tested under tests/bench), and the detection peers' rules, events and
engines (bench_detect_peers.py)."""
