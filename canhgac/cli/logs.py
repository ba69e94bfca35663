"""Logging for the command line: rich on a terminal, plain lines otherwise."""

from __future__ import annotations

import logging
import sys

from rich.logging import RichHandler


def setup_logging(verbose: bool = False) -> None:
    level = logging.DEBUG if verbose else logging.INFO
    handler: logging.Handler
    if sys.stderr.isatty():
        handler = RichHandler(show_path=False, markup=False, rich_tracebacks=False)
        fmt = "%(name)s: %(message)s"
    else:
        handler = logging.StreamHandler(sys.stderr)
        fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    handler.setFormatter(logging.Formatter(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Third-party chatter that says nothing an operator needs.
    for noisy in ("apscheduler", "urllib3", "elastic_transport", "kafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
