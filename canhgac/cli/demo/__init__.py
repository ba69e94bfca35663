"""The built-in demo: a Hanoi city's log traffic with planted attacks, sent to a running
instance through its real inputs (syslog UDP/TCP, HTTP JSON, a tailed file), and a report of
which attacks the instance caught.

A client of the system, so it lives under the CLI (``canhgac demo``, and ``canhgac run``
feeding itself), yet imports neither ``ingest`` nor ``alerting`` (an import-linter contract):
it talks to the pipeline only over the network and the file system, as a city host would.
"""

from canhgac.cli.demo.model import Channel, LogLine, PlantedAttack
from canhgac.cli.demo.report import (
    DemoOutcome,
    build_outcome,
    render_outcome,
    wait_for_outcome,
)
from canhgac.cli.demo.runner import DemoFeeder, run_demo
from canhgac.cli.demo.sender import (
    DemoSender,
    DemoSendError,
    DemoTargets,
    targets_from_settings,
)

__all__ = [
    "Channel",
    "DemoFeeder",
    "DemoOutcome",
    "DemoSendError",
    "DemoSender",
    "DemoTargets",
    "LogLine",
    "PlantedAttack",
    "build_outcome",
    "render_outcome",
    "run_demo",
    "targets_from_settings",
    "wait_for_outcome",
]
