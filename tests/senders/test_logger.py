"""util-linux logger straight to the pipeline's syslog listener, in every format it writes."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from alerting.detect.compile import CompiledRuleSet
from tests.senders.delivery import deliver
from tests.senders.pipeline import Pipeline
from tests.senders.programs import logger, to_network

pytestmark = pytest.mark.senders

FORMATS = {
    "rfc5424-udp": ("udp", "--rfc5424"),
    "rfc5424-tcp-lf": ("tcp", "--rfc5424"),
    "rfc5424-tcp-octet-count": ("tcp", "--rfc5424", "--octet-count"),
    "rfc3164-udp": ("udp", "--rfc3164"),
    "rfc3164-tcp-lf": ("tcp", "--rfc3164"),
}


@pytest.mark.parametrize("form", sorted(FORMATS))
def test_logger_lines_become_the_exact_events_and_alerts(
    form: str, canhgac: Pipeline, rules: CompiledRuleSet
) -> None:
    transport, *formats = FORMATS[form]
    options = to_network(canhgac.port, transport, *formats)

    def send(tag: str, pid: int, priority: str, messages: Sequence[str]) -> None:
        logger(options, tag, pid, priority, messages)

    deliver(canhgac, rules, send)
