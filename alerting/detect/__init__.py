"""Detection: Sigma rules compiled for the store, run on a schedule over new events.

Read it top-down; each layer imports only those below it (an import-linter contract):

* ``detector`` wires the layers for the CLI (load and compile the rules, build the scheduler);
  beside it the tools: ``backtest``, ``rule_checks`` (with ``field_contract``), ``pack_import``,
  ``suppression_impact``, and ``suppressions``, the one module triage imports from detection;
* ``run/`` runs compiled rules window by window on their intervals (``engine``,
  ``window_plan``, ``scheduler``, ``lease``, ``reload``);
* ``correlation/`` plans and evaluates correlation rules over their base rules' events;
* ``compile/`` turns rules into store queries (``sqlite/`` and ``elasticsearch/`` compilers);
* ``load/`` reads rule files, correlations, filters and suppressions, every problem as
  ``path:line:`` (with ``yaml_lines``).
"""
