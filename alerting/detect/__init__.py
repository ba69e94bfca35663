"""Detection: Sigma rules compiled for the store, run on a schedule over new events.

``ruleset`` loads rules (collecting every problem as ``path:line:``), ``pipeline`` loads the
processing pipelines, ``compile`` turns rules into store queries (``sqlite_backend`` for the
embedded store), ``engine`` runs one rule window by window, ``scheduler`` runs them all on
their intervals, and ``service`` wires these together for the CLI.
"""
