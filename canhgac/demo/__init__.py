"""The built-in demo: a Hanoi city's log traffic with planted attacks, sent to a running
instance through its real inputs (syslog UDP/TCP, HTTP JSON, a tailed file), and a report of
which attacks the instance caught.

The kernel imports neither ``ingest`` nor ``alerting``: the demo talks to the pipeline only
over the network and the file system, as a city host would.
"""

from canhgac.demo.model import Channel, LogLine, PlantedAttack
from canhgac.demo.report import (
    DemoOutcome,
    build_outcome,
    render_outcome,
    wait_for_outcome,
)
from canhgac.demo.runner import DemoFeeder, run_demo
from canhgac.demo.sender import (
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
