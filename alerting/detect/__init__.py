"""Detection: Sigma rules compiled for the store, run on a schedule over new events.

``ruleset`` loads rules (every problem as ``path:line:``; ``settings`` is a rule's
``canhgac:`` block), ``pipeline`` loads the processing pipelines, ``compile`` turns rules into
store queries (``sqlite_backend`` with ``sql_patterns`` and ``prefilter`` for the embedded
store), ``engine`` runs one rule window by window, ``scheduler`` runs them all on their
intervals, and ``service`` wires these together for the CLI.
"""
