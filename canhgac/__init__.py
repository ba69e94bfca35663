"""Canh Gác shared kernel: configuration, models, stores, errors and the CLI.

The kernel never imports ``ingest`` or ``alerting``; only :mod:`canhgac.cli` wires them.
"""

__version__ = "0.1.0"
